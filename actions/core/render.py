"""Turning facts into the customer's words: message-catalogue texts, moments and opening hours.

Dates, weekdays and months come from babel (CLDR), per locale; the sentence patterns around them are
data in locales/messages.yml.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Dict, List, Optional
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_day_names

from .calendar import BusinessCalendar
from .language import babel_locale
from .schema import Company, Department


def fold(text: str) -> str:
    """Lowercase without accents, for matching what customers type."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class Renderer:
    def __init__(self, messages: Dict[str, Dict[str, str]], variant: str, zone: ZoneInfo):
        self.messages, self.variant, self.zone = messages, variant, zone
        self.locale = babel_locale(variant)

    def text(self, key: str, **values: object) -> str:
        template = self.messages[key][self.variant]
        # A value that ends a sentence itself ("SIEMPRE.NET S.A.S.") takes the template's full stop.
        values = {k: v[:-1] if isinstance(v, str) and v.endswith(".") and f"{{{k}}}." in template else v
                  for k, v in values.items()}
        return template.format(**values)

    def time(self, moment: dt.datetime) -> str:
        return format_time(moment.astimezone(self.zone), "HH:mm", locale=self.locale)

    def date(self, day: dt.date) -> str:
        return format_date(day, self.text("date_pattern"), locale=self.locale)

    def moment(self, at: dt.datetime, now: dt.datetime) -> str:
        """'hoje, às 18:00', 'amanhã (sábado), às 08:00' or 'segunda-feira, 30/11, às 08:00'."""
        local, today = at.astimezone(self.zone), now.astimezone(self.zone).date()
        time = self.time(local)
        if local.date() == today:
            return self.text("when_today", time=time)
        if local.date() == today + dt.timedelta(days=1):
            return self.text("when_tomorrow", weekday=self.weekday(local.date()), time=time)
        return self.text("when_date", date=self.date(local.date()), time=time)

    def weekday(self, day: dt.date) -> str:
        return get_day_names("wide", locale=self.locale)[day.weekday()]

    def weekly_hours(self, department: Department, calendar: BusinessCalendar) -> str:
        """One department's week, consecutive days with the same hours grouped."""
        if department.always_open:
            return self.text("hours_always_open")
        names = get_day_names("wide", locale=self.locale)
        week = [tuple(department.hours.get(d, [])) for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
        parts: List[str] = []
        start = 0
        for day in range(1, 8):
            if day < 7 and week[day] == week[start]:
                continue
            days = names[start] if day - 1 == start else self.text("day_range", first=names[start], last=names[day - 1])
            spans = self.text("closed") if not week[start] else self.text("and").join(
                i.replace("-", "–") for i in week[start]
            )
            parts.append(self.text("hours_day", days=days, spans=spans))
            start = day
        if department.closed_on_holidays:
            parts.append(self.text("hours_holidays_closed"))
        return "; ".join(parts)


def mentions(text: str, words: List[str]) -> bool:
    """Whether the message names one of `words` (accent-free, lowercase), as whole words."""
    folded = fold(text or "")
    return any(re.search(rf"\b{re.escape(word)}\b", folded) for word in words)


def find_department(company: Company, text: str) -> Optional[str]:
    """The department a message names by one of its aliases; the longest alias wins."""
    folded = fold(text)
    best, best_len = None, 0
    for department_id, department in company.departments.items():
        for alias in department.aliases + [department_id]:
            if len(alias) > best_len and re.search(rf"\b{re.escape(alias)}\b", folded):
                best, best_len = department_id, len(alias)
    return best
