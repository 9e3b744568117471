"""NLU component: intent classifier over word and character n-grams, robust to WhatsApp typing.

One model for Portuguese and Spanish: TF-IDF of words (1-2) and characters (2-5, within word bounds),
accents folded, feeding a multinomial logistic regression. Two defences against typos: training adds
reproducible noisy copies of each example (dropped, doubled, swapped or wrong letters), and at inference
a word the training data never had is replaced by the nearest training word within two edits (SymSpell,
frequency-weighted), so "fatrua" reads as "fatura". It measured ahead of DIET and of a plain TF-IDF model
on this data at a fraction of DIET's training time (see BENCHMARKS.md).
"""
from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections import Counter
from typing import Any, Dict, List, Optional, Text

import numpy as np
from scipy import sparse
from scipy.special import softmax
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from policies import rasa_speedups
from policies.text_noise import add_noise

logger = logging.getLogger(__name__)
_ARRAYS = "classifier.npz"  # weights, intercept, each vectorizer's idf
_FEATURES = "features.json"  # intent labels, each vectorizer's vocabulary
_VOCABULARY = "vocabulary.json"
_WORD = re.compile(r"[a-z]+")
_RUN = re.compile(r"(.)\1+")  # a letter repeated


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Speller:
    """Corrects words unknown to the training data to the nearest known word (SymSpell).

    A held key ("assinatuuura", "simmm") is undone first: an unknown word whose runs of one letter,
    squeezed to one, match a known word's squeezed form becomes that word. Then the nearest known word
    within `max_edit_distance` edits, one edit for words of `short_length` letters or fewer, where two
    edits reach too many neighbours.
    """

    def __init__(self, counts: Dict[str, int], max_edit_distance: int, min_length: int, short_length: int = 4):
        from symspellpy import SymSpell

        self.counts, self.distance, self.min_length = counts, max_edit_distance, min_length
        self.short_length = short_length
        self.symspell = SymSpell(max_dictionary_edit_distance=max_edit_distance, prefix_length=7)
        self.squeezed: Dict[str, str] = {}
        for word, count in sorted(counts.items(), key=lambda item: -item[1]):  # the most frequent wins
            self.symspell.create_dictionary_entry(word, count)
            self.squeezed.setdefault(_squeeze(word), word)

    @classmethod
    def learn(cls, texts: List[str], max_edit_distance: int, min_length: int, short_length: int = 4) -> "Speller":
        counts = Counter(word for text in texts for word in _WORD.findall(fold(text)))
        return cls(dict(counts), max_edit_distance, min_length, short_length)

    def word(self, word: str) -> str:
        from symspellpy import Verbosity

        if word in self.counts or len(word) < self.min_length:
            return word
        squeezed = _squeeze(word)
        if squeezed in self.squeezed:
            return self.squeezed[squeezed]
        for candidate in dict.fromkeys((word, squeezed)):
            if len(candidate) < self.min_length:
                continue
            distance = self.distance if len(candidate) > self.short_length else 1
            found = self.symspell.lookup(candidate, Verbosity.TOP, max_edit_distance=distance)
            if found:
                return found[0].term
        return word

    def correct(self, text: str) -> str:
        return _WORD.sub(lambda match: self.word(match.group(0)), fold(text))


def _squeeze(word: str) -> str:
    return _RUN.sub(r"\1", word)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(IntentClassifier, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 20.0,  # inverse regularisation of the logistic regression
            # saga reaches lbfgs's accuracy here in a third of the time (40 s instead of 2 min on 2 cores)
            "solver": "saga",
            "tol": 1e-3,
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "noisy_copies": 3,  # noisy copies of each training example: 3 train in about half the time of 6 and score within 0.3 points of it on independent messages
            "noise_rate": 0.12,
            "spelling_correction": True,
            "max_edit_distance": 2,
            "min_word_length": 3,  # shorter words are left alone: too many neighbours
            "short_word_length": 4,  # words this short are corrected by one edit at most
            "ranking_length": 10,
            "random_seed": 7,
            # Intents another component sets by rule, never learnt: the agents' slash commands are parsed
            # by AgentCommandParser, and learning "/company poxnet" taught the model that a bare
            # "poxnet" (a customer answering "which company?") is a staff command.
            "rule_intent_prefixes": ["agent_"],
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage, self._resource = model_storage, resource
        self.vectorizers: List[TfidfVectorizer] = []
        self.speller: Optional[Speller] = None
        self.fitted: Optional[LogisticRegression] = None  # the sklearn model, in the training process only
        self._weights = None  # (features x intents), C-contiguous, made once for fast prediction

    @property
    def trained(self) -> bool:
        return self._weights is not None

    def _set(self, vectorizers: List[TfidfVectorizer], weights: np.ndarray, intercept: np.ndarray,
             labels: List[str]) -> None:
        self.vectorizers, self._intercept, self._labels = vectorizers, intercept, [str(label) for label in labels]
        self._weights = np.ascontiguousarray(weights)
        self._idf = [sparse.diags(v.idf_, format="csr") for v in vectorizers]

    def _new_vectorizers(self) -> List[TfidfVectorizer]:
        return [
            TfidfVectorizer(analyzer="word", ngram_range=tuple(self.config["word_ngrams"]),
                            sublinear_tf=True, strip_accents="unicode"),
            TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.config["char_ngrams"]),
                            sublinear_tf=True, strip_accents="unicode", min_df=2),
        ]

    def features(self, texts: List[str]) -> sparse.csr_matrix:
        """`TfidfVectorizer.transform` of each vectorizer, side by side.

        Done in steps because sklearn 1.1's transform re-derives `idf_` from its diagonal matrix on
        every call (a sum over all features): counts, then sublinear tf, idf and norm as it does.
        """
        blocks = []
        for vectorizer, idf in zip(self.vectorizers, self._idf):
            counts = CountVectorizer.transform(vectorizer, texts).astype(np.float64)
            if vectorizer.sublinear_tf:
                np.log(counts.data, counts.data)
                counts.data += 1
            blocks.append(normalize(counts @ idf, norm=vectorizer.norm, copy=False))
        return sparse.hstack(blocks, format="csr")

    def probabilities(self, texts: List[str]) -> np.ndarray:
        """The multinomial model's probabilities, as sklearn's `predict_proba` gives them.

        sklearn multiplies by `coef_.T`, a strided view that scipy copies (29 MB here) on every call;
        the contiguous copy made once makes a prediction about a thousand times cheaper.
        """
        if self.speller is not None:
            texts = [self.speller.correct(text) for text in texts]
        return softmax(np.asarray(self.features(texts) @ self._weights) + self._intercept, axis=1)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfIntentClassifier":
        rasa_speedups.install()
        return cls(config, model_storage, resource)

    def augmented(self, texts: List[str], intents: List[str]) -> tuple:
        x, y = [], []
        for text, intent in zip(texts, intents):
            x.append(text)
            y.append(intent)
            for copy in range(self.config["noisy_copies"]):
                x.append(add_noise(text, self.config["noise_rate"], seed=self.config["random_seed"] * 100 + copy))
                y.append(intent)
        return x, y

    def examples(self, training_data: TrainingData) -> List[Message]:
        """The examples this model learns from: every intent example but those of rule-set intents."""
        skipped = tuple(self.config["rule_intent_prefixes"])
        return [e for e in training_data.intent_examples
                if e.get(INTENT) and e.get(TEXT) and not str(e.get(INTENT)).startswith(skipped)]

    def train(self, training_data: TrainingData) -> Resource:
        examples = self.examples(training_data)
        if len({e.get(INTENT) for e in examples}) < 2:
            logger.warning("TfidfIntentClassifier needs at least two intents with examples; not trained")
            return self._resource
        texts = [e.get(TEXT) for e in examples]
        x, y = self.augmented(texts, [e.get(INTENT) for e in examples])
        vectorizers = self._new_vectorizers()
        features = sparse.hstack([v.fit_transform(x) for v in vectorizers], format="csr")
        self.fitted = LogisticRegression(C=self.config["C"], solver=self.config["solver"], tol=self.config["tol"],
                                         max_iter=3000, random_state=self.config["random_seed"]).fit(features, y)
        self._set(vectorizers, self.fitted.coef_.T, self.fitted.intercept_, list(self.fitted.classes_))
        if self.config["spelling_correction"]:
            self.speller = Speller.learn(texts, self.config["max_edit_distance"], self.config["min_word_length"],
                                         self.config["short_word_length"])
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.trained:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        for message, row in zip(messages, self.probabilities(texts)):
            ranking = sorted(
                ({"name": label, "confidence": float(p)} for label, p in zip(self._labels, row)),
                key=lambda r: -r["confidence"],
            )
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking[: self.config["ranking_length"]], add_to_output=True)
        return messages

    def persist(self) -> None:
        """Plain arrays and JSON, no pickles: loading runs no code from the model file, and is fast."""
        arrays = {"weights": self._weights, "intercept": self._intercept}
        arrays.update({f"idf_{i}": v.idf_ for i, v in enumerate(self.vectorizers)})
        vocabularies = [{term: int(column) for term, column in v.vocabulary_.items()} for v in self.vectorizers]
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(directory / _ARRAYS, **arrays)
            (directory / _FEATURES).write_text(json.dumps({"labels": self._labels, "vocabularies": vocabularies},
                                                          ensure_ascii=False))
            if self.speller is not None:
                (directory / _VOCABULARY).write_text(json.dumps(self.speller.counts, ensure_ascii=False))

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfIntentClassifier":
        rasa_speedups.install()  # the serving path loads the model through here
        classifier = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                with np.load(directory / _ARRAYS, allow_pickle=False) as arrays:
                    stored = {name: arrays[name] for name in arrays.files}
                features = json.loads((directory / _FEATURES).read_text())
                vectorizers = classifier._new_vectorizers()
                if len(features["vocabularies"]) != len(vectorizers):
                    raise ValueError("the model's feature set differs from the configuration")
                for i, (vectorizer, vocabulary) in enumerate(zip(vectorizers, features["vocabularies"])):
                    vectorizer.vocabulary_ = vocabulary
                    vectorizer.idf_ = stored[f"idf_{i}"]
                classifier._set(vectorizers, stored["weights"], stored["intercept"], features["labels"])
                if (directory / _VOCABULARY).exists() and classifier.config["spelling_correction"]:
                    counts = json.loads((directory / _VOCABULARY).read_text())
                    settings = classifier.config
                    classifier.speller = Speller(counts, settings["max_edit_distance"], settings["min_word_length"],
                                                 settings["short_word_length"])
        except (ValueError, KeyError, OSError) as error:
            logger.warning("TfidfIntentClassifier could not be loaded (%s); it will not classify", error)
            return cls(config, model_storage, resource)
        return classifier
