"""Answering: greetings, the company's answer to a question, opening hours, small talk."""
from typing import List, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from .base import AssistantAction, latest_intent
from .core import replies as core
from .core.render import find_department
from .core.replies import Reply, Turn

# Intents answered from the message catalogue rather than the company file.
SMALL_TALK = {"goodbye": "goodbye", "thank": "thank", "out_of_scope": "out_of_scope"}
RESET = [SlotSet("pending_choice", None), SlotSet("fallback_count", None)]


class ActionGreet(AssistantAction):
    def name(self) -> Text:
        return "action_greet"

    def respond(self, turn: Turn, tracker: Tracker) -> Tuple[List[Reply], List[EventType]]:
        return core.greet(turn), RESET + [SlotSet("pending_handoff", None)]


class ActionAnswerQuestion(AssistantAction):
    """The company's answer to the predicted intent; a routed intent then hands off or closes."""

    def name(self) -> Text:
        return "action_answer_question"

    def respond(self, turn: Turn, tracker: Tracker) -> Tuple[List[Reply], List[EventType]]:
        intent = latest_intent(tracker)
        text = tracker.latest_message.get("text") or ""
        if intent in SMALL_TALK:
            return [turn.say(SMALL_TALK[intent])], RESET
        pending = tracker.get_slot("pending_handoff")
        if core.needs_first_step(turn, intent) and pending != intent:
            # First the step the company allows (restart the equipment), then the handoff if it fails.
            return core.answer(turn, intent, text), RESET + [SlotSet("pending_handoff", intent)]
        replies = core.answer(turn, intent, text, first_step_done=True)
        return replies, RESET + [SlotSet("pending_handoff", None)] + choice_events(replies)


class ActionTellHours(AssistantAction):
    """Opening hours from the calendar: of the department the customer names, else of all."""

    def name(self) -> Text:
        return "action_tell_hours"

    def respond(self, turn: Turn, tracker: Tracker) -> Tuple[List[Reply], List[EventType]]:
        department = find_department(turn.company, tracker.latest_message.get("text") or "")
        return core.hours(turn, department), RESET


def choice_events(replies: List[Reply]) -> List[EventType]:
    """Remember which department's choice was offered, so the next message can answer it."""
    return [SlotSet("pending_choice", r.awaits_choice) for r in replies if r.awaits_choice]
