"""The rule register through GraphQL: `rules` and `ruleStanding` on the bureau host, `schoolRuleStanding` on a
school's host (its own standing). All read reporting.standing, as the bureau's rules page does."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from api.errors import Code, HouqinGraphQLError
from api.permissions import require_school_reader
from core.rules import all_rules, limits_for

from ..standing import rule_table, school_standing
from .schema import _caller, _term


@strawberry.enum(description="A school's standing on a rule.")
class RuleStandingEnum(Enum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"


@strawberry.type(description="A rule of the register: its source, what it requires, whom it binds, the value that applies.")
class RuleType:
    code: str
    title: str
    source: str
    article: str
    citation: str
    requires: str
    enforcement: str = strawberry.field(description="validation, metric or todo.")
    enforced_by: str
    metric: str | None
    compare: str
    limit: str | None = strawberry.field(description="The value that applies (the bureau's local value where set).")
    national_limit: str | None
    applies_to: list[str] = strawberry.field(description="School kinds (and boarding) bound; empty: every school.")
    overridable: bool


@strawberry.type(description="One school's standing on one rule, from its SchoolMetrics row for the term.")
class RuleStandingType:
    school_id: strawberry.ID
    school_name: str
    code: str
    standing: RuleStandingEnum
    value: float | None
    limit: str | None


def _str(value) -> str | None:
    return None if value is None else str(value)


def _rule_type(rule, limit) -> RuleType:
    return RuleType(
        code=rule.code, title=str(rule.title), source=rule.source, article=rule.article, citation=rule.citation,
        requires=str(rule.requires), enforcement=rule.enforcement, enforced_by=rule.enforced_by, metric=rule.metric,
        compare=rule.compare, limit=_str(limit), national_limit=_str(rule.limit),
        applies_to=sorted(rule.applies_to), overridable=rule.overridable,
    )


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


@strawberry.type
class RulesQuery:
    @strawberry.field(description="The rule register, with the value each rule takes in the bureau (bureau host).")
    def rules(self, info: Info, bureau_code: str | None = None) -> list[RuleType]:
        caller = _caller(info, bureau_code)
        limits = limits_for([caller.bureau])
        return [_rule_type(r, limits.get((caller.bureau.pk, r.code), r.limit)) for r in all_rules()]

    @strawberry.field(description="Each visible school's standing on one rule for a term (bureau host).")
    def rule_standing(self, info: Info, code: str, bureau_code: str | None = None,
                      term_id: strawberry.ID | None = None) -> list[RuleStandingType]:
        caller = _caller(info, bureau_code)
        term = _term(caller, term_id)
        if code not in {r.code for r in all_rules()}:
            raise HouqinGraphQLError(f"No rule {code}.", Code.NOT_FOUND)
        if caller.is_partner:
            raise HouqinGraphQLError("Partners read the standing of their schools through the school host.",
                                     Code.FORBIDDEN)
        _schools, rows = rule_table(user=caller.user, bureau=caller.bureau, term=term)
        return [
            RuleStandingType(school_id=strawberry.ID(str(school.pk)), school_name=school.name, code=row.rule.code,
                             standing=RuleStandingEnum(standing), value=_number(value), limit=_str(row.limit))
            for row in rows if row.rule.code == code
            for school, standing, value in row.standings
        ]

    @strawberry.field(description="This school's own standing on each rule for the current term (school host).")
    def school_rule_standing(self, info: Info) -> list[RuleStandingType]:
        school = require_school_reader(info, scope="reporting:read")
        from ..services import term_current

        term = term_current(bureau=school.bureau)
        return [
            RuleStandingType(school_id=strawberry.ID(str(school.pk)), school_name=school.name, code=rule.code,
                             standing=RuleStandingEnum(standing), value=_number(value), limit=_str(limit))
            for rule, standing, value, limit in school_standing(school=school, term=term)
        ]


