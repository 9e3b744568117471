"""Company files and the message catalogue are safe to edit while the assistant runs.

Every problem names the file and the field; a file that becomes invalid keeps serving its last good
version; a file that was never valid takes down only its own company; `make check` reports every
problem of every file with no traceback. All on temporary copies of the real files.
"""
import logging
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from actions.core.registry import (DataFileError, Registry, check_all, load_company, load_domain_intents,
                                   load_messages, message_keys_used)
from tests.conftest import ROOT

MESSAGES = ROOT / "locales" / "messages.yml"
INTENTS = load_domain_intents(ROOT / "domain.yml")
DNS = "177.86.16.9"


@pytest.fixture
def companies(tmp_path):
    folder = tmp_path / "companies"
    shutil.copytree(ROOT / "companies", folder)
    return folder


def edit(path, old: bytes, new: bytes) -> None:
    """Rewrite the file in place, with a new modification time even within the same clock tick."""
    data = path.read_bytes()
    assert old in data, f"{old!r} not in {path}"
    stat = path.stat()
    path.write_bytes(data.replace(old, new, 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def problems_of(path, **kwargs):
    with pytest.raises(DataFileError) as error:
        load_company(path, **kwargs)
    assert error.value.path == path
    return str(error.value)


# -- every error names the file and the field -----------------------------------------------------------------
def test_a_byte_that_is_not_utf8_names_the_file_and_the_line(companies):
    path = companies / "poxnet.yml"
    edit(path, b"DNS secund\xc3\xa1rio", b"DNS secund\xe1rio")  # the same letter, saved as Latin-1
    message = problems_of(path)
    line = next(n for n, text in enumerate(path.read_bytes().split(b"\n"), 1) if b"secund\xe1rio" in text)
    assert f"{path}: line {line}, column" in message and "byte 0xe1 is not UTF-8" in message


def test_a_key_written_twice_is_an_error_not_a_silent_override(companies):
    path = companies / "poxnet.yml"
    edit(path, b"  ask_dns:\n", b"  ask_dns:\n    route: suporte\n  ask_dns:\n")
    message = problems_of(path)
    assert f"{path}: line" in message and "duplicate key 'ask_dns'" in message


def test_an_answer_under_a_misspelt_intent_is_rejected_naming_the_key(companies):
    path = companies / "poxnet.yml"
    edit(path, b"\n  ask_services:", b"\n  ask_servicez:")
    message = problems_of(path, intents=INTENTS)
    assert f"{path}: answers.ask_servicez: 'ask_servicez' is not an intent of the domain" in message
    assert "did you mean 'ask_services'" in message


def test_answer_keys_are_checked_against_the_domain_in_the_registry(companies):
    edit(companies / "siempre.yml", b"\n  ask_contact:", b"\n  ask_contacts:")
    with pytest.raises(DataFileError, match=r"siempre.yml: answers.ask_contacts: 'ask_contacts' is not an intent"):
        Registry(companies, MESSAGES).company("siempre")


def test_a_missing_fact_naming_no_intent_is_rejected(companies):
    path = companies / "poxnet.yml"
    data = yaml.safe_load(path.read_text())
    index = next(i for i, fact in enumerate(data["missing"]) if fact.get("intents"))
    data["missing"][index]["intents"].append("ask_wheather")
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert f"missing.{index}.intents: 'ask_wheather' is not an intent of the domain" in problems_of(path, intents=INTENTS)


def test_staff_commands_are_not_answers(companies):
    path = companies / "poxnet.yml"
    edit(path, b"\n  ask_dns:", b"\n  agent_set_clock:")
    assert "answers.agent_set_clock: 'agent_set_clock' is a staff command" in problems_of(path, intents=INTENTS)


def test_an_answer_no_intent_covers_is_found_by_meaning_under_faq(companies):
    path = companies / "poxnet.yml"
    data = yaml.safe_load(path.read_text())
    data["answers"]["faq_gift_card"] = {"text": {"pt": "Não temos cartão-presente.", "es": "No tenemos tarjeta regalo."},
                                        "examples": ["vocês vendem cartão presente?"], "source": "test"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert "faq_gift_card" in load_company(path, intents=INTENTS).answers
    del data["answers"]["faq_gift_card"]["examples"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert "answers.faq_gift_card: an answer found by meaning only" in problems_of(path, intents=INTENTS)


def test_every_problem_of_a_file_is_reported_at_once(companies):
    path = companies / "poxnet.yml"
    data = yaml.safe_load(path.read_text())
    data["answers"]["ask_plans"]["route"] = "vendas"
    data["answers"]["request_cancellation"]["route"] = "cancelamento"
    data["answers"]["ask_servicez"] = data["answers"].pop("ask_services")
    data["support_department"] = "helpdesk"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    message = problems_of(path, intents=INTENTS)
    for expected in ("answers.ask_plans.route: unknown department 'vendas'",
                     "answers.request_cancellation.route: unknown department 'cancelamento'",
                     "support_department: 'helpdesk' is not a department", "answers.ask_servicez: "):
        assert f"{path}: {expected}" in message, message


def test_an_unknown_holiday_calendar_is_rejected(companies):
    path = companies / "poxnet.yml"
    edit(path, b"subdivision: SP", b"subdivision: XX")
    assert "holidays: no public holidays known for it" in problems_of(path)


# -- the running registry: last good version, only the broken company down ------------------------------------
def test_a_file_broken_live_keeps_serving_its_last_good_version_and_logs_why(companies, caplog):
    registry = Registry(companies, MESSAGES)
    assert DNS in registry.company("poxnet").answers["ask_dns"].text.pt
    path = companies / "poxnet.yml"
    edit(path, DNS.encode(), b"177.86.16.10")
    assert "177.86.16.10" in registry.company("poxnet").answers["ask_dns"].text.pt  # a good edit is live
    with caplog.at_level(logging.ERROR, logger="actions.core.registry"):
        edit(path, b"DNS secund\xc3\xa1rio", b"DNS secund\xe1rio")
        for _ in range(3):
            assert "177.86.16.10" in registry.company("poxnet").answers["ask_dns"].text.pt
        assert [c.id for c in registry.companies()] == ["american-tower", "fibra-empresarial", "poxnet",
                                                        "siempre", "webplug"]
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 1, logged  # once per change, not once per message
    assert "keeping the last good version" in logged[0] and f"{path}: line" in logged[0] and "not UTF-8" in logged[0]
    edit(path, b"DNS secund\xe1rio", b"DNS secund\xc3\xa1rio")
    edit(path, b"177.86.16.10", b"177.86.16.11")
    assert "177.86.16.11" in registry.company("poxnet").answers["ask_dns"].text.pt  # fixed: live again


def test_every_kind_of_live_breakage_keeps_the_last_good_version(companies):
    path = companies / "webplug.yml"
    registry = Registry(companies, MESSAGES)
    good = registry.company("webplug")
    original = path.read_bytes()
    for broken in (b"\xff\xfe" + original, original.replace(b"\n  ask_contact:", b"\n  ask_contakt:"),
                   original + b"\nid: [unclosed\n", b"", b"- just\n- a list\n", original.replace(b"timezone:", b"tz:"),
                   original[: len(original) // 2]):
        path.write_bytes(broken)
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
        assert registry.company("webplug") is good, broken[:40]


def test_a_file_never_valid_leaves_only_its_company_unavailable(companies):
    (companies / "acme.yml").write_bytes((companies / "poxnet.yml").read_bytes().replace(b"id: poxnet", b"id: acme")
                                         .replace(b"DNS secund\xc3\xa1rio", b"DNS secund\xe1rio"))
    registry = Registry(companies, MESSAGES)
    with pytest.raises(DataFileError, match=r"acme.yml: line \d+, column \d+: byte 0xe1 is not UTF-8"):
        registry.company("acme")
    assert DNS in registry.company("poxnet").answers["ask_dns"].text.pt
    assert "acme" not in [c.id for c in registry.companies()] and len(registry.companies()) == 5
    assert registry.messages()["greet"]["pt-BR"]


@pytest.mark.parametrize("company_id", ["POXNET", " poxnet", "../companies/poxnet", "poxnet.yml", "x" * 50_000,
                                        "", "nul\x00byte", None, 42])
def test_ids_that_are_not_a_company_file_are_unknown_without_touching_the_disk(companies, company_id):
    assert Registry(companies, MESSAGES).company(company_id) is None


# -- the message catalogue ------------------------------------------------------------------------------------
def test_the_shipped_catalogue_has_every_key_the_code_asks_for():
    used = message_keys_used()
    assert {"choose_company", "unknown_company", "greet", "handoff_queued"} <= set(used)
    load_messages(MESSAGES, used)


def test_a_misspelt_catalogue_key_is_an_error_naming_it(tmp_path):
    path = tmp_path / "messages.yml"
    path.write_bytes(MESSAGES.read_bytes().replace(b"\nchoose_company:", b"\nchose_company:"))
    with pytest.raises(DataFileError) as error:
        load_messages(path, message_keys_used())
    assert f"{path}: choose_company: missing: actions/" in str(error.value)
    assert "did you mean 'chose_company'" in str(error.value)


def test_a_placeholder_misspelt_in_one_variant_is_an_error(tmp_path):
    path = tmp_path / "messages.yml"
    catalogue = yaml.safe_load(MESSAGES.read_text())
    catalogue["unknown_company"]["pt-PT"] = catalogue["unknown_company"]["pt-PT"].replace("{companies}", "{empresas}")
    catalogue["greet"]["es"] = catalogue["greet"]["es"] + " {"
    path.write_text(yaml.safe_dump(catalogue, allow_unicode=True))
    with pytest.raises(DataFileError) as error:
        load_messages(path)
    assert f"{path}: unknown_company: the variants must use the same {{placeholders}}" in str(error.value)
    assert f"{path}: greet.es: not a valid text with {{placeholders}}" in str(error.value)


def test_a_catalogue_broken_live_keeps_its_last_good_version(companies, tmp_path):
    path = tmp_path / "messages.yml"
    shutil.copy(MESSAGES, path)
    registry = Registry(companies, path)
    greeting = registry.messages()["greet"]["pt-BR"]
    edit(path, b"\ngreet:", b"\ngret:")
    assert registry.messages()["greet"]["pt-BR"] == greeting


# -- make check ------------------------------------------------------------------------------------------------
def test_check_reports_every_file_and_every_problem_without_a_traceback(companies):
    edit(companies / "webplug.yml", b"\n  ask_contact:", b"\n  ask_contact:\n    \xff")
    edit(companies / "poxnet.yml", b"\n  ask_services:", b"\n  ask_servicez:")
    edit(companies / "siempre.yml", b"timezone: America/Bogota", b"timezone: America/Medellin")
    edit(companies / "siempre.yml", b"\n  ask_contact:", b"\n  ask_contacts:")
    (companies / "acme.yaml").write_text("id: acme\n")
    env = {**os.environ, "ASSISTANT_COMPANIES_DIR": str(companies)}
    result = subprocess.run([sys.executable, "-m", "actions.core.check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    for expected in (f"{companies / 'webplug.yml'}: line", "is not UTF-8",
                     f"{companies / 'poxnet.yml'}: answers.ask_servicez: 'ask_servicez' is not an intent",
                     f"{companies / 'siempre.yml'}: timezone: 'America/Medellin' is not an IANA time zone",
                     f"{companies / 'siempre.yml'}: answers.ask_contacts:", f"{companies / 'acme.yaml'}: (file): ignored"):
        assert expected in result.stderr, result.stderr
    assert "5 problem(s) in 4 of 7 data files" in result.stderr


def test_check_of_the_shipped_files_passes():
    assert check_all(ROOT / "companies", MESSAGES) == []


# -- the last good version survives a restart ------------------------------------------------------------------
def test_a_server_started_while_a_file_is_broken_serves_the_version_kept_by_the_last_run(companies, tmp_path):
    keep = tmp_path / "last-good"
    assert DNS in Registry(companies, MESSAGES, keep_dir=keep).company("poxnet").answers["ask_dns"].text.pt
    path = companies / "poxnet.yml"
    edit(path, b"DNS secund\xc3\xa1rio", b"DNS secund\xe1rio")
    restarted = Registry(companies, MESSAGES, keep_dir=keep)  # a new process: nothing in memory
    assert DNS in restarted.company("poxnet").answers["ask_dns"].text.pt
    assert len(restarted.companies()) == 5
    without = Registry(companies, MESSAGES)  # no kept copy: only that company is unavailable
    with pytest.raises(DataFileError, match="not UTF-8"):
        without.company("poxnet")
    edit(path, b"DNS secund\xe1rio", b"DNS secund\xc3\xa1rio")
    edit(path, DNS.encode(), b"177.86.16.10")
    assert "177.86.16.10" in restarted.company("poxnet").answers["ask_dns"].text.pt  # fixed: live again


def test_kept_copies_of_two_folders_do_not_mix(tmp_path):
    keep = tmp_path / "last-good"
    first, second = tmp_path / "a", tmp_path / "b"
    shutil.copytree(ROOT / "companies", first)
    shutil.copytree(ROOT / "companies", second)
    edit(second / "poxnet.yml", DNS.encode(), b"177.86.16.10")
    Registry(first, MESSAGES, keep_dir=keep).company("poxnet")
    Registry(second, MESSAGES, keep_dir=keep).company("poxnet")
    edit(first / "poxnet.yml", b"timezone:", b"tz:")
    assert DNS in Registry(first, MESSAGES, keep_dir=keep).company("poxnet").answers["ask_dns"].text.pt
