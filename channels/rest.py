"""The REST channel: Rasa's, with the request checked before it reaches the assistant.

Same name (`rest`), same URL (POST /webhooks/rest/webhook), same answer (a JSON list of bot messages).
What Rasa 3.6 accepted and this one does not:
- no `sender`: every such request shared one conversation, "default" (customers read each other's
  answers). Now HTTP 400 with a JSON error, as for every malformed request: a body that is not a JSON
  object, a `message` that is not a non-empty string, `metadata` that is not an object, a `company` or
  `department` that is not a string;
- `input_channel` in the body: Rasa let the client choose it, `"cmdline"` included (the staff console's).
  Here it is always `rest`;
- a message over 4,096 characters is not read nor stored: the customer is told, in the conversation's
  language, to send it shorter (HTTP 200, like any reply);
- the company id is normalised (" POXNET " -> "poxnet"); one that is no id is passed on cut to 65
  characters and the assistant says it does not serve it, without repeating it unless it is plain text;
- control characters and lone surrogates are dropped from the text (PostgreSQL refuses NUL);
- a failure is logged without the message text (it may hold personal data).
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple, Union

from rasa.core.channels import rest as rasa_rest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
import rasa.utils.endpoints
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from actions.core.inputs import MAX_MESSAGE_CHARS, company_id
from channels import faults

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
MAX_METADATA_CHARS = 8192
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class BadRequest(ValueError):
    """A malformed request: HTTP 400 with this text as the JSON error."""


def clean_text(text: str) -> str:
    return _CONTROL.sub("", text)


def read_request(body: Any) -> Tuple[str, str, Dict[str, Any]]:
    """(sender, message, metadata) of a webhook body, normalised; BadRequest says what is wrong."""
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object: {"sender": "...", "message": "...", "metadata": {...}}')
    sender = body.get("sender")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    if not isinstance(sender, str) or not clean_text(sender).strip():
        raise BadRequest('"sender" is required: a string that identifies the conversation')
    sender = clean_text(sender).strip()
    if len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(f'"sender" must be at most {MAX_SENDER_CHARS} characters')
    message = body.get("message")
    if not isinstance(message, str):
        raise BadRequest('"message" is required: a string, the customer\'s text')
    message = clean_text(message)
    if not message.strip():
        raise BadRequest('"message" must not be empty')
    metadata = body.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise BadRequest('"metadata" must be a JSON object, e.g. {"company": "poxnet"}')
    if len(json.dumps(metadata, ensure_ascii=False, default=str)) > MAX_METADATA_CHARS:
        raise BadRequest(f'"metadata" must be at most {MAX_METADATA_CHARS} characters of JSON')
    metadata = dict(metadata)
    for key in ("company", "department"):
        value = metadata.get(key)
        if value is None:
            metadata.pop(key, None)
        elif not isinstance(value, str):
            raise BadRequest(f'"metadata.{key}" must be a string, an id such as "poxnet"')
        else:
            metadata[key] = company_id(value) or clean_text(value)[:65]
    return sender, message, metadata


class RestInput(rasa_rest.RestInput):
    """Rasa's REST channel, validated (module docstring). credentials.yml: `channels.rest.RestInput:`."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def too_long(self, request: Request, sender: str, metadata: Dict[str, Any]) -> List[Dict[str, Any]]:
        return [{"recipient_id": sender, "text": await too_long_text(getattr(request.app.ctx, "agent", None), sender, metadata)}]

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("custom_webhook_project_rest", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                body = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return response.json({"error": "the body must be valid JSON (UTF-8)"}, status=400)
            try:
                sender, text, metadata = read_request(body)
            except BadRequest as error:
                return response.json({"error": str(error)}, status=400)
            if len(text) > MAX_MESSAGE_CHARS:
                logger.info("rest: a message of %d characters was refused (limit %d)", len(text), MAX_MESSAGE_CHARS)
                return response.json(await self.too_long(request, sender, metadata))
            channel = self.name()
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(self.stream_response(on_new_message, text, sender, channel, metadata),
                                       content_type="text/event-stream")
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=channel, metadata=metadata))
            except (asyncio.CancelledError, Exception) as error:  # never silent, never the text in the log
                logger.error("rest: the message of %s failed (%s)", sender, type(error).__name__,
                             exc_info=not isinstance(error, asyncio.CancelledError))
                if not collector.messages:
                    company = faults.company_named(metadata.get("company"))
                    return response.json([{"recipient_id": sender, "text": faults.compose(company, None)},
                                          {"recipient_id": sender, "custom": faults.FAULT}])
            return response.json(collector.messages)

        return webhook


async def too_long_text(agent: Any, sender: str, metadata: Dict[str, Any]) -> str:
    """The reply to a message over the limit, in the conversation's language (else the company's; both
    languages when neither is known). Shared by the REST and socket.io channels."""
    from actions.core.language import variant

    try:
        registry, settings = faults._registry()
        tracker = await agent.tracker_store.retrieve(sender) if agent and agent.tracker_store else None
        slots = tracker.current_slot_values() if tracker else {}
        key = company_id(slots.get("company") or metadata.get("company") or settings.default_company)
        company = registry.company(key) if key else None
        language = slots.get("language") or (company.language if company else None)
        messages = registry.messages()
        variants = [variant(language, company)] if language in ("pt", "es") else ["pt-BR", "es"]
        return "\n\n".join(messages["message_too_long"][v].format(limit=MAX_MESSAGE_CHARS) for v in variants)
    except Exception:
        logger.exception("the reply to a message over the limit could not be composed")
        return (f"Mensagem longa demais: envie até {MAX_MESSAGE_CHARS} caracteres.\n\n"
                f"Mensaje demasiado largo: envíe hasta {MAX_MESSAGE_CHARS} caracteres.")
