"""POXNET's routing rules (DESIGN.md) as a table: every branch at frozen moments, with payloads."""
import pytest

from actions.core.routing import Outcome, decide, resolve_choice
from tests.conftest import at

OPEN, QUEUED, CLOSE, CHOICE = Outcome.HANDOFF_NOW, Outcome.HANDOFF_QUEUED, Outcome.CLOSE, Outcome.OFFER_CHOICE

CASES = [
    # target (intent or department), entry, moment, outcome, reopening
    ("request_contract", None, "2026-11-23 10:00", OPEN, None),
    ("request_contract", None, "2026-11-23 23:30", QUEUED, "2026-11-24 08:00"),  # sales never closed
    ("ask_plans", "suporte", "2026-11-21 17:00", QUEUED, "2026-11-22 09:00"),
    ("request_new_point", None, "2026-11-22 19:00", QUEUED, "2026-11-23 08:00"),
    ("request_cancellation", None, "2026-11-23 09:00", OPEN, None),
    ("request_cancellation", None, "2026-11-22 10:00", CLOSE, "2026-11-23 08:00"),  # asked directly
    ("request_cancellation", "retencao", "2026-11-20 10:00", CLOSE, "2026-11-21 08:00"),  # holiday
    ("request_cancellation", "suporte", "2026-11-22 10:00", CHOICE, "2026-11-23 08:00"),  # via Suporte
    ("request_cancellation", "comercial", "2026-11-21 13:00", CHOICE, "2026-11-23 08:00"),  # via Comercial
    ("send_payment_receipt", None, "2026-11-21 12:00", CLOSE, "2026-11-23 08:00"),
    ("send_payment_receipt", "financeiro", "2026-12-25 09:00", CLOSE, "2026-12-26 08:00"),
    ("send_payment_receipt", "suporte", "2026-11-24 03:00", CHOICE, "2026-11-24 08:00"),
    ("send_payment_receipt", None, "2026-11-21 11:59", OPEN, None),
    ("financeiro", None, "2026-11-24 19:00", CLOSE, "2026-11-25 08:00"),
    ("report_connection_problem", None, "2026-11-22 03:00", OPEN, None),  # Suporte 24h
    ("report_connection_problem", None, "2026-12-25 03:00", OPEN, None),
    ("request_address_change", None, "2026-11-22 03:00", OPEN, None),  # Agendamento: hours unknown
    ("request_point_change", None, "2026-11-23 10:00", OPEN, None),
    ("request_renewal", None, "2026-11-22 10:00", QUEUED, "2026-11-23 09:00"),
]


@pytest.mark.parametrize("target,entry,moment,outcome,reopens", CASES)
def test_poxnet_routing(poxnet, target, entry, moment, outcome, reopens):
    decision = decide(poxnet, target, entry, at(moment))
    assert decision.outcome == outcome
    assert decision.at == (at(reopens) if reopens else None)


def test_agendamento_handoff_says_hours_are_unknown(poxnet):
    decision = decide(poxnet, "request_address_change", None, at("2026-11-22 03:00"))
    assert decision.department == "agendamento" and decision.hours_known is False


def test_unrouted_intent_is_just_answered(poxnet):
    assert decide(poxnet, "ask_dns", None, at("2026-11-22 03:00")).outcome == Outcome.ANSWER


def test_payloads_match_the_contract(poxnet):
    now = decide(poxnet, "send_payment_receipt", None, at("2026-11-23 10:00"))
    assert now.payload() == {"handoff": {"department": "financeiro", "queued_until": None}}
    queued = decide(poxnet, "request_contract", None, at("2026-11-29 20:00"))
    assert queued.payload() == {"handoff": {"department": "comercial", "queued_until": "2026-11-30T08:00:00-03:00"}}
    closed = decide(poxnet, "request_cancellation", None, at("2026-11-29 20:00"))
    assert closed.payload() == {
        "close": {"reason": "out_of_hours", "department": "retencao", "reopens_at": "2026-11-30T08:00:00-03:00"}
    }
    assert decide(poxnet, "request_cancellation", "suporte", at("2026-11-29 20:00")).payload() is None


@pytest.mark.parametrize(
    "continue_,outcome,payload_key",
    [(True, QUEUED, "handoff"), (False, CLOSE, "close")],
)
def test_both_answers_to_the_choice(poxnet, continue_, outcome, payload_key):
    decision = resolve_choice(poxnet, "retencao", continue_, at("2026-11-22 10:00"))
    assert decision.outcome == outcome and decision.at == at("2026-11-23 08:00")
    assert payload_key in decision.payload()


def test_choice_made_after_opening_hands_off_now(poxnet):
    decision = resolve_choice(poxnet, "financeiro", False, at("2026-11-23 08:05"))
    assert decision.outcome == OPEN


def test_department_that_never_opens_is_handed_off_as_hours_unknown(poxnet):
    closed_for_good = poxnet.copy(deep=True)
    department = closed_for_good.departments["financeiro"]
    object.__setattr__(department, "hours", {})  # the schema allows an empty week
    decision = decide(closed_for_good, "financeiro", None, at("2026-11-23 10:00"))
    assert decision.outcome == Outcome.HANDOFF_NOW and decision.hours_known is False
