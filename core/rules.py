"""The rule register: the national and local rules inspectors judge a school by, in one place.

Every rule has a code, its source (document and article), what it requires, the school kinds it
applies to, whether the bureau may set its own value (and within what bounds), and how Houqin
enforces it: a validation that refuses (the message names the rule), a metric on the boards, or an
overdue item in the owner's to-do list. The bureau's rules page, its Excel export, GraphQL
(`rules` / `ruleStanding`), the term summary and the awards all read the register and the same
metric values (the school's row of SchoolMetrics), so a figure has one definition.

How an app adds its rules
-------------------------
Write `<app>/rules.py` with a module-level list `RULES` (the register imports `<app>.rules` of
every installed app, once, on first use):

    from django.utils.translation import gettext_lazy as _
    from core.rules import Enforcement, Rule, SchoolKind

    RULES = [
        Rule(
            code="safety.patrols_per_day",               # unique; "<app>.<name>"
            title=_("Patrols of key areas every day"),
            source="GB/T 29315-2022",                    # the document, as it is cited
            article="5.3",                               # article / clause ("" if the whole document)
            requires=_("At least 5 patrols of the key areas each school day"),
            enforcement=Enforcement.METRIC,               # VALIDATION | METRIC | TODO (what refuses/shows it)
            metric="safety_patrols_per_day",            # key of a tenants.metrics Metric, or None
            compare=">=", limit=5, unit="count",         # met when value <compare> limit
            applies_to=frozenset(),                       # school kinds / BOARDING; empty = every school
            overridable=True, override_min=5,            # a bureau may demand more, not less
        ),
    ]

A validation reads the value the school's bureau applies with `rule_limit("safety.patrols_per_day")`
(inside a school's schema, the current school's bureau) and refuses with `rule_error(code, detail)`,
a ValidationError whose Chinese message starts with the rule's title and source, e.g.
「违反规则：……（GB/T 29315-2022 第5.3条）」. Standing per school: `standing(rule, school, values,
overrides)` (met / not met / unknown / not applicable), or `standings_for(schools)` for many at once
(two queries, whatever the number of schools).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tenants.models import BOARDING, SchoolKind

__all__ = [
    "BOARDING",
    "Enforcement",
    "Rule",
    "SchoolKind",
    "Standing",
    "all_rules",
    "rule_error",
    "rule_get",
    "rule_limit",
    "standing",
    "standings_for",
]


class Enforcement(models.TextChoices):
    VALIDATION = "validation", _("Validation (refused at entry)")
    METRIC = "metric", _("Metric on the boards")
    TODO = "todo", _("Overdue item in the to-do list")


class Standing(models.TextChoices):
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")
    UNKNOWN = "unknown", _("Unknown")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


@dataclass(frozen=True)
class Rule:
    """One rule: where it comes from, what it requires, whom it binds and how Houqin enforces it."""

    code: str
    title: Any
    source: str
    requires: Any
    enforcement: str
    article: str = ""
    # The metric (tenants.metrics key) whose value decides the standing; None: no figure (standing unknown).
    metric: str | None = None
    compare: str = ">="
    limit: Any = None
    unit: str = ""
    # School kinds (SchoolKind values and BOARDING) the rule binds; empty: every school. A school is bound
    # when its kind, or BOARDING for a boarding school, is in the set.
    applies_to: frozenset = field(default_factory=frozenset)
    # Whether the bureau may set its own value, and the bounds a local value must stay within.
    overridable: bool = False
    override_min: Any = None
    override_max: Any = None
    # A rule whose local value already lives on the Bureau row (e.g. the asset thresholds) names the field:
    # that column is the override, so the value has one home.
    bureau_field: str = ""
    # Where the rule is enforced in code ("assets.services.asset_register"), for the register page.
    enforced_by: str = ""
    note: Any = ""

    def __post_init__(self):
        if self.compare not in COMPARE:
            raise ValueError(f"rule {self.code}: unknown comparison {self.compare!r}")
        if self.enforcement not in Enforcement.values:
            raise ValueError(f"rule {self.code}: unknown enforcement {self.enforcement!r}")
        unknown = set(self.applies_to) - set(SchoolKind.values) - {BOARDING}
        if unknown:
            raise ValueError(f"rule {self.code}: unknown school kinds {sorted(unknown)}")

    @property
    def app(self) -> str:
        return self.code.split(".", 1)[0]

    @property
    def citation(self) -> str:
        """「GB/T 29315-2022 第5.3条」: the source as the messages and the page cite it."""
        if not self.article:
            return self.source
        return gettext("%(source)s, article %(article)s") % {"source": self.source, "article": self.article}

    def applies(self, *, kind: str, boarding: bool) -> bool | None:
        """Whether the rule binds a school of this kind; None when the school's kind is not recorded."""
        if not self.applies_to:
            return True
        if boarding and BOARDING in self.applies_to:
            return True
        if not kind:
            return None
        return kind in self.applies_to

    def check_value(self, value, limit) -> bool:
        return COMPARE[self.compare](_number(value), _number(limit))

    def validate_override(self, value) -> None:
        """Refuse a local value the rule does not allow (not overridable, or outside its bounds)."""
        if not self.overridable:
            raise ValidationError(gettext("%(rule)s allows no local value.") % {"rule": self.title})
        number = _number(value)
        if number is None:
            raise ValidationError(gettext("Enter a number."))
        if self.override_min is not None and number < _number(self.override_min):
            raise ValidationError(
                gettext("%(rule)s: the local value cannot be below %(bound)s (%(source)s).")
                % {"rule": self.title, "bound": self.override_min, "source": self.citation}
            )
        if self.override_max is not None and number > _number(self.override_max):
            raise ValidationError(
                gettext("%(rule)s: the local value cannot be above %(bound)s (%(source)s).")
                % {"rule": self.title, "bound": self.override_max, "source": self.citation}
            )


def _number(value):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


_REGISTER: dict[str, Rule] | None = None


def _discover() -> dict[str, Rule]:
    import importlib

    from django.apps import apps

    found: dict[str, Rule] = {}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.rules"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        for rule in getattr(module, "RULES", ()):
            if rule.code in found:
                raise ValueError(f"rule {rule.code} registered twice")
            found[rule.code] = rule
    return found


def all_rules() -> list[Rule]:
    """Every app's rules, in app order then as each app lists them."""
    global _REGISTER
    if _REGISTER is None:
        _REGISTER = _discover()
    return list(_REGISTER.values())


def rule_get(code: str) -> Rule:
    all_rules()
    return _REGISTER[code]


def rule_limit(code: str, *, bureau=None):
    """The value the rule demands of the bureau's schools: its local value where one is set, else the rule's."""
    rule = rule_get(code)
    if bureau is None:
        from django.db import connection

        school = getattr(connection, "tenant", None)
        bureau = getattr(school, "bureau", None) if getattr(school, "schema_name", "public") != "public" else None
    if bureau is None or not rule.overridable:
        return rule.limit
    if rule.bureau_field:
        return getattr(bureau, rule.bureau_field)
    from tenants.models import RuleOverride

    override = RuleOverride.objects.filter(bureau=bureau, code=code).values_list("value", flat=True).first()
    return rule.limit if override is None else override


def rule_error(code: str, detail: str = "", *, field_name: str | None = None) -> ValidationError:
    """The refusal a validation raises: the rule's title and source, then what was wrong."""
    rule = rule_get(code)
    message = gettext("Rule %(rule)s (%(source)s)") % {"rule": rule.title, "source": rule.citation}
    if detail:
        message = f"{message}：{detail}"
    if field_name:
        return ValidationError({field_name: message}, code=code)
    return ValidationError(message, code=code)


def standing(rule: Rule, *, kind: str, boarding: bool, values: dict | None, limit) -> str:
    """A school's standing on one rule, from its metric values (SchoolMetrics.values) and the limit that applies."""
    applies = rule.applies(kind=kind, boarding=boarding)
    if applies is False:
        return Standing.NOT_APPLICABLE
    if applies is None or rule.metric is None or values is None:
        return Standing.UNKNOWN
    value = values.get(rule.metric)
    if value is None or limit is None:
        return Standing.UNKNOWN
    return Standing.MET if rule.check_value(value, limit) else Standing.NOT_MET


def limits_for(bureaus: Iterable) -> dict[tuple[int, str], Any]:
    """{(bureau id, rule code): the value that applies} for every overridable rule (one query)."""
    from tenants.models import RuleOverride

    bureaus = list(bureaus)
    rules = [r for r in all_rules() if r.overridable]
    stored = {
        (o.bureau_id, o.code): o.value
        for o in RuleOverride.objects.filter(bureau__in=[b.pk for b in bureaus], code__in=[r.code for r in rules])
    }
    limits = {}
    for bureau in bureaus:
        for rule in rules:
            if rule.bureau_field:
                limits[(bureau.pk, rule.code)] = getattr(bureau, rule.bureau_field)
            else:
                limits[(bureau.pk, rule.code)] = stored.get((bureau.pk, rule.code), rule.limit)
    return limits


def standings_for(schools: Iterable, *, values_by_school: dict[int, dict], limits: dict | None = None) -> dict:
    """{(school id, rule code): standing} for the schools (with their bureau loaded) and their metric values."""
    schools = list(schools)
    if limits is None:
        limits = limits_for({s.bureau_id: s.bureau for s in schools}.values())
    result = {}
    for school in schools:
        values = values_by_school.get(school.pk)
        for rule in all_rules():
            limit = limits.get((school.bureau_id, rule.code), rule.limit)
            result[(school.pk, rule.code)] = standing(
                rule, kind=school.kind, boarding=school.boarding, values=values, limit=limit
            )
    return result
