"""Agents' slash commands in `rasa shell`: /company <id> and /now <ISO date-time> | real."""
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from zoneinfo import ZoneInfo

from .base import agent_commands_allowed, company_list, known_company_id, latest_intent, registry
from .core.clock import parse_moment
from .core.language import variant
from .respond import ActionRespond


class ActionRunAgentCommand(Action):
    def name(self) -> Text:
        return "action_run_agent_command"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        messages = registry().messages()
        # The first message of a shell session may be /now: the default company's zone applies already.
        company = registry().company(known_company_id(tracker) or "")
        v = variant(tracker.get_slot("language") or (company.language if company else "pt"), company)
        say = lambda key, **kw: dispatcher.utter_message(text=messages[key][v].format(**kw))  # noqa: E731
        if not ((tracker.latest_message or {}).get("text") or "").lstrip().startswith("/"):
            # Not a slash command: a customer's words the model took for one (a bare "poxnet" answering
            # "which company?"). The customer action reads them.
            return ActionRespond().run(dispatcher, tracker, domain)
        if not agent_commands_allowed(tracker):
            say("agent_command_refused")
            return []
        intent = latest_intent(tracker)
        value = next(tracker.get_latest_entity_values("company" if intent == "agent_set_company" else "moment"), "")
        if intent == "agent_set_company":
            chosen = registry().company(value.strip().lower())
            if chosen is None:
                say("unknown_company", name=value, companies=company_list())
                return []
            say("company_set", company=f"{chosen.name} ({chosen.id})")
            return [SlotSet("company", chosen.id), SlotSet("language", chosen.language),
                    SlotSet("pending_choice", None), SlotSet("pending_handoff", None)]
        if value.strip().lower() in ("real", "reset", "agora", "now"):
            say("clock_reset")
            return [SlotSet("agent_now", None)]
        zone = ZoneInfo(company.timezone) if company else ZoneInfo("UTC")
        try:
            moment = parse_moment(value, zone)
        except (ValueError, OverflowError):
            say("clock_invalid", value=value)
            return []
        say("clock_set", moment=moment.isoformat(timespec="minutes"), zone=zone.key)
        events = [SlotSet("agent_now", moment.isoformat())]
        if company and tracker.get_slot("company") != company.id:
            events.append(SlotSet("company", company.id))
        return events
