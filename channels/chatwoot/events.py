"""Which Chatwoot webhook deliveries are a customer's turn, de-duplication, and request authentication.

Pure: no Rasa, no network. The rules follow Chatwoot 4.9.1's agent-bot contract (app/listeners/agent_bot_listener.rb,
Message#webhook_data, lib/integrations/bot_processor_service.rb; docs/DESIGN.md, "Chatwoot"): act only on a customer's message (or a web-widget option click) in a `pending`
conversation; everything else, the bot's own echoes included, is ignored.
"""
from __future__ import annotations

import hashlib
import hmac
import html
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Dict, List, Optional, Tuple

SIGNATURE_MAX_AGE = 300  # seconds; Chatwoot's PR #13573 advises rejecting older timestamps


@dataclass
class CustomerTurn:
    """One customer turn to run through Rasa."""
    account_id: int
    conversation_id: int  # the display id, the one every REST path wants
    inbox_id: Optional[int]
    text: str
    channel: str = ""
    department: Optional[str] = None  # conversation.custom_attributes.department (the menu entry)
    dedup_key: str = ""
    from_button: bool = False  # a widget option click: `text` is the option's value (payload)
    contact_name: Optional[str] = None
    raw_content: Optional[str] = None
    received: float = field(default_factory=time.monotonic)  # when the webhook reached the channel

    @property
    def whatsapp(self) -> bool:
        return "whatsapp" in self.channel.lower()

    @property
    def key(self) -> Tuple[int, int]:
        return self.account_id, self.conversation_id

    @property
    def sender_id(self) -> str:
        return f"chatwoot-{self.account_id}-{self.conversation_id}"


@dataclass
class Ignored:
    reason: str


class _Text(HTMLParser):
    BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: List[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def strip_html(content: Optional[str]) -> str:
    """Plain text of Chatwoot 4.9's channel-rendered content (`<p>oi</p>` on the widget, PR #12600)."""
    if not content:
        return ""
    text = content
    if _TAG.search(content):
        parser = _Text()
        parser.feed(content)
        parser.close()
        text = "".join(parser.parts)
    else:
        text = html.unescape(content)
    text = _CONTROL.sub("", text)
    lines = [" ".join(line.split()) for line in text.replace("\r", "").split("\n")]
    return "\n".join(line for line in lines if line).strip()


def _int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def classify(payload: Any, delivery_id: Optional[str] = None) -> "CustomerTurn | Ignored":
    """A customer's turn, or why the delivery is ignored."""
    if not isinstance(payload, dict):
        return Ignored("not a JSON object")
    event = payload.get("event")
    if event not in ("message_created", "message_updated"):
        return Ignored(f"event {event!r}")
    conversation = payload.get("conversation") if isinstance(payload.get("conversation"), dict) else {}
    account = payload.get("account") if isinstance(payload.get("account"), dict) else {}
    account_id, conversation_id = _int(account.get("id")), _int(conversation.get("id"))
    if account_id is None or conversation_id is None:
        return Ignored("no account or conversation id")
    if payload.get("private"):
        return Ignored("private note")
    status = conversation.get("status")
    if status != "pending":
        return Ignored(f"conversation is {status!r}, not pending")
    attributes = payload.get("content_attributes") if isinstance(payload.get("content_attributes"), dict) else {}
    message_type = payload.get("message_type")
    from_button = False
    if event == "message_created":
        if message_type != "incoming":
            sender = payload.get("sender") if isinstance(payload.get("sender"), dict) else {}
            return Ignored(f"{message_type} message from {sender.get('type') or 'unknown'}")
        text = strip_html(payload.get("content"))
        if not text:
            return Ignored("no text (attachment only)")
        key = f"created:{payload.get('id')}"
    else:
        values = attributes.get("submitted_values")
        if payload.get("content_type") != "input_select" or not values or not isinstance(values, list):
            return Ignored("message update that is not an option click")
        first = values[0] if isinstance(values[0], dict) else {}
        text = str(first.get("value") or first.get("title") or "").strip()
        if not text:
            return Ignored("option click without a value")
        from_button = True
        key = f"clicked:{payload.get('id')}:{text}"
    inbox = payload.get("inbox") if isinstance(payload.get("inbox"), dict) else {}
    custom = conversation.get("custom_attributes") if isinstance(conversation.get("custom_attributes"), dict) else {}
    sender = payload.get("sender") if isinstance(payload.get("sender"), dict) else {}
    department = custom.get("department")
    return CustomerTurn(
        account_id=account_id,
        conversation_id=conversation_id,
        inbox_id=_int(conversation.get("inbox_id") or inbox.get("id")),
        text=text,
        channel=str(conversation.get("channel") or ""),
        department=str(department).strip().lower() if department else None,
        # A retried delivery keeps Chatwoot's X-Chatwoot-Delivery id (2026+); 4.9 has none: event + message id
        dedup_key=f"{account_id}:{key}",
        from_button=from_button,
        contact_name=sender.get("name"),
        raw_content=payload.get("content"),
    )


class Deduplicator:
    """Remembers the last `size` keys; `seen(key)` is True for a key met before."""

    def __init__(self, size: int = 20000) -> None:
        self.size, self._keys = size, OrderedDict()

    def seen(self, *keys: Optional[str]) -> bool:
        keys = tuple(k for k in keys if k)
        if any(k in self._keys for k in keys):
            return True
        for k in keys:
            self._keys[k] = True
            if len(self._keys) > self.size:
                self._keys.popitem(last=False)
        return False


@dataclass
class Verdict:
    accepted: bool
    reason: str = ""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Chatwoot's X-Chatwoot-Signature: "sha256=" + hex HMAC-SHA256(secret, "<timestamp>.<raw body>")."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: Optional[str], body: bytes, signature: Optional[str], timestamp: Optional[str],
           token: Optional[str], now: Optional[float] = None) -> Verdict:
    """Accept when no secret is configured, or on a valid fresh signature (Chatwoot >= 4.11), or on a
    matching `?token=` (older Chatwoot, which signs nothing)."""
    if not secret:
        return Verdict(True, "no secret configured")
    if token is not None and hmac.compare_digest(token.encode(), secret.encode()):
        return Verdict(True, "token")
    if not signature:
        return Verdict(False, "no signature and no valid token")
    if not timestamp or not timestamp.strip().isdigit():
        return Verdict(False, "signature without a valid X-Chatwoot-Timestamp")
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > SIGNATURE_MAX_AGE:
        return Verdict(False, f"timestamp {int(age)} s away from now")
    if not hmac.compare_digest(sign(secret, timestamp.strip(), body), signature.strip()):
        return Verdict(False, "signature does not match")
    return Verdict(True, "signature")
