"""Protocol numbers on every handoff and close, and "qual é o meu protocolo?" answered from the conversation.

Brazilian SAC rules (Decreto 11.034/2022) give the customer a protocol number for every contact. A reply
carrying `{"handoff": {...}}` or `{"close": {...}}` gets `"protocol": "YYYYMMDD-NNNNNN"` added inside that
object (beside the design's keys, none renamed), the number told in the customer's language at the end of
the reply's text, and the `protocol` slot set. The numbers come from stores/protocols.py: one counter in
the conversation database, so they are unique across servers.

A customer who later asks for their protocol (the word protocolo/protocol/radicado, or the number of
their ticket) gets the stored one; with none stored, the message is answered as any other.
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from .core.render import fold
from .core.replies import Reply, Turn

logger = logging.getLogger(__name__)
KINDS = ("handoff", "close")
SLOT = "protocol"
NUMBER = re.compile(r"^\d{8}-\d{6}$")
NAMES_PROTOCOL = re.compile(r"\b(?:protocol\w*|radicad\w*)\b")
NAMES_TICKET_NUMBER = re.compile(r"\b(?:numero|num|nro|n)\b.{0,20}\b(?:atendimento|chamado|ticket|caso|solicitud|"
                                 r"solicitacao|pedido|contacto|contato|reclamo|reclamacao|processo|referencia)\b")
ASK_TICKET = "ask_ticket"


def counter():
    from stores.protocols import shared_counter  # the database driver only where a number is issued

    return shared_counter()


def stored_protocol(tracker: Tracker) -> Optional[str]:
    """The conversation's latest protocol: its slot, else the latest handoff or close the bot sent, else
    (after `/restart` cleared both) the latest number the database issued to this conversation."""
    value = tracker.get_slot(SLOT)
    if isinstance(value, str) and NUMBER.match(value):
        return value
    for event in reversed(tracker.events or []):
        if event.get("event") == "bot":
            custom = (event.get("data") or {}).get("custom") or {}
            for kind in KINDS:
                number = (custom.get(kind) or {}).get("protocol") if isinstance(custom.get(kind), dict) else None
                if isinstance(number, str) and NUMBER.match(number):
                    return number
    try:
        return counter().latest(tracker.sender_id) if tracker.sender_id else None
    except Exception:  # noqa: BLE001 (the question is then answered as any other)
        logger.exception("could not look up the conversation's protocol")
        return None


def asks_for_protocol(text: str, intent: Optional[str]) -> bool:
    folded = fold(text or "")
    return bool(NAMES_PROTOCOL.search(folded)) or (intent == ASK_TICKET and bool(NAMES_TICKET_NUMBER.search(folded)))


def recall(turn: Turn, tracker: Tracker, intent: Optional[str]) -> Optional[List[Reply]]:
    """The stored protocol, when the customer asks for it and there is one."""
    if not asks_for_protocol((tracker.latest_message or {}).get("text") or "", intent):
        return None
    number = stored_protocol(tracker)
    if number:
        return [Reply(turn.r.text("protocol_recalled", protocol=number, company=turn.company.name))]
    return None


def stamp(turn: Turn, replies: List[Reply], sender_id: Optional[str] = None) -> Tuple[List[Reply], List[EventType]]:
    """Every handoff or close in `replies` with a new protocol number: in its payload, its text, the slot."""
    stamped, events = [], []
    for reply in replies:
        kind = next((k for k in KINDS if isinstance((reply.custom or {}).get(k), dict)), None)
        if kind is not None:
            payload = reply.custom[kind]
            try:
                number = counter().issue(turn.now.date(), turn.company.id, kind, payload.get("department"), sender_id)
            except Exception:  # noqa: BLE001 (the customer is still handed over; the failure is logged)
                logger.exception("no protocol number for a %s of %s", kind, turn.company.id)
            else:
                told = turn.r.text("protocol_given", protocol=number, company=turn.company.name)
                reply = replace(reply, custom={**reply.custom, kind: {**payload, "protocol": number}},
                                text=f"{reply.text}\n\n{told}" if reply.text else told)
                events.append(SlotSet(SLOT, number))
        stamped.append(reply)
    return stamped, events
