"""What every other module points at: departments, staff, buildings, rooms, on-campus units."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.audit import partner_field, tracked
from tenants.fields import user_fk

from .choices import (
    ACTIVE_STAGES,
    DocumentKind,
    FeedbackCategory,
    FeedbackChannel,
    FundingSource,
    Handling,
    ProcurementChannel,
    ProjectKind,
    ProjectStage,
    RoomPurpose,
    SafetyGrade,
    ServiceKind,
    UnitKind,
)


@tracked()
class Department(models.Model):
    """A department of the school (总务处, 教导处, 大队部, 教研组 …)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    head = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("head"),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


@tracked()
class StaffMember(models.Model):
    """A person on the school's staff roster, linked to their sign-in account."""

    user = user_fk(
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    post = models.CharField(_("post"), max_length=50, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="staff",
        verbose_name=_("department"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["department__sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(user__isnull=False), name="staff_one_per_user"),
        ]

    def __str__(self) -> str:
        return self.name


@tracked()
class Building(models.Model):
    """A school building (校舍) with its safety appraisal per JGJ 125."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    year_built = models.PositiveIntegerField(_("year built"), null=True, blank=True)
    floors = models.PositiveIntegerField(_("floors"), default=1, validators=[MinValueValidator(1)])
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=10, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    structure = models.CharField(_("structure"), max_length=50, blank=True)
    use = models.CharField(_("use"), max_length=50, blank=True)
    safety_grade = models.CharField(_("safety grade"), max_length=1, choices=SafetyGrade.choices, blank=True)
    appraised_on = models.DateField(_("appraised on"), null=True, blank=True)
    appraised_by = models.CharField(_("appraising body"), max_length=100, blank=True)
    handling = models.CharField(_("handling category"), max_length=12, choices=Handling.choices, blank=True)
    appraisal_report = models.FileField(_("appraisal report"), upload_to="buildings/", blank=True)
    # What is done about a B/C/D grade (JGJ 125-2016, 平安校园): the safety measures taken and whether warning
    # signs are posted; a D building in use (not stopped or demolished) is flagged (schools/rules.py).
    safety_measures = models.TextField(_("safety measures taken"), blank=True)
    warning_signs = models.BooleanField(_("warning signs posted"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_weak(self) -> bool:
        """Graded C or D: needs reinforcement or must not be used."""
        return self.safety_grade in (SafetyGrade.C, SafetyGrade.D)


@tracked()
class BuildingAppraisal(models.Model):
    """One safety appraisal of a building (JGJ 125): the grade history, newest last."""

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="appraisals", verbose_name=_("building"))
    grade = models.CharField(_("safety grade"), max_length=1, choices=SafetyGrade.choices)
    appraised_on = models.DateField(_("appraised on"))
    appraised_by = models.CharField(_("appraising body"), max_length=100, blank=True)
    handling = models.CharField(_("handling category"), max_length=12, choices=Handling.choices, blank=True)
    report = models.FileField(_("appraisal report"), upload_to="buildings/", blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    recorded_by = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("building appraisal")
        verbose_name_plural = _("building appraisals")
        ordering = ["building", "-appraised_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.building} {self.grade} {self.appraised_on}"


@tracked()
class Room(models.Model):
    """A room of a building: where assets stand and hazards are found."""

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("building"))
    floor = models.IntegerField(_("floor"), default=1)
    number = models.CharField(pgettext_lazy("room", "number"), max_length=20)
    name = models.CharField(_("name"), max_length=50, blank=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=RoomPurpose.choices, default=RoomPurpose.CLASSROOM)
    area = models.DecimalField(
        _("area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    custodian = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("custodian"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="rooms",
        verbose_name=_("department"),
    )

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["building__name", "floor", "number"]
        constraints = [models.UniqueConstraint(fields=["building", "number"], name="room_number_unique_in_building")]

    def __str__(self) -> str:
        label = f"{self.building.name} {self.number}"
        return f"{label} {self.name}" if self.name else label


@tracked()
class OnCampusUnit(models.Model):
    """A unit renting space on campus (租赁单位): signs safety agreements, its people pass the gate."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices, default=UnitKind.OTHER)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_user = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("contact account"),
    )
    lease_start = models.DateField(_("lease start"), null=True, blank=True)
    lease_end = models.DateField(_("lease end"), null=True, blank=True)
    headcount = models.PositiveIntegerField(_("headcount"), default=0)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("on-campus unit")
        verbose_name_plural = _("on-campus units")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="unit_lease_end_after_start",
                condition=models.Q(lease_end__isnull=True)
                | models.Q(lease_start__isnull=True)
                | models.Q(lease_end__gte=models.F("lease_start")),
            )
        ]

    def __str__(self) -> str:
        return self.name


@tracked()
class CapitalProject(models.Model):
    """A capital project (项目建设): reinforcement, campus culture, land revitalisation …"""

    title = models.CharField(pgettext_lazy("project", "title"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ProjectKind.choices)
    description = models.TextField(_("description"), blank=True)
    buildings = models.ManyToManyField(Building, blank=True, related_name="projects", verbose_name=_("buildings"))
    budget = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2, default=Decimal("0"))
    funding_source = models.CharField(_("funding source"), max_length=20, choices=FundingSource.choices)
    procurement_channel = models.CharField(
        _("procurement channel"), max_length=20, choices=ProcurementChannel.choices, blank=True
    )
    stage = models.CharField(_("stage"), max_length=20, choices=ProjectStage.choices, default=ProjectStage.PROPOSAL)
    approval_number = models.CharField(_("approval document number"), max_length=60, blank=True)
    approval_date = models.DateField(_("approval date"), null=True, blank=True)
    drawing_review_passed_on = models.DateField(_("drawing review passed on"), null=True, blank=True)
    construction_started_on = models.DateField(_("construction started on"), null=True, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    created_by = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("capital project")
        verbose_name_plural = _("capital projects")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors = {}
        if self.budget is not None and self.budget < 0:
            errors["budget"] = _("The budget cannot be negative.")
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The end cannot be before the start.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_active(self) -> bool:
        return self.stage in ACTIVE_STAGES


class ProjectStageChange(models.Model):
    """The project entered a stage (the pipeline's timeline)."""

    project = models.ForeignKey(CapitalProject, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("from"), max_length=20, choices=ProjectStage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=20, choices=ProjectStage.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = user_fk(on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["at", "pk"]


@tracked()
class Milestone(models.Model):
    """A milestone of a project with planned and actual dates."""

    project = models.ForeignKey(CapitalProject, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(pgettext_lazy("project", "title"), max_length=100)
    planned_on = models.DateField(_("planned on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["planned_on", "pk"]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today=None) -> bool:
        from django.utils import timezone

        today = today or timezone.localdate()
        return self.done_on is None and self.planned_on < today


@tracked()
class Contract(models.Model):
    """A contract signed for a project."""

    project = models.ForeignKey(CapitalProject, on_delete=models.CASCADE, related_name="contracts")
    party = models.CharField(_("counterparty"), max_length=100)
    subject = models.CharField(pgettext_lazy("contract", "subject"), max_length=100, blank=True)
    amount = models.DecimalField(
        _("amount (yuan)"), max_digits=14, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    signed_on = models.DateField(_("signed on"))

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["signed_on", "pk"]

    def __str__(self) -> str:
        return f"{self.party} {self.subject}".strip()


@tracked()
class ProjectDocument(models.Model):
    """A document of a project (PDF, image, Office file), served only through a checked view."""

    project = models.ForeignKey(CapitalProject, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    title = models.CharField(_("title"), max_length=100)
    file = models.FileField(_("file"), upload_to="projects/")
    content_kind = models.CharField(max_length=10, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.title


@tracked()
class Feedback(models.Model):
    """An opinion or complaint from teachers or students, called back within 24 hours."""

    channel = models.CharField(_("channel"), max_length=10, choices=FeedbackChannel.choices)
    category = models.CharField(_("category"), max_length=12, choices=FeedbackCategory.choices,
                                default=FeedbackCategory.SUGGESTION)
    received_at = models.DateTimeField(_("received at"))
    content = models.TextField(_("content"))
    reporter_name = models.CharField(_("from"), max_length=50, blank=True)
    submitted_by = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("submitted by"),
    )
    partner_name = partner_field()
    callback_due_at = models.DateTimeField(_("callback due at"))
    callback_at = models.DateTimeField(_("called back at"), null=True, blank=True)
    callback_by = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("called back by"),
    )
    outcome = models.TextField(_("outcome"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return self.content[:30]

    def is_overdue(self, now=None) -> bool:
        from django.utils import timezone

        now = now or timezone.now()
        return self.callback_at is None and self.callback_due_at < now

    @property
    def called_back_in_time(self) -> bool:
        return self.callback_at is not None and self.callback_at <= self.callback_due_at


@tracked()
class LostItem(models.Model):
    """An item found on campus, kept until its owner claims it."""

    item = models.CharField(_("item"), max_length=50)
    quantity = models.PositiveIntegerField(_("quantity"), default=1, validators=[MinValueValidator(1)])
    amount = models.DecimalField(
        _("cash amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    found_at = models.DateTimeField(_("found at"))
    found_place = models.CharField(_("where found"), max_length=100)
    finder = models.CharField(_("finder"), max_length=50, blank=True)
    kept_at = models.CharField(_("where kept"), max_length=100, blank=True)
    claimant = models.CharField(_("claimant"), max_length=50, blank=True)
    identified_by = models.CharField(_("identified by"), max_length=100, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    reported_by = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("reported by"),
    )
    partner_name = partner_field()
    returned_by_partner = models.CharField(_("returned by partner"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("lost item")
        verbose_name_plural = _("lost and found")
        ordering = ["-found_at", "-pk"]

    def __str__(self) -> str:
        return self.item


@tracked()
class ConvenienceService(models.Model):
    """A convenience service given to teachers or students (unlocking, hospital trip, pump …)."""

    kind = models.CharField(_("kind"), max_length=12, choices=ServiceKind.choices)
    done_on = models.DateField(_("date"))
    count = models.PositiveIntegerField(_("times"), default=1, validators=[MinValueValidator(1)])
    beneficiary = models.CharField(_("for whom"), max_length=100, blank=True)
    handled_by = models.CharField(_("handled by"), max_length=50, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    recorded_by = user_fk(
        on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )
    partner_name = partner_field()

    class Meta:
        verbose_name = _("convenience service")
        verbose_name_plural = _("convenience services")
        ordering = ["-done_on", "-pk"]

    def __str__(self) -> str:
        return self.get_kind_display()
