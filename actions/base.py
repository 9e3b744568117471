"""What every action shares: building the customer's turn from the tracker, and sending replies.

The company comes from the conversation's slot, else the message metadata (REST/socketio contract),
else ASSISTANT_DEFAULT_COMPANY; a customer without one is asked to choose. Any failure inside an action
is logged and answered with an apology, never a stack trace or silence.
"""
from __future__ import annotations

import datetime as dt
import logging
from abc import ABCMeta, abstractmethod
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Tuple
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from .core.clock import clock_from, parse_moment
from .core.inputs import company_id, shown_name
from .core.language import choose_language, variant
from .core.reading import Cues, word_count
from .core.retrieval import AnswerIndex
from .core.registry import Registry
from .core.render import fold
from .core.replies import Reply, Turn, greet, guard
from .core.settings import Settings

logger = logging.getLogger(__name__)
SHELL_CHANNEL = "cmdline"
# Set by actions/server.py when it refuses every call without the deployment's token: only then can a
# tracker saying "cmdline" be trusted to come from the Rasa server (anyone could forge one otherwise).
AUTHENTICATED_CALLS = False
# The payload of the apology when the assistant cannot answer (the same as channels/faults.py's).
FAULT = {"fault": {"reason": "actions_unavailable"}}


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


@lru_cache(maxsize=1)
def registry() -> Registry:
    # A copy of each file's last good version is kept, for a restart while a file is broken.
    return Registry(settings().companies_dir, settings().messages_path, keep_dir=settings().cache_dir / "last-good")


@lru_cache(maxsize=1)
def cues() -> Cues:
    return Cues.load(settings().cues_path)


@lru_cache(maxsize=1)
def answer_index() -> Optional[AnswerIndex]:
    """Answers found by meaning (company-file examples), through the sentence encoder; None if it is off."""
    if not settings().retrieval:
        return None
    try:
        from policies.sentence_encoder import Encoder

        encoder = Encoder.shared(threads=1, cache_dir=settings().cache_dir / "sentence-encoder")
        # Examples are cached on disk by text, so a restarted server has them at once; the first ever
        # start embeds them in the background (the first customers do not wait, and get no retrieval).
        index = AnswerIndex(encoder.embed, embed_examples=encoder.embed_cached)
        index.warm(registry().companies())
        return index
    except (ImportError, OSError, RuntimeError) as error:  # the assistant still answers without it
        logger.error("answer retrieval disabled: the sentence encoder did not load (%s)", error)
        return None


def user_metadata(tracker: Tracker) -> Dict[str, Any]:
    """The metadata of the latest user message, else of the session start."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if event.get("metadata"):
                return event["metadata"]
            break
    return tracker.get_slot("session_started_metadata") or {}


def latest_intent(tracker: Tracker) -> Optional[str]:
    """The intent the rule fired on (nlu_fallback included)."""
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def agent_commands_allowed(tracker: Tracker) -> bool:
    """Staff commands: from the shell channel, on an action server that authenticates its caller."""
    if settings().agent_commands_everywhere:
        return True
    return AUTHENTICATED_CALLS and tracker.get_latest_input_channel() == SHELL_CHANNEL


def current_moment(tracker: Tracker, zone: ZoneInfo) -> dt.datetime:
    """The agent's simulated moment (set in the shell), else the server's clock."""
    simulated = tracker.get_slot("agent_now")
    if simulated:
        try:
            return parse_moment(simulated, zone)
        except ValueError:
            logger.warning("ignoring unreadable agent_now slot %r", simulated)
    return clock_from(settings().fixed_now)()


def company_list() -> str:
    return ", ".join(f"{c.name} ({c.id})" for c in registry().companies())


def known_company_id(tracker: Tracker) -> Optional[str]:
    """The conversation's company as far as it is known without reading the text: slot, metadata, default."""
    return company_id(tracker.get_slot("company")) or company_id(user_metadata(tracker).get("company")) \
        or settings().default_company


def match_company(text: str) -> Optional[str]:
    """A company the customer named in their message, by id or name."""
    folded = fold(text or "").strip()
    for company in registry().companies():
        if folded in (company.id, fold(company.name)) or company.id in folded.split():
            return company.id
    return None


class AssistantAction(Action, metaclass=ABCMeta):
    """Base: resolve the turn, call `respond`, send what it returns. Abstract, so never registered."""

    pauses_after_handoff = True

    @abstractmethod
    def respond(self, turn: Turn, tracker: Tracker) -> Tuple[List[Reply], List[EventType]]:
        """The replies for this turn and the events to record."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        messages = None
        language = tracker.get_slot("language") or "pt"
        try:
            messages = registry().messages()
            turn, events, early = self.build_turn(tracker)
            if early is not None:
                self.send(dispatcher, early)
                return events
            replies, more = self.respond(turn, tracker)
            replies = guard(turn.company, replies, messages, turn.variant)
            self.send(dispatcher, replies)
            events += more
            if self.pauses_after_handoff and any(r.custom and "handoff" in r.custom for r in replies):
                events.append(ConversationPaused())
            return events
        except Exception:  # never a stack trace or silence for the customer
            logger.exception("action %s failed", self.name())
            dispatcher.utter_message(text=self.apology(tracker, messages, language), json_message=FAULT)
            return []

    @staticmethod
    def apology(tracker: Tracker, messages: Optional[Dict[str, Dict[str, str]]], language: str) -> str:
        """The fault apology with the company's contacts (the words channels/faults.py uses Rasa-side)."""
        try:
            company = registry().company(known_company_id(tracker) or "")
            if company is not None:
                language = language if language in ("pt", "es") else company.language
                return messages["fault_apology"][variant(language, company)].format(
                    company=company.name, contact=company.contact.get(language))
            return messages["fault_apology_no_company"][variant(language, None)]
        except Exception:  # a broken company file or catalogue: the plain apology
            key = variant(language, None)
            return (messages or {}).get("error_apology", {}).get(key, "Desculpe, tive um problema. / Lo siento, tuve un problema.")

    def build_turn(self, tracker: Tracker) -> Tuple[Optional[Turn], List[EventType], Optional[List[Reply]]]:
        messages = registry().messages()
        metadata = user_metadata(tracker)
        events: List[EventType] = []
        given = tracker.get_slot("company") or metadata.get("company")
        key = company_id(given)
        named = None
        if not given:
            named = match_company(tracker.latest_message.get("text", ""))
            key = named or settings().default_company
        parse = tracker.latest_message or {}
        guess = parse.get("language") if parse.get("language_confidence", 0) >= 0.75 else None
        fallback_variant = variant(guess or tracker.get_slot("language") or "pt", None)
        if not key and not given:  # no company, so no locale either: both languages unless the message is clear
            variants = [fallback_variant] if guess else ["pt-BR", "es"]
            text = "\n\n".join(messages["choose_company"][v].format(companies=company_list()) for v in variants)
            return None, events, [Reply(text)]
        company = registry().company(key) if key else None
        if company is None:  # repeated only if it is plain text (never markup, never a 50,000-character id)
            name = shown_name(given if given else key)
            text = (messages["unknown_company"][fallback_variant].format(name=name, companies=company_list()) if name
                    else messages["unknown_company_unnamed"][fallback_variant].format(companies=company_list()))
            return None, events, [Reply(text)]
        if tracker.get_slot("company") != company.id:
            events.append(SlotSet("company", company.id))
        language = choose_language(
            parse.get("language"), parse.get("language_confidence") or 0.0, tracker.get_slot("language"), company,
            understood=latest_intent(tracker) != "nlu_fallback", words=word_count(parse.get("text") or ""),
        )
        if tracker.get_slot("language") != language:
            events.append(SlotSet("language", language))
        entry = tracker.get_slot("entry_department") or metadata.get("department")
        if not isinstance(entry, str) or entry not in company.departments:
            entry = None
        elif tracker.get_slot("entry_department") != entry:
            events.append(SlotSet("entry_department", entry))
        now = current_moment(tracker, ZoneInfo(company.timezone))
        turn = Turn(company, language, now, messages, entry, cues(), answer_index())
        if named:  # the customer just told us their company: welcome them to it
            return turn, events, greet(turn)
        return turn, events, None

    @staticmethod
    def send(dispatcher: CollectingDispatcher, replies: List[Reply]) -> None:
        for reply in replies:
            kwargs: Dict[str, Any] = {}
            if reply.buttons:
                kwargs["buttons"] = reply.buttons
            if reply.custom:
                kwargs["json_message"] = reply.custom
            dispatcher.utter_message(text=reply.text, **kwargs)
