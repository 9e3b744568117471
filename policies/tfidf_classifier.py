"""NLU component: intent classifier over word and character n-grams, robust to WhatsApp typing.

One model for Portuguese and Spanish: TF-IDF of words (1-2) and characters (2-5, within word bounds),
accents folded, feeding a multinomial logistic regression. Training adds reproducible noisy copies of
each example (dropped, doubled, swapped or wrong letters), so typos cost little. It measured ahead of
DIET on this data at a fraction of the training time (see BENCHMARKS.md).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
from scipy.special import softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_union

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
_FILE = "tfidf_classifier.skops"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfIntentClassifier(IntentClassifier, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "C": 20.0,  # inverse regularisation of the logistic regression
            "word_ngrams": [1, 2],
            "char_ngrams": [2, 5],
            "noisy_copies": 2,  # noisy copies of each training example
            "noise_rate": 0.08,
            "ranking_length": 10,
            "random_seed": 7,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[Pipeline] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage, self._resource = model_storage, resource
        self.model = model
        self._weights = None  # (features x intents), C-contiguous, made once for fast prediction
        if model is not None:
            self._prepare()

    def _prepare(self) -> None:
        classifier = self.model.named_steps["classifier"]
        self._weights = np.ascontiguousarray(classifier.coef_.T)
        self._intercept = classifier.intercept_
        self._labels = [str(label) for label in classifier.classes_]

    def probabilities(self, texts: List[str]) -> np.ndarray:
        """The multinomial model's probabilities, as `predict_proba` gives them.

        sklearn multiplies by `coef_.T`, a strided view that scipy copies (29 MB here) on every call;
        the contiguous copy made once makes a prediction about a thousand times cheaper.
        """
        features = self.model.named_steps["features"].transform(texts)
        return softmax(np.asarray(features @ self._weights) + self._intercept, axis=1)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfIntentClassifier":
        rasa_speedups.install()
        return cls(config, model_storage, resource)

    def _pipeline(self) -> Pipeline:
        features = make_union(
            TfidfVectorizer(analyzer="word", ngram_range=tuple(self.config["word_ngrams"]),
                            sublinear_tf=True, strip_accents="unicode"),
            TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.config["char_ngrams"]),
                            sublinear_tf=True, strip_accents="unicode", min_df=2),
        )
        classifier = LogisticRegression(C=self.config["C"], max_iter=3000, random_state=self.config["random_seed"])
        return Pipeline([("features", features), ("classifier", classifier)])

    def augmented(self, texts: List[str], intents: List[str]) -> tuple:
        x, y = [], []
        for text, intent in zip(texts, intents):
            x.append(text)
            y.append(intent)
            for copy in range(self.config["noisy_copies"]):
                x.append(add_noise(text, self.config["noise_rate"], seed=self.config["random_seed"] * 100 + copy))
                y.append(intent)
        return x, y

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            logger.warning("TfidfIntentClassifier needs at least two intents with examples; not trained")
            return self._resource
        x, y = self.augmented([e.get(TEXT) for e in examples], [e.get(INTENT) for e in examples])
        self.model = self._pipeline().fit(x, y)
        self._prepare()
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None:
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
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(self.model, directory / _FILE)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfIntentClassifier":
        import skops.io as sio

        rasa_speedups.install()  # the serving path loads the model through here
        try:
            with model_storage.read_from(resource) as directory:
                path = directory / _FILE
                untrusted = sio.get_untrusted_types(file=path)
                unexpected = [t for t in untrusted if not t.startswith(("sklearn.", "numpy.", "scipy.", "builtins."))]
                if unexpected:
                    raise ValueError(f"unexpected types in the classifier file: {unexpected}")
                return cls(config, model_storage, resource, sio.load(path, trusted=untrusted))
        except (ValueError, FileNotFoundError) as error:
            logger.warning("TfidfIntentClassifier could not be loaded (%s); it will not classify", error)
            return cls(config, model_storage, resource)
