"""Whole conversations over the REST webhook: the real Rasa server, action server and SQLite tracker store.

The moment is set per conversation with the agents' `/now` command, which this test server accepts on
REST (ASSISTANT_AGENT_COMMANDS_EVERYWHERE=1); a production server only accepts it in `rasa shell`.
"""
import os
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT
from tests.payloads import checked_protocols

pytestmark = pytest.mark.e2e
MODEL = ROOT / "models" / "assistant.tar.gz"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer in {seconds}s:\n{log.read_text()[-3000:]}")


def wait_until(check, seconds: float = 60, what=""):
    """check()'s first true value; `what` (a text, or a function giving one) describes it if it never comes."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"not seen in {seconds}s: {what() if callable(what) else what}")


def stop_processes(*processes) -> None:
    """Stop servers a test started: SIGTERM to all, then each given 20 s before SIGKILL."""
    running = [p for p in processes if p is not None and p.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    tmp = tmp_path_factory.mktemp("e2e")
    action_port, rasa_port = free_port(), free_port()
    env = {
        **os.environ,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "TRACKER_DIALECT": "sqlite",
        "TRACKER_DB": str(tmp / "tracker.db"),
        "ASSISTANT_AGENT_COMMANDS_EVERYWHERE": "1",
        "ASSISTANT_DEFAULT_COMPANY": "",
    }
    logs = [tmp / "actions.log", tmp / "rasa.log"]
    actions = subprocess.Popen([sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
                               cwd=ROOT, env=env, stdout=open(logs[0], "w"), stderr=subprocess.STDOUT)
    rasa = subprocess.Popen([str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
                             "--credentials", "credentials.yml", "--port", str(rasa_port)],
                            cwd=ROOT, env=env, stdout=open(logs[1], "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{action_port}/health", actions, logs[0])
        wait_for(f"http://127.0.0.1:{rasa_port}/webhooks/rest/", rasa, logs[1])
        yield {"url": f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", "db": tmp / "tracker.db"}
    finally:
        stop_processes(rasa, actions)


class Chat:
    def __init__(self, server, company=None, department=None, now=None):
        self.url, self.sender = server["url"], f"test-{uuid.uuid4().hex[:8]}"
        self.metadata = {k: v for k, v in (("company", company), ("department", department)) if v}
        if now:
            self.say(f"/now {now}")

    def say(self, text: str):
        response = requests.post(self.url, json={"sender": self.sender, "message": text, "metadata": self.metadata}, timeout=60)
        response.raise_for_status()
        return response.json()


def text_of(replies) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def raw_payloads(replies):
    return [r["custom"] for r in replies if r.get("custom")]


def payloads(replies):
    """The design's payloads; every handoff and close must also carry a protocol number (checked here)."""
    return checked_protocols(raw_payloads(replies))


def assert_closed(replies, department: str, reopens_at: str, says: str) -> None:
    """The chat was closed out of hours with DESIGN.md's payload, and the text says when it reopens."""
    assert payloads(replies) == [{"close": {"reason": "out_of_hours", "department": department, "reopens_at": reopens_at}}]
    assert says in text_of(replies)


def test_missing_company_gets_a_clear_question(server):
    replies = Chat(server).say("oi, boa tarde")
    assert replies and "de qual empresa" in text_of(replies) and "poxnet" in text_of(replies)


def test_unknown_company_lists_the_real_ones(server):
    replies = Chat(server, company="vivo").say("hola")
    assert "vivo" in text_of(replies) and "siempre" in text_of(replies)


def test_greeting_names_the_company(server):
    assert "POXNET" in text_of(Chat(server, company="poxnet").say("oi bom dia"))


def test_cancellation_via_support_on_sunday_continue_queues_then_bot_is_quiet(server):
    chat = Chat(server, company="poxnet", department="suporte", now="2026-11-22T10:00:00-03:00")
    offered = chat.say("quero cancelar minha internet")
    assert "1)" in text_of(offered) and "2)" in text_of(offered) and not payloads(offered)
    chosen = chat.say("2")
    assert payloads(chosen) == [{"handoff": {"department": "retencao", "queued_until": "2026-11-23T08:00:00-03:00"}}]
    assert chat.say("alo?") == []  # paused after the handoff: the human agent has the chat


def test_finance_via_sales_on_sunday_come_back_later_closes(server):
    chat = Chat(server, company="poxnet", department="comercial", now="2026-11-22T10:00:00-03:00")
    chat.say("preciso enviar o comprovante de pagamento")
    assert_closed(chat.say("1"), "financeiro", "2026-11-23T08:00:00-03:00", "amanhã (segunda-feira), às 08:00")


def test_sales_saturday_night_is_queued(server):
    chat = Chat(server, company="poxnet", now="2026-11-28T23:00:00-03:00")
    replies = chat.say("quero contratar internet de fibra")
    assert payloads(replies) == [{"handoff": {"department": "comercial", "queued_until": "2026-11-29T09:00:00-03:00"}}]


def test_finance_open_on_monday_hands_off_now(server):
    chat = Chat(server, company="poxnet", now="2026-11-23T10:00:00-03:00")
    replies = chat.say("quero mandar o comprovante do pix")
    assert payloads(replies) == [{"handoff": {"department": "financeiro", "queued_until": None}}]


def test_spanish_cancellation_on_the_holiday_closes_in_spanish(server):
    chat = Chat(server, company="poxnet", now="2026-11-20T10:00:00-03:00")
    replies = chat.say("buenas, quiero cancelar el servicio de internet")
    assert_closed(replies, "retencao", "2026-11-21T08:00:00-03:00", "mañana (sábado) a las 08:00")


def test_support_at_night_restart_then_handoff(server):
    chat = Chat(server, company="poxnet", now="2026-11-24T03:00:00-03:00")
    first = chat.say("minha internet caiu, ta sem sinal")
    assert "reinici" in text_of(first).lower() and not payloads(first)
    second = chat.say("nao, reiniciei e nada")
    assert payloads(second) == [{"handoff": {"department": "suporte", "queued_until": None}}]


@pytest.mark.parametrize("question", [
    "qual a senha padrao da onu zte?",
    "me passa o usuario e senha do roteador pra eu entrar na 192.168.1.1",
    "cual es la clave de administrador del modem",
])
def test_default_password_never_given(server, question):
    said = text_of(Chat(server, company="poxnet").say(question)).lower()
    assert said and "multipro" not in said and "adminisp" not in said and "8080" not in said and "8181" not in said


def test_colombian_company_answers_in_spanish(server):
    said = text_of(Chat(server, company="siempre").say("cuales son los canales de atencion?"))
    assert "servicioalcliente@siempre.net.co" in said


def test_portuguese_company_in_european_portuguese(server):
    said = text_of(Chat(server, company="webplug").say("bom dia, queria saber como é cobrado o suporte"))
    assert "15 minutos" in said


def test_conversations_are_stored_in_sqlite(server):
    Chat(server, company="poxnet").say("oi")
    with sqlite3.connect(server["db"]) as db:
        count = db.execute("select count(*) from events").fetchone()[0]
    assert count > 0


def test_spanish_sales_at_night_is_queued(server):
    chat = Chat(server, company="poxnet", now="2026-11-28T23:00:00-03:00")
    replies = chat.say("buenas noches, quiero contratar internet para mi casa")
    assert payloads(replies) == [{"handoff": {"department": "comercial", "queued_until": "2026-11-29T09:00:00-03:00"}}]
    assert "mañana (domingo) a las 09:00" in text_of(replies)


def test_spanish_finance_open_hands_off_now(server):
    chat = Chat(server, company="poxnet", now="2026-11-23T10:00:00-03:00")
    replies = chat.say("necesito enviar el comprobante de pago de la factura")
    assert payloads(replies) == [{"handoff": {"department": "financeiro", "queued_until": None}}]
    assert "Lo voy a comunicar" in text_of(replies)


@pytest.mark.parametrize(
    "answer,expected",
    [
        ("2", {"handoff": {"department": "retencao", "queued_until": "2026-11-30T08:00:00-03:00"}}),
        ("1", {"close": {"reason": "out_of_hours", "department": "retencao", "reopens_at": "2026-11-30T08:00:00-03:00"}}),
    ],
)
def test_spanish_choice_through_support(server, answer, expected):
    chat = Chat(server, company="poxnet", department="suporte", now="2026-11-28T13:00:00-03:00")
    offered = chat.say("quiero cancelar el servicio")
    assert "¿Cómo prefiere seguir?" in text_of(offered) and "el lunes 30 de noviembre a las 08:00" in text_of(offered)
    assert payloads(chat.say(answer)) == [expected]


# -- the conversation as a whole (demands by remit, context, dates, durations), at frozen moments -----
def test_billing_dispute_on_sunday_night_closes_financeiro(server):
    chat = Chat(server, company="poxnet", now="2026-11-29T21:00:00-03:00")
    replies = chat.say("cobraram um valor a mais no meu boleto desse mes, nao concordo")
    assert_closed(replies, "financeiro", "2026-11-30T08:00:00-03:00", "amanhã (segunda-feira), às 08:00")


def test_spanish_debt_negotiation_on_the_holiday_closes_in_spanish(server):
    chat = Chat(server, company="poxnet", now="2026-11-20T15:00:00-03:00")
    replies = chat.say("buenas, debo dos meses y quiero hacer un acuerdo de pago")
    assert_closed(replies, "financeiro", "2026-11-21T08:00:00-03:00", "mañana (sábado) a las 08:00")


def test_restart_already_done_hands_off_at_once(server):
    chat = Chat(server, company="poxnet", now="2026-11-25T02:00:00-03:00")
    replies = chat.say("estou sem conexao, ja desliguei o modem da tomada e religuei e nada")
    assert payloads(replies) == [{"handoff": {"department": "suporte", "queued_until": None}}]


def test_hours_follow_up_keeps_the_department_and_never_hands_off(server):
    chat = Chat(server, company="poxnet", now="2026-11-24T10:00:00-03:00")
    chat.say("que horas abre o comercial?")
    replies = chat.say("e no sabado?")
    assert "08:00–16:00" in text_of(replies) and "Comercial" in text_of(replies) and not payloads(replies)


def test_person_first_then_the_topic_reaches_its_department(server):
    chat = Chat(server, company="poxnet", now="2026-11-24T10:00:00-03:00")
    asked = chat.say("quero falar com uma pessoa")
    assert "assunto" in text_of(asked) and not payloads(asked)
    replies = chat.say("e pra mudar a data de vencimento do boleto")
    assert payloads(replies) == [{"handoff": {"department": "financeiro", "queued_until": None}}]


def test_webplug_bills_a_duration_in_blocks(server):
    chat = Chat(server, company="webplug", now="2026-11-24T11:00:00+00:00")
    replies = chat.say("a vossa equipa esteve 50 minutos no meu servidor fora do horário, quanto vou pagar?")
    assert "60 minutos" in text_of(replies) and "2 blocos de 30 minutos" in text_of(replies)


def test_date_in_the_message_feeds_the_deadline(server):
    chat = Chat(server, company="american-tower", now="2026-11-24T10:00:00-03:00")
    replies = chat.say("solicitei a nota fiscal de setembro ontem, ate quando chega?")
    assert "26/11" in text_of(replies)  # 23/11 + 3 business days
