"""The `chatwoot` input channel: Chatwoot's agent bot posts to /webhooks/chatwoot/webhook.

Every delivery is answered 2xx at once (Chatwoot opens a pending conversation on a slow or non-2xx
answer, lib/webhooks/trigger.rb); a customer's turn then runs in the background, turns of one conversation one at
a time and in order, and the replies go back through Chatwoot's REST API. Anything that goes wrong opens
the conversation to the support team with a private note saying why.

Settings, from the environment (credentials.yml may override with url, bot_token, webhook_secret, routing):
CHATWOOT_URL, CHATWOOT_BOT_TOKEN, CHATWOOT_WEBHOOK_SECRET (optional), CHATWOOT_ROUTING (default
deploy/chatwoot.yml). Without URL and token the channel answers webhooks 2xx and drops them, with a log line.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text, Tuple

import yaml
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ConversationResumed
from sanic import Blueprint, response
from sanic.request import Request

from actions.core.inputs import MAX_MESSAGE_CHARS

from . import events, replies, routing
from .client import ChatwootClient

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
TURN_TIMEOUT = 120.0


class _Collector(CollectingOutputChannel):
    """Collects a turn's replies; a text stays whole (Rasa's collector splits it at blank lines)."""

    @classmethod
    def name(cls) -> Text:
        return "chatwoot"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text))


def load_messages(path: Path) -> Dict[str, Dict[str, str]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, yaml.YAMLError) as error:
        logger.error("chatwoot: cannot read %s (%s): no apology text when failing open", path, error)
        return {}


class ChatwootInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "chatwoot"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ChatwootInput":
        credentials = credentials or {}
        env = os.environ
        return cls(
            url=credentials.get("url") or env.get("CHATWOOT_URL"),
            token=credentials.get("bot_token") or env.get("CHATWOOT_BOT_TOKEN"),
            secret=credentials.get("webhook_secret") or env.get("CHATWOOT_WEBHOOK_SECRET"),
            routing_path=credentials.get("routing") or env.get("CHATWOOT_ROUTING") or "deploy/chatwoot.yml",
            companies_dir=env.get("ASSISTANT_COMPANIES_DIR") or str(ROOT / "companies"),
            messages_path=env.get("ASSISTANT_MESSAGES") or str(ROOT / "locales" / "messages.yml"),
        )

    def __init__(self, url: Optional[str], token: Optional[str], secret: Optional[str] = None,
                 routing_path: str = "deploy/chatwoot.yml", companies_dir: str = "companies",
                 messages_path: str = "locales/messages.yml") -> None:
        self.secret = secret or None
        self.configured = bool(url and token)
        self.client = ChatwootClient(url, token) if self.configured else None
        self.facts: Dict[str, routing.CompanyFacts] = {}
        self.messages: Dict[str, Dict[str, str]] = {}
        self.routing = routing.Routing(inboxes={}, teams={})
        self.dedup = events.Deduplicator()
        self._queues: Dict[Tuple[int, int], asyncio.Queue] = {}
        self._tasks: Set[asyncio.Task] = set()
        self._titles: "OrderedDict[Tuple[int, int], Dict[str, str]]" = OrderedDict()
        self._handed: "OrderedDict[Tuple[int, int], float]" = OrderedDict()  # when the bot last let go
        if not self.configured:
            logger.warning("chatwoot: not configured (CHATWOOT_URL and CHATWOOT_BOT_TOKEN unset); "
                           "/webhooks/chatwoot/webhook answers 200 and drops every delivery")
            return
        path = Path(routing_path)
        if not path.is_absolute() and not path.exists():
            path = ROOT / path
        self.facts = routing.company_facts(Path(companies_dir))
        self.messages = load_messages(Path(messages_path))
        known = {cid: f.departments for cid, f in self.facts.items()} or None
        self.routing = routing.load(path, known)  # a broken map stops the server with file, field, reason
        logger.info("chatwoot: %s, %d inboxes mapped (%s), signature %s", url, len(self.routing.inboxes), path,
                    "required" if self.secret else "not required (CHATWOOT_WEBHOOK_SECRET unset)")

    # -- HTTP ----------------------------------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint("chatwoot_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            return response.json({"status": "ok", "configured": self.configured})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> response.HTTPResponse:
            status, reason = self.accept(request, on_new_message)
            return response.json({"status": status, "reason": reason})

        @hook.listener("before_server_stop")
        async def close(*_: Any) -> None:
            if self.client is not None:
                await self.client.close()

        return hook

    def accept(self, request: Request, on_new_message: Callable) -> Tuple[str, str]:
        """Decide at once (no awaiting): accepted, ignored, duplicate or dropped. Always answered 200."""
        body = request.body or b""
        verdict = events.verify(self.secret, body, request.headers.get("X-Chatwoot-Signature"),
                                request.headers.get("X-Chatwoot-Timestamp"), request.args.get("token"))
        if not verdict.accepted:
            logger.warning("chatwoot: dropped a delivery from %s: %s", request.ip, verdict.reason)
            return "dropped", verdict.reason
        if not self.configured:
            logger.warning("chatwoot: dropped a delivery: the channel is not configured (CHATWOOT_URL, CHATWOOT_BOT_TOKEN)")
            return "dropped", "not configured"
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            logger.warning("chatwoot: dropped a delivery that is not JSON")
            return "dropped", "not JSON"
        turn = events.classify(payload)
        if isinstance(turn, events.Ignored):
            logger.debug("chatwoot: ignored: %s", turn.reason)
            return "ignored", turn.reason
        delivery = request.headers.get("X-Chatwoot-Delivery")
        if self.dedup.seen(f"delivery:{delivery}" if delivery else None, turn.dedup_key):
            logger.info("chatwoot: duplicate delivery %s ignored", delivery or turn.dedup_key)
            return "ignored", "duplicate"
        self.enqueue(turn, on_new_message, request.app)
        return "accepted", ""

    # -- turns, one conversation at a time -------------------------------------------------------------
    def enqueue(self, turn: events.CustomerTurn, on_new_message: Callable, app: Any) -> None:
        queue = self._queues.get(turn.key)
        if queue is None:
            queue = self._queues[turn.key] = asyncio.Queue()
            task = asyncio.get_running_loop().create_task(self._drain(turn.key, queue, on_new_message, app))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        queue.put_nowait(turn)

    async def _drain(self, key: Tuple[int, int], queue: asyncio.Queue, on_new_message: Callable, app: Any) -> None:
        try:
            while True:
                try:
                    turn = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    await self.run_turn(turn, on_new_message, app)
                except Exception as error:  # never raise into Rasa's loop; open the conversation instead
                    logger.exception("chatwoot: turn of conversation %s failed", turn.conversation_id)
                    try:
                        ctx = self.context(turn, self.routing.company_of(turn.inbox_id))
                        ctx.sorry = self.sorry(ctx.company, None)
                        await self.execute(turn, replies.fail_open(ctx, "rasa_failed", type(error).__name__), ctx, True)
                        self.let_go(turn.key)
                    except Exception:
                        logger.exception("chatwoot: could not open conversation %s", turn.conversation_id)
        finally:
            if self._queues.get(key) is queue:
                del self._queues[key]

    def context(self, turn: events.CustomerTurn, company: Optional[str]) -> replies.Context:
        facts = self.facts.get(company or "")
        return replies.Context(
            company=company,
            company_name=facts.name if facts else None,
            variant=replies.note_variant(facts.locale if facts else None),
            whatsapp=turn.whatsapp,
            teams=dict(self.routing.teams.get(company or "", {})),
            support_department=(facts.support_department if facts else None) or "suporte",
            demand=[turn.text] if not turn.from_button else [],
        )

    async def run_turn(self, turn: events.CustomerTurn, on_new_message: Callable, app: Any) -> None:
        if turn.received < self._handed.get(turn.key, float("-inf")):
            # Written while the bot was handing over or closing: the agents see it in Chatwoot.
            logger.info("chatwoot: conversation %s: a message from before the handover left to the team",
                        turn.conversation_id)
            return
        company = self.routing.company_of(turn.inbox_id)
        ctx = self.context(turn, company)
        if company is None:
            logger.warning("chatwoot: inbox %s is not in the routing map: conversation %s left to humans",
                           turn.inbox_id, turn.conversation_id)
            await self.execute(turn, replies.fail_open(ctx, "unknown_inbox", f"inbox {turn.inbox_id}"), ctx, True)
            self.let_go(turn.key)
            return
        agent = getattr(getattr(app, "ctx", None), "agent", None)
        if len(turn.text) > MAX_MESSAGE_CHARS:  # as on REST: not read nor stored; asked to send it shorter
            language, _, _ = await self.conversation_facts(agent, turn.sender_id)
            texts = self.messages.get("message_too_long") or {}
            facts = self.facts.get(company)
            v = replies.customer_variant(language, facts.locale if facts else None)
            content = (texts.get(v) or texts.get("pt-BR") or "{limit}").format(limit=MAX_MESSAGE_CHARS)
            logger.info("chatwoot: conversation %s: a message of %d characters refused", turn.conversation_id, len(turn.text))
            await self.execute(turn, [replies.Call("messages", {"content": content})], ctx)
            return
        text = turn.text
        if turn.whatsapp and not turn.from_button:  # a tapped WhatsApp button comes back as its title
            text = self._titles.get(turn.key, {}).get(replies.fold(text), text)
        metadata: Dict[str, Any] = {"company": company,
                                    "chatwoot": {"account": turn.account_id, "conversation": turn.conversation_id,
                                                 "inbox": turn.inbox_id}}
        if turn.department:
            metadata["department"] = turn.department
        await self.resume_if_paused(agent, turn.sender_id)
        collector = _Collector()
        failure: Optional[str] = None
        try:
            message = UserMessage(text, collector, turn.sender_id, input_channel=self.name(), metadata=metadata)
            await asyncio.wait_for(on_new_message(message), timeout=TURN_TIMEOUT)
        except asyncio.TimeoutError:
            failure = f"no answer in {int(TURN_TIMEOUT)} s"
        except Exception as error:
            logger.exception("chatwoot: Rasa failed on conversation %s", turn.conversation_id)
            failure = type(error).__name__
        ctx.language, words, moment = await self.conversation_facts(agent, turn.sender_id)
        if words:
            ctx.demand = words
        ctx.sorry = self.sorry(company, ctx.language)
        if failure:
            plan = replies.Plan(replies.fail_open(ctx, "rasa_failed", failure), "fail_open", reason="rasa_failed")
        else:
            plan = replies.plan(collector.messages, ctx, now=moment)
        self._remember_titles(turn.key, plan)
        logger.info("chatwoot: conversation %s: %s%s (%d calls)", turn.conversation_id, plan.outcome,
                    f" ({plan.reason})" if plan.reason else "", len(plan.calls))
        await self.execute(turn, plan.calls, ctx, failing_open=plan.outcome == "fail_open")
        if plan.outcome != "answered":  # no longer pending: the turns queued meanwhile are not the bot's
            self.let_go(turn.key)

    def sorry(self, company: Optional[str], language: Optional[str]) -> Optional[str]:
        facts = self.facts.get(company or "")
        if facts is None:
            return None
        texts = self.messages.get("handed_to_team") or {}
        return texts.get(replies.customer_variant(language, facts.locale)) or texts.get("pt-BR")

    def let_go(self, key: Tuple[int, int]) -> None:
        self._handed[key] = time.monotonic()
        self._handed.move_to_end(key)
        while len(self._handed) > 10000:
            self._handed.popitem(last=False)

    def _remember_titles(self, key: Tuple[int, int], plan: replies.Plan) -> None:
        if plan.titles:
            self._titles[key] = plan.titles
            self._titles.move_to_end(key)
            while len(self._titles) > 10000:
                self._titles.popitem(last=False)
        elif plan.outcome != "answered":
            self._titles.pop(key, None)

    async def execute(self, turn: events.CustomerTurn, calls: List[replies.Call], ctx: replies.Context,
                      failing_open: bool = False) -> None:
        """Make the calls in order; the first that Chatwoot refuses (after retries) opens the conversation."""
        assert self.client is not None
        replied = False
        for call in calls:
            result = await self.client.post(turn.account_id, turn.conversation_id, call.what, call.body)
            replied = replied or (result.ok and call.is_reply)
            if result.ok:
                if call.what == "toggle_status":
                    current = ((result.body or {}).get("payload") or {}).get("current_status") \
                        if isinstance(result.body, dict) else None
                    if current and current != call.body.get("status"):
                        logger.warning("chatwoot: conversation %s is %s, not %s", turn.conversation_id, current,
                                       call.body.get("status"))
                continue
            if failing_open:  # already failing open: still try the remaining calls (opening matters most)
                continue
            detail = f"{call.what}: {result.describe()}"
            logger.warning("chatwoot: conversation %s: %s; opening it to the team", turn.conversation_id, detail)
            for fallback in replies.fail_open(ctx, "chatwoot_error", detail, tell_customer=not replied):
                await self.client.post(turn.account_id, turn.conversation_id, fallback.what, fallback.body)
            self.let_go(turn.key)
            return

    # -- Rasa's tracker ---------------------------------------------------------------------------------
    @staticmethod
    async def resume_if_paused(agent: Any, sender_id: str) -> None:
        """A pending conversation belongs to the bot (Chatwoot's own bot processor answers only pending ones): one that comes back after a handoff
        (resolved by an agent, then written to again) resumes the Rasa conversation the handoff paused."""
        if agent is None or getattr(agent, "tracker_store", None) is None:
            return
        try:
            async with agent.lock_store.lock(sender_id):
                tracker = await agent.tracker_store.retrieve(sender_id)
                if tracker is not None and tracker.is_paused():
                    tracker.update(ConversationResumed())
                    # the paused turn ended without action_listen, which the rules expect before a message
                    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
                    await agent.tracker_store.save(tracker)
                    logger.info("chatwoot: conversation %s is pending again: resumed", sender_id)
        except Exception:
            logger.exception("chatwoot: could not check whether %s is paused", sender_id)

    @staticmethod
    async def conversation_facts(agent: Any, sender_id: str) -> Tuple[Optional[str], List[str], Optional[float]]:
        """The conversation's language, the customer's words (for the agents' note), and its simulated
        moment (the `agent_now` slot of the staff's /now command, tests and demos), else None."""
        if agent is None or getattr(agent, "tracker_store", None) is None:
            return None, [], None
        try:
            tracker = await agent.tracker_store.retrieve(sender_id)
            if tracker is None:
                return None, [], None
            words = replies.customer_words([e.as_dict() for e in tracker.events])
            moment = replies.unix_seconds(tracker.get_slot("agent_now")) if tracker.get_slot("agent_now") else None
            return tracker.get_slot("language"), words, moment
        except Exception:
            logger.exception("chatwoot: could not read the tracker of %s", sender_id)
            return None, [], None
