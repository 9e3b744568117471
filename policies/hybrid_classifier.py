"""NLU component: word and character n-grams together with a multilingual sentence encoder.

Two views of each message, one decision. The n-gram model (TfidfIntentClassifier: noisy copies, spelling
correction) knows the customers' own words and typos; a logistic regression on multilingual-e5-small
sentence embeddings (policies/sentence_encoder.py) relates words it never saw together ("contactar a
vossa equipa" and "falar com o suporte"). Their probabilities are combined as a weighted geometric mean.
On independent held-out messages (tests/nlu/independent/, written by people who never saw the training
data) the combination beat either view alone in every language variant (BENCHMARKS.md).

A message with several questions ("tem repetidor? e camera?") also gets `also_asks`: the intents of its
other sentences, when they are confident, so the reply can answer each one.
"""
from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Text

import numpy as np
from scipy.special import softmax
from sklearn.linear_model import LogisticRegression

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from policies.sentence_encoder import Encoder
from policies.tfidf_classifier import TfidfIntentClassifier

logger = logging.getLogger(__name__)
_ENCODER_ARRAYS = "encoder_classifier.npz"
_ENCODER_LABELS = "encoder_labels.json"
ALSO_ASKS = "also_asks"
_SENTENCES = re.compile(r"(?<=[?!.;])\s+")


def split_questions(text: str, min_words: int) -> List[str]:
    """The sentences of a message that each could be a question of its own (`min_words` words or more)."""
    parts = [p.strip(" ,") for p in _SENTENCES.split(text or "") if p and p.strip(" ,")]
    return [p for p in parts if len(re.findall(r"\w+", p)) >= min_words]


def project_cache_dir() -> Path:
    return Path(os.environ.get("ASSISTANT_CACHE_DIR", Path.cwd() / ".cache"))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class HybridIntentClassifier(TfidfIntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **TfidfIntentClassifier.get_default_config(),
            "encoder_weight": 0.5,  # share of the sentence-encoder view in the geometric mean
            "encoder_C": 100.0,  # inverse regularisation of the encoder view's logistic regression
            "cascade_confidence": 0.9,  # the encoder reads only messages the n-gram model is less sure of
            "encoder_threads": 2,  # serving: 11 ms a message with two threads, 20 ms with one
            "training_threads": 2,
            "also_asks_confidence": 0.6,  # another sentence's intent counts from this confidence
            "also_asks_min_words": 3,
            "sentence_rescue_below": 0.5,  # an unsure message takes its most confident sentence's intent
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, model_storage, resource)
        self.config = {**self.get_default_config(), **config}
        self._encoder_weights = None
        self._encoder_intercept = None

    def encoder(self, training: bool = False) -> Encoder:
        threads = self.config["training_threads" if training else "encoder_threads"]
        return Encoder.shared(threads, project_cache_dir() / "sentence-encoder" if training else None)

    def train(self, training_data: TrainingData) -> Resource:
        examples = self.examples(training_data)
        texts, intents = [e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples]
        super().train(training_data)
        if not self.trained:
            return self._resource
        # Run after the n-gram model, not beside it: on these machines' two vCPUs, both at once were no
        # faster than one after the other (measured: 212 s against 220 s).
        logger.info("sentence encoder: embedding %d training examples (cached by text)", len(texts))
        embeddings = self.encoder(training=True).embed_cached(texts)
        fitted = LogisticRegression(C=self.config["encoder_C"], max_iter=3000).fit(embeddings, intents)
        order = [list(fitted.classes_).index(label) for label in self._labels]  # the n-gram model's order
        self._encoder_weights = np.ascontiguousarray(fitted.coef_[order].T)
        self._encoder_intercept = fitted.intercept_[order]
        self.persist()
        return self._resource

    def probabilities(self, texts: List[str]) -> np.ndarray:
        """The n-gram model's probabilities where it is sure; where not, both views combined.

        The cascade keeps the encoder (about 10-20 ms a message) off the messages the n-gram model
        already reads with confidence: on the independent held-out set it ran on 22% of messages and
        scored the same as running it on all (BENCHMARKS.md).
        """
        ngrams = super().probabilities(texts)
        if self._encoder_weights is None:
            return ngrams
        unsure = np.flatnonzero(ngrams.max(axis=1) < self.config["cascade_confidence"])
        if unsure.size == 0:
            return ngrams
        embedded = self.encoder().embed([texts[i] for i in unsure])
        encoded = softmax(embedded @ self._encoder_weights + self._encoder_intercept, axis=1)
        weight = self.config["encoder_weight"]
        combined = np.exp((1 - weight) * np.log(ngrams[unsure] + 1e-12) + weight * np.log(encoded + 1e-12))
        result = ngrams.copy()
        result[unsure] = combined / combined.sum(axis=1, keepdims=True)
        return result

    def process(self, messages: List[Message]) -> List[Message]:
        messages = super().process(messages)
        if not self.trained:
            return messages
        for message in messages:
            self.read_sentences(message)
        return messages

    def read_sentences(self, message: Message) -> None:
        """A message of several sentences: each sentence classified on its own.

        When the whole message is unsure (a question diluted by small talk: "oi boa noite, em quais
        cidades vcs tem internet? to pensando em mudar de provedor"), its most confident sentence gives
        the intent. The other sentences' confident intents go to `also_asks`, so each gets its answer.
        """
        sentences = split_questions(message.get(TEXT) or "", self.config["also_asks_min_words"])
        if len(sentences) < 2:
            message.set(ALSO_ASKS, [], add_to_output=True)
            return
        main = dict(message.get(INTENT) or {})
        rows = self.probabilities(sentences)
        found = [(self._labels[int(row.argmax())], float(row.max())) for row in rows]
        confident = [(label, p) for label, p in found if p >= self.config["also_asks_confidence"]]
        # The rescue reads the questions when there are any: "Comprámos o plano X. Posso ...?" asks the second.
        questions = [(label, p) for (label, p), text in zip(found, sentences)
                     if text.rstrip().endswith("?") and p >= self.config["also_asks_confidence"]]
        candidates = questions if any(t.rstrip().endswith("?") for t in sentences) else confident
        if main.get("confidence", 0.0) < self.config["sentence_rescue_below"] and candidates:
            label, p = max(candidates, key=lambda item: item[1])
            if p > main.get("confidence", 0.0):
                message.set(INTENT, {"name": label, "confidence": p}, add_to_output=True)
                main = {"name": label, "confidence": p}
        also = []
        for label, _ in confident:
            if label != main.get("name") and label not in also:
                also.append(label)
        message.set(ALSO_ASKS, also, add_to_output=True)

    def persist(self) -> None:
        super().persist()
        if self._encoder_weights is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / _ENCODER_ARRAYS, weights=self._encoder_weights, intercept=self._encoder_intercept)
            (directory / _ENCODER_LABELS).write_text(json.dumps(self._labels, ensure_ascii=False))

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "HybridIntentClassifier":
        classifier = super().load(config, model_storage, resource, execution_context, **kwargs)
        if not classifier.trained:
            return classifier
        try:
            with model_storage.read_from(resource) as directory:
                labels = json.loads((directory / _ENCODER_LABELS).read_text())
                if labels != classifier._labels:
                    raise ValueError("the two views were trained on different intents")
                with np.load(directory / _ENCODER_ARRAYS, allow_pickle=False) as arrays:
                    classifier._encoder_weights = np.ascontiguousarray(arrays["weights"])
                    classifier._encoder_intercept = arrays["intercept"]
            classifier.encoder()  # load the encoder now, not at the first customer message
        except (ValueError, KeyError, OSError) as error:
            logger.warning("HybridIntentClassifier: sentence-encoder view not loaded (%s); n-grams only", error)
        return classifier
