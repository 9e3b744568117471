"""The conversation as a whole, on plain values: context, choices, first steps, follow-ups, remit."""
import pytest

from actions.core.dialogue import Parse, State, respond
from actions.core.language import choose_language
from actions.core.reading import Cues
from actions.core.replies import Turn
from tests.conftest import BOGOTA, LISBON, ROOT, at

CUES = Cues.load(ROOT / "locales" / "cues.yml")
SUNDAY_NIGHT = "2026-11-29 20:00"  # Financeiro and Retenção closed; Comercial closed
TUESDAY_MORNING = "2026-11-24 10:00"  # all open
HOLIDAY = "2026-11-20 10:00"  # Consciência Negra: Financeiro closed, reopens Saturday 08:00


def turn(registry, messages, company="poxnet", moment=SUNDAY_NIGHT, language="pt", entry=None, zone=None):
    kwargs = {"zone": zone} if zone else {}
    return Turn(registry.company(company), language, at(moment, **kwargs), messages, entry, CUES)


def say(t, text, intent, state=State(), confidence=0.95, also=()):
    return respond(t, Parse(text, intent, confidence, also), state)


def payload(outcome, kind):
    found = [r.custom[kind] for r in outcome.replies if r.custom and kind in r.custom]
    return found[0] if found else None


def text(outcome):
    return "\n".join(r.text or "" for r in outcome.replies)


@pytest.mark.parametrize("intent", ["dispute_charge", "request_debt_negotiation", "request_due_date_change",
                                    "send_payment_receipt", "ask_tax_invoice"])
def test_billing_demands_reach_financeiro_with_its_decision(registry, messages, intent):
    closed = say(turn(registry, messages), "...", intent)
    assert payload(closed, "close") == {"reason": "out_of_hours", "department": "financeiro",
                                        "reopens_at": "2026-11-30T08:00:00-03:00"}
    holiday = say(turn(registry, messages, moment=HOLIDAY), "...", intent)
    assert payload(holiday, "close")["reopens_at"] == "2026-11-21T08:00:00-03:00"
    open_ = say(turn(registry, messages, moment=TUESDAY_MORNING), "...", intent)
    assert payload(open_, "handoff") == {"department": "financeiro", "queued_until": None}


def test_sales_at_night_are_queued_not_closed(registry, messages):
    outcome = say(turn(registry, messages, moment="2026-11-25 03:00"), "quero um plano pra minha loja", "request_contract")
    assert payload(outcome, "handoff") == {"department": "comercial", "queued_until": "2026-11-25T08:00:00-03:00"}


def test_offered_choice_stays_answerable_until_answered(registry, messages):
    t = turn(registry, messages, entry="comercial")
    offered = say(t, "queria ver uma cobranca errada", "dispute_charge")
    assert offered.state.pending_choice == "financeiro" and payload(offered, "close") is None
    unclear = say(t, "hmm", "nlu_fallback", offered.state, confidence=0.2)
    assert unclear.state.pending_choice == "financeiro" and "1" in text(unclear)
    chosen = say(t, "pode transferir, eu aguardo", "affirm", unclear.state)
    assert payload(chosen, "handoff") == {"department": "financeiro", "queued_until": "2026-11-30T08:00:00-03:00"}
    later = say(t, "prefiero volver mañana", "nlu_fallback", offered.state, confidence=0.1)
    assert payload(later, "close")["department"] == "financeiro"


def test_a_new_demand_drops_the_offered_choice(registry, messages):
    t = turn(registry, messages, entry="suporte")
    offered = say(t, "quero cancelar", "request_cancellation")
    moved = say(t, "quais cidades vcs atendem?", "ask_coverage", offered.state)
    assert "Sorocaba" in text(moved) and moved.state.pending_choice is None


def test_restart_already_done_goes_straight_to_support(registry, messages):
    for words in ("to sem net, ja reiniciei o roteador 2x", "me quedé sin internet, ya reinicié el router y nada"):
        outcome = say(turn(registry, messages), words, "report_connection_problem")
        assert payload(outcome, "handoff") == {"department": "suporte", "queued_until": None}


def test_restart_asked_once_then_handed_off(registry, messages):
    t = turn(registry, messages)
    first = say(t, "minha net caiu", "report_connection_problem")
    assert payload(first, "handoff") is None and first.state.pending_handoff == "report_connection_problem"
    done = say(t, "ja fiz isso e nada", "nlu_fallback", first.state, confidence=0.1)
    assert payload(done, "handoff")["department"] == "suporte"


def test_hours_follow_up_reads_the_previous_department(registry, messages):
    t = turn(registry, messages, moment="2026-11-24 20:00")
    first = say(t, "qual o horario do comercial?", "ask_business_hours")
    sunday = say(t, "e no domingo abre?", "ask_weekend_support", first.state, confidence=0.7)
    assert "09:00–18:00" in text(sunday) and "Comercial" in text(sunday) and not sunday.replies[0].custom


def test_department_hours_question_is_answered_never_handed_off(registry, messages):
    outcome = say(turn(registry, messages, moment=TUESDAY_MORNING), "o setor de renovacao abre domingo?",
                  "ask_weekend_support", confidence=0.6)
    assert "Renovação" in text(outcome) and payload(outcome, "handoff") is None and "Aberto agora" in text(outcome)


def test_follow_up_keeps_the_topic_when_the_previous_answer_covers_it(registry, messages):
    t = turn(registry, messages, moment=TUESDAY_MORNING)
    first = say(t, "com quantos dias bloqueia?", "ask_overdue_block")
    speed = say(t, "e a velocidade, diminui antes?", "ask_speed_test", first.state, confidence=0.7)
    assert "15 dias" in text(speed)


def test_asking_for_a_person_first_then_the_topic(registry, messages):
    t = turn(registry, messages, moment=TUESDAY_MORNING)
    asked = say(t, "quero falar com um atendente", "request_human")
    assert asked.state.awaiting_topic and payload(asked, "handoff") is None
    topic = say(t, "e sobre uma cobranca errada na fatura", "dispute_charge", asked.state)
    assert payload(topic, "handoff") == {"department": "financeiro", "queued_until": None}


def test_asking_for_a_person_after_a_topic_goes_to_its_department(registry, messages):
    t = turn(registry, messages, moment=TUESDAY_MORNING)
    first = say(t, "quero renovar", "request_renewal")
    person = say(t, "quero falar com alguem", "request_human", first.state)
    assert payload(person, "handoff")["department"] == "renovacao"


def test_correction_replaces_the_demand(registry, messages):
    t = turn(registry, messages, moment=TUESDAY_MORNING)
    first = say(t, "quero contratar", "request_contract")
    corrected = say(t, "nao, na verdade quero cancelar", "request_cancellation", first.state)
    assert payload(corrected, "handoff")["department"] == "retencao"


@pytest.mark.parametrize(
    "words,expected",
    [("estiveram 40 minutos dentro do horario, quanto vao faturar?", ["45 minutos"]),
     ("40 minutos fora do horario, quanto me cobram?", ["60 minutos"]),
     ("1h10 dentro do horário, fica em quanto faturado?", ["75 minutos"]),
     ("quanto cobram por 40 minutos de suporte?", ["45 minutos", "60 minutos"])],
)
def test_webplug_bills_the_duration_given(registry, messages, words, expected):
    t = turn(registry, messages, company="webplug", moment="2026-11-24 13:00", zone=LISBON)
    outcome = say(t, words, "ask_business_hours", confidence=0.5)
    for figure in expected:
        assert figure in text(outcome)


def test_other_questions_of_the_message_are_answered_too(registry, messages):
    outcome = say(turn(registry, messages, moment=TUESDAY_MORNING), "tem repetidor? e camera?", "ask_repeater_support",
                  also=("ask_camera_support",))
    assert "repetidor" in text(outcome) and "câmeras" in text(outcome)


def test_missing_fact_asked_is_named_with_own_contacts(registry, messages):
    outcome = say(turn(registry, messages, moment=TUESDAY_MORNING), "me passa o email de vcs", "ask_contact")
    assert "e-mail" in text(outcome) and "não consta" in text(outcome) and "3331-6565" in text(outcome)
    assert "@" not in text(outcome)


def test_date_in_the_message_feeds_the_deadline(registry, messages):
    t = turn(registry, messages, company="american-tower", moment=TUESDAY_MORNING)
    outcome = say(t, "pedi a copia da nota fiscal na quinta passada", "ask_tax_invoice")
    assert "25/11" in text(outcome)  # 19/11 + 3 business days, the 20th a holiday


def test_spanish_customer_of_colombian_company_keeps_spanish(registry, messages):
    company = registry.company("siempre")
    assert choose_language("pt", 0.99, "es", company, words=1) == "es"  # "WhatsApp??"
    assert choose_language("es", 0.74, None, registry.company("poxnet"), words=9) == "es"  # clear first message
    assert choose_language("pt", 0.76, "es", company, words=12) == "pt"  # a clear switch is followed
    t = Turn(company, "es", at("2026-11-24 08:00", BOGOTA), messages, None, CUES)
    assert say(t, "hola", "greet").replies


def test_spanish_conversation_classes(registry, messages):
    """The same readings in Spanish: hours follow-up, a person first, a date, a restart done."""
    t = turn(registry, messages, moment="2026-11-24 20:00", language="es")
    first = say(t, "¿a qué hora abre el área comercial?", "ask_business_hours")
    sunday = say(t, "¿y el domingo?", "ask_weekend_support", first.state, confidence=0.6)
    assert "09:00–18:00" in text(sunday) and "Comercial" in text(sunday) and payload(sunday, "handoff") is None
    t = turn(registry, messages, moment=TUESDAY_MORNING, language="es")
    asked = say(t, "quiero hablar con un asesor", "request_human")
    assert "tema" in text(asked)
    topic = say(t, "es para cancelar el servicio", "request_cancellation", asked.state)
    assert payload(topic, "handoff") == {"department": "retencao", "queued_until": None}
    at = turn(registry, messages, company="american-tower", moment=TUESDAY_MORNING, language="es")
    assert "25 de noviembre" in text(say(at, "pedí la copia de la nota fiscal el jueves pasado", "ask_tax_invoice"))


def test_price_follow_up_is_about_the_previous_topic(registry, messages):
    t = turn(registry, messages, moment=TUESDAY_MORNING)
    first = say(t, "vcs tem ip fixo?", "ask_fixed_ip")
    price = say(t, "e isso custa quanto?", "ask_visit_cost", first.state, confidence=0.7)
    assert "negociação" in text(price) and "85" not in text(price)


def test_a_protocol_opened_to_contest_a_charge_is_the_contest(registry, messages):
    t = turn(registry, messages, company="american-tower", moment=TUESDAY_MORNING)
    contest = say(t, "o protocolo da minha contestacao foi aberto dia 10, tem resposta ate quando?", "ask_ticket")
    assert contest.intent == "dispute_charge" and "20/11" in text(contest)  # ten calendar days from the 10th
    ticket = say(t, "o protocolo do meu chamado de suporte foi aberto dia 10, tem resposta ate quando?", "ask_ticket")
    assert ticket.intent == "ask_ticket"
