"""Business calendars: when a department is open, when it closes and opens next, business-time sums.

Weekly intervals may be several a day and may pass midnight (22:00-02:00). Public holidays come from the
`holidays` package for the company's country and subdivision; dated exceptions in the company file
override both. All moments are timezone-aware and compared in the company's IANA zone.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Dict, Iterator, List, Optional, Tuple
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from .schema import WEEKDAYS, Company, Department, Interval

Span = Tuple[dt.datetime, dt.datetime]
_SEARCH_DAYS = 400  # how far ahead a next opening is looked for


@lru_cache(maxsize=64)
def _holiday_table(country: str, subdivision: Optional[str]) -> holidays_lib.HolidayBase:
    return holidays_lib.country_holidays(country, subdiv=subdivision)


class Holidays:
    """Public holidays of one country (and subdivision), with their localized names."""

    def __init__(self, country: str, subdivision: Optional[str] = None):
        self.table = _holiday_table(country, subdivision)

    def __contains__(self, day: dt.date) -> bool:
        return day in self.table

    def name(self, day: dt.date) -> Optional[str]:
        return self.table.get(day)

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self

    def add_business_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th business day after `start` (start itself not counted)."""
        day, left = start, days
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_business_day(day):
                left -= 1
        return day


class BusinessCalendar:
    """Opening hours of one department in one time zone."""

    def __init__(
        self,
        zone: ZoneInfo,
        weekly: Optional[Dict[int, List[Interval]]],
        holidays: Holidays,
        always_open: bool = False,
        closed_on_holidays: bool = False,
        exceptions: Optional[Dict[dt.date, List[Interval]]] = None,
    ):
        self.zone = zone
        self.weekly = weekly or {}
        self.holidays = holidays
        self.always_open = always_open
        self.closed_on_holidays = closed_on_holidays
        self.exceptions = exceptions or {}

    @classmethod
    def for_department(cls, company: Company, department: Department) -> "BusinessCalendar":
        weekly = {
            WEEKDAYS.index(day): [Interval.parse(i) for i in intervals]
            for day, intervals in (department.hours or {}).items()
        }
        exceptions = {e.date: [Interval.parse(i) for i in e.hours] for e in department.exceptions}
        return cls(
            zone=ZoneInfo(company.timezone),
            weekly=weekly,
            holidays=Holidays(company.holidays.country, company.holidays.subdivision),
            always_open=department.always_open,
            closed_on_holidays=bool(department.closed_on_holidays),
            exceptions=exceptions,
        )

    # -- the intervals of one day ------------------------------------------------------------
    def intervals_starting_on(self, day: dt.date) -> List[Interval]:
        if day in self.exceptions:
            return self.exceptions[day]
        if self.closed_on_holidays and day in self.holidays:
            return []
        return self.weekly.get(day.weekday(), [])

    def _at(self, day: dt.date, minutes: int) -> dt.datetime:
        naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
        # Wall-clock time in the zone; a time skipped by a DST change resolves to the later offset.
        local = naive.replace(tzinfo=self.zone)
        return local.astimezone(dt.timezone.utc).astimezone(self.zone)

    def spans_from(self, day: dt.date) -> Iterator[Span]:
        """Opening spans in order, from those starting the day before `day` onwards, merged when they touch."""
        pending: Optional[Span] = None
        for offset in range(-1, _SEARCH_DAYS):
            current = day + dt.timedelta(days=offset)
            for interval in sorted(self.intervals_starting_on(current), key=lambda i: i.start):
                span = (self._at(current, interval.start), self._at(current, interval.end))
                if pending and span[0] <= pending[1]:
                    pending = (pending[0], max(pending[1], span[1]))
                    continue
                if pending:
                    yield pending
                pending = span
        if pending:
            yield pending

    # -- questions ------------------------------------------------------------------------
    def _local(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            raise ValueError("moments must be timezone-aware")
        return moment.astimezone(self.zone)

    def is_open(self, moment: dt.datetime) -> bool:
        return self.always_open or self._span_at(moment) is not None

    def _span_at(self, moment: dt.datetime) -> Optional[Span]:
        local = self._local(moment)
        for start, end in self.spans_from(local.date()):
            if start > local:
                return None
            if start <= local < end:
                return (start, end)
        return None

    def closes_at(self, moment: dt.datetime) -> Optional[dt.datetime]:
        """When the current opening ends; None when closed now or never closing."""
        if self.always_open:
            return None
        span = self._span_at(moment)
        return span[1] if span else None

    def next_opening(self, moment: dt.datetime) -> Optional[dt.datetime]:
        """`moment` itself when open, else the start of the next opening; None when none is within a year."""
        local = self._local(moment)
        if self.always_open:
            return local
        for start, end in self.spans_from(local.date()):
            if end <= local:
                continue
            return max(start, local)
        return None

    def add_business_hours(self, moment: dt.datetime, hours: float) -> Optional[dt.datetime]:
        """The moment when `hours` of opening time have passed after `moment`."""
        local = self._local(moment)
        if self.always_open:
            return local + dt.timedelta(hours=hours)
        left = dt.timedelta(hours=hours)
        for start, end in self.spans_from(local.date()):
            if end <= local:
                continue
            start = max(start, local)
            if end - start >= left:
                return start + left
            left -= end - start
        return None

    def opening_spans_on(self, day: dt.date) -> List[Span]:
        """The openings that start on `day` (local), for telling a customer a day's hours."""
        return [
            (self._at(day, i.start), self._at(day, i.end))
            for i in sorted(self.intervals_starting_on(day), key=lambda i: i.start)
        ]
