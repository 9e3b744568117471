"""What the bot says, composed from the company file, the message catalogue and the decision.

Everything here is plain data in, plain data out: `Reply` lists that the Rasa actions only send.
Every outgoing text passes `guard`, so a staff-only fragment can never reach a customer, even from a
mistyped company file.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence
from zoneinfo import ZoneInfo

from .calendar import Holidays
from .language import variant as variant_for
from .reading import Cues, billed_minutes, find_date, find_day_count, find_duration
from .render import Renderer, fold, mentions
from .routing import Decision, Outcome, calendar_for, decide, resolve_choice
from .schema import Company, Deadline


@dataclass
class Reply:
    text: Optional[str] = None
    custom: Optional[Dict[str, Any]] = None
    buttons: List[Dict[str, str]] = field(default_factory=list)
    awaits_choice: Optional[str] = None  # department whose come-back-or-continue choice is offered


@dataclass
class Turn:
    """One customer turn: who, in which language, at which moment, through which menu entry."""

    company: Company
    language: str
    now: dt.datetime
    messages: Dict[str, Dict[str, str]]
    entry: Optional[str] = None
    cues: Optional[Cues] = None
    index: Optional[Any] = None  # retrieval.AnswerIndex: answers found by meaning

    @property
    def variant(self) -> str:
        return variant_for(self.language, self.company)

    @property
    def r(self) -> Renderer:
        return Renderer(self.messages, self.variant, ZoneInfo(self.company.timezone))

    def say(self, key: str, **values: object) -> Reply:
        return Reply(self.r.text(key, company=self.company.name, **values))


def guard(company: Company, replies: Sequence[Reply], messages: Dict[str, Dict[str, str]], variant: str) -> List[Reply]:
    """Replace any reply holding a staff-only fragment by a refusal."""
    secrets = [fold(s) for s in company.secrets()]
    safe = []
    for reply in replies:
        if reply.text and any(s in fold(reply.text) for s in secrets):
            reply = Reply(messages["staff_only_refusal"][variant])
        safe.append(reply)
    return safe


# -- answers ---------------------------------------------------------------------------------
def greet(turn: Turn) -> List[Reply]:
    return [turn.say("greet")]


def not_covered(turn: Turn) -> List[Reply]:
    return [turn.say("not_covered", contact=turn.company.contact.get(turn.language))]


def answer(turn: Turn, intent: str, text: str = "", first_step_done: bool = False, route_to: bool = True) -> List[Reply]:
    """The company's answer to `intent`, its computed figures, then the routing decision if any."""
    replies = answer_texts(turn, intent, text)
    found = turn.company.answers.get(intent)
    if found is not None and found.route and route_to:
        if found.first_step and not first_step_done:
            replies.append(Reply(found.first_step.get(turn.language)))
            replies.append(turn.say("first_step_question"))
        else:
            replies.extend(route(turn, intent))
    return replies


def answer_texts(turn: Turn, intent: str, text: str = "") -> List[Reply]:
    """What the company says to `intent`, with deadlines and billing computed from the message."""
    found = turn.company.answers.get(intent)
    if found is None:
        return not_covered(turn)
    replies: List[Reply] = []
    if found.text:
        replies.append(Reply(found.text.get(turn.language)))
    for name in found.deadlines:
        replies.append(deadline(turn, turn.company.deadlines[name], text))
    if found.compute == "billing_blocks":
        replies.extend(billing_blocks(turn, text))
    return replies


def missing_facts(turn: Turn, text: str) -> List[Reply]:
    """An honest "not in our documents" for facts the message asks for that the seeds lack."""
    labels = [fact.label.get(turn.language) for fact in turn.company.missing if fact.label and mentions(text, fact.match)]
    if not labels:
        return []
    topics = turn.r.text("and").join(dict.fromkeys(labels))
    return [turn.say("missing_fact", topics=topics, contact=turn.company.contact.get(turn.language))]


def billing_blocks(turn: Turn, text: str) -> List[Reply]:
    """Support time billed in blocks rounded up, for the duration the customer gives (WebPlug)."""
    blocks = turn.company.billing_blocks
    minutes = find_duration(text)
    if blocks is None or minutes is None:
        return []
    outside = bool(turn.cues and turn.cues.match("outside_hours", text, turn.language))
    inside = bool(turn.cues and turn.cues.match("inside_hours", text, turn.language))
    sides = [("inside", blocks.inside_minutes)] if inside and not outside else []
    sides += [("outside", blocks.outside_minutes)] if outside else []
    sides = sides or [("inside", blocks.inside_minutes), ("outside", blocks.outside_minutes)]
    r = turn.r
    duration = (r.text("duration_minutes", minutes=minutes) if minutes < 60
                else r.text("duration_hours", hours=minutes // 60, minutes=minutes % 60, total=minutes))
    replies = []
    for side, block in sides:
        billed, count = billed_minutes(minutes, block)
        replies.append(turn.say(f"billing_blocks_{side}", duration=duration, billed=billed, blocks=count, block=block))
    return replies


def deadline(turn: Turn, rule: Deadline, text: str) -> Reply:
    """A deadline counted from the date the customer gives, else from now (or asked, if it needs one)."""
    r, label = turn.r, rule.label.get(turn.language)
    zone = ZoneInfo(turn.company.timezone)
    local_now = turn.now.astimezone(zone)
    given = find_date(text, local_now.date(), cues=turn.cues, language=turn.language)
    if given is not None and rule.unit in ("hours", "business_hours") and given == local_now.date():
        given = None  # "hoje": the hours count from now, not from midnight
    if given is None and rule.counted_from == "customer_date":
        return turn.say("deadline_needs_date", label=label)
    if given is not None:
        start = max(dt.datetime.combine(given, dt.time(), zone), local_now) if given > local_now.date() else \
            dt.datetime.combine(given, dt.time(), zone)
        counted_from = r.text("deadline_counted_from", date=r.date(given))
    else:
        start, counted_from = local_now, r.text("deadline_counted_from_now")
    if rule.unit == "business_hours":
        department = turn.company.departments[rule.department]
        if not department.hours_known:
            return turn.say("deadline_unknown_hours", label=label)
        due = calendar_for(turn.company, rule.department).add_business_hours(start, rule.amount)
        return turn.say("deadline_moment", label=label, when=r.moment(due, turn.now), counted_from=counted_from)
    if rule.unit == "hours":
        due = start + dt.timedelta(hours=rule.amount)
        return turn.say("deadline_moment", label=label, when=r.moment(due, turn.now), counted_from=counted_from)
    days = [rule.amount] + ([rule.amount_max] if rule.amount_max else [])
    if rule.amount_max:
        quoted = find_day_count(text, rule.amount, rule.amount_max)  # the customer's proposal states one
        if quoted:
            days = [quoted]
    holidays = Holidays(turn.company.holidays.country, turn.company.holidays.subdivision)
    if rule.unit == "business_days":
        dates = [holidays.add_business_days(start.date(), n) for n in days]
    else:
        dates = [start.date() + dt.timedelta(days=n) for n in days]
    if len(dates) == 2:
        return turn.say("deadline_range", label=label, first=r.date(dates[0]), last=r.date(dates[1]), counted_from=counted_from)
    return turn.say("deadline_day", label=label, date=r.date(dates[0]), counted_from=counted_from)


# -- routing ---------------------------------------------------------------------------------
def route(turn: Turn, target: str) -> List[Reply]:
    """Decide for an intent or department and say it, with the payload."""
    return tell_decision(turn, decide(turn.company, target, turn.entry, turn.now))


def choose(turn: Turn, department: str, continue_: bool) -> List[Reply]:
    return tell_decision(turn, resolve_choice(turn.company, department, continue_, turn.now))


def tell_decision(turn: Turn, decision: Decision) -> List[Reply]:
    if decision.outcome == Outcome.ANSWER:
        return []
    r = turn.r
    name = turn.company.departments[decision.department].name.get(turn.language)
    opens = r.moment(decision.at, turn.now) if decision.at else None
    if decision.outcome == Outcome.HANDOFF_NOW:
        key = "handoff_now" if decision.hours_known else "handoff_hours_unknown"
        reply = turn.say(key, department=name, contact=turn.company.contact.get(turn.language))
    elif decision.outcome == Outcome.HANDOFF_QUEUED:
        reply = turn.say("handoff_queued", department=name, opens=opens)
    elif decision.outcome == Outcome.CLOSE:
        reply = turn.say("close_out_of_hours", department=name, opens=opens)
    else:
        return [
            Reply(
                r.text("offer_choice", department=name, opens=opens, company=turn.company.name),
                buttons=[
                    {"title": r.text("choice_return_button"), "payload": "/choose_return_later"},
                    {"title": r.text("choice_continue_button"), "payload": "/choose_continue"},
                ],
                awaits_choice=decision.department,
            )
        ]
    reply.custom = decision.payload()
    return [reply]


# -- opening hours -----------------------------------------------------------------------------
def hours(turn: Turn, department: Optional[str] = None) -> List[Reply]:
    """Opening hours of one department (with open-now status) or of all of them."""
    company, r = turn.company, turn.r
    ids = [department] if department else list(company.departments)
    own = company.answers.get("ask_business_hours")
    replies = [Reply(own.text.get(turn.language))] if own and own.text else []
    lines = []
    for department_id in ids:
        dept = company.departments[department_id]
        name = dept.name.get(turn.language)
        if not dept.hours_known:
            lines.append(r.text("hours_line_unknown", department=name))
            continue
        calendar = calendar_for(company, department_id)
        week = r.weekly_hours(dept, calendar)
        if calendar.is_open(turn.now):
            closes = calendar.closes_at(turn.now)
            status = r.text("status_open_until", until=r.moment(closes, turn.now)) if closes else r.text("status_open")
        else:
            opens = calendar.next_opening(turn.now)
            status = r.text("status_closed_until", opens=r.moment(opens, turn.now)) if opens else r.text("status_closed")
        lines.append(r.text("hours_line", department=name, week=week, status=status))
    replies.append(Reply("\n".join(lines)))
    if any(not company.departments[d].hours_known for d in ids):
        replies.append(turn.say("hours_missing_contact", contact=company.contact.get(turn.language)))
    return replies
