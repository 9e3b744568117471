"""Reading what a message already says: steps taken, dates at frozen moments, durations, day counts."""
import datetime as dt

import pytest

from actions.core.reading import Cues, billed_minutes, find_date, find_day_count, find_duration, weekday_named
from tests.conftest import ROOT

CUES = Cues.load(ROOT / "locales" / "cues.yml")
TUESDAY = dt.date(2026, 11, 24)  # the day after a weekend, four days after a holiday (20/11)
SATURDAY = dt.date(2026, 11, 28)
YEAR_END = dt.date(2026, 12, 30)


@pytest.mark.parametrize(
    "text,today,expected",
    [
        ("pedi a copia da nota fiscal na quinta passada", TUESDAY, "2026-11-19"),
        ("fiz o pagamento da taxa de ativacao na sexta", SATURDAY, "2026-11-27"),
        ("abri contestacao faz 10 dias", TUESDAY, "2026-11-14"),
        ("abri contestação há 10 dias", TUESDAY, "2026-11-14"),
        ("abrimos o protocolo no dia 20", TUESDAY, "2026-11-20"),
        ("a passagem interna foi dia 2", TUESDAY, "2026-11-02"),
        ("a passagem aconteceu no sabado, dia 7", TUESDAY, "2026-11-07"),
        ("paguei hj de manha", TUESDAY, "2026-11-24"),
        ("ontem abrimos protocolo", SATURDAY, "2026-11-27"),
        ("anteontem", TUESDAY, "2026-11-22"),
        ("liguei hoje e pedi a segunda via", TUESDAY, "2026-11-24"),  # "segunda via" is no Monday
        ("hoy abrí un protocolo", SATURDAY, "2026-11-28"),
        ("ayer pagué la factura", TUESDAY, "2026-11-23"),
        ("pagué la semana pasada", TUESDAY, "2026-11-17"),
        ("el viernes pagué", TUESDAY, "2026-11-20"),
        ("hace 3 días", TUESDAY, "2026-11-21"),
        ("02/11", TUESDAY, "2026-11-02"),
        ("a vistoria vai ser na segunda", TUESDAY, "2026-11-30"),  # what is planned lies ahead
        ("a passagem vai ser dia 2", TUESDAY, "2026-12-02"),
        ("dia 28/12", TUESDAY, "2026-12-28"),  # late December, ahead: not last year's
        ("paguei dia 28/12", dt.date(2027, 1, 4), "2026-12-28"),  # after New Year: last year's
        ("foi dia 3", dt.date(2027, 1, 2), "2026-12-03"),  # year end: the past month of the past year
        ("a instalacao sera dia 5", YEAR_END, "2027-01-05"),
        ("sem data nenhuma", TUESDAY, None),
    ],
)
def test_dates_relative_to_the_conversation(text, today, expected):
    found = find_date(text, today, cues=CUES, language="pt")
    assert (found.isoformat() if found else None) == expected


def test_weekday_names_come_from_cldr_in_both_languages():
    assert weekday_named("abre domingo?") == 6 and weekday_named("el sábado") == 5
    assert weekday_named("segunda-feira") == 0 and weekday_named("2a via do boleto") is None


@pytest.mark.parametrize(
    "text,minutes",
    [("40 minutos", 40), ("1h10", 70), ("1 hora e 10 minutos", 70), ("uma hora e meia", 90),
     ("meia hora", 30), ("10 min de suporte", 10), ("2 horas", 120), ("una hora y media", 90),
     ("tenho o 24/7", None), ("nada", None)],
)
def test_durations(text, minutes):
    assert find_duration(text) == minutes


def test_billing_blocks_round_up():
    assert billed_minutes(40, 15) == (45, 3)
    assert billed_minutes(40, 30) == (60, 2)
    assert billed_minutes(70, 15) == (75, 5)
    assert billed_minutes(10, 15) == (15, 1)
    assert billed_minutes(45, 15) == (45, 3)


def test_day_count_quoted_within_the_range():
    assert find_day_count("na proposta ta 20 dias uteis", 10, 45) == 20
    assert find_day_count("faz 5 dias", 10, 45) is None


@pytest.mark.parametrize(
    "text,done",
    [("ja reiniciei o roteador e nada", True), ("to sem net, ja tirei o modem da tomada e liguei de novo", True),
     ("ya reinicié el router dos veces y nada", True), ("apagué y prendí el modem y sigue igual", True),
     ("ja fiz isso e nada", True), ("minha internet caiu", False), ("como reinicio o roteador?", False),
     ("se me cayó el internet", False)],
)
def test_steps_already_taken(text, done):
    assert CUES.match("already_done", text) is done


@pytest.mark.parametrize(
    "text,choice",
    [("1", "return"), ("2", "continue"), ("pode transferir, eu aguardo", "continue"),
     ("prefiro voltar amanha", "return"), ("entao eu volto outro dia", "return"),
     ("deixa na fila", "continue"), ("puede transferirme, yo espero", "continue"),
     ("mejor vuelvo mañana", "return"), ("opcion 2", "continue")],
)
def test_answers_to_the_offered_choice(text, choice):
    goes_on, comes_back = CUES.match("choice_continue", text), CUES.match("choice_return", text)
    assert (goes_on, comes_back) == ((True, False) if choice == "continue" else (False, True))


def test_cue_file_has_both_languages_for_every_cue():
    with pytest.raises(ValueError):
        Cues({"x": {"pt": ["a"]}})
