"""`make run` and `make shell` as a user runs them: scripts/serve, on free ports, with its own temporary files.

Covers: the action server supervised (restarted when it dies), protected by default (loopback,
a token even when none is configured), CORS limited to the widget page's own origin, and the agents'
console running beside `make run` with its own ports and log, staff commands obeyed there.
"""
import os
import pty
import select
import signal
import subprocess
import time

import pytest
import requests

from tests.conftest import ROOT
from tests.test_e2e_rest import MODEL, free_port, text_of

pytestmark = pytest.mark.e2e


def wait_until(check, seconds: float, what: str):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if check():
                return
        except (requests.RequestException, OSError, ValueError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen in {seconds}s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    tmp = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if k not in ("ACTION_SERVER_TOKEN", "ACTION_ENDPOINT_URL", "ACTION_HOST")}
    env.update(RASA_PORT=str(free_port()), ACTION_PORT=str(free_port()), TRACKER_DB=str(tmp / "tracker.db"),
               ACTION_LOG=str(tmp / "actions.log"), SHELL_ACTION_LOG=str(tmp / "actions-shell.log"),
               ASSISTANT_DEFAULT_COMPANY="")
    log = tmp / "serve.log"
    process = subprocess.Popen([str(ROOT / "scripts" / "serve"), "run"], cwd=ROOT, env=env, stdout=open(log, "w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{env['RASA_PORT']}"
    try:
        wait_until(lambda: process.poll() is None and requests.get(f"{base}/webhooks/rest/", timeout=2).ok, 240,
                   f"scripts/serve run ({log})")
        yield {"env": env, "base": base, "url": f"{base}/webhooks/rest/webhook", "tmp": tmp,
               "actions": f"http://127.0.0.1:{env['ACTION_PORT']}", "process": process}
    finally:
        stop(process)


def say(served, sender, text, **metadata):
    response = requests.post(served["url"], json={"sender": sender, "message": text, "metadata": metadata}, timeout=60)
    assert response.status_code == 200
    return response.json()


def test_the_supervisor_restarts_a_dead_action_server(served):
    pid_file = served["tmp"] / "actions.log.pid"
    first = int(pid_file.read_text())
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: int(pid_file.read_text()) != first and requests.get(f"{served['actions']}/health", timeout=2).ok,
               90, "the action server's restart")
    assert "POXNET" in text_of(say(served, "supervised-1", "oi", company="poxnet"))
    assert "restarting" in (served["tmp"] / "actions.log").read_text()


def test_the_action_server_requires_a_token_even_when_none_is_configured(served):
    assert requests.get(f"{served['actions']}/health", timeout=5).ok
    response = requests.post(f"{served['actions']}/webhook", json={"next_action": "action_respond", "tracker": {}}, timeout=5)
    assert response.status_code == 401
    assert "POXNET" in text_of(say(served, "token-1", "oi", company="poxnet"))  # Rasa has the token


def test_cors_answers_only_the_widget_pages_own_origin(served):
    own = f"http://127.0.0.1:{served['env']['RASA_PORT']}"
    allowed = requests.options(served["url"], headers={"Origin": own, "Access-Control-Request-Method": "POST"}, timeout=5)
    assert allowed.headers.get("Access-Control-Allow-Origin") == own
    for origin in ("http://evil.example", "null"):
        refused = requests.options(served["url"], headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
                                   timeout=5)
        assert refused.headers.get("Access-Control-Allow-Origin") in (None, "")
        got = requests.get(f"{served['base']}/webhooks/rest/", headers={"Origin": origin}, timeout=5)
        assert got.headers.get("Access-Control-Allow-Origin") in (None, "")


class Console:
    """`scripts/serve shell` on a pseudo-terminal, as an agent types in it."""

    def __init__(self, env):
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen([str(ROOT / "scripts" / "serve"), "shell"], cwd=ROOT, env=env, stdin=slave,
                                        stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)
        self.output = b""

    def read_until(self, marker: str, seconds: float) -> bool:
        deadline = time.time() + seconds
        while time.time() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    return False
            if marker.encode() in self.output:
                return True
            if self.process.poll() is not None and not ready:
                return False
        return False

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")


def test_the_agents_console_runs_beside_make_run_and_obeys_staff_commands(served):
    run_log = served["tmp"] / "actions.log"
    before = run_log.read_text()
    console = Console({**served["env"], "ASSISTANT_DEFAULT_COMPANY": "poxnet"})
    try:
        assert console.read_until("Your input", 240), console.output.decode(errors="replace")[-2000:]
        console.type("/now 2026-11-22T10:00")
        assert console.read_until("2026-11-22T10:00-03:00", 60), console.output.decode(errors="replace")[-2000:]
        console.type("/company siempre")
        assert console.read_until("SIEMPRE.NET", 60), console.output.decode(errors="replace")[-2000:]
        console.type("/stop")
        console.process.wait(timeout=60)
    finally:
        stop(console.process)
        os.close(console.master)
    assert run_log.read_text().startswith(before)  # make run's log kept, not overwritten
    assert "action server on 127.0.0.1" in (served["tmp"] / "actions-shell.log").read_text()
    assert "POXNET" in text_of(say(served, "beside-1", "oi", company="poxnet"))  # make run still serves
