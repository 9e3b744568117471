"""A stand-in Chatwoot 4.9 for the end-to-end tests: a real HTTP server that records the agent bot's REST
calls and answers them as Chatwoot does (Chatwoot 4.9.1's controllers and jbuilder views), keeps each conversation's
status and team, and, like Chatwoot, sends the bot's own messages and status changes back to the bot's
outgoing URL (signed when a secret is set)."""
from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional

import requests

from channels.chatwoot.events import sign
from tests.chatwoot.payloads import ACCOUNT, BOT, conversation

PATH = re.compile(r"^/api/v1/accounts/(\d+)/conversations/(\d+)/(messages|toggle_status|assignments)$")


@dataclass
class Recorded:
    conversation: int
    what: str
    body: Dict[str, Any]
    status: int
    token: Optional[str]
    answer: Any = None
    at: float = field(default_factory=time.time)


class Chatwoot:
    def __init__(self, token: str, secret: Optional[str] = None) -> None:
        self.token, self.secret = token, secret
        self.outgoing_url: Optional[str] = None
        self.calls: List[Recorded] = []
        self.status: Dict[int, str] = {}
        self.teams: Dict[int, int] = {}
        self.inboxes: Dict[int, int] = {}
        self.channels: Dict[int, str] = {}
        self.fail: Optional[Callable[[int, str, Dict[str, Any]], Optional[int]]] = None  # -> forced HTTP status
        self._ids = itertools.count(50000)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- what the tests read -----------------------------------------------------------------------
    def of(self, conversation_id: int) -> List[Recorded]:
        with self._lock:
            return [c for c in self.calls if c.conversation == conversation_id]

    def replies(self, conversation_id: int) -> List[Dict[str, Any]]:
        return [c.body for c in self.of(conversation_id) if c.what == "messages" and not c.body.get("private") and c.status == 200]

    def notes(self, conversation_id: int) -> List[str]:
        return [c.body["content"] for c in self.of(conversation_id) if c.what == "messages" and c.body.get("private")]

    def statuses(self, conversation_id: int) -> List[Dict[str, Any]]:
        return [c.body for c in self.of(conversation_id) if c.what == "toggle_status"]

    def assignments(self, conversation_id: int) -> List[Dict[str, Any]]:
        return [c.body for c in self.of(conversation_id) if c.what == "assignments"]

    # -- the webhook Chatwoot sends --------------------------------------------------------------
    def deliver(self, payload: Dict[str, Any], signed: bool = True, headers: Optional[Dict[str, str]] = None,
                query: str = "") -> requests.Response:
        body = json.dumps(payload).encode()
        sent = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        if signed and self.secret:
            ts = str(int(time.time()))
            sent.update({"X-Chatwoot-Timestamp": ts, "X-Chatwoot-Signature": sign(self.secret, ts, body)})
        return requests.post(self.outgoing_url + query, data=body, headers=sent, timeout=10)

    def _echo(self, payload: Dict[str, Any]) -> None:
        if not self.outgoing_url:
            return

        def send():
            try:
                self.deliver(payload)
            except requests.RequestException:
                pass
        threading.Thread(target=send, daemon=True).start()

    def _conversation(self, conversation_id: int) -> Dict[str, Any]:
        data = conversation(conversation_id, inbox_id=self.inboxes.get(conversation_id, 5),
                            status=self.status.get(conversation_id, "pending"),
                            channel=self.channels.get(conversation_id, "Channel::Whatsapp"))
        return data

    # -- the REST API --------------------------------------------------------------------------------
    def _answer(self, what: str, conversation_id: int, body: Dict[str, Any], token: Optional[str]):
        if token != self.token:
            return 401, {"error": "Invalid Access Token"}
        forced = self.fail(conversation_id, what, body) if self.fail else None
        if forced:
            return forced, {"error": "stand-in failure"}
        if what == "messages":
            if body.get("content_type") == "input_select":
                items = (body.get("content_attributes") or {}).get("items")
                if not items or any(not isinstance(i, dict) or set(i) - {"title", "value"} for i in items):
                    return 422, {"error": "Content attributes contains invalid keys for items"}
            message = {
                "id": next(self._ids), "content": body.get("content"), "account_id": ACCOUNT["id"], "inbox_id": 5,
                "conversation_id": conversation_id, "message_type": "outgoing", "content_type": body.get("content_type", "text"),
                "content_attributes": body.get("content_attributes") or {}, "private": bool(body.get("private")),
                "created_at": int(time.time()), "source_id": None, "sender": BOT, "status": "sent",
            }
            echo = {"event": "message_created", **{k: message[k] for k in ("id", "content", "content_type", "content_attributes", "private")},
                    "additional_attributes": {}, "message_type": "outgoing", "created_at": "2026-12-01T13:00:01.000Z",
                    "source_id": None, "sender": BOT, "conversation": self._conversation(conversation_id),
                    "account": ACCOUNT, "inbox": {"id": 5, "name": "WhatsApp"}}
            self._echo(echo)
            return 200, message
        if what == "toggle_status":
            before = self.status.get(conversation_id, "pending")
            status = body.get("status")
            if status not in ("open", "resolved", "pending", "snoozed"):
                return 422, {"error": "invalid status"}
            self.status[conversation_id] = status
            handoff = before == "pending" and status == "open"  # bot_handoff!: success stays null (toggle_status.json.jbuilder)
            if status in ("open", "resolved"):
                self._echo({**self._conversation(conversation_id), "event": f"conversation_{'opened' if status == 'open' else 'resolved'}"})
            return 200, {"meta": {}, "payload": {"success": None if handoff else True, "conversation_id": conversation_id,
                                                 "current_status": status,
                                                 "snoozed_until": body.get("snoozed_until") if status == "snoozed" else None}}
        if what == "assignments":
            if "team_id" in body and "assignee_id" not in body:
                self.teams[conversation_id] = int(body["team_id"])
                return 200, {"id": int(body["team_id"]), "name": f"team {body['team_id']}", "description": "",
                             "allow_auto_assign": True, "account_id": ACCOUNT["id"], "is_member": False}
            return 200, None
        return 404, {"error": "not found"}

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                match = PATH.match(self.path.split("?")[0])
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                if not match:
                    status, answer, conversation_id, what = 404, {"error": "not found"}, 0, self.path
                else:
                    conversation_id, what = int(match.group(2)), match.group(3)
                    with standin._lock:
                        status, answer = standin._answer(what, conversation_id, body, self.headers.get("api_access_token"))
                with standin._lock:
                    standin.calls.append(Recorded(conversation_id, what, body, status, self.headers.get("api_access_token"), answer))
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the bot gave up waiting (a timeout test)
                    pass

        return Handler
