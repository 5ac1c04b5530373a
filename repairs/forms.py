from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from assets.models import ConsumableItem
from frontend.widgets import DateInput
from schools.models import Room

from .choices import Frequency, PhotoKind, Severity
from .models import MaintenancePlan, RepairSettings


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; the content checks are the service's (frontend.uploads)."""

    widget = MultipleFileInput(attrs={"accept": "image/*", "capture": "environment", "class": "form-control"})

    def clean(self, data, initial=None):
        if not data:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        items = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultiplePhotoField, self).clean(item, initial) for item in items]


def _text(**attrs):
    return forms.TextInput(attrs={"class": "form-control", **attrs})


class ReportForm(forms.Form):
    room = forms.ModelChoiceField(
        label=_("Fault location"), queryset=Room.objects.select_related("building"), required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    location_note = forms.CharField(label=_("Location details"), max_length=100, required=False, widget=_text())
    title = forms.CharField(label=_("What is broken"), max_length=100, widget=_text())
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 3})
    )
    photos = MultiplePhotoField(label=_("Photos"), required=False)


class PublicReportForm(ReportForm):
    reporter_name = forms.CharField(label=_("Your name (optional)"), max_length=50, required=False, widget=_text())
    reporter_phone = forms.RegexField(
        label=_("Your phone (optional)"), regex=r"^[0-9+\- ]{5,20}$", max_length=20, required=False,
        widget=_text(inputmode="tel"), error_messages={"invalid": _("Enter a phone number.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Opened from a room's or an asset's QR label: the place is the label's, never chosen (nor listed).
        del self.fields["room"]


class TriageForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices,
                                 widget=forms.Select(attrs={"class": "form-select"}))
    assignee = forms.ModelChoiceField(label=_("Maintenance worker"), queryset=None, required=False,
                                      widget=forms.Select(attrs={"class": "form-select"}))
    vendor_name = forms.CharField(label=_("or vendor (supplier under warranty)"), max_length=100, required=False,
                                  widget=_text())

    def __init__(self, *args, workers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = workers


class PauseForm(forms.Form):
    reason = forms.CharField(label=_("Why pause"), max_length=200, widget=_text())


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}))


class PhotoForm(forms.Form):
    kind = forms.ChoiceField(label=_("Photo taken"), choices=[(PhotoKind.BEFORE, PhotoKind.BEFORE.label),
                                                       (PhotoKind.AFTER, PhotoKind.AFTER.label)],
                             widget=forms.Select(attrs={"class": "form-select"}))
    photos = MultiplePhotoField(label=_("Photos"))


class PartForm(forms.Form):
    item = forms.ModelChoiceField(
        label=_("From stock"), queryset=ConsumableItem.objects.filter(on_hand__gt=0), required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text=_("A stocked consumable is issued from stock; leave empty for a part bought outside."),
    )
    name = forms.CharField(label=_("Part"), max_length=100, required=False, widget=_text())
    quantity = forms.DecimalField(label=_("Quantity"), min_value=0, max_digits=10, decimal_places=2,
                                  widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}))
    unit = forms.CharField(label=_("Unit"), max_length=10, required=False, widget=_text())

    def clean(self):
        data = super().clean()
        if not data.get("item") and not (data.get("name") or "").strip():
            self.add_error("name", _("Name the part or choose it from stock."))
        return data


class CompleteForm(forms.Form):
    closing_note = forms.CharField(
        label=_("Closing note"), required=False, widget=forms.Textarea(attrs={"class": "form-control", "rows": 3})
    )
    labour_minutes = forms.IntegerField(label=_("Labour (minutes)"), min_value=0, initial=0, required=False,
                                        widget=forms.NumberInput(attrs={"class": "form-control"}))


class ConfirmForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("Rating"), coerce=int, choices=[(i, "★" * i) for i in range(5, 0, -1)],
                                    widget=forms.RadioSelect)
    comment = forms.CharField(label=pgettext_lazy("repair rating", "Comment"), required=False, widget=_text())


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("What is still wrong"), max_length=200, widget=_text())


class SettingsForm(forms.ModelForm):
    class Meta:
        model = RepairSettings
        fields = ["minor_due_time", "major_due_days", "vendor_due_days", "due_soon_hours",
                  "public_reports_per_hour", "robot_kind", "robot_url", "robot_secret"]
        widgets = {
            "minor_due_time": forms.TimeInput(attrs={"class": "form-control", "type": "time"}, format="%H:%M"),
            "major_due_days": forms.NumberInput(attrs={"class": "form-control"}),
            "vendor_due_days": forms.NumberInput(attrs={"class": "form-control"}),
            "due_soon_hours": forms.NumberInput(attrs={"class": "form-control"}),
            "public_reports_per_hour": forms.NumberInput(attrs={"class": "form-control"}),
            "robot_kind": forms.Select(attrs={"class": "form-select"}),
            "robot_url": forms.URLInput(attrs={"class": "form-control"}),
            "robot_secret": forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
        }
        help_texts = {"robot_secret": _("Only for DingTalk robots with signing turned on: the secret starting with SEC.")}


class PlanForm(forms.ModelForm):
    class Meta:
        model = MaintenancePlan
        fields = ["title", "description", "severity", "room", "frequency", "next_due_on", "lead_days", "is_active"]
        widgets = {
            "title": forms.TextInput(attrs={"class": "form-control"}),
            "description": forms.Textarea(attrs={"class": "form-control", "rows": 2}),
            "severity": forms.Select(attrs={"class": "form-select"}),
            "room": forms.Select(attrs={"class": "form-select"}),
            "frequency": forms.Select(attrs={"class": "form-select", "choices": Frequency.choices}),
            "next_due_on": DateInput(attrs={"class": "form-control"}),
            "lead_days": forms.NumberInput(attrs={"class": "form-control"}),
            "is_active": forms.CheckboxInput(attrs={"class": "form-check-input"}),
        }
