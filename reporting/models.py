"""Public-schema read-models and bureau records: terms, metrics per school and term, mirrored lists,
campaigns, award programmes and records, and the editable work summaries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tenants.models import Bureau, School

from .choices import ApplicationStatus, AwardKind, AwardLevel


class Term(models.Model):
    """A term (学期) of a bureau's calendar: every metric is per school per term."""

    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, related_name="terms", verbose_name=_("bureau"))
    name = models.CharField(_("name"), max_length=60)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "name"], name="term_unique_name"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="term_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The term must end after it starts.")})
        if self.start and self.end and self.bureau_id:
            overlapping = Term.objects.filter(bureau_id=self.bureau_id, start__lte=self.end, end__gte=self.start)
            if self.pk:
                overlapping = overlapping.exclude(pk=self.pk)
            if overlapping.exists():
                raise ValidationError({"start": _("This term overlaps another term of the bureau.")})


class SchoolMetrics(models.Model):
    """Every metric of one school for one term, recomputed by Celery after school-side writes."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", verbose_name=_("school"))
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="metrics", verbose_name=_("term"))
    values = models.JSONField(_("values"), default=dict)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("school metrics")
        verbose_name_plural = _("school metrics")
        constraints = [models.UniqueConstraint(fields=["school", "term"], name="school_metrics_unique")]
        indexes = [models.Index(fields=["term", "school"])]

    def __str__(self) -> str:
        return f"{self.school_id}@{self.term_id}"


class MirroredRecord(models.Model):
    """A school-side record the bureau lists across schools (major hazards, C/D buildings, ...)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", verbose_name=_("school"))
    kind = models.CharField(_("kind"), max_length=40)
    ref = models.CharField(_("reference"), max_length=80)
    title = models.CharField(_("title"), max_length=300)
    status = models.CharField(_("status"), max_length=60, blank=True)
    occurred_on = models.DateField(_("date"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("mirrored record")
        verbose_name_plural = _("mirrored records")
        ordering = ["kind", "-occurred_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["school", "kind", "ref"], name="mirrored_record_unique")]
        indexes = [models.Index(fields=["kind", "school"])]

    def __str__(self) -> str:
        return self.title


class Campaign(models.Model):
    """An inspection campaign the bureau issues to some or all of its schools."""

    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, related_name="campaigns", verbose_name=_("bureau"))
    title = models.CharField(_("title"), max_length=120)
    items = models.JSONField(_("checklist items"), default=list)
    due_on = models.DateField(pgettext_lazy("campaign", "deadline"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-issued_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def mirror_ref(self) -> str:
        return f"campaign:{self.pk}"


class CampaignTarget(models.Model):
    """One school a campaign was sent to, and whether its inspection round was opened there."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", verbose_name=_("school"))
    opened_at = models.DateTimeField(_("round opened at"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "school"], name="campaign_target_unique")]


class AwardProgramme(models.Model):
    """An award (平安校园, 绿色学校 ...) with its criteria as metric thresholds and the evidence it needs."""

    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, related_name="award_programmes")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=AwardKind.choices, default=AwardKind.CUSTOM)
    level = models.CharField(_("level"), max_length=20, choices=AwardLevel.choices, default=AwardLevel.DISTRICT)
    description = models.TextField(_("description"), blank=True)
    # [{"metric": key, "op": ">=" | "<=", "value": number}]; percent thresholds as ratios 0..1.
    criteria = models.JSONField(_("criteria"), default=list, blank=True)
    evidence_required = models.JSONField(_("evidence required"), default=list, blank=True)
    is_open = models.BooleanField(_("accepting applications"), default=True)

    class Meta:
        verbose_name = _("award programme")
        verbose_name_plural = _("award programmes")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["bureau", "name"], name="award_programme_unique")]

    def __str__(self) -> str:
        return self.name


def _evidence_path(instance, filename: str) -> str:
    # Stored under the school's own media folder (the per-school storage adds the schema).
    return f"reporting/evidence/{timezone.now():%Y%m}/{filename}"


class AwardApplication(models.Model):
    """A school's application to an award programme, with its evidence, and the bureau's review."""

    programme = models.ForeignKey(AwardProgramme, on_delete=models.CASCADE, related_name="applications")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", verbose_name=_("school"))
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="+", verbose_name=_("term"))
    status = models.CharField(
        _("status"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)  # {evidence label: text}
    statement = models.TextField(_("statement"), blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to=_evidence_path, blank=True, max_length=300)
    readiness = models.PositiveSmallIntegerField(_("readiness score"), default=0)
    score = models.PositiveSmallIntegerField(_("review score"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("award application")
        verbose_name_plural = _("award applications")
        ordering = ["-applied_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "school"],
                condition=Q(status="submitted"),
                name="award_application_one_pending",
            )
        ]


class AwardEvidence(models.Model):
    """What a school attached for one criterion of its application: a file (checked as every upload is), a link
    to its records in Houqin, and a note; the bureau sees it beside the criterion when it reviews."""

    application = models.ForeignKey(AwardApplication, on_delete=models.CASCADE, related_name="criterion_evidence")
    criterion = models.PositiveSmallIntegerField(_("criterion"))  # its index in the programme's criteria
    metric = models.CharField(_("metric"), max_length=80)
    note = models.TextField(_("note"), blank=True)
    link = models.CharField(_("link to the records"), max_length=300, blank=True)
    file = models.FileField(_("file"), upload_to=_evidence_path, blank=True, max_length=300)

    class Meta:
        verbose_name = _("award evidence")
        verbose_name_plural = _("award evidence")
        ordering = ["application", "criterion"]
        constraints = [
            models.UniqueConstraint(fields=["application", "criterion"], name="award_evidence_one_per_criterion")
        ]


class AwardRecord(models.Model):
    """A title a school holds (省级平安校园 ...): shown on its profile."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+", verbose_name=_("school"))
    programme = models.ForeignKey(AwardProgramme, on_delete=models.SET_NULL, null=True, blank=True, related_name="records")
    title = models.CharField(_("title"), max_length=120)
    level = models.CharField(_("level"), max_length=20, choices=AwardLevel.choices)
    granted_on = models.DateField(_("granted on"))
    application = models.OneToOneField(AwardApplication, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        verbose_name = _("award record")
        verbose_name_plural = _("award records")
        ordering = ["-granted_on", "title"]
        constraints = [models.UniqueConstraint(fields=["school", "title"], name="award_record_unique")]

    def __str__(self) -> str:
        return self.title


class WorkSummary(models.Model):
    """The term work summary (工作总结) of a school, or of the whole bureau when school is empty."""

    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(pgettext_lazy("document", "text"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("work summary")
        verbose_name_plural = _("work summaries")
        constraints = [
            models.UniqueConstraint(fields=["bureau", "school", "term"], name="work_summary_unique"),
            models.UniqueConstraint(
                fields=["bureau", "term"], condition=Q(school__isnull=True), name="work_summary_bureau_unique"
            ),
        ]
