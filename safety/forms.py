"""Forms of the safety pages (rendered with includes/form.html; services do the checking)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from frontend.widgets import DateInput, DateTimeInput
from schools.models import Department, Room
from tenants.models import User
from tenants.selectors import member_list_for

from . import models
from .choices import (
    Area,
    CameraStatus,
    CheckSession,
    DrillKind,
    EducationKind,
    EquipmentKind,
    HazardGrade,
    Meal,
    PatrolKind,
    Relation,
    RoundKind,
    Shift,
    TeamKind,
)

DATE = DateInput(attrs={"class": "form-control"})
DATETIME = DateTimeInput(attrs={"class": "form-control"})


class BootstrapForm(forms.Form):
    """Gives every widget its Bootstrap class."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                continue
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


def staff_users(school, keep=()):
    """The people of this school a form may name (and whoever the record already names, in `keep`)."""
    return member_list_for(actor=None, school=school, keep=keep)


def _named(value) -> list[int]:
    """The id of the person an initial value names (a user or an id), to keep them choosable."""
    pk = getattr(value, "pk", value)
    return [pk] if isinstance(pk, int) else []


class VisitorForm(BootstrapForm):
    name = forms.CharField(label=_("Visitor's name"), max_length=50)
    id_number = forms.CharField(label=_("ID number"), max_length=20, required=False,
                                help_text=_("Only the first 3 and last 4 characters are kept."))
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    host_name = forms.CharField(label=_("Whom to visit"), max_length=50)
    host_verified = forms.TypedChoiceField(
        label=_("Verified by calling the host"), choices=[("1", _("Yes")), ("0", _("No"))], coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    purpose = forms.CharField(label=pgettext_lazy("visit", "purpose"), max_length=200)


class StaffExitForm(BootstrapForm):
    name = forms.CharField(label=_("full name"), max_length=50)
    reason = forms.CharField(label=_("reason"), max_length=200)
    approved_by = forms.CharField(label=_("approved by"), max_length=50, required=False)


class PatrolForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("kind"), choices=PatrolKind.choices, initial=PatrolKind.SECURITY)
    shift = forms.ChoiceField(label=_("shift"), choices=Shift.choices)
    route = forms.CharField(label=_("route"), max_length=200)
    started_at = forms.DateTimeField(label=_("started at"), widget=DATETIME)
    ended_at = forms.DateTimeField(label=_("ended at"), widget=DATETIME, required=False)
    findings = forms.CharField(label=_("findings"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    open_hazard = forms.BooleanField(label=_("The finding is a hazard: open one"), required=False)
    hazard_category = forms.ChoiceField(label=_("category"), choices=Area.choices, initial=Area.OTHER)
    hazard_location = forms.CharField(label=_("location"), max_length=200, required=False)


class HazardForm(BootstrapForm):
    category = forms.ChoiceField(label=_("category"), choices=Area.choices)
    grade = forms.ChoiceField(label=_("grade"), choices=HazardGrade.choices)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}))
    room = forms.ModelChoiceField(label=_("room"), queryset=Room.objects.select_related("building"), required=False)
    location_text = forms.CharField(label=_("location"), max_length=200, required=False,
                                    help_text=_("For places outside the buildings (the school's surroundings)"))
    responsible = forms.ModelChoiceField(label=_("responsible person"), queryset=User.objects.none(), required=False)
    measures = forms.CharField(label=_("measures"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    funds = forms.DecimalField(label=_("funds (yuan)"), max_digits=14, decimal_places=2, required=False, min_value=0)
    deadline = forms.DateField(label=_("deadline"), widget=DATE, required=False)
    contingency_plan = forms.CharField(label=_("contingency plan"), widget=forms.Textarea(attrs={"rows": 2}),
                                       required=False)
    photo = forms.FileField(label=_("photo"), required=False)

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = staff_users(school)


class RectifyForm(BootstrapForm):
    actions = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=_("Photo after rectification"), required=False)


class VerifyForm(BootstrapForm):
    accepted = forms.TypedChoiceField(
        label=_("Verification"), choices=[("1", _("Accepted: close the hazard")), ("0", _("Not accepted: reopen"))],
        coerce=lambda v: v == "1", widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)


class RoundForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("kind"), choices=[c for c in RoundKind.choices if c[0] != RoundKind.CAMPAIGN])
    title = forms.CharField(label=_("title"), max_length=200)
    template = forms.ModelChoiceField(label=_("checklist template"), queryset=models.ChecklistTemplate.objects.filter(
        is_active=True))
    department = forms.ModelChoiceField(label=_("department"), queryset=Department.objects.filter(is_active=True),
                                        required=False, help_text=_("For a department self-check"))
    started_on = forms.DateField(label=_("started on"), widget=DATE)
    due_on = forms.DateField(label=_("due on"), widget=DATE, required=False)


def parse_checklist(text: str) -> list[dict]:
    """Lines "区域：检查内容" (area by its Chinese or English label or code) into items."""
    names = {}
    for value, label in Area.choices:
        names[value] = value
        names[str(label)] = value
    from django.utils import translation

    with translation.override("zh-hans"):
        for value, label in Area.choices:
            names[str(label)] = value
    items = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        for sep in ("：", ":", "|"):
            if sep in line:
                area, item = (part.strip() for part in line.split(sep, 1))
                break
        else:
            area, item = "", line
        items.append({"area": names.get(area, Area.OTHER), "text": item})
    return items


class ChecklistTemplateForm(BootstrapForm):
    name = forms.CharField(label=_("name"), max_length=100)
    kind = forms.ChoiceField(label=_("kind"), choices=RoundKind.choices)
    items = forms.CharField(label=_("Items"), widget=forms.Textarea(attrs={"rows": 10}),
                            help_text=_("One item a line, as 区域：检查内容 (e.g. 消防：灭火器在有效期内)."))


class ConfirmDuplicateForm(BootstrapForm):
    """A form whose service refuses a likely duplicate: "Create anyway" appears only once it has."""

    confirm_duplicate = forms.BooleanField(label=_("Create anyway"), required=False, widget=forms.HiddenInput)

    def add_error(self, field, error):
        if field == "confirm_duplicate":
            widget = forms.CheckboxInput(attrs={"class": "form-check-input"})
            self.fields["confirm_duplicate"].widget = widget
        super().add_error(field, error)


class AgreementTemplateForm(ConfirmDuplicateForm):
    kind = forms.ChoiceField(label=_("kind"), choices=models.AgreementKind.choices)
    post = forms.CharField(label=_("post"), max_length=50, required=False)
    title = forms.CharField(label=_("title"), max_length=200)
    body = forms.CharField(label=pgettext_lazy("document", "text"), widget=forms.Textarea(attrs={"rows": 10}))

    field_order = ["kind", "post", "title", "body", "confirm_duplicate"]


class CampaignForm(ConfirmDuplicateForm):
    template = forms.ModelChoiceField(label=_("template"), queryset=models.AgreementTemplate.objects.all())
    term = forms.CharField(label=_("term"), max_length=20)
    groups = forms.MultipleChoiceField(
        label=_("Who signs"), widget=forms.CheckboxSelectMultiple,
        choices=[("teachers", _("All teachers")), ("departments", _("Departments")),
                 ("units", _("On-campus units")), ("parents", _("Parents of every class"))],
    )
    due_on = forms.DateField(label=_("due on"), widget=DATE, required=False)

    field_order = ["template", "term", "groups", "due_on", "confirm_duplicate"]


class SignForm(BootstrapForm):
    signer_name = forms.CharField(label=_("Type your full name to sign"), max_length=100)
    seen_sha256 = forms.CharField(widget=forms.HiddenInput, required=False)


class ScanForm(BootstrapForm):
    signer_name = forms.CharField(label=_("Signed by"), max_length=100)
    scan = forms.FileField(label=_("scan of the paper copy"))


class DrillForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("kind"), choices=DrillKind.choices)
    held_on = forms.DateField(label=_("held on"), widget=DATE)
    participants = forms.IntegerField(label=_("participants"), min_value=1)
    evacuation_seconds = forms.IntegerField(label=_("evacuation time (s)"), min_value=1, required=False)
    plan = forms.ModelChoiceField(label=_("emergency plan"), queryset=models.EmergencyPlan.objects.all(), required=False)
    review = forms.CharField(label=_("review"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class EducationForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("kind"), choices=EducationKind.choices)
    held_on = forms.DateField(label=_("held on"), widget=DATE)
    title = forms.CharField(label=_("title"), max_length=200)
    school_class = forms.ModelChoiceField(label=_("class"), queryset=models.SchoolClass.objects.all(), required=False)
    audience = forms.IntegerField(label=_("audience"), min_value=0, initial=0)


class EscortForm(BootstrapForm):
    on = forms.DateField(label=_("date"), widget=DATE)
    school_class = forms.ModelChoiceField(label=_("class"), queryset=models.SchoolClass.objects.all())
    present = forms.BooleanField(label=_("present"), required=False, initial=True)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class HealthCheckForm(BootstrapForm):
    school_class = forms.ModelChoiceField(label=_("class"), queryset=models.SchoolClass.objects.all())
    on = forms.DateField(label=_("date"), widget=DATE)
    session = forms.ChoiceField(label=_("check"), choices=CheckSession.choices, widget=forms.RadioSelect)
    present = forms.IntegerField(label=_("present"), min_value=0)
    absent = forms.IntegerField(label=_("absent"), min_value=0, initial=0)
    fever = forms.IntegerField(label=_("fever"), min_value=0, initial=0)
    absences = forms.CharField(label=_("Absent pupils"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                               help_text=_("One a line: name and reason, e.g. Wang Xiaoming cold"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser refuses a date ahead too (the service refuses it in any case).
        from django.utils import timezone

        self.fields["on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def absences_list(self) -> list[dict]:
        rows = []
        for line in self.cleaned_data.get("absences", "").splitlines():
            parts = line.strip().split(None, 1)
            if parts:
                rows.append({"student_name": parts[0], "reason": parts[1] if len(parts) > 1 else ""})
        return rows


class DisinfectionForm(BootstrapForm):
    zone = forms.CharField(label=_("zone"), max_length=100)
    done_at = forms.DateTimeField(label=_("done at"), widget=DATETIME)
    agent = forms.CharField(label=_("disinfectant"), max_length=100)
    operator = forms.CharField(label=_("operator"), max_length=50)


class CameraForm(BootstrapForm):
    location = forms.CharField(label=_("location"), max_length=100)
    installed_on = forms.DateField(label=_("installed on"), widget=DATE, required=False)
    status = forms.ChoiceField(label=_("status"), choices=CameraStatus.choices)
    # The service refuses fewer days than the rule (30, or the bureau's value) and says which rule.
    retention_days = forms.IntegerField(label=_("retention (days)"), min_value=1, initial=30)


class EquipmentForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("kind"), choices=EquipmentKind.choices)
    quantity = forms.IntegerField(label=_("quantity"), min_value=0, initial=1)
    location = forms.CharField(label=_("location"), max_length=100)
    checked_on = forms.DateField(label=_("last checked"), widget=DATE, required=False)


class PlanForm(BootstrapForm):
    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=DrillKind.choices)
    adopted_on = forms.DateField(label=_("adopted on"), widget=DATE)
    summary = forms.CharField(label=_("summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    document = forms.FileField(label=_("document"), required=False)


class RosterForm(BootstrapForm):
    name = forms.CharField(label=_("full name"), max_length=50)
    team = forms.ChoiceField(label=_("team"), choices=TeamKind.choices)
    shift = forms.ChoiceField(label=_("shift"), choices=[("", "—"), *Shift.choices], required=False)
    weekday = forms.IntegerField(label=_("weekday"), min_value=1, max_value=7, required=False)


class SchoolClassForm(BootstrapForm):
    grade = forms.IntegerField(label=_("grade"), min_value=1, max_value=12)
    name = forms.CharField(label=_("name"), max_length=30)
    student_count = forms.IntegerField(label=_("students"), min_value=0)
    head_teacher = forms.ModelChoiceField(label=_("head teacher"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["head_teacher"].queryset = staff_users(school)


class HazardPlanForm(BootstrapForm):
    grade = forms.ChoiceField(label=_("grade"), choices=HazardGrade.choices)
    responsible = forms.ModelChoiceField(label=_("responsible person"), queryset=User.objects.none(), required=False)
    measures = forms.CharField(label=_("measures"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    funds = forms.DecimalField(label=_("funds (yuan)"), max_digits=14, decimal_places=2, required=False, min_value=0)
    deadline = forms.DateField(label=_("deadline"), widget=DATE, required=False)
    contingency_plan = forms.CharField(label=_("contingency plan"), widget=forms.Textarea(attrs={"rows": 2}),
                                       required=False)

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = staff_users(school, keep=_named(self.initial.get("responsible")))


class FollowUpForm(BootstrapForm):
    follow_up = forms.CharField(label=_("follow-up"), max_length=300)


class ClassRosterForm(BootstrapForm):
    """A class's roster pasted from a spreadsheet: one pupil a line, 座号 姓名 家长手机 (the phone may be left out)."""

    lines = forms.CharField(
        label=_("Roster"), required=False, widget=forms.Textarea(attrs={"rows": 16, "class": "form-control font-monospace"}),
        help_text=_("One student a line: student no., name, guardian's mobile phone (optional), separated by spaces, "
                    "commas or tabs, e.g. 1 张小明 13800000000."),
    )

    def clean_lines(self) -> list[dict]:
        import re

        rows, errors = [], []
        for number, line in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            parts = [p for p in re.split(r"[\s,，、\t]+", line.strip()) if p]
            if not parts:
                continue
            if len(parts) < 2 or not parts[0].isdigit() or len(parts) > 3:
                errors.append(_("Line %(n)s: write the student no., the name and, if known, the phone.") % {"n": number})
                continue
            rows.append({"seat_no": int(parts[0]), "name": parts[1], "guardian_phone": parts[2] if len(parts) == 3 else ""})
        if errors:
            raise forms.ValidationError(errors)
        return rows


class FireInspectionForm(BootstrapForm):
    inspected_on = forms.DateField(label=_("inspected on"), widget=DATE)
    department = forms.ModelChoiceField(label=_("department inspected"), queryset=Department.objects.all(),
                                        required=False)
    area = forms.CharField(label=_("places inspected"), max_length=200)
    findings = forms.CharField(label=_("findings"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    head_name = forms.CharField(label=_("signature of the department head"), max_length=50, required=False,
                                help_text=_("The head of the inspected department signs with their name"))
    open_hazard = forms.BooleanField(label=_("The finding is a hazard: open one"), required=False)


class MealForm(BootstrapForm):
    on = forms.DateField(label=_("date"), widget=DATE)
    meal = forms.ChoiceField(label=_("meal"), choices=Meal.choices, initial=Meal.LUNCH)
    place = forms.CharField(label=_("canteen or class"), max_length=100, required=False)
    findings = forms.CharField(label=_("findings on food safety and nutrition"),
                               widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CollectorForm(BootstrapForm):
    student = forms.ModelChoiceField(label=_("student"),
                                     queryset=models.Student.objects.select_related("school_class"))
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=50)
    relation = forms.ChoiceField(label=_("relation"), choices=Relation.choices)


class CollectorChoice(forms.ModelChoiceField):
    """A collector named with the pupil they collect (王芳（母亲）· 三年级2班 小明), to pick on a phone."""

    def label_from_instance(self, obj):
        return f"{obj} · {obj.student.school_class} {obj.student.name}"


class CollectionForm(BootstrapForm):
    student = forms.ModelChoiceField(label=_("student"),
                                     queryset=models.Student.objects.select_related("school_class"))
    collector = CollectorChoice(
        label=_("collected by"), queryset=models.AuthorisedCollector.objects.filter(is_active=True)
        .select_related("student__school_class").order_by("student__school_class", "student__seat_no", "name"))
    note = forms.CharField(label=_("note"), max_length=200, required=False)
