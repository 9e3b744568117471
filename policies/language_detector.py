"""NLU component: which language (pt or es) a message is written in, and how sure that is.

The answer goes into the parse data as `language` and `language_confidence`; the action server then
keeps the conversation's language when the confidence is low (short or mixed messages), see
actions/core/language.py. Detection uses lingua, restricted to the two languages the bot speaks.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from lingua import Language, LanguageDetectorBuilder
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

LANGUAGE = "language"
LANGUAGE_CONFIDENCE = "language_confidence"
_CODES = {Language.PORTUGUESE: "pt", Language.SPANISH: "es"}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class LanguageDetector(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(self) -> None:
        self.detector = (
            LanguageDetectorBuilder.from_languages(*_CODES).with_preloaded_language_models().build()
        )

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls()

    def detect(self, text: str) -> Optional[tuple]:
        values = self.detector.compute_language_confidence_values(text or "")
        if not values or values[0].value <= 0:
            return None
        return _CODES[values[0].language], round(values[0].value, 3)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self.detect(message.get(TEXT))
            language, confidence = found if found else (None, 0.0)
            message.set(LANGUAGE, language, add_to_output=True)
            message.set(LANGUAGE_CONFIDENCE, confidence, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
