"""Protocol numbers: on every handoff and close (payload, text in the customer's language, slot), and the
stored one given back when the customer asks for it. Numbers from a temporary SQLite file (conftest)."""
import logging

import pytest
from rasa_sdk import Tracker

from actions import protocols
from actions.respond import ActionRespond
from tests.actions.conftest import SLOTS, make_tracker

SUNDAY = "2026-11-22T10:00:00-03:00"  # Retenção closed: a cancellation is closed out of hours
MONDAY = "2026-11-23T10:00:00-03:00"  # Financeiro open: a receipt is handed off now


def poxnet(**slots):
    return {"company": "poxnet", "agent_now": SUNDAY, **slots}


def test_a_handoff_carries_a_protocol_in_its_payload_text_and_slot(run):
    result = run(ActionRespond(), make_tracker("mandar comprovante", "send_payment_receipt", slots=poxnet(agent_now=MONDAY)))
    (payload,) = result.raw_payloads
    number = payload["handoff"]["protocol"]
    assert payload == {"handoff": {"department": "financeiro", "queued_until": None, "protocol": number}}
    assert list(payload["handoff"]) == ["department", "queued_until", "protocol"]  # the design's keys kept, first
    assert number.startswith("20261123-") and len(number) == 15
    assert f"Anote o número de protocolo deste atendimento: {number}" in result.text
    assert result.slot("protocol") == number and result.paused


def test_a_close_carries_a_protocol_too(run):
    result = run(ActionRespond(), make_tracker("quero cancelar", "request_cancellation", slots=poxnet()))
    (payload,) = result.raw_payloads
    number = payload["close"]["protocol"]
    assert payload == {"close": {"reason": "out_of_hours", "department": "retencao",
                                 "reopens_at": "2026-11-23T08:00:00-03:00", "protocol": number}}
    assert number.startswith("20261122-") and number in result.text and result.slot("protocol") == number


@pytest.mark.parametrize("language, text, told", [
    ("es", "quiero cancelar el servicio", "Anote el número de radicado (protocolo) de esta atención: "),
])
def test_the_number_is_told_in_the_customers_language(run, language, text, told):
    result = run(ActionRespond(), make_tracker(text, "request_cancellation", slots=poxnet(language=language),
                                               language=language))
    number = result.raw_payloads[0]["close"]["protocol"]
    assert f"{told}{number}" in result.text


def test_european_portuguese_wording(registry, messages):
    """WebPlug never hands off by itself today, so its wording is checked on a handoff reply directly."""
    from actions.core.replies import Reply, Turn
    from tests.conftest import LISBON, at

    turn = Turn(registry.company("webplug"), "pt", at("2026-11-23 10:00", LISBON), messages)
    (reply,), events = protocols.stamp(turn, [Reply("Vou transferi-lo.", custom={"handoff": {"department": "suporte",
                                                                                          "queued_until": None}})])
    number = reply.custom["handoff"]["protocol"]
    assert reply.text == f"Vou transferi-lo.\n\nTome nota do número de protocolo deste contacto: {number}"
    assert number.startswith("20261123-") and events[0]["value"] == number


def test_every_contact_gets_a_new_number(run):
    numbers = {run(ActionRespond(), make_tracker("quero cancelar", "request_cancellation", slots=poxnet()))
               .raw_payloads[0]["close"]["protocol"] for _ in range(5)}
    assert len(numbers) == 5


@pytest.mark.parametrize("text, intent, language", [
    ("qual é o meu protocolo?", "ask_ticket", None),
    ("me passa o numero do protocolo", "ask_ticket", None),
    ("cual es mi protocolo", "ask_ticket", "es"),
    ("¿me da el número de radicado?", "nlu_fallback", "es"),
    ("qual o numero do meu atendimento?", "ask_ticket", None),
    ("qual é o número do meu processo?", "ask_ticket", None),
])
def test_the_stored_protocol_is_given_back_when_asked(run, text, intent, language):
    slots = poxnet(protocol="20261122-000042", **({"language": language} if language else {}))
    result = run(ActionRespond(), make_tracker(text, intent, slots=slots, language=language))
    assert "20261122-000042" in result.text and not result.raw_payloads
    assert ("radicado" in result.text) == (language == "es")


def test_the_protocol_is_found_in_the_conversation_without_the_slot(run):
    tracker = make_tracker("qual é o meu protocolo?", "ask_ticket", slots=poxnet())
    tracker.events.insert(0, {"event": "bot", "text": "...", "data": {"custom": {
        "close": {"reason": "out_of_hours", "department": "retencao", "reopens_at": None, "protocol": "20261121-000007"}}}})
    assert "20261121-000007" in run(ActionRespond(), tracker).text


def test_with_no_protocol_yet_the_question_is_answered_as_any_other(run):
    result = run(ActionRespond(), make_tracker("qual é o meu protocolo?", "ask_ticket", slots=poxnet()))
    assert result.text and "protocolo do seu atendimento é" not in result.text


def test_other_ticket_questions_are_not_taken_for_the_protocol(run):
    result = run(ActionRespond(), make_tracker("como abro um ticket pelo portal", "ask_ticket",
                                               slots=poxnet(protocol="20261122-000042")))
    assert "20261122-000042" not in result.text


def test_a_counter_that_fails_still_hands_the_customer_over(run, monkeypatch, caplog):
    class Broken:
        def issue(self, *args, **kwargs):
            raise OSError("database is down")

    monkeypatch.setattr(protocols, "counter", lambda: Broken())
    with caplog.at_level(logging.ERROR):
        result = run(ActionRespond(), make_tracker("mandar comprovante", "send_payment_receipt", slots=poxnet(agent_now=MONDAY)))
    assert result.raw_payloads == [{"handoff": {"department": "financeiro", "queued_until": None}}] and result.paused
    assert "Desculpe" not in result.text and "no protocol number" in caplog.text


def test_the_protocol_slot_survives_a_session_restart(run):
    from actions.session import ActionSessionStart

    result = run(ActionSessionStart(), make_tracker("", "session_start", slots=poxnet(protocol="20261122-000042")))
    assert result.slot("protocol") == "20261122-000042"
    assert "protocol" in SLOTS


def test_after_a_restart_the_protocol_is_found_in_the_database(run):
    """/restart clears the slots and the action sees no earlier events; the number is still the customer's."""
    handed = run(ActionRespond(), make_tracker("mandar comprovante", "send_payment_receipt", slots=poxnet(agent_now=MONDAY)))
    number = handed.raw_payloads[0]["handoff"]["protocol"]
    asked = run(ActionRespond(), make_tracker("qual é o meu protocolo?", "ask_ticket", slots=poxnet()))  # same sender
    assert number in asked.text
    other = make_tracker("qual é o meu protocolo?", "ask_ticket", slots=poxnet())
    other.sender_id = "another-customer"
    assert number not in run(ActionRespond(), other).text
