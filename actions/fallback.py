"""Low-confidence messages: one clarifying question, then the offer of a human."""
from typing import List, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from .base import AssistantAction
from .core.replies import Reply, Turn
from .handoff import resolve_pending_choice


class ActionHandleFallback(AssistantAction):
    def name(self) -> Text:
        return "action_handle_fallback"

    def respond(self, turn: Turn, tracker: Tracker) -> Tuple[List[Reply], List[EventType]]:
        # "1" or "2" after an offered choice is an answer, not noise.
        resolved = resolve_pending_choice(turn, tracker, None)
        if resolved is not None:
            return resolved
        count = int(tracker.get_slot("fallback_count") or 0) + 1
        if count == 1:
            return [turn.say("fallback_clarify")], [SlotSet("fallback_count", float(count))]
        offer = turn.say("fallback_offer_human")
        offer.buttons = [{"title": turn.r.text("human_button"), "payload": "/request_human"}]
        return [offer], [SlotSet("fallback_count", float(count))]
