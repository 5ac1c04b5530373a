"""Every date and date-time field of every form renders its value in ISO form, so the browser's input prefills.

<input type="date"> takes only YYYY-MM-DD and type="datetime-local" only YYYY-MM-DDTHH:MM; zh-Hans's first input
format (2026/12/04) made the acceptance and new-stocktake forms open blank and refuse to save.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import re
import zoneinfo
from pathlib import Path
from types import SimpleNamespace

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.utils import translation

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
A_DAY = dt.date(2026, 12, 4)
A_MOMENT = dt.datetime(2026, 12, 4, 8, 30, tzinfo=SHANGHAI)
A_TIME = dt.time(8, 30)
# field class → (value given as initial, the value attribute the browser needs, the input types allowed)
EXPECTED = {
    forms.DateTimeField: (A_MOMENT, "2026-12-04T08:30", {"datetime-local", "hidden"}),
    forms.DateField: (A_DAY, "2026-12-04", {"date", "hidden"}),
    forms.TimeField: (A_TIME, "08:30", {"time", "hidden"}),
}
# What a constructor's extra arguments get when the walk builds a form (only their shape matters here).
EMPTY_ARGUMENTS = {"lines": (), "roles": (), "programme": SimpleNamespace(evidence_required=["材料"], criteria=[])}


def _project_apps() -> list:
    base = Path(settings.BASE_DIR).resolve()
    return [c for c in apps.get_app_configs() if base in Path(c.path).resolve().parents and ".venv" not in c.path]


def _all_form_classes() -> list[type[forms.BaseForm]]:
    """Every form class defined in the project: forms modules and views (forms a view builds itself)."""
    names = set()
    for config in _project_apps():
        names.add(config.name)
        for module in pkgutil.iter_modules([config.path]):
            if "form" in module.name or module.name.endswith("views"):
                importlib.import_module(f"{config.name}.{module.name}")

    def below(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from below(sub)

    found = {c for c in below(forms.BaseForm) if c.__module__.split(".")[0] in names}
    # a base model form without a model (a mixin for the others) is never built itself
    found -= {c for c in found if issubclass(c, forms.BaseModelForm) and c._meta.model is None}
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


def _temporal(fields) -> dict[str, forms.Field]:
    return {name: f for name, f in fields.items() if isinstance(f, tuple(EXPECTED))}


def _expected(field: forms.Field):
    for cls, expected in EXPECTED.items():  # DateTimeField before DateField: neither inherits the other, but be exact
        if isinstance(field, cls):
            return expected
    raise AssertionError(field)


def _build(cls, **kwargs):
    """The form as a view builds it: constructor arguments beyond Django's get an empty value."""
    extra = {}
    for name, parameter in inspect.signature(cls.__init__).parameters.items():
        if parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty:
            extra[name] = EMPTY_ARGUMENTS.get(name)
    return cls(**kwargs, **extra)


FORMS = _all_form_classes()
WITH_DATES = [c for c in FORMS if _temporal(c.base_fields)]


def test_the_walk_finds_the_forms_with_dates():
    names = {f"{c.__module__}.{c.__name__}" for c in WITH_DATES}
    assert {"assets.forms.AcceptanceForm", "assets.forms.StocktakeForm", "safety.forms.PatrolForm",
            "schools.forms.FeedbackForm", "repairs.forms.PlanForm", "reporting.forms.TermForm"} <= names
    assert len(WITH_DATES) >= 30


def _value_and_type(html: str) -> tuple[str | None, str | None]:
    value = re.search(r'\svalue="([^"]*)"', html)
    kind = re.search(r'\stype="([^"]*)"', html)
    return (value.group(1) if value else None), (kind.group(1) if kind else None)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("form_class", FORMS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_date_field_prefills_in_iso_form(db, settings, form_class, language):
    settings.TIME_ZONE = "Asia/Shanghai"
    with translation.override(language):
        probe = _build(form_class)
        fields = _temporal(probe.fields)
        if not fields:
            pytest.skip("no date or time field")
        initial = {name: _expected(field)[0] for name, field in fields.items()}
        form = _build(form_class, initial=initial)
        for name, field in fields.items():
            value, iso, types = _expected(field)
            # given the field's value as a view passes it, when the form renders
            rendered, kind = _value_and_type(str(form[name]))
            # then the browser gets the ISO form in an input that reads it
            assert (name, rendered) == (name, iso), f"{form_class.__name__}.{name} renders {rendered!r}"
            assert kind in types, f"{form_class.__name__}.{name} is an <input type={kind!r}>"
            # and what the browser sends back (the same ISO text) parses to the same value
            data = {form.add_prefix(name): iso}
            raw = field.widget.value_from_datadict(data, {}, form.add_prefix(name))
            assert field.clean(raw) == value, f"{form_class.__name__}.{name} does not parse {iso!r}"


def test_the_shared_widgets_ignore_the_language_formats(settings):
    from frontend.widgets import DateInput, DateTimeInput

    settings.TIME_ZONE = "Asia/Shanghai"
    with translation.override("zh-hans"):
        # Django's own widget follows the language: the value the browser's date input refuses
        assert forms.DateInput().format_value(A_DAY) == "2026/12/04"
        assert DateInput().format_value(A_DAY) == "2026-12-04"
        assert DateTimeInput().format_value(A_MOMENT) == "2026-12-04T08:30"
        assert 'type="date"' in DateInput().render("d", A_DAY)
        assert 'type="datetime-local"' in DateTimeInput().render("t", A_MOMENT)
