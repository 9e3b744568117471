"""NLU component: the contact-center agents' slash commands in `rasa shell`.

`/company <id>` (or /empresa) picks the company of the conversation; `/now <ISO date-time>` (or /agora,
/ahora) sets the moment the bot believes it is, and `/now real` goes back to the real clock. The command
becomes an intent with an entity, at full confidence; whether it is obeyed is the action server's call
(only on the shell channel), so a customer typing it gets nothing.
"""
from __future__ import annotations

import re
import warnings
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

# Rasa's RegexMessageHandler reads any "/..." message as its own `/intent{...}` syntax and warns, with the
# whole intent list, that "company poxnet" is no intent. For our commands that warning is noise.
warnings.filterwarnings("ignore", message=r"(?s).*but found (company|empresa|now|agora|ahora) ", category=UserWarning)

COMMANDS = {
    "agent_set_company": (re.compile(r"^/(?:company|empresa)\s+(?P<value>\S+)\s*$", re.I), "company"),
    "agent_set_clock": (re.compile(r"^/(?:now|agora|ahora)\s+(?P<value>.+?)\s*$", re.I), "moment"),
}


def parse_command(text: str):
    """(intent, entity, value) for an agent command, else None."""
    for intent, (pattern, entity) in COMMANDS.items():
        match = pattern.match(text or "")
        if match:
            return intent, entity, match["value"]
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class AgentCommandParser(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "AgentCommandParser":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            command = parse_command(message.get(TEXT))
            if command is None:
                continue
            intent, entity, value = command
            start = len(message.get(TEXT)) - len(value)
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}], add_to_output=True)
            message.set(
                ENTITIES,
                [{"entity": entity, "value": value, "start": start, "end": start + len(value),
                  "extractor": self.__class__.__name__}],
                add_to_output=True,
            )
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
