"""Forms of the school core: they parse input; services apply the rules."""

from __future__ import annotations

from django import forms
from django.db import connection
from django.utils.translation import gettext_lazy as _

from frontend.widgets import DateInput, DateTimeInput
from tenants.models import School
from tenants.selectors import member_list_for

from .choices import ProjectStage
from .models import (
    Building,
    BuildingAppraisal,
    CapitalProject,
    Contract,
    ConvenienceService,
    Department,
    Feedback,
    LostItem,
    Milestone,
    OnCampusUnit,
    Room,
)
from .services import BUILDING_FIELDS, DEPARTMENT_FIELDS, PROJECT_FIELDS, ROOM_FIELDS, UNIT_FIELDS

DATE = DateInput()
DATETIME = DateTimeInput()


class BootstrapMixin:
    """Bootstrap classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


def _people(keep=()):
    """The people of the school being edited (and whoever the record already names, in `keep`), never the
    platform's other accounts: a school cannot make another school's principal its room's custodian."""
    tenant = getattr(connection, "tenant", None)
    return member_list_for(actor=None, school=tenant if isinstance(tenant, School) else None, keep=keep)


class ServiceModelForm(BootstrapMixin, forms.ModelForm):
    """A model form whose model validation is left to the service (which calls full_clean)."""

    def _post_clean(self):
        # The service validates the row; the form only parses it.
        pass


class DepartmentForm(ServiceModelForm):
    class Meta:
        model = Department
        fields = DEPARTMENT_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["head"].queryset = _people(keep=[self.instance.head_id])


class UnitForm(ServiceModelForm):
    class Meta:
        model = OnCampusUnit
        fields = UNIT_FIELDS
        widgets = {"lease_start": DATE, "lease_end": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_user"].queryset = _people(keep=[self.instance.contact_user_id])


class BuildingForm(ServiceModelForm):
    class Meta:
        model = Building
        fields = BUILDING_FIELDS
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class AppraisalForm(ServiceModelForm):
    class Meta:
        model = BuildingAppraisal
        fields = ("grade", "appraised_on", "appraised_by", "handling", "report", "notes")
        widgets = {"appraised_on": DATE}


class RoomForm(ServiceModelForm):
    class Meta:
        model = Room
        fields = ROOM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["custodian"].queryset = _people(keep=[self.instance.custodian_id])


class ProjectForm(ServiceModelForm):
    buildings = forms.ModelMultipleChoiceField(
        label=_("buildings"), queryset=Building.objects.order_by("name"), required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select"}),
    )

    class Meta:
        model = CapitalProject
        fields = PROJECT_FIELDS
        widgets = dict.fromkeys(("approval_date", "drawing_review_passed_on", "construction_started_on", "accepted_on", "planned_start", "planned_end"), DATE) | {
            "description": forms.Textarea(attrs={"rows": 3})
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["buildings"].initial = list(self.instance.buildings.all())


class AdvanceForm(BootstrapMixin, forms.Form):
    to_stage = forms.ChoiceField(label=_("stage"), choices=ProjectStage.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class MilestoneForm(ServiceModelForm):
    class Meta:
        model = Milestone
        fields = ("title", "planned_on", "done_on", "notes")
        widgets = {"planned_on": DATE, "done_on": DATE}


class ContractForm(ServiceModelForm):
    class Meta:
        model = Contract
        fields = ("party", "subject", "amount", "signed_on")
        widgets = {"signed_on": DATE}


class DocumentForm(BootstrapMixin, forms.Form):
    from .choices import DocumentKind

    kind = forms.ChoiceField(label=_("kind"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("title"), max_length=100, required=False)
    file = forms.FileField(label=_("file"))


class FeedbackForm(ServiceModelForm):
    class Meta:
        model = Feedback
        fields = ("channel", "category", "content", "reporter_name", "received_at")
        widgets = {"received_at": DATETIME, "content": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_at"].required = False


class CallbackForm(ServiceModelForm):
    class Meta:
        model = Feedback
        fields = ("outcome", "satisfaction", "callback_at")
        widgets = {"callback_at": DATETIME, "outcome": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].required = True
        self.fields["callback_at"].required = False


class LostItemForm(ServiceModelForm):
    class Meta:
        model = LostItem
        fields = ("item", "quantity", "amount", "found_place", "found_at", "finder", "kept_at")
        widgets = {"found_at": DATETIME}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["found_at"].required = False


class ReturnForm(ServiceModelForm):
    class Meta:
        model = LostItem
        fields = ("claimant", "identified_by", "returned_at")
        widgets = {"returned_at": DATETIME}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["claimant"].required = True
        self.fields["identified_by"].required = True
        self.fields["returned_at"].required = False


class ConvenienceForm(ServiceModelForm):
    class Meta:
        model = ConvenienceService
        fields = ("kind", "done_on", "count", "beneficiary", "handled_by", "notes")
        widgets = {"done_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_on"].required = False
