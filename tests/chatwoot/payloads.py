"""Chatwoot 4.9 agent-bot webhook bodies, shaped as Chatwoot 4.9.1's code makes them
(Message#webhook_data, Conversations::EventDataPresenter#push_data)."""
from __future__ import annotations

import itertools
from typing import Any, Dict, Optional

_ids = itertools.count(1000)
ACCOUNT = {"id": 1, "name": "Outsourcer"}
CONTACT = {"id": 77, "name": "Maria Souza", "email": None, "phone_number": "+5515999990000", "identifier": None,
           "avatar": "", "thumbnail": "", "additional_attributes": {}, "custom_attributes": {}, "blocked": False,
           "account": ACCOUNT}  # Contact#webhook_data: no "type" key in 4.9.1
BOT = {"id": 3, "name": "Assistente", "type": "agent_bot"}
AGENT = {"id": 9, "name": "Ana (agente)", "email": "ana@example.com", "type": "user"}


def conversation(conversation_id: int, inbox_id: int = 5, status: str = "pending", channel: str = "Channel::Whatsapp",
                 department: Optional[str] = None) -> Dict[str, Any]:
    return {
        "id": conversation_id, "inbox_id": inbox_id, "status": status, "channel": channel, "can_reply": True,
        "additional_attributes": {}, "custom_attributes": {"department": department} if department else {},
        "labels": [], "priority": None, "snoozed_until": None, "unread_count": 1, "first_reply_created_at": None,
        "waiting_since": 1764540000, "agent_last_seen_at": 0, "contact_last_seen_at": 0,
        "last_activity_at": 1764540000, "timestamp": 1764540000, "created_at": 1764539000, "updated_at": 1764540000.123,
        "contact_inbox": {"id": 11, "contact_id": 77, "inbox_id": inbox_id, "source_id": "5515999990000",
                          "hmac_verified": False, "pubsub_token": "tok", "created_at": 1764539000, "updated_at": 1764539000},
        "messages": [],
        "meta": {"sender": {**CONTACT, "type": "contact"}, "assignee": None, "assignee_type": None, "team": None,
                 "hmac_verified": False},
    }


def message(content: Optional[str], conversation_id: int, *, event: str = "message_created", message_type: str = "incoming",
            private: bool = False, sender: Optional[Dict[str, Any]] = None, message_id: Optional[int] = None,
            content_type: str = "text", content_attributes: Optional[Dict[str, Any]] = None, **conv: Any) -> Dict[str, Any]:
    conv_data = conversation(conversation_id, **conv)
    return {
        "event": event, "id": message_id or next(_ids), "content": content, "content_type": content_type,
        "content_attributes": content_attributes or {}, "additional_attributes": {}, "message_type": message_type,
        "private": private, "created_at": "2026-12-01T13:00:00.000Z", "source_id": f"wamid.{next(_ids)}",
        "sender": sender if sender is not None else CONTACT, "conversation": conv_data, "account": ACCOUNT,
        "inbox": {"id": conv_data["inbox_id"], "name": "WhatsApp"},
    }


def option_click(message_id: int, conversation_id: int, title: str, value: str, items, content: str, **conv: Any):
    """The widget's option click: message_updated on the bot's outgoing input_select message (AgentMessageBubble.vue onOptionSelect)."""
    return message(content, conversation_id, event="message_updated", message_type="outgoing", sender=BOT,
                   message_id=message_id, content_type="input_select",
                   content_attributes={"items": items, "submitted_values": [{"title": title, "value": value}]},
                   channel="Channel::WebWidget", **conv)
