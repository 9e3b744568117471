"""The routing decision: answer, hand off now, queue, close until the reopening, or offer the choice.

`decide` is pure: the company, what the customer wants (an intent or a department), the menu entry they
came through, and the moment. POXNET's rules (DESIGN.md) are data in its company file: `when_closed`
and `offer_choice_from` on each department.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, Optional

from .calendar import BusinessCalendar
from .schema import Company


class Outcome(str, Enum):
    ANSWER = "answer"  # nothing to route: the bot's answer is all
    HANDOFF_NOW = "handoff_now"  # department open (or its hours unknown): transfer now
    HANDOFF_QUEUED = "handoff_queued"  # closed: transfer queued until it opens
    CLOSE = "close"  # closed: end the chat, come back at the reopening
    OFFER_CHOICE = "offer_choice"  # closed, arrived through another flow: come back later or queue


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    department: Optional[str] = None
    at: Optional[dt.datetime] = None  # queued until / reopens at
    closes_at: Optional[dt.datetime] = None  # when open now: when this opening ends
    hours_known: bool = True

    def payload(self) -> Optional[Dict[str, Any]]:
        """The `custom` payload of DESIGN.md; None when nothing is transferred or closed."""
        if self.outcome == Outcome.HANDOFF_NOW:
            return {"handoff": {"department": self.department, "queued_until": None}}
        if self.outcome == Outcome.HANDOFF_QUEUED:
            return {"handoff": {"department": self.department, "queued_until": iso(self.at)}}
        if self.outcome == Outcome.CLOSE:
            return {"close": {"reason": "out_of_hours", "department": self.department, "reopens_at": iso(self.at)}}
        return None


def iso(moment: Optional[dt.datetime]) -> Optional[str]:
    return moment.isoformat(timespec="seconds") if moment else None


def department_for(company: Company, target: str) -> Optional[str]:
    """The department an intent routes to, or the department itself when `target` names one."""
    if target in company.departments:
        return target
    answer = company.answers.get(target)
    return answer.route if answer else None


def calendar_for(company: Company, department: str) -> BusinessCalendar:
    return BusinessCalendar.for_department(company, company.departments[department])


def decide(company: Company, target: str, entry: Optional[str], now: dt.datetime) -> Decision:
    department_id = department_for(company, target)
    if department_id is None:
        return Decision(Outcome.ANSWER)
    department = company.departments[department_id]
    if not department.hours_known:
        return Decision(Outcome.HANDOFF_NOW, department_id, hours_known=False)
    calendar = calendar_for(company, department_id)
    if calendar.is_open(now):
        return Decision(Outcome.HANDOFF_NOW, department_id, closes_at=calendar.closes_at(now))
    opens = calendar.next_opening(now)
    if opens is None:  # no opening within a year: the file's hours cannot be what the company means
        return Decision(Outcome.HANDOFF_NOW, department_id, hours_known=False)
    if department.when_closed == "close":
        if entry in department.offer_choice_from:
            return Decision(Outcome.OFFER_CHOICE, department_id, at=opens)
        return Decision(Outcome.CLOSE, department_id, at=opens)
    return Decision(Outcome.HANDOFF_QUEUED, department_id, at=opens)


def resolve_choice(company: Company, department: str, continue_: bool, now: dt.datetime) -> Decision:
    """The customer's answer to OFFER_CHOICE: continue queues the transfer, otherwise the chat closes."""
    calendar = calendar_for(company, department)
    if calendar.is_open(now):  # the department opened while the customer was deciding
        return Decision(Outcome.HANDOFF_NOW, department, closes_at=calendar.closes_at(now))
    outcome = Outcome.HANDOFF_QUEUED if continue_ else Outcome.CLOSE
    return Decision(outcome, department, at=calendar.next_opening(now))
