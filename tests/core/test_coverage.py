"""Every demand of the domain, for every company: answered, routed to a department, or honestly missing."""
import pytest
import yaml

from actions.core.dialogue import CONVERSATIONAL
from tests.conftest import ROOT

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
# Answered from the message catalogue or the calendar, the same way for every company.
GENERIC = CONVERSATIONAL | {"ask_business_hours"}
DEMANDS = [i for i in DOMAIN["intents"] if not i.startswith("agent_") and i not in GENERIC]
COMPANIES = sorted(p.stem for p in (ROOT / "companies").glob("*.yml"))


@pytest.mark.parametrize("company_id", COMPANIES)
def test_every_intent_is_answered_routed_or_missing_with_a_reason(registry, company_id):
    company = registry.company(company_id)
    uncovered = [i for i in DEMANDS if i not in company.answers and company.missing_for(i) is None]
    assert uncovered == [], f"{company_id}: neither answered, routed nor listed as missing: {uncovered}"
    for intent in DEMANDS:
        fact = company.missing_for(intent)
        if fact is not None:
            assert len(fact.note) > 40, f"{company_id}.{intent}: the reason must say what the documents lack"


def test_billing_demands_follow_the_remit_of_a_billing_department(registry):
    """Where a company has a billing department, billing demands reach it (POXNET: Financeiro)."""
    billing = ["dispute_charge", "request_debt_negotiation", "request_due_date_change", "send_payment_receipt"]
    assert {i: registry.company("poxnet").answers[i].route for i in billing} == dict.fromkeys(billing, "financeiro")
    assert registry.company("poxnet").answers["request_cancellation"].route == "retencao"
    assert {i: registry.company("siempre").answers[i].route for i in billing} == dict.fromkeys(billing, "facturacion")
    at = registry.company("american-tower")
    assert at.answers["dispute_charge"].route == "sac" and at.answers["request_debt_negotiation"].route == "contas-a-receber"


def test_answer_examples_are_questions_for_that_company(registry):
    for company in registry.companies():
        for intent, answer in company.answers.items():
            assert len(answer.examples) >= 2, f"{company.id}.{intent} has no example questions"
