"""Company files: every real file loads; a broken one fails naming the file, the field and the reason."""
import shutil
import subprocess
import sys
import time

import pytest
import yaml

from actions.core.registry import DataFileError, Registry, load_company, load_messages
from tests.conftest import ROOT

COMPANIES = sorted((ROOT / "companies").glob("*.yml"))


def test_the_five_companies_exist():
    assert [p.stem for p in COMPANIES] == ["american-tower", "fibra-empresarial", "poxnet", "siempre", "webplug"]


@pytest.mark.parametrize("path", COMPANIES, ids=lambda p: p.stem)
def test_company_file_is_valid(path):
    company = load_company(path)
    assert company.id == path.stem and company.answers


def broken(tmp_path, mutate, name="poxnet"):
    data = yaml.safe_load((ROOT / "companies" / "poxnet.yml").read_text())
    mutate(data)
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.mark.parametrize(
    "mutate,field,reason",
    [
        (lambda d: d["departments"]["financeiro"]["hours"].update(mon=["8h-18h"]), "departments.financeiro.hours", "not an interval"),
        (lambda d: d["departments"]["financeiro"]["hours"].update(fri=["08:00-25:00"]), "departments.financeiro.hours", "impossible time"),
        (lambda d: d["departments"]["financeiro"]["hours"].update(funday=["08:00-18:00"]), "departments.financeiro.hours", "unknown weekday"),
        (lambda d: d.update(timezone="America/Sorocaba"), "timezone", "not an IANA time zone"),
        (lambda d: d["answers"]["ask_plans"].update(route="vendas"), "answers.ask_plans.route", "unknown department 'vendas'"),
        (lambda d: d["answers"]["ask_dns"]["text"].pop("es"), "answers.ask_dns.text.es", "field required"),
        (lambda d: d["answers"]["ask_dns"]["text"].update(pt="  "), "answers.ask_dns.text.pt", "must not be empty"),
        (lambda d: d.update(surprise=1), "surprise", "extra fields not permitted"),
        (lambda d: d["departments"]["comercial"].update(when_closed="maybe"), "departments.comercial.when_closed", "queue"),
    ],
)
def test_broken_file_names_file_field_and_reason(tmp_path, mutate, field, reason):
    path = broken(tmp_path, mutate)
    with pytest.raises(DataFileError) as error:
        load_company(path)
    message = str(error.value)
    assert str(path) in message and field in message and reason in message, message


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "poxnet.yml"
    path.write_text("id: poxnet\nname: [unclosed\n")
    with pytest.raises(DataFileError, match=r"poxnet.yml: line \d+: not valid YAML"):
        load_company(path)


def test_id_must_match_file_name(tmp_path):
    path = broken(tmp_path, lambda d: None, name="other")
    with pytest.raises(DataFileError, match="must match the file name"):
        load_company(path)


def test_message_catalogue_needs_all_variants(tmp_path):
    path = tmp_path / "messages.yml"
    path.write_text("greet:\n  pt-BR: oi\n  es: hola\n")
    with pytest.raises(DataFileError, match="greet.pt-PT: missing or empty"):
        load_messages(path)


def test_edited_file_is_picked_up_and_a_broken_edit_keeps_the_last_good(tmp_path):
    companies = tmp_path / "companies"
    companies.mkdir()
    shutil.copy(ROOT / "companies" / "poxnet.yml", companies)
    registry = Registry(companies, ROOT / "locales" / "messages.yml")
    assert "177.86.16.9" in registry.company("poxnet").answers["ask_dns"].text.pt
    path = companies / "poxnet.yml"
    text = path.read_text()
    time.sleep(0.01)
    path.write_text(text.replace("177.86.16.9", "177.86.16.10"))
    assert "177.86.16.10" in registry.company("poxnet").answers["ask_dns"].text.pt
    path.write_text(text.replace("timezone: America/Sao_Paulo", "timezone: Nowhere/Else"))
    assert "177.86.16.10" in registry.company("poxnet").answers["ask_dns"].text.pt  # last good kept


def test_check_command_reports_problems(tmp_path):
    companies = tmp_path / "companies"
    companies.mkdir()
    broken_path = broken(companies, lambda d: d.update(timezone="Mars/Base"))
    env = {"ASSISTANT_COMPANIES_DIR": str(companies), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "actions.core.check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 1
    assert f"{broken_path}: timezone: 'Mars/Base' is not an IANA time zone" in result.stderr
