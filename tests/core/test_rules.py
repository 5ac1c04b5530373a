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


@pytest.mark.parametrize(("text", "kind", "boarding"), [
    ("小学", "primary", False), ("九年一贯制学校", "nine_year", False), ("寄宿制初级中学", "junior", True),
    ("高中", "senior", False), ("中学", "complete", False), ("阳光幼儿园", "kindergarten", False),
    ("kindergarten", "kindergarten", False), ("职业学校", "", False), ("", "", False),
])
def test_free_text_kinds_map_to_the_choices(text, kind, boarding):
    import importlib

    migration = importlib.import_module("tenants.migrations.0016_school_kind_rule_override")
    assert migration.kind_from_text(text) == (kind, boarding)


def test_a_school_of_an_unknown_kind_is_refused_before_anything_is_made(bureau_north):
    from tenants.models import School
    from tenants.services import school_create

    with pytest.raises(ValidationError):
        school_create(bureau=bureau_north, name="某大学", slug="university", kind="university")
    assert not School.objects.filter(slug="university").exists()


def test_the_onboarding_form_offers_the_kinds(bureau_north):
    from tenants.forms import SchoolCreateForm
    from tenants.models import Bureau

    form = SchoolCreateForm(bureaus=Bureau.objects.filter(pk=bureau_north.pk))
    assert {value for value, _label in form.fields["kind"].choices} == {"", *SchoolKind.values}
    assert "boarding" in form.fields
