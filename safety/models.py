"""Safety: inspections and hazards (隐患排查治理), responsibility agreements (责任状) and the daily ledgers."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pgtrigger
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from schools.models import Department, OnCampusUnit, Room, StaffMember
from tenants.audit import partner_field, partner_label, tracked
from tenants.fields import user_fk

from .choices import (
    AgreementKind,
    Area,
    CameraStatus,
    CheckSession,
    DrillKind,
    EducationKind,
    EquipmentKind,
    HazardGrade,
    HazardStatus,
    ItemResult,
    Meal,
    PartyKind,
    PatrolKind,
    PhotoStage,
    Relation,
    RoundKind,
    Shift,
    SignedVia,
    TeamKind,
)


def _user_fk(verbose, *, null=True, related_name="+"):
    return user_fk(
        on_delete=models.PROTECT if not null else models.SET_NULL, null=null, blank=null,
        related_name=related_name, verbose_name=verbose,
    )


# ---------------------------------------------------------------- classes


@tracked()
class SchoolClass(models.Model):
    """A class (班级): health checks, route escort and the parents who sign agreements belong to it."""

    # A key that is unique across schools, so a class of another school is never mistaken for ours.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    grade = models.PositiveSmallIntegerField(_("grade"), validators=[MinValueValidator(1)])
    name = models.CharField(_("name"), max_length=30)
    head_teacher = _user_fk(_("head teacher"))
    student_count = models.PositiveIntegerField(_("students"), default=0)

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["grade", "name"]
        constraints = [models.UniqueConstraint(fields=["grade", "name"], name="safety_class_unique")]

    def __str__(self) -> str:
        return self.name


@tracked()
class Student(models.Model):
    """A pupil on a class's roster (花名册): the name on the family's signing slip, the guardian's phone for reminders."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="students",
                                     verbose_name=_("class"))
    seat_no = models.PositiveIntegerField(_("student no."), validators=[MinValueValidator(1)])
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    # Personal data: shown to the class's head teacher and the safety managers only (the roster page).
    guardian_phone = models.CharField(
        _("guardian's mobile phone"), max_length=20, blank=True,
        validators=[RegexValidator(r"^1\d{10}$", _("A mobile phone number has 11 digits and starts with 1."))])

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = pgettext_lazy("roster", "students")
        ordering = ["school_class", "seat_no"]
        constraints = [
            models.UniqueConstraint(fields=["school_class", "seat_no"], name="safety_student_seat_unique"),
            models.CheckConstraint(name="safety_student_phone_digits",
                                   condition=models.Q(guardian_phone="") | models.Q(guardian_phone__regex=r"^1\d{10}$")),
        ]

    def __str__(self) -> str:
        return f"{self.school_class} {self.seat_no} {self.name}"


# ---------------------------------------------------------------- inspections and hazards


@tracked()
class ChecklistTemplate(models.Model):
    """A checklist of items grouped by area, copied into each inspection round that uses it."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=RoundKind.choices, default=RoundKind.SWEEP)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@tracked()
class ChecklistItem(models.Model):
    """One line of a checklist template."""

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    text = models.CharField(pgettext_lazy("checklist", "item"), max_length=300)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["template", "area", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.text


@tracked()
class InspectionRound(models.Model):
    """An inspection (自查, 复查, 普查 or a bureau campaign 专项) with its own copy of the checklist."""

    kind = models.CharField(_("kind"), max_length=20, choices=RoundKind.choices)
    title = models.CharField(_("title"), max_length=200)
    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("checklist template"),
    )
    campaign_id = models.PositiveIntegerField(_("bureau campaign"), null=True, blank=True, unique=True)
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("department"),
    )
    started_on = models.DateField(_("started on"))
    due_on = models.DateField(_("due on"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = _user_fk(_("created by"))

    class Meta:
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="safety_round_campaign_kind",
                condition=models.Q(campaign_id__isnull=True) | models.Q(kind=RoundKind.CAMPAIGN),
            )
        ]

    def __str__(self) -> str:
        return self.title


@tracked()
class RoundItem(models.Model):
    """A checklist line of one round and its result; a failed line opens a hazard."""

    round = models.ForeignKey(InspectionRound, on_delete=models.CASCADE, related_name="items")
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    text = models.CharField(pgettext_lazy("checklist", "item"), max_length=300)
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    result = models.CharField(_("result"), max_length=10, choices=ItemResult.choices, default=ItemResult.PENDING)
    note = models.CharField(_("note"), max_length=300, blank=True)
    checked_by = _user_fk(_("checked by"))
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("checklist line")
        verbose_name_plural = _("checklist lines")
        ordering = ["round", "area", "sort_order", "pk"]

    def __str__(self) -> str:
        return self.text


@tracked()
class Hazard(models.Model):
    """A hazard (隐患) with its 五定 and its way from report through rectification to closure (销号)."""

    round = models.ForeignKey(
        InspectionRound, on_delete=models.PROTECT, null=True, blank=True, related_name="hazards",
        verbose_name=_("inspection round"),
    )
    round_item = models.OneToOneField(
        RoundItem, on_delete=models.PROTECT, null=True, blank=True, related_name="hazard",
        verbose_name=_("checklist line"),
    )
    found_on = models.DateField(_("found on"), db_index=True)
    reporter = _user_fk(_("reported by"))
    partner_name = partner_field()
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("room"),
    )
    location_text = models.CharField(_("location"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Area.choices)
    grade = models.CharField(_("grade"), max_length=10, choices=HazardGrade.choices, default=HazardGrade.GENERAL)
    description = models.TextField(_("description"))
    # 五定: responsible person, measures, funds, deadline, contingency plan.
    responsible = _user_fk(_("responsible person"))
    measures = models.TextField(_("measures"), blank=True)
    funds = models.DecimalField(
        _("funds (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    contingency_plan = models.TextField(_("contingency plan"), blank=True)
    supervised = models.BooleanField(_("listed for supervision"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=HazardStatus.choices, default=HazardStatus.OPEN)
    rectified_by = _user_fk(_("rectified by"))
    rectified_at = models.DateTimeField(_("rectified at"), null=True, blank=True)
    verified_by = _user_fk(_("verified by"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verification_note = models.CharField(_("verification note"), max_length=300, blank=True)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        ordering = ["-found_on", "-pk"]
        constraints = [
            # Closure (销号) always carries a verification by someone other than the rectifier.
            models.CheckConstraint(
                name="safety_hazard_closed_verified",
                condition=~models.Q(status=HazardStatus.CLOSED)
                | (models.Q(verified_at__isnull=False) & models.Q(verified_by__isnull=False)
                   & models.Q(rectified_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="safety_hazard_verifier_not_rectifier",
                condition=models.Q(verified_by__isnull=True) | ~models.Q(verified_by=models.F("rectified_by")),
            ),
            models.CheckConstraint(
                name="safety_hazard_major_supervised",
                condition=~models.Q(grade=HazardGrade.MAJOR) | models.Q(supervised=True),
            ),
        ]

    def __str__(self) -> str:
        return self.description[:40]

    @property
    def location(self) -> str:
        return str(self.room) if self.room_id else self.location_text

    @property
    def reported_by(self) -> str:
        """Who reported it: a person, or a partner (物业公司 (partner)); reads `reporter` (select it)."""
        if self.partner_name:
            return partner_label(self.partner_name)
        return self.reporter.display_name if self.reporter_id else ""

    def is_overdue(self, today) -> bool:
        return self.status == HazardStatus.OPEN and self.deadline is not None and self.deadline < today

    @property
    def under_supervision(self) -> bool:
        """挂牌督办 lasts while the hazard is open: a major hazard stays `supervised` for the record once 销号."""
        return self.supervised and self.status != HazardStatus.CLOSED


@tracked()
class HazardPhoto(models.Model):
    """A photo of a hazard as found or after rectification."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="photos")
    stage = models.CharField(_("stage"), max_length=10, choices=PhotoStage.choices)
    image = models.FileField(_("photo"), upload_to="safety/hazards/")
    uploaded_by = _user_fk(_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hazard photo")
        verbose_name_plural = _("hazard photos")
        ordering = ["pk"]


@tracked()
class HazardAction(models.Model):
    """A rectification step taken on a hazard."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="actions")
    text = models.TextField(pgettext_lazy("hazard", "action"))
    by = _user_fk(_("by"))
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rectification action")
        verbose_name_plural = _("rectification actions")
        ordering = ["pk"]


# ---------------------------------------------------------------- agreements


@tracked()
class AgreementTemplate(models.Model):
    """A versioned agreement text (责任状, 告知书, 路途安全责任书); a revision is a new version."""

    kind = models.CharField(_("kind"), max_length=20, choices=AgreementKind.choices)
    post = models.CharField(_("post"), max_length=50, blank=True, help_text=_("For fire agreements by post"))
    title = models.CharField(_("title"), max_length=200)
    version = models.PositiveIntegerField(_("version"), default=1)
    body = models.TextField(pgettext_lazy("document", "text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("agreement template")
        verbose_name_plural = _("agreement templates")
        ordering = ["kind", "post", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "post", "version"], name="safety_agreement_template_version"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


@tracked()
class AgreementCampaign(models.Model):
    """A template issued for a term to groups of parties, each of whom signs their own copy."""

    template = models.ForeignKey(AgreementTemplate, on_delete=models.PROTECT, related_name="campaigns",
                                 verbose_name=_("template"))
    term = models.CharField(_("term"), max_length=20)
    groups = models.JSONField(_("issued to"), default=list)
    issued_by = _user_fk(_("issued by"))
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement campaign")
        verbose_name_plural = _("agreement campaigns")
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.template.title} {self.term}"


@tracked()
@pgtrigger.register(
    # Signed agreements are immutable, even to raw SQL: the database refuses any change or deletion.
    pgtrigger.Protect(
        name="safety_signed_agreement_immutable",
        operation=pgtrigger.Update | pgtrigger.Delete,
        condition=pgtrigger.Q(old__signed_at__isnull=False),
    )
)
class Agreement(models.Model):
    """One party's copy of an issued agreement, and its signature once signed."""

    campaign = models.ForeignKey(AgreementCampaign, on_delete=models.PROTECT, related_name="agreements")
    kind = models.CharField(_("kind"), max_length=20, choices=AgreementKind.choices)
    party_kind = models.CharField(_("party"), max_length=20, choices=PartyKind.choices)
    party_name = models.CharField(_("party name"), max_length=100)
    user = _user_fk(_("account"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    unit = models.ForeignKey(OnCampusUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    seat_no = models.PositiveIntegerField(_("student no."), null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    text = models.TextField(pgettext_lazy("document", "text"))
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signer_name = models.CharField(_("signed by"), max_length=100, blank=True)
    text_sha256 = models.CharField(_("SHA-256 of the text signed"), max_length=64, blank=True)
    signed_via = models.CharField(_("signed via"), max_length=10, choices=SignedVia.choices, blank=True)
    scan = models.FileField(_("scan of the paper copy"), upload_to="safety/agreements/", blank=True)
    reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["campaign", "party_kind", "party_name", "seat_no", "pk"]
        indexes = [models.Index(fields=["campaign", "signed_at"], name="safety_agreement_cov")]
        constraints = [
            models.CheckConstraint(
                name="safety_agreement_signature_complete",
                condition=models.Q(signed_at__isnull=True)
                | (~models.Q(signer_name="") & ~models.Q(text_sha256="") & ~models.Q(signed_via="")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.party_name} · {self.get_kind_display()}"


# ---------------------------------------------------------------- gate


# The history keeps who registered whom and when, not the visitor's personal data: the retention purge
# (个人信息保护法 第十九条) would be undone by an append-only history that still held it.
@tracked(exclude=["name", "id_number_masked", "phone"])
class Visitor(models.Model):
    """A visitor registered at the gate; the ID number is stored masked only, and anonymised after the retention."""

    name = models.CharField(_("name"), max_length=50)
    id_number_masked = models.CharField(_("ID number (masked)"), max_length=18, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    host_name = models.CharField(_("host"), max_length=50)
    host_verified = models.BooleanField(_("verified by calling the host"), default=False)
    purpose = models.CharField(pgettext_lazy("visit", "purpose"), max_length=200)
    in_at = models.DateTimeField(_("in at"), db_index=True)
    out_at = models.DateTimeField(_("out at"), null=True, blank=True)
    registered_by = _user_fk(_("registered by"))
    partner_name = partner_field()
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")
        ordering = ["-in_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="safety_visitor_out_after_in",
                condition=models.Q(out_at__isnull=True) | models.Q(out_at__gte=models.F("in_at")),
            ),
            # Never a full ID number: at most the first 3 and the last 4 characters are kept.
            models.CheckConstraint(
                name="safety_visitor_id_masked",
                condition=models.Q(id_number_masked="") | models.Q(id_number_masked__regex=r"^.{0,3}\*+.{0,4}$"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def registered_by_label(self) -> str:
        """Who registered the visitor: a person or a partner; reads `registered_by` (select it)."""
        if self.partner_name:
            return partner_label(self.partner_name)
        return self.registered_by.display_name if self.registered_by_id else ""


@tracked()
class StaffExit(models.Model):
    """A staff member leaving the campus during working hours (教职工出门登记)."""

    staff = models.ForeignKey(StaffMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("staff member"))
    name = models.CharField(_("name"), max_length=50)
    reason = models.CharField(_("reason"), max_length=200)
    approved_by = models.CharField(_("approved by"), max_length=50, blank=True)
    out_at = models.DateTimeField(_("out at"))
    back_at = models.DateTimeField(_("back at"), null=True, blank=True)
    registered_by = _user_fk(_("registered by"))

    class Meta:
        verbose_name = _("staff exit")
        verbose_name_plural = _("staff exits")
        ordering = ["-out_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="safety_exit_back_after_out",
                condition=models.Q(back_at__isnull=True) | models.Q(back_at__gte=models.F("out_at")),
            )
        ]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- patrols


@tracked()
class SecurityTeamMember(models.Model):
    """A member of the security roster: gate guards and the teachers' security team (护校队)."""

    user = _user_fk(_("account"))
    name = models.CharField(_("name"), max_length=50)
    team = models.CharField(_("team"), max_length=10, choices=TeamKind.choices)
    shift = models.CharField(_("shift"), max_length=10, choices=Shift.choices, blank=True)
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True, help_text=_("1 = Monday"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("security team member")
        verbose_name_plural = _("security roster")
        ordering = ["team", "weekday", "name"]

    def __str__(self) -> str:
        return self.name


@tracked()
class Patrol(models.Model):
    """A patrol walked by a guard or the teachers' security team; a finding can open a hazard."""

    patroller = _user_fk(_("patroller"))
    patroller_name = models.CharField(_("patroller"), max_length=50)
    kind = models.CharField(_("kind"), max_length=10, choices=PatrolKind.choices, default=PatrolKind.SECURITY)
    shift = models.CharField(_("shift"), max_length=10, choices=Shift.choices)
    route = models.CharField(_("route"), max_length=200)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    hazard = models.ForeignKey(Hazard, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("hazard opened"))
    partner_name = partner_field()

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="safety_patrol_end_after_start",
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.patroller_label} {self.route}"

    @property
    def patroller_label(self) -> str:
        """The patroller as the ledger shows it: the name, marked when a partner logged the patrol."""
        return partner_label(self.partner_name) if self.partner_name else self.patroller_name


# ---------------------------------------------------------------- emergency plans and drills


@tracked()
class EmergencyPlan(models.Model):
    """An emergency plan (应急预案) document; a revision is a new version."""

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=DrillKind.choices, default=DrillKind.OTHER)
    version = models.PositiveIntegerField(_("version"), default=1)
    adopted_on = models.DateField(_("adopted on"))
    document = models.FileField(_("document"), upload_to="safety/plans/", blank=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("emergency plan")
        verbose_name_plural = _("emergency plans")
        ordering = ["title", "-version"]
        constraints = [models.UniqueConstraint(fields=["title", "version"], name="safety_plan_version")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


@tracked()
class Drill(models.Model):
    """An emergency drill (应急演练) and its review."""

    kind = models.CharField(_("kind"), max_length=20, choices=DrillKind.choices)
    held_on = models.DateField(_("held on"), db_index=True)
    participants = models.PositiveIntegerField(_("participants"))
    evacuation_seconds = models.PositiveIntegerField(_("evacuation time (s)"), null=True, blank=True)
    plan = models.ForeignKey(EmergencyPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="drills",
                             verbose_name=_("emergency plan"))
    review = models.TextField(_("review"), blank=True)
    recorded_by = _user_fk(_("recorded by"))

    # 教基一厅〔2014〕2号: from the signal to everyone out, within 2 minutes where the buildings allow.
    EVACUATION_TARGET_SECONDS = 120

    class Meta:
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"

    @property
    def over_target(self) -> bool:
        """An evacuation that took longer than the 2-minute target (教基一厅〔2014〕2号)."""
        return self.evacuation_seconds is not None and self.evacuation_seconds > self.EVACUATION_TARGET_SECONDS


@tracked()
class EducationActivity(models.Model):
    """A safety education activity (国旗下讲话, 红领巾广播站, 主题班会, 告家长书)."""

    kind = models.CharField(_("kind"), max_length=20, choices=EducationKind.choices)
    held_on = models.DateField(_("held on"), db_index=True)
    title = models.CharField(_("title"), max_length=200)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("class"))
    audience = models.PositiveIntegerField(_("audience"), default=0)
    recorded_by = _user_fk(_("recorded by"))

    class Meta:
        verbose_name = _("education activity")
        verbose_name_plural = _("education activities")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.title


# ---------------------------------------------------------------- route escort and health


@tracked()
class EscortRecord(models.Model):
    """A teacher's route escort (路队护送) of a class on one day; the seed ties it to pay."""

    on = models.DateField(_("date"), db_index=True)
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="+", verbose_name=_("class"))
    teacher = _user_fk(_("teacher"), null=False)
    present = models.BooleanField(_("present"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("route escort")
        verbose_name_plural = _("route escort")
        ordering = ["-on", "school_class"]
        constraints = [
            models.UniqueConstraint(fields=["on", "school_class", "teacher"], name="safety_escort_once_a_day"),
        ]


@tracked()
class HealthCheck(models.Model):
    """A class's morning or noon health check (晨午检)."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="health_checks",
                                     verbose_name=_("class"))
    on = models.DateField(_("date"), db_index=True)
    session = models.CharField(_("check"), max_length=10, choices=CheckSession.choices)
    present = models.PositiveIntegerField(_("present"))
    absent = models.PositiveIntegerField(_("absent"), default=0)
    fever = models.PositiveIntegerField(_("fever"), default=0)
    recorded_by = _user_fk(_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("health check")
        verbose_name_plural = _("health checks")
        ordering = ["-on", "school_class", "session"]
        constraints = [
            models.UniqueConstraint(fields=["school_class", "on", "session"], name="safety_health_check_once"),
            models.CheckConstraint(name="safety_health_fever_le_present", condition=models.Q(fever__lte=models.F("present"))),
        ]


@tracked()
class Absence(models.Model):
    """An absent pupil of a health check and the follow-up of the absence (缺课追踪)."""

    health_check = models.ForeignKey(HealthCheck, on_delete=models.CASCADE, related_name="absences")
    student_name = models.CharField(_("student"), max_length=50)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    followed_up = models.BooleanField(_("followed up"), default=False)
    follow_up = models.CharField(_("follow-up"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["pk"]


@tracked()
class Disinfection(models.Model):
    """A disinfection of a zone (消毒记录)."""

    zone = models.CharField(_("zone"), max_length=100)
    done_at = models.DateTimeField(_("done at"), db_index=True)
    agent = models.CharField(_("disinfectant"), max_length=100)
    operator = models.CharField(_("operator"), max_length=50)
    recorded_by = _user_fk(_("recorded by"))

    class Meta:
        verbose_name = _("disinfection")
        verbose_name_plural = _("disinfections")
        ordering = ["-done_at", "-pk"]


# ---------------------------------------------------------------- technical and physical defences


@tracked()
class Camera(models.Model):
    """A CCTV camera (监控) of the registry."""

    location = models.CharField(_("location"), max_length=100)
    installed_on = models.DateField(_("installed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CameraStatus.choices, default=CameraStatus.WORKING)
    retention_days = models.PositiveIntegerField(_("retention (days)"), default=30)
    partner_name = partner_field()

    class Meta:
        verbose_name = _("camera")
        verbose_name_plural = _("cameras")
        ordering = ["location"]

    def __str__(self) -> str:
        return self.location


@tracked()
class SecurityEquipment(models.Model):
    """Security equipment (钢叉, 橡胶警棍, 辣椒水 …) kept at a place."""

    kind = models.CharField(_("kind"), max_length=20, choices=EquipmentKind.choices)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    location = models.CharField(_("location"), max_length=100)
    checked_on = models.DateField(_("last checked"), null=True, blank=True)
    partner_name = partner_field()

    class Meta:
        verbose_name = _("security equipment")
        verbose_name_plural = _("security equipment")
        ordering = ["kind", "location"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} × {self.quantity}"


# ---------------------------------------------------------------- fire inspections, accompanied meals, pick-up


@tracked()
class FireInspection(models.Model):
    """A fire inspection (防火检查, 公安部令第61号 第二十六条), signed by the inspector and the inspected department's head."""

    inspected_on = models.DateField(_("inspected on"), db_index=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("department inspected"))
    area = models.CharField(_("places inspected"), max_length=200)
    findings = models.TextField(_("findings"), blank=True)
    inspector = _user_fk(_("inspector"))
    inspector_name = models.CharField(_("inspector"), max_length=50)
    # 第二十六条: 检查人员和被检查部门负责人应当在检查记录上签名.
    head_name = models.CharField(_("signature of the department head"), max_length=50)
    head_signed_at = models.DateTimeField(_("signed by the head at"))
    hazard = models.ForeignKey(Hazard, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("hazard opened"))

    class Meta:
        verbose_name = _("fire inspection")
        verbose_name_plural = _("fire inspections")
        ordering = ["-inspected_on", "-pk"]
        constraints = [
            models.CheckConstraint(name="safety_fire_inspection_signed",
                                   condition=~models.Q(head_name="") & ~models.Q(inspector_name="")),
        ]

    def __str__(self) -> str:
        return f"{self.inspected_on} {self.area}"


@tracked()
class MealAccompaniment(models.Model):
    """A school leader's meal with the pupils (陪餐, 学校食品安全与营养健康管理规定 第四十条) and what they found."""

    on = models.DateField(_("date"), db_index=True)
    meal = models.CharField(_("meal"), max_length=10, choices=Meal.choices)
    leader = _user_fk(_("leader"))
    leader_name = models.CharField(_("leader"), max_length=50)
    place = models.CharField(_("canteen or class"), max_length=100, blank=True)
    findings = models.TextField(_("findings on food safety and nutrition"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("accompanied meal")
        verbose_name_plural = _("accompanied meals")
        ordering = ["-on", "meal", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["on", "meal", "leader_name"], name="safety_meal_once"),
        ]

    def __str__(self) -> str:
        return f"{self.on} {self.get_meal_display()} {self.leader_name}"


@tracked()
class AuthorisedCollector(models.Model):
    """A person the guardian authorised to collect a pupil (接送人), the only kind of person a pupil is handed to."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="collectors",
                                verbose_name=_("student"))
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=12, choices=Relation.choices)
    is_active = models.BooleanField(_("active"), default=True)
    added_by = _user_fk(_("added by"))

    class Meta:
        verbose_name = _("authorised collector")
        verbose_name_plural = _("authorised collectors")
        ordering = ["student", "name"]
        constraints = [
            models.UniqueConstraint(fields=["student", "name"], name="safety_collector_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_relation_display()}）"


@tracked()
class PupilCollection(models.Model):
    """A pupil handed over to an authorised collector at the end of the day (接送交接)."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="collections",
                                verbose_name=_("student"))
    collector = models.ForeignKey(AuthorisedCollector, on_delete=models.PROTECT, related_name="collections",
                                  verbose_name=_("collected by"))
    collected_at = models.DateTimeField(_("collected at"), db_index=True)
    handed_over_by = _user_fk(_("handed over by"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("pupil collection")
        verbose_name_plural = _("pupil collections")
        ordering = ["-collected_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.student} → {self.collector}"
