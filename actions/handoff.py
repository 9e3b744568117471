"""Handing off: asking for a human, the answer to a first step, and the come-back-or-continue choice."""
import re
from typing import List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from .answers import RESET, choice_events
from .base import AssistantAction, latest_intent
from .core import replies as core
from .core.render import find_department
from .core.replies import Reply, Turn

_OPTION = re.compile(r"^\s*(?:op[cç][aã]o|opcion|opción)?\s*([12])\s*[).!]?\s*$", re.I)


def typed_option(text: str) -> Optional[int]:
    match = _OPTION.match(text or "")
    return int(match[1]) if match else None


def resolve_pending_choice(turn: Turn, tracker: Tracker, intent: Optional[str]) -> Optional[Tuple[List[Reply], List[EventType]]]:
    """The customer's answer to an offered choice: 1/come back later closes, 2/continue queues."""
    department = tracker.get_slot("pending_choice")
    if not department or department not in turn.company.departments:
        return None
    option = typed_option(tracker.latest_message.get("text") or "")
    if intent == "choose_return_later" or option == 1:
        return core.choose(turn, department, continue_=False), RESET
    if intent == "choose_continue" or option == 2:
        return core.choose(turn, department, continue_=True), RESET
    return [turn.say("choice_repeat")], []


class ActionHandOff(AssistantAction):
    """A customer asking for a person: the department they name, their menu entry, else support."""

    def name(self) -> Text:
        return "action_hand_off"

    def respond(self, turn: Turn, tracker: Tracker) -> Tuple[List[Reply], List[EventType]]:
        named = find_department(turn.company, tracker.latest_message.get("text") or "")
        target = named or turn.entry or turn.company.support_department
        replies = core.route(turn, target)
        return replies, RESET + [SlotSet("pending_handoff", None)] + choice_events(replies)


class ActionFollowUp(AssistantAction):
    """Yes, no, or a choice: answers whatever the bot asked last."""

    def name(self) -> Text:
        return "action_follow_up"

    def respond(self, turn: Turn, tracker: Tracker) -> Tuple[List[Reply], List[EventType]]:
        intent = latest_intent(tracker)
        resolved = resolve_pending_choice(turn, tracker, intent)
        if resolved is not None:
            return resolved
        pending = tracker.get_slot("pending_handoff")
        if pending and intent == "deny":  # the first step did not help: hand off
            replies = core.route(turn, pending)
            return replies, RESET + [SlotSet("pending_handoff", None)] + choice_events(replies)
        if pending and intent == "affirm":
            return [turn.say("glad_it_works")], RESET + [SlotSet("pending_handoff", None)]
        key = "ok_no" if intent in ("deny", "choose_return_later") else "anything_else"
        return [turn.say(key)], RESET
