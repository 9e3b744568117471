"""The injected clock: real time, or a fixed moment for demos, tests and agents trying a moment."""
from __future__ import annotations

import datetime as dt
from typing import Callable, Optional

from dateutil import parser as date_parser

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def parse_moment(text: str, default_zone: dt.tzinfo) -> dt.datetime:
    """An ISO 8601 date-time; without an offset it is read in `default_zone` (the company's)."""
    moment = date_parser.isoparse(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=default_zone)
    return moment


def fixed_clock(moment: dt.datetime) -> Clock:
    return lambda: moment


def clock_from(fixed: Optional[str]) -> Clock:
    """The server's clock: ASSISTANT_FIXED_NOW (ISO 8601 with offset) when set, else real time."""
    if not fixed:
        return system_clock
    return fixed_clock(parse_moment(fixed, dt.timezone.utc))
