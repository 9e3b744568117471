"""The deployment's map (CHATWOOT_ROUTING, default deploy/chatwoot.yml): Chatwoot inbox -> company, and
company -> department -> Chatwoot team. Validated with pydantic 1.x; errors name the file and the field.

    inboxes: {5: poxnet, 7: siempre}
    teams:
      poxnet: {suporte: 1, comercial: 2, financeiro: 3, renovacao: 4, retencao: 5, agendamento: 6}
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Set

import yaml
from pydantic import BaseModel, ValidationError, conint, validator

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
PositiveId = conint(strict=True, ge=1)


class RoutingError(ValueError):
    """A routing file that cannot be used; the message names the file, the field and the reason."""


class Routing(BaseModel):
    inboxes: Dict[PositiveId, str]
    teams: Dict[str, Dict[str, PositiveId]] = {}

    class Config:
        extra = "forbid"

    @validator("inboxes", "teams", pre=True)
    def _mapping(cls, value, field):  # noqa: N805 (pydantic validator)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ValueError(f"must be a mapping, not {type(value).__name__}")
        return value

    @validator("inboxes")
    def _companies(cls, value):  # noqa: N805
        bad = [company for company in value.values() if not SLUG.match(company)]
        if bad:
            raise ValueError(f"company ids must be lowercase slugs: {bad}")
        return value

    def company_of(self, inbox_id: Optional[int]) -> Optional[str]:
        return self.inboxes.get(inbox_id) if isinstance(inbox_id, int) else None

    def team_of(self, company: Optional[str], department: Optional[str]) -> Optional[int]:
        return self.teams.get(company or "", {}).get(department or "")


def _where(loc) -> str:
    return ".".join(str(part) for part in loc if part != "__key__")


def parse(data, source: str = "<routing>", known: Optional[Mapping[str, Set[str]]] = None) -> Routing:
    """Validate loaded YAML; `known` (company -> its departments) checks the ids against the company files."""
    if not isinstance(data, dict):
        raise RoutingError(f"{source}: the file must be a mapping with `inboxes` and `teams`")
    try:
        routing = Routing.parse_obj(data)
    except ValidationError as error:
        lines = [f"{source}: field `{_where(e['loc'])}`: {e['msg']}" for e in error.errors()]
        raise RoutingError("\n".join(lines)) from None
    problems: List[str] = []
    if known is not None:
        for inbox, company in routing.inboxes.items():
            if company not in known:
                problems.append(f"{source}: field `inboxes.{inbox}`: unknown company {company!r} (known: {', '.join(sorted(known))})")
        for company, departments in routing.teams.items():
            if company not in known:
                problems.append(f"{source}: field `teams.{company}`: unknown company {company!r}")
                continue
            for department in departments:
                if department not in known[company]:
                    problems.append(f"{source}: field `teams.{company}.{department}`: {company} has no department "
                                    f"{department!r} (its departments: {', '.join(sorted(known[company]))})")
    if problems:
        raise RoutingError("\n".join(problems))
    return routing


def load(path: Path, known: Optional[Mapping[str, Set[str]]] = None) -> Routing:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RoutingError(f"{path}: cannot be read ({error.strerror or error})") from None
    except yaml.YAMLError as error:
        raise RoutingError(f"{path}: not valid YAML ({error})") from None
    return parse(data, str(path), known)


class CompanyFacts(BaseModel):
    """What the connector needs from a company file: its locale, support department and departments."""
    name: Optional[str] = None
    locale: str = "pt-BR"
    support_department: Optional[str] = None
    departments: Set[str] = set()


def company_facts(companies_dir: Path) -> Dict[str, CompanyFacts]:
    """Read companies/<id>.yml lightly (the action server validates them fully)."""
    facts: Dict[str, CompanyFacts] = {}
    for path in sorted(Path(companies_dir).glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and data.get("id"):
            facts[str(data["id"])] = CompanyFacts(
                name=str(data.get("name") or data["id"]),
                locale=str(data.get("locale") or "pt-BR"),
                support_department=data.get("support_department"),
                departments=set((data.get("departments") or {}).keys()),
            )
    return facts


def main(argv: Optional[List[str]] = None) -> int:
    """`python -m channels.chatwoot.routing [file] [companies dir]`: validate a routing file."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "deploy/chatwoot.yml")
    companies = Path(args[1] if len(args) > 1 else "companies")
    known = {cid: facts.departments for cid, facts in company_facts(companies).items()}
    try:
        routing = load(path, known or None)
    except RoutingError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{path}: {len(routing.inboxes)} inboxes, teams for {len(routing.teams)} companies: ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
