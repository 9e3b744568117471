"""Rasa's replies for one turn -> the Chatwoot calls that deliver them, in order. Pure: no Rasa, no network.

Texts become messages (split to WhatsApp's limits there), buttons become `input_select` items
`{title, value}`, and the design's payloads become actions (docs/DESIGN.md, "Chatwoot"):
handoff now -> private note, team, `toggle_status open`; handoff queued -> the same note and team,
`toggle_status snoozed` until the opening; close -> `toggle_status resolved`. A fault payload, no reply
at all, or a failure elsewhere opens the conversation to the support team with a note saying why.
The payload itself is never shown to the customer.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

# Meta's limits (Chatwoot 4.9.1 passes titles to WhatsApp unchecked)
WHATSAPP_TEXT = 4096
WHATSAPP_BODY = 1024  # body of an interactive (buttons/list) message
WHATSAPP_BUTTONS = 3
WHATSAPP_BUTTON_TITLE = 20
WHATSAPP_LIST_ROWS = 10
WHATSAPP_ROW_TITLE = 24
DEMAND_LIMIT = 1000
NOTES_FILE = Path(__file__).with_name("notes.yml")


@dataclass
class Call:
    """One REST call on a conversation: `what` is messages | assignments | toggle_status."""
    what: str
    body: Dict[str, Any]

    @property
    def is_reply(self) -> bool:
        return self.what == "messages" and not self.body.get("private")


@dataclass
class Context:
    """What the plan needs to know about the conversation beyond Rasa's replies."""
    company: Optional[str]
    company_name: Optional[str] = None
    variant: str = "pt-BR"  # the agents' notes: the company's locale
    whatsapp: bool = False
    teams: Dict[str, int] = field(default_factory=dict)  # department -> Chatwoot team id
    support_department: Optional[str] = "suporte"
    language: Optional[str] = None  # the conversation's language slot (pt | es)
    demand: List[str] = field(default_factory=list)  # the customer's words since the bot took the chat
    sorry: Optional[str] = None  # told to the customer when the conversation fails open without a reply


@dataclass
class Plan:
    calls: List[Call]
    outcome: str  # answered | handoff | queued | closed | fail_open
    titles: Dict[str, str] = field(default_factory=dict)  # folded button title -> payload (WhatsApp)
    reason: Optional[str] = None


# -- text -----------------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Case, accent, spacing and emoji-insensitive form of a button title."""
    text = unicodedata.normalize("NFKD", text or "").casefold()
    kept = "".join(c for c in text if unicodedata.category(c)[0] in "LNZ" or c in ")-")
    return " ".join(kept.split())


def split_text(text: str, limit: int) -> List[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, a line, a sentence or a word."""
    text = (text or "").strip()
    pieces: List[str] = []
    while len(text) > limit:
        window = text[:limit + 1]
        cut = -1
        for pattern in (r"\n\s*\n", r"\n", r"(?<=[.!?;:])\s", r"\s"):
            found = [m.start() for m in re.finditer(pattern, window) if 0 < m.start() <= limit]
            if found:
                cut = found[-1]
                break
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def shorten(title: str, limit: int) -> str:
    title = " ".join((title or "").split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def button_items(buttons: Iterable[Dict[str, Any]], whatsapp: bool) -> Tuple[List[Dict[str, str]], Dict[str, str]]:
    """Rasa buttons -> Chatwoot `input_select` items (only `title` and `value`: ContentAttributeValidator),
    and the folded titles that map a WhatsApp tap (which comes back as the title) to the payload."""
    items: List[Dict[str, str]] = []
    titles: Dict[str, str] = {}
    buttons = [b for b in buttons if isinstance(b, dict) and (b.get("title") or b.get("payload"))]
    if whatsapp and len(buttons) > WHATSAPP_LIST_ROWS:
        buttons = buttons[:WHATSAPP_LIST_ROWS]
    limit = WHATSAPP_BUTTON_TITLE if len(buttons) <= WHATSAPP_BUTTONS else WHATSAPP_ROW_TITLE
    for button in buttons:
        full = str(button.get("title") or button.get("payload"))
        value = str(button.get("payload") or full)
        shown = shorten(full, limit) if whatsapp else full
        items.append({"title": shown, "value": value})
        for form in (full, shown, shown.rstrip("…")):
            if fold(form):
                titles[fold(form)] = value
    return items, titles


def text_calls(text: str, whatsapp: bool, buttons: Optional[List[Dict[str, Any]]] = None) -> Tuple[List[Call], Dict[str, str]]:
    text = (text or "").strip()
    if buttons:
        items, titles = button_items(buttons, whatsapp)
        if items:
            pieces = split_text(text, WHATSAPP_BODY) if whatsapp else [text]
            pieces = pieces or ["…"]  # WhatsApp needs a body for interactive messages
            calls = [Call("messages", {"content": p}) for p in pieces[:-1]]
            calls.append(Call("messages", {"content": pieces[-1], "content_type": "input_select",
                                           "content_attributes": {"items": items}}))
            return calls, titles
    if not text:
        return [], {}
    pieces = split_text(text, WHATSAPP_TEXT) if whatsapp else [text]
    return [Call("messages", {"content": p}) for p in pieces], {}


# -- notes ----------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def notes() -> Dict[str, Any]:
    return yaml.safe_load(NOTES_FILE.read_text(encoding="utf-8"))


def note_variant(locale: Optional[str]) -> str:
    locale = (locale or "pt-BR").lower()
    if locale.startswith("es"):
        return "es"
    return "pt-PT" if locale == "pt-pt" else "pt-BR"


def _label(key: str, variant: str) -> str:
    entry = notes()[key]
    return entry.get(variant) or entry["pt-BR"]


def reason_text(reason: str, variant: str) -> str:
    entry = notes()["reasons"].get(reason) or notes()["reasons"]["fault"]
    return entry.get(variant) or entry["pt-BR"]


def demand_text(words: List[str]) -> str:
    text = "\n".join(f"“{w.strip()}”" for w in words if w and w.strip())
    return text if len(text) <= DEMAND_LIMIT else "…" + text[-(DEMAND_LIMIT - 1):]


def note(title_key: str, ctx: Context, department: Optional[str] = None, team: Optional[int] = None,
         protocol: Optional[str] = None, until: Optional[str] = None, reason: Optional[str] = None,
         detail: Optional[str] = None) -> Call:
    v = ctx.variant
    lines = [_label(title_key, v)]
    if reason:
        lines.append(f"{_label('reason', v)}: {reason_text(reason, v)}" + (f" ({detail})" if detail else ""))
    if ctx.company:
        lines.append(f"{_label('company', v)}: {ctx.company_name or ctx.company} ({ctx.company})")
    if department:
        lines.append(f"{_label('department', v)}: {department}" + ("" if team else f" ({_label('no_team', v)})"))
    if protocol:
        lines.append(f"{_label('protocol', v)}: {protocol}")
    if until:
        lines.append(f"{_label('queued_until', v)}: {until}")
    if ctx.language:
        name = notes()["language_names"].get(v, {}).get(ctx.language, ctx.language)
        lines.append(f"{_label('language', v)}: {name}")
    if ctx.demand:
        lines.append(f"{_label('demand', v)}:\n{demand_text(ctx.demand)}")
    return Call("messages", {"content": "\n".join(lines), "private": True})


def fail_open(ctx: Context, reason: str, detail: Optional[str] = None, tell_customer: bool = True) -> List[Call]:
    """Open the conversation to the support team with a note saying why (the design's 'fail open'); the
    customer who got no reply is told that someone from the team continues."""
    department = ctx.support_department if ctx.company else None
    team = ctx.teams.get(department or "")
    calls = [Call("messages", {"content": ctx.sorry})] if tell_customer and ctx.sorry else []
    calls.append(note("fail_open", ctx, department, team, reason=reason, detail=detail))
    if team:
        calls.append(Call("assignments", {"team_id": team}))
    calls.append(Call("toggle_status", {"status": "open"}))
    return calls


def customer_variant(language: Optional[str], locale: Optional[str]) -> str:
    """The customer's variant: their language, in the company's Portuguese when they write Portuguese."""
    company = note_variant(locale)
    if language == "es":
        return "es"
    if language == "pt":
        return company if company != "es" else "pt-BR"
    return company


def unix_seconds(moment: Any) -> Optional[int]:
    """ISO 8601 with an offset -> unix seconds (Chatwoot's `snoozed_until`, parsed with '%s')."""
    try:
        parsed = dt.datetime.fromisoformat(str(moment))
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        return None
    return int(parsed.timestamp())


# -- the plan -------------------------------------------------------------------------------------
def plan(messages: List[Dict[str, Any]], ctx: Context, now: Optional[float] = None) -> Plan:
    """The calls for Rasa's replies of one turn (CollectingOutputChannel messages), in order."""
    calls: List[Call] = []
    titles: Dict[str, str] = {}
    action: Optional[Tuple[str, Dict[str, Any]]] = None
    fault: Optional[Dict[str, Any]] = None
    for message in messages:
        more, offered = text_calls(message.get("text") or "", ctx.whatsapp, message.get("buttons"))
        calls += more
        titles.update(offered)
        custom = message.get("custom")
        if isinstance(custom, dict):
            if isinstance(custom.get("fault"), dict) or "fault" in custom:
                fault = custom.get("fault") if isinstance(custom.get("fault"), dict) else {}
            for kind in ("handoff", "close"):
                if action is None and isinstance(custom.get(kind), dict):
                    action = (kind, custom[kind])
    if fault is not None:
        reason = str(fault.get("reason") or "fault")
        known = reason if reason in notes()["reasons"] else "fault"
        replied = any(c.is_reply for c in calls)
        return Plan(calls + fail_open(ctx, known, None if known == reason else reason, tell_customer=not replied),
                    "fail_open", titles, reason)
    if action is None:
        if not any(c.is_reply for c in calls):
            return Plan(calls + fail_open(ctx, "no_reply"), "fail_open", titles, "no_reply")
        return Plan(calls, "answered", titles)
    kind, body = action
    department = str(body.get("department") or "") or None
    protocol = body.get("protocol")
    if kind == "close":
        return Plan(calls + [Call("toggle_status", {"status": "resolved"})], "closed", titles)
    team = ctx.teams.get(department or "")
    until = body.get("queued_until")
    snooze = unix_seconds(until) if until else None
    now = dt.datetime.now(dt.timezone.utc).timestamp() if now is None else now
    queued = snooze is not None and snooze > now
    calls.append(note("handoff_queued" if queued else "handoff_now", ctx, department, team,
                      protocol=str(protocol) if protocol else None, until=str(until) if queued else None))
    if team:
        calls.append(Call("assignments", {"team_id": team}))
    if queued:
        calls.append(Call("toggle_status", {"status": "snoozed", "snoozed_until": snooze}))
        return Plan(calls, "queued", titles)
    calls.append(Call("toggle_status", {"status": "open"}))
    return Plan(calls, "handoff", titles)


# -- the customer's words, from Rasa's tracker events ---------------------------------------------
def customer_words(events: List[Dict[str, Any]], limit: int = 6) -> List[str]:
    """The customer's messages since the bot last took the chat (session start, restart, resume, or the
    last handoff/close), without slash commands and button payloads; the last `limit`."""
    words: List[str] = []
    ended = False  # a handoff or close ends an episode: the next customer message starts a new one
    for event in events:
        kind = event.get("event")
        if kind in ("session_started", "restart", "resume"):
            words, ended = [], False
        elif kind == "bot" and isinstance((event.get("data") or {}).get("custom"), dict) and \
                {"handoff", "close"} & set(event["data"]["custom"]):
            ended = True
        elif kind == "user":
            text = (event.get("text") or "").strip()
            if text and not text.startswith("/"):
                if ended:
                    words, ended = [], False
                words.append(text)
    return words[-limit:]
