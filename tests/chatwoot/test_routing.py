"""The routing file: the shipped example is valid; a bad file names the file, the field and the reason."""
import pytest

from channels.chatwoot import routing
from tests.conftest import ROOT

KNOWN = {cid: f.departments for cid, f in routing.company_facts(ROOT / "companies").items()}


def test_shipped_example_is_valid_against_the_company_files():
    example = routing.load(ROOT / "deploy" / "chatwoot.yml", KNOWN)
    assert example.company_of(5) == "poxnet" and example.company_of(7) == "siempre" and example.company_of(99) is None
    assert example.team_of("poxnet", "financeiro") == 3 and example.team_of("poxnet", "nope") is None


def write(tmp_path, text):
    path = tmp_path / "chatwoot.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text,expected", [
    ("inboxes: {five: poxnet}\n", "field `inboxes`: value is not a valid integer"),
    ("inboxes: {5: poxnet}\nteams: {poxnet: {suporte: um}}\n", "field `teams.poxnet.suporte`: value is not a valid integer"),
    ("inboxes: {5: poxnet}\nteams: {poxnet: {suporte: 0}}\n", "field `teams.poxnet.suporte`: ensure this value is greater than or equal to 1"),
    ("inboxes: {5: poxnet}\nteam: {}\n", "field `team`: extra fields not permitted"),
    ("teams: {}\n", "field `inboxes`: field required"),
    ("inboxes: {5: Pox Net}\n", "company ids must be lowercase slugs"),
    ("inboxes: {5: vivo}\n", "field `inboxes.5`: unknown company 'vivo'"),
    ("inboxes: {5: poxnet}\nteams: {poxnet: {cobranca: 3}}\n", "field `teams.poxnet.cobranca`: poxnet has no department 'cobranca'"),
    ("inboxes: {5: poxnet}\nteams: {claro: {suporte: 3}}\n", "field `teams.claro`: unknown company 'claro'"),
    ("- 5\n", "the file must be a mapping"),
    ("inboxes: {5: poxnet\n", "not valid YAML"),
])
def test_errors_name_file_and_field(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(routing.RoutingError) as error:
        routing.load(path, KNOWN)
    assert str(path) in str(error.value) and expected in str(error.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(routing.RoutingError, match="nowhere.yml: cannot be read"):
        routing.load(tmp_path / "nowhere.yml")


def test_check_command(tmp_path, capsys):
    assert routing.main([str(ROOT / "deploy" / "chatwoot.yml"), str(ROOT / "companies")]) == 0
    assert routing.main([str(write(tmp_path, "inboxes: {5: vivo}\n")), str(ROOT / "companies")]) == 1
    assert "unknown company 'vivo'" in capsys.readouterr().err
