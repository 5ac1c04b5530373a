"""Each school's standing on the rule register (core/rules.py), read from the SchoolMetrics read-model.

The bureau's rules page, its export and GraphQL (`rules`, `ruleStanding`) call `rule_table`; a school's own
standing (its schema's GraphQL) calls `school_standing`. Both read the same SchoolMetrics values the console, the
term summary and the award readiness read, so a rule's figure has one definition: the metric the rule names.
Queries: the schools, their metrics for the term, the bureau's local values — three, whatever the number of schools.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.rules import Rule, Standing, all_rules, limits_for, standings_for
from tenants.models import Bureau, School

from .models import SchoolMetrics, Term


@dataclass
class RuleRow:
    rule: Rule
    limit: object
    standings: list[tuple[School, str, object]]  # (school, standing, value)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(Standing.values, 0)
        for _school, standing, _value in self.standings:
            counts[standing] += 1
        return counts


def rule_table(*, user, bureau: Bureau, term: Term) -> tuple[list[School], list[RuleRow]]:
    """Every rule with the bureau's value and each school's standing for the term (access checked)."""
    from .selectors import schools_of

    schools = list(schools_of(user=user, bureau=bureau).select_related("bureau").order_by("name"))
    values = dict(SchoolMetrics.objects.filter(term=term, school__in=[s.pk for s in schools])
                  .values_list("school_id", "values"))
    limits = limits_for([bureau])
    standing = standings_for(schools, values_by_school=values, limits=limits)
    rows = []
    for rule in all_rules():
        rows.append(RuleRow(
            rule=rule, limit=limits.get((bureau.pk, rule.code), rule.limit),
            standings=[(s, standing[(s.pk, rule.code)], (values.get(s.pk) or {}).get(rule.metric) if rule.metric else None)
                       for s in schools],
        ))
    return schools, rows


def school_standing(*, school: School, term: Term) -> list[tuple[Rule, str, object, object]]:
    """(rule, standing, value, limit) of one school for the term, from its SchoolMetrics row."""
    values = SchoolMetrics.objects.filter(term=term, school=school).values_list("values", flat=True).first()
    limits = limits_for([school.bureau])
    standing = standings_for([school], values_by_school={school.pk: values} if values is not None else {},
                             limits=limits)
    return [(rule, standing[(school.pk, rule.code)], (values or {}).get(rule.metric) if rule.metric else None,
             limits.get((school.bureau_id, rule.code), rule.limit)) for rule in all_rules()]
