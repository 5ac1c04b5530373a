from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from frontend.widgets import DateInput

from .choices import AwardKind, AwardLevel

_INPUT = {"class": "form-control"}
_SELECT = {"class": "form-select"}


class TermForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        widget=forms.TextInput(attrs=_INPUT),
        help_text=_("e.g. 2025–2026 second term"),
    )
    start = forms.DateField(label=pgettext_lazy("term", "Start"), widget=DateInput(attrs=_INPUT))
    end = forms.DateField(label=_("End"), widget=DateInput(attrs=_INPUT))


def parse_items(text: str) -> list[dict]:
    """One checklist item a line: "area｜text" (or "area|text"; a line without a bar has no area)."""
    items = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = re.split(r"[|｜]", line, maxsplit=1)
        area, item_text = (parts[0].strip(), parts[1].strip()) if len(parts) == 2 else ("", line)
        if item_text:
            items.append({"area": area, "text": item_text})
    return items


class CampaignForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        widget=forms.TextInput(attrs=_INPUT),
        help_text=_("e.g. Safety inspection at the start of the spring term"),
    )
    due_on = forms.DateField(label=_("Deadline"), widget=DateInput(attrs=_INPUT))
    items = forms.CharField(
        label=_("Checklist items"),
        widget=forms.Textarea(attrs={**_INPUT, "rows": 8}),
        help_text=_("One item a line, area and item separated by ｜, e.g. Buildings｜Cracks in the walls"),
    )
    schools = forms.ModelMultipleChoiceField(
        label=_("Schools"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={**_SELECT, "size": 8}),
        help_text=_("Leave empty to send it to every school of the bureau."),
    )

    def __init__(self, *args, schools=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["schools"].queryset = schools

    def clean_items(self):
        items = parse_items(self.cleaned_data["items"])
        if not items:
            raise ValidationError(_("List at least one checklist item."))
        return items


def parse_criteria(text: str) -> list[dict]:
    """One criterion a line: "metric_key >= 95% | source | clause | points" (percent thresholds as ratios or
    as 95%; the source is required, the clause and the points optional)."""
    criteria = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        rule, *parts = [part.strip() for part in line.split("|")]
        match = re.fullmatch(r"([a-z0-9_]+)\s*(>=|<=|==)\s*(-?[\d.]+)\s*(%?)", rule)
        if not match:
            raise ValidationError(_("Write each criterion as: metric_key >= number | source | clause | points"))
        value = float(match.group(3)) / (100 if match.group(4) else 1)
        source, clause, points = (parts + ["", "", ""])[:3]
        criteria.append({"metric": match.group(1), "op": match.group(2), "value": value, "source": source,
                         "clause": clause, "points": points or None})
    return criteria


class AwardProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs=_INPUT))
    kind = forms.ChoiceField(label=_("Kind"), choices=AwardKind.choices, widget=forms.Select(attrs=_SELECT))
    level = forms.ChoiceField(
        label=_("Level"), choices=AwardLevel.choices, widget=forms.Select(attrs=_SELECT)
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={**_INPUT, "rows": 3})
    )
    standard = forms.BooleanField(
        label=_("Start from the published standard of this kind"), required=False, initial=True,
        help_text=_("When the criteria are left empty: 平安校园, 绿色学校 and 花园式学校 take the standard's criteria "
                    "with their sources (and points where it scores points); change the thresholds afterwards."),
    )
    criteria = forms.CharField(
        label=_("Criteria (metric thresholds)"),
        required=False,
        widget=forms.Textarea(attrs={**_INPUT, "rows": 5}),
        help_text=_(
            "One a line: metric >= threshold | source document | article or clause | points, e.g. "
            "hazard_rectification_rate >= 95% | 《中小学幼儿园安全管理办法》 | 隐患整改 | 20. "
            "See the metrics glossary for the keys."
        ),
    )
    evidence = forms.CharField(
        label=_("Evidence required"),
        required=False,
        widget=forms.Textarea(attrs={**_INPUT, "rows": 3}),
        help_text=_("One a line, e.g. Emergency drill records"),
    )

    def clean_criteria(self):
        return parse_criteria(self.cleaned_data["criteria"])

    def clean(self):
        from .standards import criteria_of, evidence_of

        data = super().clean()
        if data.get("standard") and not data.get("criteria") and data.get("kind"):
            data["criteria"] = criteria_of(data["kind"])
            if not data.get("evidence"):
                data["evidence"] = evidence_of(data["kind"])
        return data

    def clean_evidence(self):
        return [line.strip() for line in self.cleaned_data["evidence"].splitlines() if line.strip()]


class AwardApplicationForm(forms.Form):
    statement = forms.CharField(
        label=_("Statement"), required=False, widget=forms.Textarea(attrs={**_INPUT, "rows": 3})
    )
    evidence_file = forms.FileField(
        label=_("Evidence file"),
        required=False,
        widget=forms.ClearableFileInput(attrs=_INPUT),
        help_text=_("PDF, image, Word or Excel file."),
    )

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.labels = list(programme.evidence_required)
        for index, label in enumerate(self.labels):
            self.fields[f"evidence_{index}"] = forms.CharField(
                label=label,
                widget=forms.Textarea(attrs={**_INPUT, "rows": 2}),
                help_text=_("Describe the evidence and where it is kept."),
            )

        # Per criterion: a file, or a link to the records that show it, and a note (all optional).
        self.criteria = list(programme.criteria)
        for index, criterion in enumerate(self.criteria):
            name = criterion.get("label") or criterion["metric"]
            self.fields[f"file_{index}"] = forms.FileField(
                label=_("%(criterion)s: evidence file") % {"criterion": name}, required=False,
                widget=forms.ClearableFileInput(attrs=_INPUT),
                help_text=_("Source: %(source)s %(clause)s") % {"source": criterion.get("source", ""),
                                                                 "clause": criterion.get("clause", "")},
            )
            self.fields[f"link_{index}"] = forms.CharField(
                label=_("%(criterion)s: link to the records") % {"criterion": name}, required=False,
                max_length=300, widget=forms.TextInput(attrs={**_INPUT, "placeholder": "/safety/drills/"}),
            )
            self.fields[f"note_{index}"] = forms.CharField(
                label=_("%(criterion)s: note") % {"criterion": name}, required=False,
                widget=forms.Textarea(attrs={**_INPUT, "rows": 1}),
            )

    def evidence(self) -> dict[str, str]:
        return {label: self.cleaned_data.get(f"evidence_{i}", "") for i, label in enumerate(self.labels)}

    def criterion_evidence(self) -> dict[int, dict]:
        return {
            index: {"file": self.cleaned_data.get(f"file_{index}"), "link": self.cleaned_data.get(f"link_{index}", ""),
                    "note": self.cleaned_data.get(f"note_{index}", "")}
            for index in range(len(self.criteria))
        }


class AwardReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("grant", pgettext_lazy("award decision", "Grant")),
            ("reject", pgettext_lazy("award decision", "Reject")),
        ],
        widget=forms.Select(attrs=_SELECT),
    )
    score = forms.IntegerField(
        label=_("Score"), min_value=0, max_value=100, widget=forms.NumberInput(attrs=_INPUT)
    )
    note = forms.CharField(
        label=_("Review note"), required=False, widget=forms.Textarea(attrs={**_INPUT, "rows": 3})
    )


class WorkSummaryForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, widget=forms.TextInput(attrs=_INPUT))
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={**_INPUT, "rows": 24}),
        help_text=_(
            "A line like “一、项目建设” is a heading; lines starting with “|” are the rows of a table (the first row "
            "is its header, cells parted by “|”); every other line is a paragraph. The DOCX and PDF follow this."
        ),
    )


class CampusForm(forms.Form):
    """The campus figures of the school's profile that award criteria read."""

    site_area = forms.DecimalField(label=_("Site area (m²)"), required=False, min_value=Decimal("0.01"),
                                   max_digits=10, decimal_places=2, widget=forms.NumberInput(attrs=_INPUT))
    green_area = forms.DecimalField(label=_("Green space area (m²)"), required=False, min_value=Decimal("0"),
                                    max_digits=10, decimal_places=2, widget=forms.NumberInput(attrs=_INPUT),
                                    help_text=_("Land laid out as green space, as surveyed."))
    green_cover_rate = forms.DecimalField(
        label=_("Green cover rate (%)"), required=False, min_value=Decimal("0"), max_value=Decimal("100"),
        max_digits=5, decimal_places=2, widget=forms.NumberInput(attrs=_INPUT),
        help_text=_("Vertical projection of all vegetation (tree crowns included) over the site area, as surveyed."),
    )
