"""A company's answers found by meaning, when no intent fits or the intent has no answer here.

Each answer in a company file may carry `examples`: questions in the customer's words. A message the
NLU could not place is compared, as a sentence embedding, with those examples; the nearest answer is
used when its similarity clears a threshold measured on independent data (BENCHMARKS.md). An answer
added to a company file with examples is reachable at once, with no retraining.

Pure: the embedding function is injected (the action server passes the sentence encoder).
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
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
    """The embeddings of every company's answer examples, made once per example text.

    Embedding a company's examples takes a few seconds the first time: it is done on a background thread,
    and until it is done that company's messages are answered without retrieval, so no customer waits
    for it (`background=False` embeds in the caller, for tests and measurements).
    """

    def __init__(self, embed: Embed, background: bool = True, embed_examples: Optional[Embed] = None):
        self.embed = embed  # the customer's message: never stored
        self.embed_examples = embed_examples or embed  # the company files' examples: may be cached on disk
        self._vectors: Dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="answer-index") if background else None
        self._pending: set = set()

    def _embed_missing(self, texts: Sequence[str]) -> None:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            vectors = self.embed_examples(missing)
            with self._lock:
                self._vectors.update(zip(missing, vectors))
                self._pending.difference_update(missing)

    def _vectors_for(self, texts: Sequence[str]) -> Optional[np.ndarray]:
        """The examples' embeddings, or None while they are being made in the background."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
            if missing and self._pool is not None:
                new = [t for t in missing if t not in self._pending]
                if new:
                    self._pending.update(new)
                    self._pool.submit(self._embed_missing, new)
                return None
        if missing:
            self._embed_missing(missing)
        with self._lock:
            return np.stack([self._vectors[t] for t in texts])

    def warm(self, companies: Sequence[Company]) -> None:
        """Start embedding every company's examples now (on the background thread)."""
        for company in companies:
            examples = [e for answer in company.answers.values() for e in answer.examples]
            if examples:
                self._vectors_for(examples)

    def nearest(self, company: Company, text: str, exclude: Sequence[str] = ()) -> Optional[Match]:
        """The answer whose example is nearest to `text`, with its cosine similarity."""
        pairs: List[Tuple[str, str]] = [(intent, example) for intent, answer in company.answers.items()
                                        if intent not in exclude for example in answer.examples]
        if not pairs or not text.strip():
            return None
        examples = self._vectors_for([example for _, example in pairs])
        if examples is None:
            return None
        query = self.embed([text])[0]
        scores = examples @ query
        best = int(np.argmax(scores))
        return Match(pairs[best][0], float(scores[best]), pairs[best][1])

    def find(self, company: Company, text: str, threshold: float = THRESHOLD,
             exclude: Sequence[str] = ()) -> Optional[Match]:
        match = self.nearest(company, text, exclude)
        return match if match is not None and match.similarity >= threshold else None
