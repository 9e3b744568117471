"""A company's answers found by meaning, when no intent fits or the intent has no answer here.

Each answer in a company file may carry `examples`: questions in the customer's words. A message the
NLU could not place is compared, as a sentence embedding, with those examples; the nearest answer is
used when its similarity clears a threshold measured on independent data (BENCHMARKS.md). An answer
added to a company file with examples is reachable at once, with no retraining.

Pure: the embedding function is injected (the action server passes the sentence encoder).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .schema import Company

Embed = Callable[[List[str]], np.ndarray]
# Cosine similarity to the nearest example from which an answer is given. Measured (bench/retrieval.py):
# below 0.92 retrieval answered more of the questions the intent route missed wrongly than rightly, and
# from 0.88 down it answered off-topic messages; at 0.92 it answers only near-paraphrases of an example.
THRESHOLD = 0.92


@dataclass(frozen=True)
class Match:
    intent: str
    similarity: float
    example: str


class AnswerIndex:
    """The embeddings of every company's answer examples, made once per example text."""

    def __init__(self, embed: Embed):
        self.embed = embed
        self._vectors: Dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _vectors_for(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
            if missing:
                for text, vector in zip(missing, self.embed(missing)):
                    self._vectors[text] = vector
            return np.stack([self._vectors[t] for t in texts])

    def nearest(self, company: Company, text: str, exclude: Sequence[str] = ()) -> Optional[Match]:
        """The answer whose example is nearest to `text`, with its cosine similarity."""
        pairs: List[Tuple[str, str]] = [(intent, example) for intent, answer in company.answers.items()
                                        if intent not in exclude for example in answer.examples]
        if not pairs or not text.strip():
            return None
        examples = self._vectors_for([example for _, example in pairs])
        query = self.embed([text])[0]
        scores = examples @ query
        best = int(np.argmax(scores))
        return Match(pairs[best][0], float(scores[best]), pairs[best][1])

    def find(self, company: Company, text: str, threshold: float = THRESHOLD,
             exclude: Sequence[str] = ()) -> Optional[Match]:
        match = self.nearest(company, text, exclude)
        return match if match is not None and match.similarity >= threshold else None
