"""The one action that answers every customer message: slots in, `core.dialogue.respond`, slots out."""
from typing import List, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from . import protocols
from .base import AssistantAction, latest_intent
from .core.dialogue import Parse, State, respond
from .core.replies import Reply, Turn

# slot name -> State field
_SLOTS = {
    "topic": "topic",
    "topic_department": "department",
    "pending_choice": "pending_choice",
    "pending_handoff": "pending_handoff",
    "fallback_count": "fallback_count",
    "awaiting_topic": "awaiting_topic",
}


def state_of(tracker: Tracker) -> State:
    return State(
        topic=tracker.get_slot("topic"),
        department=tracker.get_slot("topic_department"),
        pending_choice=tracker.get_slot("pending_choice"),
        pending_handoff=tracker.get_slot("pending_handoff"),
        fallback_count=int(tracker.get_slot("fallback_count") or 0),
        awaiting_topic=bool(tracker.get_slot("awaiting_topic")),
    )


def customer_intent(intent) -> str:
    return "nlu_fallback" if not intent or intent.startswith("agent_") else intent


def parse_of(tracker: Tracker) -> Parse:
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    return Parse(
        text=latest.get("text") or "",
        # A staff command's intent on words that are no command (actions/agent.py) is not understood here.
        intent=customer_intent(latest_intent(tracker)),
        confidence=float(intent.get("confidence") or 0.0),
        also=tuple(latest.get("also_asks") or ()),
    )


def slot_events(before: State, after: State) -> List[EventType]:
    events: List[EventType] = []
    for slot, name in _SLOTS.items():
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            if name == "fallback_count":
                new = float(new) if new else None
            events.append(SlotSet(slot, new))
    return events


class ActionRespond(AssistantAction):
    def name(self) -> Text:
        return "action_respond"

    def respond(self, turn: Turn, tracker: Tracker) -> Tuple[List[Reply], List[EventType]]:
        recalled = protocols.recall(turn, tracker, latest_intent(tracker))  # "qual é o meu protocolo?"
        if recalled is not None:
            return recalled, []
        state = state_of(tracker)
        outcome = respond(turn, parse_of(tracker), state)
        replies, stamped = protocols.stamp(turn, outcome.replies, tracker.sender_id)  # a protocol on each handoff and close
        return replies, slot_events(state, outcome.state) + stamped
