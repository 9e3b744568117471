"""The widget page's pieces that need no server: its configuration, its words, its pinned widget."""
import json
import re

from channels.widget import PAGE_WORDS, SESSION_ID, _company_list
from tests.conftest import ROOT


def test_config_lists_every_company_with_its_variant_and_menu_entries(registry):
    config = _company_list()
    companies = {c["id"]: c for c in config["companies"]}
    assert set(companies) == set(registry.company_ids())
    assert {k: c["variant"] for k, c in companies.items() if k in ("poxnet", "webplug", "siempre")} == {
        "poxnet": "pt-BR", "webplug": "pt-PT", "siempre": "es"}
    assert [d["id"] for d in companies["poxnet"]["departments"]] == list(registry.company("poxnet").departments)
    assert companies["siempre"]["departments"][0]["name"] == "Servicio al Cliente"  # in the company's language


def test_config_carries_no_staff_only_fact():
    said = json.dumps(_company_list(), ensure_ascii=False).lower()
    assert "senha" not in said and "multipro" not in said and "staff" not in said


def test_page_words_exist_in_all_three_variants_and_name_only_the_company(messages):
    words = _company_list()["words"]
    assert set(words) == {"pt-BR", "pt-PT", "es"}
    for variant, texts in words.items():
        assert set(texts) == set(PAGE_WORDS)
        assert all(t.strip() for t in texts.values()), variant
        assert set(re.findall(r"\{(\w+)\}", "".join(texts.values()))) <= {"company"}
        assert texts == {key: messages[key][variant] for key in PAGE_WORDS}


def test_page_uses_every_word_it_is_given():
    script = (ROOT / "widget" / "page.js").read_text()
    assert all(f"words.{key}" in script or f"Words.{key}" in script for key in PAGE_WORDS)


def test_widget_is_pinned_and_locked_from_npm_never_a_cdn():
    package = json.loads((ROOT / "widget" / "package.json").read_text())
    lock = json.loads((ROOT / "widget" / "package-lock.json").read_text())
    assert package["dependencies"] == {"rasa-webchat": "1.0.1"}
    assert lock["packages"]["node_modules/rasa-webchat"]["version"] == "1.0.1"
    # every package pinned by its content hash (npm ci refuses anything else), fetched from the configured registry
    assert all(entry.get("integrity", "").startswith("sha") for path, entry in lock["packages"].items()
               if path and not entry.get("link"))
    page = (ROOT / "widget" / "index.html").read_text() + (ROOT / "widget" / "page.js").read_text()
    assert not re.search(r"(unpkg|jsdelivr|cdnjs|https?://)[^\s\"']*\.js", page)


def test_session_ids_are_plain_tokens():
    assert SESSION_ID.fullmatch("6fcb8acb671044f3b315e20b2114848f")
    for bad in ("", "../../etc", "a b", "x" * 129, "id\n"):
        assert not SESSION_ID.fullmatch(bad)
