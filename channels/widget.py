"""The web widget: Rasa's socket.io channel, fixed, and the widget page on Rasa's own port.

`SocketIOInput` is Rasa 3.6's socket.io channel with two fixes:
- Rasa 3.6 calls `sio.enter_room()` without awaiting it. Since python-socketio 5.10 that method is a
  coroutine, so with `session_persistence: true` the socket never joined its session's room and never
  received a `bot_uttered` (only "coroutine 'AsyncServer.enter_room' was never awaited" in the log).
- Rasa splats a custom payload into `emit(**payload)` (RasaHQ/rasa#8445), so the design's
  `{"handoff": ...}` raised a TypeError in the middle of the turn. Here a custom payload is one
  `bot_uttered` event whose body is the payload itself.
Its name stays `socketio`: the same URL (/socket.io), the same `input_channel` in the trackers.

`WidgetPage` serves widget/index.html and its script at /widget/, rasa-webchat's bundle from
widget/node_modules (installed by `npm ci`, never committed) and /widget/config.json (the companies,
their departments and the page's words), so the page and the socket share one origin.
"""
from __future__ import annotations

import inspect
import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response

from actions.core.inputs import MAX_MESSAGE_CHARS
from channels.rest import too_long_text
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
PAGE_DIR = ROOT / "widget"
WEBCHAT_BUNDLE = PAGE_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"
# A session id chosen by the browser becomes the conversation's sender id: keep it a plain token.
SESSION_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")  # always .fullmatch ("$" would let a final newline in)
PAGE_WORDS = ("widget_title", "widget_subtitle", "widget_input_hint", "widget_choose_company",
              "widget_choose_entry", "widget_any_entry", "widget_start", "widget_change", "widget_not_installed", "widget_connecting")


async def _maybe_await(value: Any) -> None:
    if inspect.isawaitable(value):  # python-socketio >= 5.10: a coroutine; older: a plain call
        await value


class SocketIOOutput(rasa_socketio.SocketIOOutput):
    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, json_message)


class SocketIOInput(rasa_socketio.SocketIOInput):
    """Rasa's socket.io channel (same credentials keys), with the session room joined for real."""

    def get_output_channel(self) -> Optional[OutputChannel]:
        return SocketIOOutput(self.sio, self.bot_message_evt) if self.sio is not None else super().get_output_channel()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)  # health route, connect (JWT) and disconnect handlers
        sio, namespace = self.sio, self.namespace

        # Registering an event again replaces Rasa's handler for it.
        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            session_id = requested if isinstance(requested, str) and SESSION_ID.fullmatch(requested) else uuid.uuid4().hex
            if self.session_persistence:
                await _maybe_await(sio.enter_room(sid, session_id, namespace=namespace))
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                logger.warning("socket.io: a %s without a text message was ignored", self.user_message_evt)
                return
            if self.session_persistence:
                session_id = data.get("session_id")
                if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
                    logger.warning("socket.io: a message without a valid session_id was ignored "
                                   "(send session_request first)")
                    return
                sender_id = session_id
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            output = SocketIOOutput(sio, self.bot_message_evt)
            if len(data["message"]) > MAX_MESSAGE_CHARS:  # as on REST: not read nor stored; asked to send it shorter
                logger.info("socket.io: a message of %d characters was refused (limit %d)",
                            len(data["message"]), MAX_MESSAGE_CHARS)
                await output.send_text_message(sender_id, await too_long_text(None, sender_id, metadata))
                return
            await on_new_message(UserMessage(data["message"], output, sender_id,
                                             input_channel=self.name(), metadata=metadata))

        return blueprint


def _company_list() -> Dict[str, Any]:
    """The real companies with their departments (for the page's chooser) and the page's words."""
    from actions.core.language import variant
    from actions.core.registry import Registry
    from actions.core.settings import Settings

    settings = Settings.from_env()
    registry = Registry(settings.companies_dir, settings.messages_path)
    messages = registry.messages()
    companies = []
    for company in registry.companies():
        language = "es" if company.locale == "es-CO" else "pt"
        companies.append({
            "id": company.id,
            "name": company.name,
            "variant": variant(language, company),
            "departments": [{"id": key, "name": department.name.get(language)}
                            for key, department in company.departments.items()],
        })
    words = {v: {key: messages[key][v] for key in PAGE_WORDS} for v in ("pt-BR", "pt-PT", "es")}
    return {"companies": companies, "words": words}


class WidgetPage(InputChannel):
    """The widget page at /widget/ (`?company=<id>&department=<entry>`), on Rasa's own port."""

    @classmethod
    def name(cls) -> Text:
        return "widget"

    def url_prefix(self) -> Text:
        return "/widget"  # urljoin("/webhooks/", "/widget") == "/widget"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        page = Blueprint("widget_page", __name__)
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

        def file(path: Path, content_type: str) -> HTTPResponse:
            return response.raw(path.read_bytes(), content_type=content_type, headers=headers)

        @page.route("/", methods=["GET"])
        async def index(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):  # /widget: the page's relative links need /widget/
                query = f"?{request.query_string}" if request.query_string else ""
                return response.redirect(f"widget/{query}", headers=headers)  # relative: works behind a path prefix
            return file(PAGE_DIR / "index.html", "text/html; charset=utf-8")

        @page.route("/page.js", methods=["GET"])
        async def script(request: Request) -> HTTPResponse:
            return file(PAGE_DIR / "page.js", "text/javascript; charset=utf-8")

        @page.route("/webchat.js", methods=["GET"])
        async def webchat(request: Request) -> HTTPResponse:
            if not WEBCHAT_BUNDLE.is_file():
                return response.text("rasa-webchat is not installed: run `make install` (npm ci in widget/; "
                                     "it needs npm)", status=404, headers=headers)
            return file(WEBCHAT_BUNDLE, "text/javascript; charset=utf-8")

        @page.route("/config.json", methods=["GET"])
        async def config(request: Request) -> HTTPResponse:
            return response.json(_company_list(), headers=headers)

        return page
