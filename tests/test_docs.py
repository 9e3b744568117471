"""The README and the docs stand on the repository alone: no paths outside it, no issue numbers; each
company file says in words where its facts came from."""
import re

import pytest

from tests.conftest import ROOT

DOCS = [ROOT / "README.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").glob("*.md"))]
OUTSIDE = re.compile(r"\.\./shared|shared/seeds|\bseeds?/")
ISSUE = re.compile(r"(?i)\bissues?\s*(?:#|n[º°o.]\s*)?\d+|#\d{1,4}\b|\(issue\b|\bthe issue\b|\bissue's\b")


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_docs_point_to_nothing_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    found = [(n, line) for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line) or ISSUE.search(line)]
    assert not found, f"{path.name} refers to what a clone does not have: {found}"


@pytest.mark.parametrize("path", sorted((ROOT / "companies").glob("*.yml")), ids=lambda p: p.stem)
def test_each_company_file_says_in_words_where_its_facts_came_from(path):
    header = "".join(line for line in path.read_text(encoding="utf-8").splitlines(True)[:4] if line.startswith("#"))
    assert "Every fact comes from" in header and not OUTSIDE.search(header), header
    assert re.search(r"own [\w\s-]*(guide|page|article|document)", header), header
