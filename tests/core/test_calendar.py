"""The business calendar on frozen clocks: POXNET's departments, holidays, midnight, Lisbon's DST."""
import datetime as dt

import pytest

from actions.core.calendar import BusinessCalendar, Holidays
from actions.core.routing import calendar_for
from actions.core.schema import Interval
from tests.conftest import LISBON, SP, at

# 2026-11-20 (Friday) is Consciência Negra, a national holiday; 2026-11-21 Saturday; 2026-11-22 Sunday.
OPEN_CASES = [
    # department, moment (São Paulo), open?
    ("suporte", "2026-11-22 03:00", True),
    ("suporte", "2026-12-25 23:59", True),
    ("comercial", "2026-11-23 07:59", False),
    ("comercial", "2026-11-23 08:00", True),
    ("comercial", "2026-11-23 21:59", True),
    ("comercial", "2026-11-23 22:00", False),
    ("comercial", "2026-11-21 15:59", True),
    ("comercial", "2026-11-21 16:00", False),
    ("comercial", "2026-11-22 08:59", False),
    ("comercial", "2026-11-22 09:00", True),
    ("comercial", "2026-11-22 18:00", False),
    ("comercial", "2026-11-20 10:00", True),  # seeds say nothing of holidays for Comercial: weekly hours
    ("financeiro", "2026-11-23 08:00", True),
    ("financeiro", "2026-11-23 17:59", True),
    ("financeiro", "2026-11-23 18:00", False),
    ("financeiro", "2026-11-21 11:59", True),
    ("financeiro", "2026-11-21 12:00", False),
    ("financeiro", "2026-11-22 10:00", False),
    ("financeiro", "2026-11-20 10:00", False),  # national holiday
    ("financeiro", "2026-12-25 10:00", False),  # Christmas
    ("financeiro", "2026-11-24 02:00", False),  # night
    ("retencao", "2026-11-20 10:00", False),
    ("retencao", "2026-11-19 10:00", True),
    ("renovacao", "2026-11-23 08:59", False),
    ("renovacao", "2026-11-23 09:00", True),
    ("renovacao", "2026-11-20 10:00", True),  # "não atua no domingo" only: holidays follow the week
    ("renovacao", "2026-11-22 10:00", False),
]


@pytest.mark.parametrize("department,moment,expected", OPEN_CASES)
def test_open_at(poxnet, department, moment, expected):
    assert calendar_for(poxnet, department).is_open(at(moment)) is expected


NEXT_OPENING = [
    # department, moment, next opening
    ("financeiro", "2026-11-19 18:00", "2026-11-21 08:00"),  # Thu evening -> Fri is a holiday -> Sat
    ("financeiro", "2026-11-21 12:00", "2026-11-23 08:00"),  # Sat noon -> Monday
    ("financeiro", "2026-11-22 23:00", "2026-11-23 08:00"),
    ("financeiro", "2026-12-24 18:30", "2026-12-26 08:00"),  # Christmas Friday -> Saturday
    ("financeiro", "2026-12-31 18:30", "2027-01-02 08:00"),  # New Year's Day
    ("retencao", "2026-11-20 09:00", "2026-11-21 08:00"),
    ("comercial", "2026-11-23 22:00", "2026-11-24 08:00"),
    ("comercial", "2026-11-21 16:30", "2026-11-22 09:00"),
    ("comercial", "2026-11-23 10:00", "2026-11-23 10:00"),  # open: now
    ("renovacao", "2026-11-21 12:00", "2026-11-23 09:00"),
]


@pytest.mark.parametrize("department,moment,expected", NEXT_OPENING)
def test_next_opening(poxnet, department, moment, expected):
    assert calendar_for(poxnet, department).next_opening(at(moment)) == at(expected)


def test_closes_at(poxnet):
    assert calendar_for(poxnet, "comercial").closes_at(at("2026-11-22 10:00")) == at("2026-11-22 18:00")
    assert calendar_for(poxnet, "financeiro").closes_at(at("2026-11-22 10:00")) is None
    assert calendar_for(poxnet, "suporte").closes_at(at("2026-11-22 10:00")) is None


def test_moment_in_another_zone_is_converted(poxnet):
    utc = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.timezone.utc)  # 08:00 in São Paulo
    assert calendar_for(poxnet, "financeiro").is_open(utc)
    assert not calendar_for(poxnet, "financeiro").is_open(utc - dt.timedelta(minutes=1))


def test_naive_moment_is_rejected(poxnet):
    with pytest.raises(ValueError):
        calendar_for(poxnet, "financeiro").is_open(dt.datetime(2026, 11, 23, 10))


def night_shift(**kwargs) -> BusinessCalendar:
    weekly = {d: [Interval.parse("22:00-02:00")] for d in range(5)}  # Mon-Fri nights
    return BusinessCalendar(SP, weekly, Holidays("BR", "SP"), **kwargs)


@pytest.mark.parametrize(
    "moment,expected",
    [
        ("2026-11-23 21:59", False),
        ("2026-11-23 22:00", True),
        ("2026-11-24 01:59", True),  # Monday's interval, past midnight
        ("2026-11-24 02:00", False),
        ("2026-11-28 01:00", True),  # Friday's interval runs into Saturday
        ("2026-11-29 01:00", False),  # no Saturday interval
    ],
)
def test_interval_past_midnight(moment, expected):
    assert night_shift().is_open(at(moment)) is expected


def test_past_midnight_close_and_reopen():
    calendar = night_shift()
    assert calendar.closes_at(at("2026-11-23 23:00")) == at("2026-11-24 02:00")
    assert calendar.next_opening(at("2026-11-28 03:00")) == at("2026-11-30 22:00")


def test_contiguous_intervals_merge():
    weekly = {0: [Interval.parse("20:00-24:00")], 1: [Interval.parse("00:00-03:00")]}
    calendar = BusinessCalendar(SP, weekly, Holidays("BR"))
    assert calendar.closes_at(at("2026-11-23 21:00")) == at("2026-11-24 03:00")


def test_several_intervals_a_day():
    weekly = {0: [Interval.parse("08:00-12:00"), Interval.parse("14:00-18:00")]}
    calendar = BusinessCalendar(SP, weekly, Holidays("BR"))
    assert not calendar.is_open(at("2026-11-23 13:00"))
    assert calendar.next_opening(at("2026-11-23 13:00")) == at("2026-11-23 14:00")
    assert calendar.add_business_hours(at("2026-11-23 11:00"), 2) == at("2026-11-23 15:00")


def test_dated_exceptions_override_week_and_holidays():
    weekly = {d: [Interval.parse("08:00-18:00")] for d in range(5)}
    exceptions = {dt.date(2026, 11, 24): [], dt.date(2026, 11, 20): [Interval.parse("09:00-12:00")]}
    calendar = BusinessCalendar(SP, weekly, Holidays("BR"), closed_on_holidays=True, exceptions=exceptions)
    assert not calendar.is_open(at("2026-11-24 10:00"))  # closure
    assert calendar.is_open(at("2026-11-20 10:00"))  # special hours on a holiday
    assert calendar.next_opening(at("2026-11-23 19:00")) == at("2026-11-25 08:00")


def test_lisbon_daylight_saving_change():
    # 2026-10-25: clocks go back at 02:00 WEST -> 01:00 WET; 2026-03-29: forward at 01:00 -> 02:00.
    weekly = {d: [Interval.parse("09:00-18:00")] for d in range(7)}
    calendar = BusinessCalendar(LISBON, weekly, Holidays("PT"))
    opening = calendar.next_opening(at("2026-10-24 20:00", LISBON))
    assert opening.isoformat() == "2026-10-25T09:00:00+00:00"
    assert calendar.next_opening(at("2026-10-23 20:00", LISBON)).isoformat() == "2026-10-24T09:00:00+01:00"
    assert calendar.next_opening(at("2026-03-28 20:00", LISBON)).isoformat() == "2026-03-29T09:00:00+01:00"
    # 9 open hours on the short day are still 9 hours of opening
    assert calendar.add_business_hours(at("2026-03-29 09:00", LISBON), 9) == at("2026-03-29 18:00", LISBON)


def test_business_hours_arithmetic(poxnet):
    financeiro = calendar_for(poxnet, "financeiro")
    # Sat 11:00 + 2h -> 1h Saturday, then Monday 08:00 + 1h
    assert financeiro.add_business_hours(at("2026-11-21 11:00"), 2) == at("2026-11-23 09:00")
    # Thu 17:00 + 3h -> 1h Thursday, Friday holiday, Saturday 08:00 + 2h
    assert financeiro.add_business_hours(at("2026-11-19 17:00"), 3) == at("2026-11-21 10:00")


@pytest.mark.parametrize(
    "start,days,expected",
    [
        ("2026-11-19", 1, "2026-11-23"),  # Friday 20/11 is a holiday, then the weekend
        ("2026-11-23", 3, "2026-11-26"),
        ("2026-12-23", 2, "2026-12-28"),  # Christmas
        ("2026-11-10", 10, "2026-11-25"),  # crosses 15/11 (Sunday) and 20/11
    ],
)
def test_business_days_skip_weekends_and_holidays(start, days, expected):
    brazil = Holidays("BR", "SP")
    assert brazil.add_business_days(dt.date.fromisoformat(start), days) == dt.date.fromisoformat(expected)


def test_state_holiday_of_sao_paulo():
    assert dt.date(2026, 7, 9) in Holidays("BR", "SP")  # Revolução Constitucionalista
    assert dt.date(2026, 7, 9) not in Holidays("BR")
