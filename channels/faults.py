"""Never silent: what the Rasa server does when it cannot run the assistant's actions, and one answer a turn.

Installed when the project's channels load (channels/__init__.py), so `rasa run` with credentials.yml
(REST, widget, Chatwoot) has it. Three changes to Rasa 3.6's serving path:

1. A custom action that fails (action server down, refusing, answering 500 or garbage) gives the customer
   a short apology in the conversation's language with the company's contacts, read here from
   companies/ and locales/messages.yml (no action server needed), and the payload
   `{"fault": {"reason": "actions_unavailable"}}`; then the bot listens. Rasa's own behaviour was
   silence with the action's events lost.
2. A failed `action_session_start` falls back to Rasa's built-in session start. Without it the session
   never got its `action_listen`, no rule matched again, the core fallback ran ten times a turn and the
   circuit breaker, counting actions back to an `action_listen` that never came, tripped on every later
   message of that conversation: silent forever, `/restart` included.
3. One answer per turn: after the assistant's action the bot listens (the rules say so whenever their
   state matches; a tracker whose state they do not match, such as one paused by a handoff, got the core
   fallback ten times over). A `/restart` runs `action_restart` whatever the state (it also resumes a
   paused conversation) and tells the customer the conversation starts over, and the circuit breaker
   counts the actions of the current turn only, so a conversation that ever hit it recovers on its next
   message.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import ActionExecutionRejection, ActionRestart, ActionSessionStart, RemoteAction
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_RESTART_NAME, ACTION_SESSION_START_NAME, USER_INTENT_RESTART
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, FollowupAction, UserUttered

logger = logging.getLogger(__name__)

FAULT = {"fault": {"reason": "actions_unavailable"}}
# The assistant's actions answer a whole turn each (data/rules/): after one of them the bot listens.
TURN_ACTIONS = frozenset({"action_respond", "action_run_agent_command"})
# If even the message catalogue cannot be read: both languages, no company facts.
LAST_RESORT = ("Desculpe, não consigo responder agora. Tente de novo em alguns minutos.\n\n"
               "Lo siento, no puedo responder ahora. Intente de nuevo en unos minutos.")

_originals: Dict[str, Any] = {}


@lru_cache(maxsize=1)
def _registry():
    from actions.core.registry import Registry
    from actions.core.settings import Settings

    settings = Settings.from_env()
    return Registry(settings.companies_dir, settings.messages_path), settings


def _conversation_company(tracker) -> Tuple[Optional[Any], Optional[str]]:
    """The conversation's company (slot, message metadata, default) and its language, as far as known."""
    metadata = getattr(tracker.latest_message, "metadata", None) or {}
    session = tracker.get_slot("session_started_metadata") or {}
    for candidate in (tracker.get_slot("company"), metadata.get("company"), session.get("company"),
                      _registry()[1].default_company):
        company = company_named(candidate)
        if company is not None:
            return company, company.language
    return None, None


def apology(tracker) -> str:
    """The fault apology in the conversation's language, with the company's contacts when it is known."""
    try:
        company, company_language = _conversation_company(tracker)
        parse = tracker.latest_message.parse_data if tracker.latest_message else {}
        detected = parse.get("language") if (parse.get("language_confidence") or 0) >= 0.75 else None
        return compose(company, tracker.get_slot("language") or detected or company_language)
    except Exception:  # the apology itself must never fail
        logger.exception("fault apology: the conversation could not be read")
        return LAST_RESORT


def compose(company, language: Optional[str]) -> str:
    """The apology for this company (None: unknown) in this language (None: pt-BR and es)."""
    try:
        from actions.core.language import variant

        messages = _registry()[0].messages()
        if company is not None:
            language = language if language in ("pt", "es") else company.language
            return messages["fault_apology"][variant(language, company)].format(
                company=company.name, contact=company.contact.get(language))
        variants = [variant(language, None)] if language in ("pt", "es") else ["pt-BR", "es"]
        return "\n\n".join(messages["fault_apology_no_company"][v] for v in variants)
    except Exception:
        logger.exception("fault apology: the message catalogue could not be read")
        return LAST_RESORT


def company_named(value: Any):
    """The company of this id, or None (unknown, or its file unreadable)."""
    from actions.core.inputs import company_id

    key = company_id(value)
    if not key:
        return None
    try:
        return _registry()[0].company(key)
    except Exception:
        return None


def restarted_text(tracker) -> str:
    """What the customer reads after /restart: in the conversation's language (else pt-BR and es)."""
    try:
        from actions.core.language import variant

        company, company_language = _conversation_company(tracker)
        language = tracker.get_slot("language") or company_language
        messages = _registry()[0].messages()
        variants = [variant(language, company)] if language in ("pt", "es") else ["pt-BR", "es"]
        return "\n\n".join(messages["conversation_restarted"][v] for v in variants)
    except Exception:
        logger.exception("restart: the message catalogue could not be read")
        return "Ok! / ¡Listo!"


async def _run_restart(self: ActionRestart, output_channel, nlg, tracker, domain) -> List[Event]:
    """Rasa's restart, told to the customer (Rasa says nothing without an `utter_restart` response)."""
    events = await _originals["restart"](self, output_channel, nlg, tracker, domain)
    if any(isinstance(event, BotUttered) for event in events):
        return events
    return [BotUttered(restarted_text(tracker))] + events


def fault_events(tracker) -> List[Event]:
    text = apology(tracker)
    return [BotUttered(text, {"custom": FAULT}), FollowupAction(ACTION_LISTEN_NAME)]


async def _run_remote(self: RemoteAction, output_channel, nlg, tracker, domain) -> List[Event]:
    try:
        return await _originals["run"](self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except Exception as error:  # the message text is never logged here (personal data)
        logger.error("custom action '%s' failed (%s); the customer gets the fault apology",
                     self.name(), type(error).__name__)
        if self.name() == ACTION_SESSION_START_NAME:
            return await ActionSessionStart().run(output_channel, nlg, tracker, domain)
        return fault_events(tracker)


def _turn_actions(tracker) -> int:
    """Actions run since the latest user message or action_listen (the current turn)."""
    count = 0
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted):
            if event.action_name in (ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME):
                break
            count += 1
    return count


def _is_action_limit_reached(self: MessageProcessor, tracker, should_predict_another_action: bool) -> bool:
    return should_predict_another_action and _turn_actions(tracker) >= self.max_number_of_predictions


def _restart_pending(tracker) -> bool:
    latest = tracker.latest_message
    if latest is None or latest.intent.get("name") != USER_INTENT_RESTART:
        return False
    for event in reversed(tracker.events):  # not yet run for this message
        if isinstance(event, UserUttered):
            return True
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_RESTART_NAME:
            return False
    return True


def _predict_next(self: MessageProcessor, tracker):
    forced, followup = None, tracker.followup_action
    if _restart_pending(tracker) and followup in (None, ACTION_LISTEN_NAME):
        forced = ACTION_RESTART_NAME
    elif not followup and tracker.latest_action_name in TURN_ACTIONS:
        forced = ACTION_LISTEN_NAME
    if forced is None:
        return _originals["predict"](self, tracker)
    if self.is_action_limit_reached(tracker, self.should_predict_another_action(tracker.latest_action_name)):
        return _originals["predict"](self, tracker)  # raises ActionLimitReached as Rasa does
    prediction = PolicyPrediction.for_action_name(self.domain, forced, policy_name="channels.faults")
    return rasa_action.action_for_name_or_text(forced, self.domain, self.action_endpoint), prediction


def install() -> None:
    """Idempotent."""
    if _originals:
        return
    _originals.update(run=RemoteAction.run, limit=MessageProcessor.is_action_limit_reached,
                      predict=MessageProcessor.predict_next_with_tracker_if_should, restart=ActionRestart.run)
    RemoteAction.run = _run_remote
    ActionRestart.run = _run_restart
    MessageProcessor.is_action_limit_reached = _is_action_limit_reached
    MessageProcessor.predict_next_with_tracker_if_should = _predict_next


def uninstall() -> None:
    if _originals:
        RemoteAction.run = _originals["run"]
        MessageProcessor.is_action_limit_reached = _originals["limit"]
        MessageProcessor.predict_next_with_tracker_if_should = _originals["predict"]
        ActionRestart.run = _originals["restart"]
        _originals.clear()
