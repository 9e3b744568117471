"""Reading what a customer's message already says: steps taken, dates, durations, day counts, cues.

Pure functions over plain values. Cue phrases are data (locales/cues.yml); weekday and month names
come from babel (CLDR); relative dates ("ontem", "há 10 dias", "la semana pasada") from dateparser.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml
from babel.dates import get_day_names, get_month_names

from .render import fold

LANGUAGES = ("pt", "es")
_LOCALES = {"pt": ("pt_BR", "pt_PT"), "es": ("es",)}


class Cues:
    """Regular expressions per cue and language (locales/cues.yml), compiled once."""

    def __init__(self, raw: Dict[str, Dict[str, List[str]]]):
        self.patterns: Dict[str, Dict[str, List[re.Pattern]]] = {}
        for key, by_language in raw.items():
            if set(by_language) != set(LANGUAGES):
                raise ValueError(f"cue '{key}' must have exactly the languages {LANGUAGES}")
            self.patterns[key] = {lang: [re.compile(p) for p in pats] for lang, pats in by_language.items()}

    @classmethod
    def load(cls, path: Path) -> "Cues":
        return cls(yaml.safe_load(Path(path).read_text(encoding="utf-8")))

    def match(self, key: str, text: str, language: Optional[str] = None) -> bool:
        """Whether `text` has the cue, in `language` first and then in the other (customers mix them)."""
        folded = fold(text or "")
        order = [language] if language in LANGUAGES else []
        order += [lang for lang in LANGUAGES if lang not in order]
        return any(p.search(folded) for lang in order for p in self.patterns[key][lang])


# -- weekdays and months, from CLDR ---------------------------------------------------------------
def _cldr_words(names) -> Dict[str, int]:
    """Accent-free names of every locale the bot speaks -> their number, from `names(locale)`."""
    return {fold(name): number for locales in _LOCALES.values() for locale in locales
            for number, name in names(locale).items()}


@lru_cache(maxsize=1)
def _weekday_words() -> Dict[str, int]:
    """Accent-free weekday names and their short forms ("segunda", "sabado", "viernes") -> 0..6."""
    wide = _cldr_words(lambda locale: get_day_names("wide", locale=locale))
    return {**wide, **{name.split("-")[0]: number for name, number in wide.items()}}  # "segunda-feira" -> "segunda"


@lru_cache(maxsize=1)
def _month_words() -> Dict[str, int]:
    return _cldr_words(lambda locale: get_month_names("wide", locale=locale))


def weekday_named(text: str) -> Optional[int]:
    """The weekday a message names (0 = Monday), ignoring "segunda via" (a second copy)."""
    folded = re.sub(r"\bsegunda[- ]via\b|\b2a via\b", " ", fold(text or ""))
    for word in re.findall(r"[a-z]+(?:-feira)?", folded):
        if word in _weekday_words():
            return _weekday_words()[word]
    return None


# -- dates ----------------------------------------------------------------------------------------
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b")
_WORDS = re.compile(r"\b(\d{1,2})\s+de\s+([a-z]+)(?:\s+de\s+(\d{4}))?\b")
_DAY_OF_MONTH = re.compile(r"\b(?:dia|el|o)\s+(\d{1,2})\b(?!\s*(?:dias|d[ií]as|h\b|horas|min|/))")
_AGO = re.compile(r"\b(?:faz|fazem|ha|hace|tem|haz)\s+(\d{1,3}|um|uma|un|una|dois|duas|tres|dos)\s+(dias?|semanas?|mes|meses)\b")
_PAST_MARK = re.compile(r"\b(passad[oa]s?|pasad[oa]s?|ultim[oa]s?|anterior)\b")
_RELATIVE_WORDS = {"hoje": 0, "hj": 0, "hoy": 0, "ontem": -1, "ayer": -1, "anteontem": -2, "anteayer": -2}
_SMALL_NUMBERS = {"um": 1, "uma": 1, "un": 1, "una": 1, "dois": 2, "duas": 2, "dos": 2, "tres": 3}


def find_date(text: str, today: dt.date, future: Optional[bool] = None, cues: Optional[Cues] = None,
              language: Optional[str] = None) -> Optional[dt.date]:
    """A date the customer wrote, read relative to `today`.

    Explicit dates first (10/11, 2026-11-10, 10 de novembro, dia 2), then relative ones (ontem, hoy,
    há 10 dias, la semana pasada, sexta passada, el viernes). Without a year, the tense decides: what is
    planned lies ahead, what happened lies behind (`future`, else read from the future-tense cues).
    """
    folded = fold(text or "")
    if future is None:
        future = bool(cues and cues.match("future_tense", folded, language))
    try:
        if match := _ISO.search(folded):
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        if match := _NUMERIC.search(folded):
            return _with_year(int(match[1]), int(match[2]), match[3], today, future)
        if (match := _WORDS.search(folded)) and match[2] in _month_words():
            return _with_year(int(match[1]), _month_words()[match[2]], match[3], today, future)
        if match := _DAY_OF_MONTH.search(folded):
            return _day_of_month(int(match[1]), today, future)
    except ValueError:
        return None
    if match := _AGO.search(folded):
        amount = int(match[1]) if match[1].isdigit() else _SMALL_NUMBERS[match[1]]
        phrase = f"{amount} {match[2]}"
        return _dateparser(("há " if language != "es" else "hace ") + phrase, today, language) or (
            today - dt.timedelta(days=amount * (7 if match[2].startswith("semana") else 1))
            if not match[2].startswith("mes") else None)
    for word in re.findall(r"[a-z]+", folded):
        if word in _RELATIVE_WORDS:
            return today + dt.timedelta(days=_RELATIVE_WORDS[word])
    weekday = weekday_named(folded)
    if weekday is not None:
        if future and not _PAST_MARK.search(folded):
            ahead = (weekday - today.weekday()) % 7 or 7
            return today + dt.timedelta(days=ahead)
        behind = (today.weekday() - weekday) % 7 or 7
        return today - dt.timedelta(days=behind)
    if re.search(r"\b(semana passada|semana pasada)\b", folded):
        return _dateparser("semana passada" if language != "es" else "la semana pasada", today, language)
    return None


def _dateparser(phrase: str, today: dt.date, language: Optional[str]) -> Optional[dt.date]:
    import dateparser

    base = dt.datetime.combine(today, dt.time(12))
    parsed = dateparser.parse(phrase, languages=[language or "pt", "pt", "es"],
                              settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"})
    return parsed.date() if parsed else None


def _with_year(day: int, month: int, year: Optional[str], today: dt.date, future: bool) -> dt.date:
    if year:
        number = int(year)
        return dt.date(number + 2000 if number < 100 else number, month, day)
    candidate = dt.date(today.year, month, day)
    ahead = candidate if candidate >= today else dt.date(today.year + 1, month, day)
    behind = candidate if candidate <= today else dt.date(today.year - 1, month, day)
    if future:
        return ahead
    # No future tense: what happened lies behind, unless that is most of a year ago and the date ahead
    # is near ("dia 28/12" asked on 24/11 is next month, not last December).
    return ahead if (today - behind).days > 183 and (ahead - today).days <= 62 else behind


def _day_of_month(day: int, today: dt.date, future: bool) -> dt.date:
    """"dia 2": this month's day 2 if it lies on the tense's side of today, else the adjacent month's."""
    month_start = today.replace(day=1)
    if future:
        months = [month_start, (month_start + dt.timedelta(days=32)).replace(day=1)]
    else:
        months = [month_start, (month_start - dt.timedelta(days=1)).replace(day=1)]
    for start in months:
        try:
            candidate = start.replace(day=day)
        except ValueError:
            continue
        if (candidate >= today) if future else (candidate <= today):
            return candidate
    raise ValueError(f"no day {day} near {today}")


# -- durations and counts -------------------------------------------------------------------------
_HOURS_MINUTES = re.compile(r"\b(\d{1,2})\s*(?:h|hs|hr|hrs|horas?)\s*(?:e|y|and)?\s*(\d{1,2})\s*(?:m|min|mins|minutos?)?\b")
_HOURS = re.compile(r"\b(\d{1,2}|uma|una|um|un|duas|dos|tres)\s*(?:h|hs|hr|hrs|horas?)\b(\s*(?:e|y)\s*(?:meia|media))?")
_MINUTES = re.compile(r"\b(\d{1,3})\s*(?:m|min|mins|minutos?)\b")
_HALF_HOUR = re.compile(r"\b(meia|media)\s+hora\b")


def find_duration(text: str) -> Optional[int]:
    """Minutes of a duration the customer wrote: "40 min", "1h10", "uma hora e meia", "meia hora"."""
    folded = fold(text or "")
    if match := _HOURS_MINUTES.search(folded):
        return int(match[1]) * 60 + int(match[2])
    minutes = 0
    found = False
    if match := _HOURS.search(folded):
        hours = int(match[1]) if match[1].isdigit() else _SMALL_NUMBERS[match[1]]
        minutes += hours * 60 + (30 if match[2] else 0)
        found = True
    elif _HALF_HOUR.search(folded):
        minutes += 30
        found = True
    if match := _MINUTES.search(folded):
        minutes += int(match[1])
        found = True
    return minutes if found and minutes > 0 else None


def billed_minutes(minutes: int, block: int) -> Tuple[int, int]:
    """(billed minutes, number of blocks): blocks of `block` minutes, rounded up."""
    blocks = max(1, math.ceil(minutes / block))
    return blocks * block, blocks


_DAY_COUNT = re.compile(r"\b(\d{1,3})\s*(?:dias?|d[ií]as?)\s*(uteis|habiles|corridos|calendario)?\b")


def find_day_count(text: str, lowest: int, highest: int) -> Optional[int]:
    """A number of days the customer quotes ("20 dias uteis" in their proposal), within [lowest, highest]."""
    for match in _DAY_COUNT.finditer(fold(text or "")):
        number = int(match[1])
        if lowest <= number <= highest:
            return number
    return None


def word_count(text: str) -> int:
    return len(re.findall(r"[^\W\d_]{2,}", text or ""))
