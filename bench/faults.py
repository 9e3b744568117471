"""The shared deployment under faults: two Rasa servers, PostgreSQL tracker store, Redis lock store.

50 conversations of 20 turns run at once, each turn sent to one of the two Rasa servers in turn, as a
load balancer would. During the run, at fixed shares of the turns sent:
- at 20%: one Rasa server is killed (SIGKILL, mid-turn for the conversations it is serving) and started again;
- at 45%: PostgreSQL is restarted (`pg_ctl -m fast`: open connections are cut);
- at 70%: Redis is restarted without saving (held locks are lost).
A turn whose request fails (connection refused or reset, timeout, HTTP 5xx) is sent again to the other
server after half a second, as a proxy with failover does, for up to 60 s. A turn answered 200 with no
reply is not retried (it was processed: sending it again would duplicate it); it counts as unanswered.

Afterwards every conversation's events are read from PostgreSQL, and each tracker is checked: every turn
present once (turns are numbered in the message metadata), in order, each followed by a bot reply.

    .venv/bin/python bench/faults.py            # standalone: prints the JSON and writes bench/results/raw/faults.json
    make bench                                  # as one section of BENCHMARKS.md
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import serving  # noqa: E402

ROOT = serving.ROOT
SERVICES = ROOT / "scripts" / "services"
MODEL = ROOT / "models" / "assistant.tar.gz"
ENDPOINTS = "deploy/endpoints.postgres-redis.yml"
# Questions POXNET answers from its file: none hands the chat off, which would pause the conversation.
SCRIPT = ["oi boa tarde", "vcs atendem em votorantim?", "qual o dns de vcs", "como pego a 2 via do boleto",
          "da pra pagar no pix?", "o financeiro abre que horas?", "qual site eu uso pra testar a velocidade",
          "vcs tem ip fixo?", "valeu", "qual o horario do comercial?"]
RETRY_FOR_S = 60.0


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Deployment:
    """PostgreSQL and Redis (scripts/services), one action server and two Rasa servers on free ports."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.env = {**os.environ, "POSTGRES_PORT": str(serving.free_port()), "REDIS_PORT": str(serving.free_port())}
        self.ports = [serving.free_port(), serving.free_port()]
        self.action_port = serving.free_port()
        self.rasa: List[Optional[subprocess.Popen]] = [None, None]
        self.others: List[subprocess.Popen] = []

    def services(self, command: str, *extra: str) -> str:
        done = subprocess.run([str(SERVICES), command, str(self.folder / "services"), *extra], env=self.env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"scripts/services {command} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def start(self) -> None:
        exported = self.services("start")
        self.env.update(part.split("=", 1) for line in exported.splitlines() if line.startswith("export ")
                        for part in line[len("export "):].split())
        self.env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{self.action_port}/webhook"
        self.env["ACTION_SERVER_TOKEN"] = secrets.token_urlsafe(24)  # as scripts/serve deploys it
        log_file = open(self.folder / "actions.log", "w")
        self.others.append(subprocess.Popen([sys.executable, "-m", "actions.server", "--port", str(self.action_port)],
                                            cwd=ROOT, env=self.env, stdout=log_file, stderr=subprocess.STDOUT))
        for index in range(2):
            self.start_rasa(index)
        for index in range(2):
            self.wait_ready(index)

    def start_rasa(self, index: int) -> None:
        log_file = open(self.folder / f"rasa{index}.log", "a")
        self.rasa[index] = subprocess.Popen(
            [str(serving.BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", ENDPOINTS,
             "--credentials", "credentials.yml", "--port", str(self.ports[index])],
            cwd=ROOT, env=self.env, stdout=log_file, stderr=subprocess.STDOUT)

    def wait_ready(self, index: int, within: float = 300) -> float:
        import requests

        began = time.perf_counter()
        while time.perf_counter() - began < within:
            if self.rasa[index].poll() is not None:
                raise RuntimeError(f"Rasa server {index} exited: see {self.folder / f'rasa{index}.log'}")
            try:
                if requests.get(f"http://127.0.0.1:{self.ports[index]}/webhooks/rest/", timeout=2).ok:
                    return time.perf_counter() - began
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"Rasa server {index} did not start within {within} s")

    def kill_and_restart(self, index: int) -> float:
        self.rasa[index].send_signal(signal.SIGKILL)
        self.rasa[index].wait()
        self.start_rasa(index)
        return self.wait_ready(index)

    def url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}/webhooks/rest/webhook"

    def stop(self) -> None:
        for process in [*self.rasa, *self.others]:
            if process and process.poll() is None:
                process.terminate()
        for process in [*self.rasa, *self.others]:
            if process:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
        try:
            self.services("stop")
        except RuntimeError as error:
            log(str(error))

    def events(self, prefix: str) -> Dict[str, List[dict]]:
        """Each conversation's events, in the order the tracker store holds them."""
        import sqlalchemy as sa

        url = sa.engine.URL.create("postgresql", username=self.env["POSTGRES_USER"], host=self.env["POSTGRES_HOST"],
                                   port=int(self.env["POSTGRES_PORT"]), database=self.env["POSTGRES_DB"])
        engine = sa.create_engine(url)
        by_sender: Dict[str, List[dict]] = {}
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("events"):
                return by_sender  # no event was ever stored
            rows = connection.execute(sa.text("SELECT sender_id, data FROM events WHERE sender_id LIKE :p ORDER BY id"),
                                      {"p": f"{prefix}%"})
            for sender, data in rows:
                by_sender.setdefault(sender, []).append(json.loads(data))
        engine.dispose()
        return by_sender

    def server_errors(self) -> Dict[str, int]:
        counts = {}
        for name in ("rasa0", "rasa1", "actions"):
            path = self.folder / f"{name}.log"
            text = path.read_text(errors="replace") if path.exists() else ""
            counts[name] = sum(1 for line in text.splitlines() if " ERROR " in line or "Traceback" in line)
        return counts


async def run_load(deployment: Deployment, prefix: str, conversations: int, turns: int,
                   think: float) -> Dict[str, object]:
    total = conversations * turns
    sent, latencies = 0, []
    errors: Counter = Counter()
    retried_turns, unanswered, apologies = 0, 0, 0
    faults: List[Dict[str, object]] = []
    began = time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=30)

    async def turn(session: aiohttp.ClientSession, sender: str, number: int, first_server: int) -> None:
        nonlocal sent, retried_turns, unanswered, apologies
        body = {"sender": sender, "message": SCRIPT[number % len(SCRIPT)],
                "metadata": {"company": "poxnet", "turn": number}}
        server, attempts, turn_began = first_server, 0, time.perf_counter()
        sent += 1
        while True:
            attempts += 1
            try:
                async with session.post(deployment.url(server), json=body) as reply:
                    if reply.status >= 500:
                        errors[f"http_{reply.status}"] += 1
                    else:
                        messages = await reply.json(content_type=None)
                        latencies.append(1000 * (time.perf_counter() - turn_began))
                        if reply.status != 200 or not messages:
                            unanswered += 1
                            errors["unanswered" if reply.status == 200 else f"http_{reply.status}"] += 1
                        elif any(isinstance(m.get("custom"), dict) and "fault" in m["custom"] for m in messages):
                            apologies += 1  # answered, but with the apology: the turn did not run
                        retried_turns += attempts > 1
                        return
            except asyncio.TimeoutError:
                errors["timeout"] += 1
            except aiohttp.ClientError as error:
                errors[type(error).__name__] += 1
            if time.perf_counter() - turn_began > RETRY_FOR_S:
                unanswered += 1
                errors["gave_up"] += 1
                return
            server = 1 - server
            await asyncio.sleep(0.5)

    async def conversation(session: aiohttp.ClientSession, index: int) -> None:
        await asyncio.sleep(random.uniform(0, think))
        for number in range(turns):
            await turn(session, f"{prefix}{index:03d}", number, (index + number) % 2)
            await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))

    async def at_share(share: float) -> None:
        while sent < share * total:
            await asyncio.sleep(0.05)

    async def inject() -> None:
        loop = asyncio.get_running_loop()
        plan = [(0.20, "one Rasa server killed (SIGKILL) and started again", lambda: deployment.kill_and_restart(0)),
                (0.45, "PostgreSQL restarted (fast shutdown, 2 s down)", lambda: deployment.services("restart-postgres", "2")),
                (0.70, "Redis restarted without saving (2 s down)", lambda: deployment.services("restart-redis", "2"))]
        for share, what, action in plan:
            await at_share(share)
            at, before = time.perf_counter() - began, sent
            log(f"fault at {at:.1f} s ({before}/{total} turns sent): {what}")
            await loop.run_in_executor(None, action)
            faults.append({"what": what, "at_s": round(at, 1), "turns_sent_before": before,
                           "back_after_s": round(time.perf_counter() - began - at, 1)})

    connector = aiohttp.TCPConnector(limit=conversations)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        injector = asyncio.create_task(inject())
        await asyncio.gather(*(conversation(session, i) for i in range(conversations)))
        if not injector.done():
            injector.cancel()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {"messages": total, "answered": total - unanswered, "unanswered": unanswered, "apologies": apologies,
            "turns_retried": retried_turns, "client_errors": dict(errors), "seconds": round(elapsed, 1),
            "p50_ms": round(serving.percentile(latencies, 50), 1) if latencies else None,
            "p99_ms": round(serving.percentile(latencies, 99), 1) if latencies else None, "faults": faults}


def check_trackers(events: Dict[str, List[dict]], conversations: int, turns: int) -> Dict[str, object]:
    lost = duplicated = out_of_order = without_reply = complete = 0
    for index in range(conversations):
        trail = events.get(next((s for s in events if s.endswith(f"{index:03d}")), ""), [])
        numbers, replied = [], []
        for event in trail:
            if event.get("event") == "user":
                numbers.append((event.get("metadata") or {}).get("turn"))
                replied.append(False)
            elif event.get("event") == "bot" and replied:
                replied[-1] = True
        counts = Counter(numbers)
        missing = sum(1 for n in range(turns) if counts[n] == 0)
        lost += missing
        duplicated += sum(c - 1 for c in counts.values() if c > 1)
        out_of_order += sum(1 for a, b in zip(numbers, numbers[1:]) if a is not None and b is not None and b < a)
        without_reply += replied.count(False)
        complete += missing == 0 and all(replied)
    return {"conversations": conversations, "complete": complete, "lost_turns": lost,
            "duplicated_turns": duplicated, "out_of_order_turns": out_of_order, "turns_without_reply": without_reply}


def measure(conversations: int = 50, turns: int = 20, think: float = 1.0) -> Dict[str, object]:
    if not MODEL.exists():
        raise SystemExit("no trained model: run `make train` first")
    folder = Path(tempfile.mkdtemp(prefix="isp-faults-", dir="/tmp"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user below it
    deployment = Deployment(folder)
    prefix = f"fault-{int(time.time())}-"
    try:
        log(f"starting PostgreSQL, Redis, the action server and two Rasa servers (logs in {folder})")
        deployment.start()
        log(f"{conversations} conversations of {turns} turns, about {think:g} s between a customer's turns")
        load = asyncio.run(run_load(deployment, prefix, conversations, turns, think))
        trackers = check_trackers(deployment.events(prefix), conversations, turns)
        result = {"load": load, "trackers": trackers, "server_log_errors": deployment.server_errors()}
    finally:
        deployment.stop()
    if result["load"]["unanswered"] or result["load"]["apologies"] or result["trackers"]["complete"] < conversations:
        result["logs"] = str(folder)  # kept to read what went wrong
        log(f"something was lost: the servers' logs are kept in {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--think", type=float, default=1.0, help="seconds between a customer's turns (mean)")
    args = parser.parse_args()
    result = measure(args.conversations, args.turns, args.think)
    out = ROOT / "bench" / "results" / "raw" / "faults.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    ok = result["load"]["unanswered"] == 0 and result["load"]["apologies"] == 0 and result["trackers"]["complete"] == args.conversations \
        and not result["trackers"]["duplicated_turns"] and not result["trackers"]["out_of_order_turns"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
