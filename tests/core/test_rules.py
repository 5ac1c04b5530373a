"""The rule register (core/rules.py): discovery, applicability by school kind, local values, standing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from core.rules import (
    BOARDING,
    Enforcement,
    Rule,
    SchoolKind,
    Standing,
    all_rules,
    rule_error,
    rule_get,
    rule_limit,
)
from core.rules import standing as standing_of
from tenants.models import RuleOverride

RULE = Rule(
    code="test.patrols", title="巡查", source="GB/T 29315-2022", article="5.3", requires="每天不少于5次",
    enforcement=Enforcement.METRIC, metric="m", compare=">=", limit=5, applies_to=frozenset(),
    overridable=True, override_min=5,
)


def test_every_rule_has_a_source_a_requirement_and_a_known_enforcement():
    rules = all_rules()
    assert rules, "no app registered a rule"
    codes = [r.code for r in rules]
    assert len(codes) == len(set(codes))
    for rule in rules:
        assert rule.source, rule.code
        assert str(rule.requires), rule.code
        assert str(rule.title), rule.code
        assert rule.enforcement in Enforcement.values
        assert rule.enforcement != Enforcement.METRIC or rule.metric, f"{rule.code}: a metric rule names its metric"


def test_the_metric_a_rule_names_exists():
    from tenants.metrics import all_metrics

    keys = {m.key for m in all_metrics()}
    for rule in all_rules():
        if rule.metric:
            assert rule.metric in keys, f"{rule.code} reads unknown metric {rule.metric}"


def test_applicability_by_kind_and_boarding():
    night = Rule(code="t.night", title="t", source="s", requires="r", enforcement=Enforcement.TODO,
                 applies_to=frozenset({SchoolKind.KINDERGARTEN, BOARDING}))
    assert night.applies(kind=SchoolKind.KINDERGARTEN, boarding=False) is True
    assert night.applies(kind=SchoolKind.PRIMARY, boarding=False) is False
    assert night.applies(kind=SchoolKind.PRIMARY, boarding=True) is True
    assert night.applies(kind="", boarding=False) is None
    assert RULE.applies(kind="", boarding=False) is True
    with pytest.raises(ValueError):
        Rule(code="t.bad", title="t", source="s", requires="r", enforcement=Enforcement.TODO,
             applies_to=frozenset({"university"}))


def test_standing_met_not_met_unknown_not_applicable():
    assert standing_of(RULE, kind="primary", boarding=False, values={"m": 5}, limit=5) == Standing.MET
    assert standing_of(RULE, kind="primary", boarding=False, values={"m": 4.9}, limit=5) == Standing.NOT_MET
    assert standing_of(RULE, kind="primary", boarding=False, values={"m": None}, limit=5) == Standing.UNKNOWN
    assert standing_of(RULE, kind="primary", boarding=False, values=None, limit=5) == Standing.UNKNOWN
    kg_only = Rule(code="t.kg", title="t", source="s", requires="r", enforcement=Enforcement.METRIC, metric="m",
                   applies_to=frozenset({SchoolKind.KINDERGARTEN}), limit=1)
    assert standing_of(kg_only, kind="primary", boarding=False, values={"m": 0}, limit=1) == Standing.NOT_APPLICABLE
    assert standing_of(kg_only, kind="", boarding=False, values={"m": 0}, limit=1) == Standing.UNKNOWN


def test_a_local_value_stays_within_the_rule_bounds():
    RULE.validate_override(6)
    with pytest.raises(ValidationError, match="5"):
        RULE.validate_override(4)
    fixed = Rule(code="t.fixed", title="t", source="s", requires="r", enforcement=Enforcement.METRIC, metric="m")
    with pytest.raises(ValidationError):
        fixed.validate_override(1)


def test_the_refusal_names_the_rule_and_its_source():
    error = rule_error("assets.fixed_threshold", "x")
    text = " ".join(error.messages)
    assert str(rule_get("assets.fixed_threshold").title) in text
    assert "财政部令第68号" in text
    assert text.endswith("x")


def test_rule_limit_reads_the_bureau_column_or_the_override(bureau_north):
    assert rule_limit("assets.fixed_threshold", bureau=bureau_north) == bureau_north.fixed_asset_threshold
    overridable = [r for r in all_rules() if r.overridable and not r.bureau_field]
    if not overridable:
        pytest.skip("no rule stores its local value in RuleOverride yet")
    rule = overridable[0]
    assert rule_limit(rule.code, bureau=bureau_north) == rule.limit
    RuleOverride.objects.create(bureau=bureau_north, code=rule.code, value=Decimal(str(rule.override_min or 0)) + 1)
    assert rule_limit(rule.code, bureau=bureau_north) == Decimal(str(rule.override_min or 0)) + 1
