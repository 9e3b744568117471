"""The company-file schema: every fact a company file may hold, validated on load.

A company file is data transcribed from the company's own service documents. Facts meant only for
staff live in `staff_only`, a section that no customer-facing code reads; their `secrets` are also
checked on every outgoing message (`replies.guard`).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Dict, List, Optional

from pydantic import BaseModel, Extra, Field, root_validator, validator

LANGUAGES = ("pt", "es")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def matchable_word(value: str, what: str) -> str:
    """A word matched against folded customer text (render.mentions): lowercase ASCII, not blank."""
    if value != value.lower() or not value.isascii() or not value.strip():
        raise ValueError(f"{what} '{value}' must be lowercase ASCII")
    return value


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


class Localized(Strict):
    """One text in both languages; `pt` is written in the company's variant (pt-BR or pt-PT)."""

    pt: str
    es: str

    @validator("pt", "es")
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    def get(self, language: str) -> str:
        return getattr(self, language)


class Interval(Strict):
    """Minutes from the start of the day; `end` may pass midnight (22:00-02:00 ends at 26:00)."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str) -> "Interval":
        match = _INTERVAL.match(text.strip())
        if not match:
            raise ValueError(f"'{text}' is not an interval like '08:00-18:00'")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"'{text}' has an impossible time")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end == start:
            raise ValueError(f"'{text}' is empty")
        if end < start:  # past midnight
            end += 24 * 60
        return cls(start=start, end=end)


class ClosureOrSpecialHours(Strict):
    """A dated exception: closed all day (no `hours`) or open only in `hours`."""

    date: dt.date
    hours: List[str] = []
    note: str = ""

    @validator("hours", each_item=True)
    def valid_interval(cls, value: str) -> str:
        Interval.parse(value)
        return value


class Department(Strict):
    name: Localized
    aliases: List[str] = Field(..., min_items=1, description="accent-free words that name it in a message")
    always_open: bool = False
    hours: Optional[Dict[str, List[str]]] = Field(
        None, description="weekday -> intervals; absent when the seeds do not give the hours"
    )
    closed_on_holidays: Optional[bool] = Field(
        None, description="None: the seeds are silent, holidays follow the weekly hours"
    )
    exceptions: List[ClosureOrSpecialHours] = []
    when_closed: str = Field("queue", description="queue | close")
    offer_choice_from: List[str] = Field(
        [], description="entry departments from which a closed demand gets the choice (come back or queue)"
    )
    source: str

    @validator("hours")
    def valid_week(cls, value: Optional[Dict[str, List[str]]]) -> Optional[Dict[str, List[str]]]:
        if value is None:
            return value
        for day, intervals in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday '{day}' (use {', '.join(WEEKDAYS)})")
            for interval in intervals:
                Interval.parse(interval)
        return value

    @validator("when_closed")
    def valid_when_closed(cls, value: str) -> str:
        if value not in ("queue", "close"):
            raise ValueError("must be 'queue' or 'close'")
        return value

    @validator("aliases", each_item=True)
    def plain_alias(cls, value: str) -> str:
        if value != value.lower() or not value.isascii():
            raise ValueError(f"alias '{value}' must be lowercase ASCII")
        return value

    @root_validator(skip_on_failure=True)
    def hours_or_always(cls, values: dict) -> dict:
        if values.get("always_open") and values.get("hours"):
            raise ValueError("a department is either always_open or has hours, not both")
        return values

    @property
    def hours_known(self) -> bool:
        return self.always_open or self.hours is not None


class Answer(Strict):
    """What the company answers to one intent; `route` hands the chat to a department afterwards."""

    text: Optional[Localized] = None
    route: Optional[str] = None
    first_step: Optional[Localized] = Field(
        None, description="what the customer tries before a technical handoff (e.g. restart the equipment)"
    )
    deadlines: List[str] = Field([], description="names of computed deadlines in the company's `deadlines`")
    compute: Optional[str] = Field(None, description="billing_blocks: bill a duration the customer gives")
    names: List[str] = Field(
        [], description="accent-free words of the channel or plan this answer is about ('chat', 'sinai'): a "
                        "question that names one gets this answer too")
    examples: List[str] = Field(
        [], description="questions in the customer's words that this answer answers: found by meaning when "
                        "no intent fits, so a new answer is reachable with no retraining")
    source: str

    @validator("names", each_item=True)
    def plain_name(cls, value: str) -> str:
        return matchable_word(value, "name")

    @validator("compute")
    def known_computation(cls, value: Optional[str]) -> Optional[str]:
        if value not in (None, "billing_blocks"):
            raise ValueError("must be 'billing_blocks'")
        return value

    @root_validator(skip_on_failure=True)
    def says_something(cls, values: dict) -> dict:
        if not values.get("text") and not values.get("route"):
            raise ValueError("an answer needs a text, a route, or both")
        return values


class Deadline(Strict):
    """A deadline the seeds state, computed from a start moment (now, or a date the customer gives)."""

    amount: int = Field(..., gt=0)
    amount_max: Optional[int] = Field(None, gt=0)
    unit: str = Field(..., description="business_days | calendar_days | business_hours | hours")
    department: Optional[str] = Field(None, description="whose opening hours count, for business_hours")
    counted_from: str = Field("now", description="now | customer_date")
    label: Localized
    source: str

    @validator("unit")
    def valid_unit(cls, value: str) -> str:
        if value not in ("business_days", "calendar_days", "business_hours", "hours"):
            raise ValueError("must be business_days, calendar_days, business_hours or hours")
        return value

    @root_validator(skip_on_failure=True)
    def business_hours_need_department(cls, values: dict) -> dict:
        if values["unit"] == "business_hours" and not values.get("department"):
            raise ValueError("a business_hours deadline names the department whose hours count")
        return values

    @validator("counted_from")
    def valid_from(cls, value: str) -> str:
        if value not in ("now", "customer_date"):
            raise ValueError("must be 'now' or 'customer_date'")
        return value


class StaffNote(Strict):
    """A fact for the contact-center staff only; never sent to a customer."""

    question: str
    text: str
    secrets: List[str] = Field([], description="fragments that must never appear in a customer message")
    source: str


class MissingFact(Strict):
    """A fact a customer may ask for that the seeds do not give; the bot says it does not know.

    `intents` lists the questions this gap leaves unanswered (the bot answers them honestly with the
    company's own contacts); `match` lists accent-free words that, in any question, mean the customer
    asks for this fact, so the reply adds that it is not known (`label` names it to the customer).
    """

    topic: str
    note: str
    label: Optional[Localized] = None
    match: List[str] = []
    intents: List[str] = []

    @validator("match", each_item=True)
    def plain_match(cls, value: str) -> str:
        return matchable_word(value, "match word")

    @root_validator(skip_on_failure=True)
    def label_for_match(cls, values: dict) -> dict:
        if values.get("match") and not values.get("label"):
            raise ValueError("a missing fact with `match` words needs a `label` to name it to the customer")
        return values


class BillingBlocks(Strict):
    """Support time billed in blocks rounded up: inside and outside the business hours (WebPlug)."""

    inside_minutes: int = Field(..., gt=0)
    outside_minutes: int = Field(..., gt=0)
    source: str


class HolidayCalendar(Strict):
    country: str = Field(..., min_length=2, max_length=2)
    subdivision: Optional[str] = None

    @root_validator(skip_on_failure=True)
    def known_calendar(cls, values: dict) -> dict:
        import holidays

        try:
            holidays.country_holidays(values["country"], subdiv=values.get("subdivision"))
        except NotImplementedError as error:
            raise ValueError(f"no public holidays known for it: {error}")
        return values


class Company(Strict):
    id: str
    name: str
    locale: str = Field(..., description="the company's own language variant: pt-BR, pt-PT or es-CO")
    timezone: str
    holidays: HolidayCalendar
    seed: str = Field(..., description="the seed file the facts come from")
    contact: Localized = Field(..., description="how to reach the company, shown when the bot cannot answer")
    support_department: str
    departments: Dict[str, Department]
    answers: Dict[str, Answer]
    deadlines: Dict[str, Deadline] = {}
    billing_blocks: Optional[BillingBlocks] = None
    staff_only: List[StaffNote] = []
    missing: List[MissingFact] = []

    @validator("id")
    def slug_id(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("must be a lowercase slug")
        return value

    @validator("locale")
    def known_locale(cls, value: str) -> str:
        if value not in ("pt-BR", "pt-PT", "es-CO"):
            raise ValueError("must be pt-BR, pt-PT or es-CO")
        return value

    @validator("timezone")
    def known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not an IANA time zone")
        return value

    @validator("departments")
    def slug_departments(cls, value: Dict[str, Department]) -> Dict[str, Department]:
        for key in value:
            if not _SLUG.match(key) or not key.isascii():
                raise ValueError(f"department id '{key}' must be a lowercase ASCII slug")
        return value

    @root_validator(skip_on_failure=True)
    def references_exist(cls, values: dict) -> dict:
        """Every name the file refers to exists in it; all problems at once, one "field: reason" a line."""
        departments, deadlines = values["departments"], values.get("deadlines", {})
        problems = []
        if values["support_department"] not in departments:
            problems.append(f"support_department: '{values['support_department']}' is not a department")
        for intent, answer in values["answers"].items():
            if answer.route and answer.route not in departments:
                problems.append(f"answers.{intent}.route: unknown department '{answer.route}'")
            for name in answer.deadlines:
                if name not in deadlines:
                    problems.append(f"answers.{intent}.deadlines: unknown deadline '{name}'")
            if answer.compute == "billing_blocks" and not values.get("billing_blocks"):
                problems.append(f"answers.{intent}.compute: the company has no `billing_blocks`")
        for name, deadline in deadlines.items():
            if deadline.department and deadline.department not in departments:
                problems.append(f"deadlines.{name}.department: unknown department '{deadline.department}'")
        for index, fact in enumerate(values.get("missing", [])):
            for intent in fact.intents:
                if intent in values["answers"]:
                    problems.append(f"missing.{index}.intents: '{intent}' is answered, so it is not missing")
        for dept_id, dept in departments.items():
            for entry in dept.offer_choice_from:
                if entry not in departments:
                    problems.append(f"departments.{dept_id}.offer_choice_from: unknown department '{entry}'")
        if problems:
            raise ValueError("\n".join(problems))
        return values

    @property
    def language(self) -> str:
        return self.locale[:2]

    def missing_for(self, intent: str) -> Optional[MissingFact]:
        return next((fact for fact in self.missing if intent in fact.intents), None)

    def secrets(self) -> List[str]:
        return [s for note in self.staff_only for s in note.secrets]
