"""Session start: the company and menu entry from the channel's metadata become slots."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from .core.inputs import company_id

# Slots that belong to the conversation and survive a session expiry.
_CARRIED = ("company", "language", "entry_department", "agent_now", "protocol")


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        for slot in _CARRIED:
            value = tracker.get_slot(slot)
            if value is not None:
                events.append(SlotSet(slot, value))
        metadata = tracker.get_slot("session_started_metadata") or {}
        if company_id(metadata.get("company")) and not tracker.get_slot("company"):
            events.append(SlotSet("company", company_id(metadata["company"])))
        if metadata.get("department"):
            events.append(SlotSet("entry_department", str(metadata["department"])))
        events.append(ActionExecuted("action_listen"))
        return events
