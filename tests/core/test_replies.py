"""Answers: right company, right language, computed deadlines, and no staff-only fact, ever."""
import itertools

import pytest

from actions.core.reading import find_date
from actions.core.render import find_department
from actions.core.replies import Turn, answer, guard, hours, route, Reply
from actions.core.schema import LANGUAGES
from tests.conftest import at

MOMENTS = ["2026-11-23 10:00", "2026-11-22 03:00", "2026-11-20 10:00"]
ALL_INTENTS = [line.split("|")[2].strip() for line in open("docs/INTENTS.md") if line.startswith("| ") and "_" in line.split("|")[2]]


def texts(replies):
    return " ".join(r.text or "" for r in replies)


def test_catalogue_is_read():
    assert len(ALL_INTENTS) >= 50


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_staff_only_fact_in_any_reply(registry, messages, language):
    for company, intent, moment in itertools.product(registry.companies(), ALL_INTENTS, MOMENTS):
        turn = Turn(company, language, at(moment), messages, entry="suporte")
        said = texts(answer(turn, intent, "10/11/2026")).lower()
        for secret in company.secrets():
            assert secret.lower() not in said, (company.id, intent)
        for other in registry.companies():  # and never a secret of another company
            for secret in other.secrets():
                assert secret.lower() not in said


def test_router_password_is_refused(poxnet, messages):
    for language in LANGUAGES:
        said = texts(answer(Turn(poxnet, language, at("2026-11-23 10:00"), messages), "ask_router_password"))
        assert said and "multipro" not in said and "adminisp" not in said and "8080" not in said


def test_guard_replaces_a_leaking_text(poxnet, messages):
    leaked = [Reply("o usuario é multipro"), Reply("tudo certo")]
    safe = guard(poxnet, leaked, messages, "pt-BR")
    assert safe[0].text == messages["staff_only_refusal"]["pt-BR"] and safe[1].text == "tudo certo"


@pytest.mark.parametrize("language,word", [("pt", "Sorocaba"), ("es", "Sorocaba")])
def test_answer_in_customer_language(poxnet, messages, language, word):
    said = texts(answer(Turn(poxnet, language, at("2026-11-23 10:00"), messages), "ask_coverage"))
    assert word in said
    spanish_marker = any(w in said.lower() for w in ("atendemos en", "ciudades", "prestamos"))
    assert spanish_marker == (language == "es"), said


def test_uncovered_question_gives_own_contacts_only(registry, messages):
    webplug = registry.company("webplug")
    said = texts(answer(Turn(webplug, "pt", at("2026-11-23 10:00"), messages), "ask_dns"))
    assert "WebPlug" in said and "177.86.16.9" not in said and "POXNET" not in said


def test_every_company_answers_in_both_languages(registry, messages):
    for company in registry.companies():
        assert len(company.answers) >= 8, company.id
        for language in LANGUAGES:
            for intent in company.answers:
                said = texts(answer(Turn(company, language, at("2026-11-23 10:00"), messages), intent, "10/11"))
                assert said.strip(), (company.id, intent, language)


def test_invoice_copy_deadline_is_computed(registry, messages):
    tower = registry.company("american-tower")
    said = texts(answer(Turn(tower, "pt", at("2026-11-19 10:00"), messages), "request_invoice_copy"))
    assert "quarta-feira, 25/11" in said  # Thu 19/11 + 3 business days: Fri 20/11 is a holiday, Mon 23, Tue 24, Wed 25
    said = texts(answer(Turn(tower, "es", at("2026-11-19 10:00"), messages), "request_invoice_copy"))
    assert "miércoles 25 de noviembre" in said


def test_dispute_deadline_counts_calendar_days(registry, messages):
    tower = registry.company("american-tower")
    said = texts(answer(Turn(tower, "pt", at("2026-11-19 10:00"), messages), "dispute_charge"))
    assert "domingo, 29/11" in said


def test_activation_window_from_customer_date(registry, messages):
    company = registry.company("fibra-empresarial")
    turn = Turn(company, "pt", at("2026-11-22 10:00"), messages)
    said = texts(answer(turn, "ask_activation_deadline", "a passagem interna foi em 10/11/2026"))
    assert "quarta-feira, 25/11" in said and "sexta-feira, 15/01" in said
    asked = texts(answer(turn, "ask_activation_deadline", "qual o prazo?"))
    assert "10/11/2026" in asked  # asks for the date, with an example


def test_unknown_hours_deadline_is_honest(registry, messages):
    siempre = registry.company("siempre")
    said = texts(answer(Turn(siempre, "es", at("2026-11-23 10:00"), messages), "ask_response_time"))
    assert "no puedo calcular" in said


def test_hours_reply_says_open_now_and_next_opening(poxnet, messages):
    said = texts(hours(Turn(poxnet, "pt", at("2026-11-22 10:00"), messages), "financeiro"))
    assert "Fechado agora; abre amanhã (segunda-feira), às 08:00" in said
    said = texts(hours(Turn(poxnet, "es", at("2026-11-28 13:00"), messages), "financeiro"))
    assert "abre el lunes 30 de noviembre a las 08:00" in said


def test_queued_reply_renders_locale_date(poxnet, messages):
    replies = route(Turn(poxnet, "pt", at("2026-11-28 17:00"), messages), "comercial")
    assert "amanhã (domingo), às 09:00" in replies[0].text
    replies = route(Turn(poxnet, "pt", at("2026-11-27 23:00"), messages), "financeiro")
    assert "sábado" in replies[0].text or "amanhã" in replies[0].text
    replies = route(Turn(poxnet, "pt", at("2026-11-28 13:00"), messages), "retencao")
    assert "segunda-feira, 30/11, às 08:00" in replies[0].text
    assert replies[0].custom["close"]["reopens_at"] == "2026-11-30T08:00:00-03:00"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("a passagem foi dia 10/11", "2026-11-10"),
        ("foi em 05/11/2026", "2026-11-05"),
        ("2026-11-05", "2026-11-05"),
        ("fue el 3 de noviembre", "2026-11-03"),
        ("3 de novembro de 2026", "2026-11-03"),
        ("foi ontem", "2026-11-21"),
        ("10/12", "2026-12-10"),  # no year, no tense: next month, not last December
        ("foi dia 10/10", "2026-10-10"),  # no year: what happened lies behind
        ("a vistoria vai ser dia 05/01", "2027-01-05"),  # future tense: ahead
        ("31/02", None),
        ("sem data", None),
    ],
)
def test_find_date(text, expected):
    import datetime as dt

    from actions.core.reading import Cues
    from tests.conftest import ROOT

    found = find_date(text, dt.date(2026, 11, 22), cues=Cues.load(ROOT / "locales" / "cues.yml"))
    assert (found.isoformat() if found else None) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("o financeiro abre que horas?", "financeiro"),
        ("quero falar com o comercial", "comercial"),
        ("a que hora abre facturacion", "financeiro"),
        ("horario de atendimento", None),
        ("quero cancelar", "retencao"),
    ],
)
def test_find_department(poxnet, text, expected):
    assert find_department(poxnet, text) == expected


def test_a_company_name_ending_in_a_full_stop_is_not_doubled(registry, messages):
    from actions.core.render import Renderer

    render = Renderer(messages, "es", None)
    assert render.text("greet", company="SIEMPRE.NET S.A.S.") == \
        messages["greet"]["es"].format(company="SIEMPRE.NET S.A.S")
    assert ".." not in render.text("greet", company="SIEMPRE.NET S.A.S.")
