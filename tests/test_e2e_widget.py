"""The web widget, end to end: Rasa's socket.io channel (channels/widget.py) and the widget page in a real browser.

One real Rasa server (credentials.yml as shipped: REST, the fixed socket.io channel, the page at /widget/) and
one real action server (`python -m actions.server` with a token, as scripts/serve runs them), its clock
frozen on Sunday 2026-11-22 10:00 (São Paulo) with ASSISTANT_FIXED_NOW, so a finance demand that comes in
through the sales menu is offered the choice "come back / continue".

- The wire protocol, with python-socketio's client (installed with Rasa): session_request/session_confirm,
  user_uttered with customData, bot_uttered texts, buttons as quick_replies, the design's custom payload as
  one bot_uttered, and a reconnect with the same session id.
- The page, in headless Chromium from Debian's `chromium` package (installed with apt-get when missing),
  driven by Selenium through Debian's /usr/bin/chromedriver: a question answered, the offered choice taken
  with a button, the closing message, and the conversation still there after a reload; Spanish for siempre.
"""
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT
from tests.test_e2e_rest import BIN, MODEL, free_port, stop_processes, wait_for, wait_until

pytestmark = pytest.mark.e2e
SUNDAY_MORNING = "2026-11-22T10:00:00-03:00"
WEBCHAT_BUNDLE = ROOT / "widget" / "node_modules" / "rasa-webchat" / "lib" / "index.js"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FINANCE_VIA_SALES = "preciso enviar o comprovante de pagamento"


@pytest.fixture(scope="module")
def rasa(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` first")
    tmp = tmp_path_factory.mktemp("widget")
    action_port, rasa_port = free_port(), free_port()
    env = {
        **os.environ,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "TRACKER_DIALECT": "sqlite",
        "TRACKER_DB": str(tmp / "tracker.db"),
        "ASSISTANT_FIXED_NOW": SUNDAY_MORNING,
        "ASSISTANT_DEFAULT_COMPANY": "",
        "ASSISTANT_AGENT_COMMANDS_EVERYWHERE": "",
        "ACTION_SERVER_TOKEN": uuid.uuid4().hex,  # as scripts/serve runs it: the action server wants Rasa's token
    }
    logs = [tmp / "actions.log", tmp / "rasa.log"]
    actions = subprocess.Popen([sys.executable, "-m", "actions.server", "--port", str(action_port)],
                               cwd=ROOT, env=env, stdout=open(logs[0], "w"), stderr=subprocess.STDOUT)
    server = subprocess.Popen([str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
                               "--credentials", "credentials.yml", "--port", str(rasa_port), "--enable-api"],
                              cwd=ROOT, env=env, stdout=open(logs[1], "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{action_port}/health", actions, logs[0])
        wait_for(f"http://127.0.0.1:{rasa_port}/webhooks/socketio/", server, logs[1])
        yield {"url": f"http://127.0.0.1:{rasa_port}", "log": logs[1]}
    finally:
        stop_processes(server, actions)


def tracker(rasa, sender: str) -> dict:
    response = requests.get(f"{rasa['url']}/conversations/{sender}/tracker", timeout=10)
    response.raise_for_status()
    return response.json()


# -- the wire protocol ---------------------------------------------------------------------------
class Socket:
    """A socket.io client that speaks to Rasa as rasa-webchat does, and collects every bot_uttered.

    Long-polling: the websocket transport of python-engineio 4.15's client needs a newer aiohttp than Rasa 3.6's
    (the browser test below uses the websocket)."""

    def __init__(self, url: str, session_id=None):
        import socketio

        self.url, self.session_id = url, session_id
        self.client = socketio.AsyncClient(reconnection=False)
        self.uttered, self.confirmed = asyncio.Queue(), asyncio.Queue()
        self.client.on("bot_uttered", lambda data: self.uttered.put_nowait(data))
        self.client.on("session_confirm", lambda data: self.confirmed.put_nowait(data))

    async def __aenter__(self):
        await self.client.connect(self.url, socketio_path="/socket.io", transports=["polling"], wait_timeout=10)
        await self.client.emit("session_request", {"session_id": self.session_id})
        self.session_id = await asyncio.wait_for(self.confirmed.get(), 10)
        return self

    async def __aexit__(self, *exc):
        await self.client.disconnect()

    async def say(self, text: str, custom_data: dict, quiet: float = 3.0) -> list:
        """Everything the bot sends for one message: waits for the first reply, then until `quiet` s pass without one."""
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id, "customData": custom_data})
        replies = [await asyncio.wait_for(self.uttered.get(), 60)]
        while True:
            try:
                replies.append(await asyncio.wait_for(self.uttered.get(), quiet))
            except asyncio.TimeoutError:
                return replies


def texts(replies) -> str:
    return "\n".join(r.get("text", "") for r in replies if isinstance(r, dict))


def test_socket_question_choice_and_close_over_the_wire(rasa):
    async def conversation():
        poxnet_sales = {"company": "poxnet", "department": "comercial"}
        async with Socket(rasa["url"]) as chat:
            assert isinstance(chat.session_id, str) and len(chat.session_id) >= 16
            greeting = await chat.say("/greet", poxnet_sales)
            assert "POXNET" in texts(greeting)
            offered = await chat.say(FINANCE_VIA_SALES, poxnet_sales)
            buttons = [r for r in offered if r.get("quick_replies")]
            assert len(buttons) == 1, offered
            assert [b["payload"] for b in buttons[0]["quick_replies"]] == ["/choose_return_later", "/choose_continue"]
            assert all(b["title"] and b["content_type"] == "text" for b in buttons[0]["quick_replies"])
            closed = await chat.say("/choose_return_later", poxnet_sales)
            session_id = chat.session_id
        # The design's payload arrives whole, as one bot_uttered beside the text (Rasa's own channel
        # splatted it into emit() and lost it).
        custom = [r for r in closed if "text" not in r]
        assert len(custom) == 1 and set(custom[0]) == {"close"}, closed
        assert {k: custom[0]["close"].get(k) for k in ("reason", "department", "reopens_at")} == {
            "reason": "out_of_hours", "department": "financeiro", "reopens_at": "2026-11-23T08:00:00-03:00"}
        assert "amanhã (segunda-feira), às 08:00" in texts(closed)
        # A new socket that asks for the same session joins the same conversation and gets its replies.
        async with Socket(rasa["url"], session_id) as again:
            assert again.session_id == session_id
            assert "(15) 3331-6565" in texts(await again.say("quais são os canais de atendimento?", poxnet_sales))
        return session_id

    session_id = asyncio.run(conversation())
    seen = tracker(rasa, session_id)
    assert seen["latest_input_channel"] == "socketio"
    assert seen["latest_message"]["metadata"] == {"company": "poxnet", "department": "comercial"}
    assert seen["slots"]["company"] == "poxnet"
    log = rasa["log"].read_text()
    assert "was never awaited" not in log and "Traceback" not in log


def test_socket_spanish_company_answers_in_spanish(rasa):
    async def conversation():
        async with Socket(rasa["url"]) as chat:
            return await chat.say("cuales son los canales de atencion?", {"company": "siempre"})

    assert "servicioalcliente@siempre.net.co" in texts(asyncio.run(conversation()))


def test_socket_message_over_the_limit_is_asked_shorter_and_not_stored(rasa):
    async def conversation():
        async with Socket(rasa["url"]) as chat:
            refused = await chat.say("hola " * 1000, {"company": "siempre"}, quiet=1.0)
            return chat.session_id, refused

    session_id, refused = asyncio.run(conversation())
    assert "demasiado largo" in texts(refused) and "4096" in texts(refused), refused
    assert not [e for e in tracker(rasa, session_id).get("events", []) if e.get("event") == "user"]


def test_socket_message_without_session_is_ignored_and_bad_session_id_replaced(rasa):
    async def conversation():
        async with Socket(rasa["url"], session_id="../../etc passwd") as chat:
            replaced = chat.session_id
            await chat.client.emit("user_uttered", {"message": "oi", "customData": {"company": "poxnet"}})
            try:
                unexpected = await asyncio.wait_for(chat.uttered.get(), 5)
            except asyncio.TimeoutError:
                unexpected = None
        return replaced, unexpected

    replaced, unexpected = asyncio.run(conversation())
    assert replaced != "../../etc passwd" and replaced.isalnum()
    assert unexpected is None


def test_page_and_its_config_are_served_on_rasas_port(rasa):
    page = requests.get(f"{rasa['url']}/widget/", timeout=10)
    assert page.ok and "page.js" in page.text and page.headers["content-type"].startswith("text/html")
    bare = requests.get(f"{rasa['url']}/widget?company=siempre", timeout=10)  # relative links need the slash
    assert bare.ok and bare.url == f"{rasa['url']}/widget/?company=siempre" and bare.text == page.text
    config = requests.get(f"{rasa['url']}/widget/config.json", timeout=10).json()
    companies = {c["id"]: c for c in config["companies"]}
    assert companies["poxnet"]["variant"] == "pt-BR" and companies["siempre"]["variant"] == "es"
    assert companies["webplug"]["variant"] == "pt-PT"
    assert "comercial" in [d["id"] for d in companies["poxnet"]["departments"]]
    assert config["words"]["es"]["widget_input_hint"].startswith("Escriba")
    assert requests.get(f"{rasa['url']}/widget/webchat.js", timeout=10).ok == WEBCHAT_BUNDLE.is_file()


# -- the page in a real browser ------------------------------------------------------------------
def apt_install(*packages: str) -> None:
    """Debian packages the test needs, installed like the PostgreSQL test installs its services."""
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail(f"the widget's browser test needs Debian's {' '.join(packages)}: sudo apt-get install {' '.join(packages)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, stdout=subprocess.DEVNULL, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, stdout=subprocess.DEVNULL, env=env)


@pytest.fixture(scope="module")
def browser_profile():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        apt_install("chromium", "chromium-driver")
    if not WEBCHAT_BUNDLE.is_file():  # what `make install` does when npm is there
        if shutil.which("npm") is None:
            apt_install("npm")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT / "widget", check=True)
    folder = tempfile.mkdtemp(prefix="widget-chromium-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def browser(browser_profile):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=600,1100", "--lang=pt-BR", f"--user-data-dir={tempfile.mkdtemp(dir=browser_profile)}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def bubbles(driver, css: str):
    """The texts of the matching elements, read in one go (React re-renders them under Selenium's feet)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(e => e.innerText.trim())", css)


def settled(driver, quiet: float = 2.0) -> list:
    """The conversation's bubbles once nothing has changed for `quiet` seconds (the bot may add a line)."""
    seen, since = None, time.time()
    deadline = since + 60
    while time.time() < deadline:
        now = [t for t in bubbles(driver, ".rw-message") if t]
        if now != seen:
            seen, since = now, time.time()
        elif time.time() - since >= quiet:
            return seen
        time.sleep(0.25)
    raise AssertionError(f"the conversation kept changing: {seen}")


def wait_for_reply(driver, words: str, seconds: float = 60) -> bool:
    return wait_until(lambda: any(words in t for t in bubbles(driver, ".rw-response")), seconds,
                      lambda: f"a bot message with {words!r}; seen: {bubbles(driver, '.rw-response')}")


def type_message(driver, text: str) -> None:
    from selenium.webdriver.common.keys import Keys

    box = wait_until(lambda: driver.find_elements("css selector", "textarea.rw-new-message"), 30, "the input box")[0]
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    wait_until(lambda: any(text in t for t in bubbles(driver, ".rw-client")), 10, f"the customer's {text!r}")


def stored_session(driver) -> str:
    stored = driver.execute_script("return window.localStorage.getItem('chat_session')")
    return json.loads(stored)["session_id"]


def test_page_question_choice_close_and_reload(rasa, browser):
    browser.get(f"{rasa['url']}/widget/?company=poxnet&department=comercial")
    wait_until(lambda: browser.title == "Atendimento POXNET", 20, f"the company's title; seen {browser.title!r}")
    wait_for_reply(browser, "POXNET")  # the greeting (initPayload) with the company's name
    # 1. a question, answered with the company's own fact
    type_message(browser, "quais são os canais de atendimento?")
    poxnet_contact = "(15) 3331-6565"
    wait_for_reply(browser, poxnet_contact)
    # 2. the offered choice, taken with a button
    type_message(browser, FINANCE_VIA_SALES)
    wait_for_reply(browser, "Como prefere seguir?")
    buttons = wait_until(lambda: browser.find_elements("css selector", ".rw-replies .rw-reply"), 30, "the buttons")
    assert [b.text for b in buttons] == ["1) Volto depois", "2) Continuar"]
    buttons[0].click()
    wait_until(lambda: "1) Volto depois" in bubbles(browser, ".rw-client"), 10, "the chosen button as the customer's turn")
    # 3. the closing message, with the frozen clock's reopening
    wait_for_reply(browser, "Este atendimento será encerrado")
    assert "volte a nos chamar amanhã (segunda-feira), às 08:00" in "\n".join(bubbles(browser, ".rw-response"))
    session_id = stored_session(browser)
    before = settled(browser)
    assert not any("undefined" in t or "reopens_at" in t for t in before)  # the payload is never shown
    (ROOT / "results").mkdir(exist_ok=True)  # docs/widget.png is a copy of it
    browser.save_screenshot(str(ROOT / "results" / "widget.png"))
    # 4. a reload keeps the conversation, and the same Rasa conversation goes on
    browser.refresh()
    wait_until(lambda: [t for t in bubbles(browser, ".rw-message") if t] == before, 30,
               lambda: f"the conversation after the reload: {before}; seen: {bubbles(browser, '.rw-message')}; "
               f"stored: {browser.execute_script('return JSON.stringify(window.localStorage)')}")
    assert stored_session(browser) == session_id
    type_message(browser, "obrigado")
    wait_until(lambda: len([t for t in bubbles(browser, ".rw-message") if t]) >= len(before) + 2, 60,
               lambda: f"an answer after the reload; seen: {bubbles(browser, '.rw-message')}")
    seen = tracker(rasa, session_id)
    assert seen["latest_input_channel"] == "socketio"
    assert seen["latest_message"]["metadata"] == {"company": "poxnet", "department": "comercial"}
    said = [e.get("text") for e in seen["events"] if e["event"] == "user"]
    assert said[:2] == ["/greet", "quais são os canais de atendimento?"] and said[-1] == "obrigado"
    last_user = max(i for i, e in enumerate(seen["events"]) if e["event"] == "user")
    assert any(e["event"] == "bot" and e.get("text") for e in seen["events"][last_user:])


def test_page_chooser_opens_siempre_in_spanish(rasa, browser):
    from selenium.webdriver.support.ui import Select

    browser.get(f"{rasa['url']}/widget/")
    select = wait_until(lambda: browser.find_elements("css selector", "#chooser:not([hidden]) #company"), 20, "the chooser")[0]
    Select(select).select_by_value("siempre")
    entries = [o.get_attribute("value") for o in browser.find_elements("css selector", "#department option")]
    assert entries == ["", "servicio-al-cliente", "facturacion"]
    browser.find_element("css selector", "#start").click()
    wait_until(lambda: "company=siempre" in browser.current_url, 10, "the chosen company in the address")
    wait_until(lambda: browser.title == "Atención al cliente SIEMPRE.NET S.A.S.", 20, f"the title; seen {browser.title!r}")
    wait_for_reply(browser, "SIEMPRE")  # the greeting, in Spanish
    assert "¿En qué le puedo ayudar?" in "\n".join(bubbles(browser, ".rw-response"))
    type_message(browser, "cuales son los canales de atencion?")
    wait_for_reply(browser, "servicioalcliente@siempre.net.co")
    hint = browser.find_element("css selector", "textarea.rw-new-message").get_attribute("placeholder")
    assert hint == "Escriba su mensaje…"


# -- never silent on the widget either -----------------------------------------------------------
@pytest.fixture(scope="module")
def rasa_without_actions(tmp_path_factory):
    """A Rasa server whose action server is down (nothing listens on its port)."""
    tmp = tmp_path_factory.mktemp("widget-fault")
    rasa_port = free_port()
    env = {**os.environ, "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}/webhook", "TRACKER_DIALECT": "sqlite",
           "TRACKER_DB": str(tmp / "tracker.db"), "ASSISTANT_DEFAULT_COMPANY": "", "ACTION_SERVER_TOKEN": ""}
    log = tmp / "rasa.log"
    server = subprocess.Popen([str(BIN / "rasa"), "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
                               "--credentials", "credentials.yml", "--port", str(rasa_port)],
                              cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{rasa_port}/webhooks/socketio/", server, log)
        yield {"url": f"http://127.0.0.1:{rasa_port}", "log": log}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def test_socket_customer_gets_an_apology_when_the_actions_are_down(rasa_without_actions):
    async def conversation():
        async with Socket(rasa_without_actions["url"]) as chat:
            return await chat.say("cuales son los canales de atencion?", {"company": "siempre"})

    replies = asyncio.run(conversation())
    said = texts(replies)
    assert said.strip() and "Traceback" not in said
    assert "servicioalcliente@siempre.net.co" in said or "(034) 5906008" in said  # the company's own contacts
    assert [r for r in replies if "text" not in r] == [{"fault": {"reason": "actions_unavailable"}}]
