"""One row per run of long work (an export, a document, an import) done in the background.

The rows live in the public schema, beside the users, schools and bureaus they name: a job is asked for
on a school's host or on the bureau console, and the hourly clean-up deletes every expired one with
one query, without visiting each school's schema. The file a job makes lies under the media folder of
the place it belongs to (MEDIA_ROOT/<school schema>/jobs/<id>/, MEDIA_ROOT/public/bureau-<code>/jobs/<id>/)
and is served only through the job's download view, to the job's owner, on that place's host.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class JobKind(models.TextChoices):
    EXPORT = "export", _("Export")
    DOCUMENT = "document", _("Document")
    IMPORT = "import", _("Import")


class JobQuerySet(models.QuerySet):
    def here(self, school):
        """Jobs asked for on this host: a school's (school given) or the bureau console's (None)."""
        return self.filter(school=school) if school is not None else self.filter(school__isnull=True)

    def live(self):
        return self.filter(expires_at__gt=timezone.now())


class Job(models.Model):
    """A run of long work for one person in one school or bureau: its progress, its message, its file."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs", verbose_name=_("user")
    )
    school = models.ForeignKey(
        "tenants.School",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("school"),
    )
    bureau = models.ForeignKey(
        "tenants.Bureau",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("bureau"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=JobKind.choices)
    # What runs it: "view" replays a page's export as its user; "<app>.<name>" is a runner of <app>/jobs.py.
    runner = models.CharField(_("runner"), max_length=60)
    title = models.CharField(_("title"), max_length=200)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    # Rows the work expects to write, when known (the progress bar counts them).
    total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_path = models.CharField(_("file path"), max_length=500, blank=True)  # relative to MEDIA_ROOT
    content_type = models.CharField(_("content type"), max_length=120, blank=True)
    file_size = models.PositiveBigIntegerField(_("file size"), null=True, blank=True)
    next_url = models.CharField(_("next page"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "school", "-created_at"]),
            models.Index(fields=["expires_at"]),
        ]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def has_file(self) -> bool:
        return bool(self.file_path)

    def place_folder(self) -> str:
        """The media folder of the place the job belongs to (relative to MEDIA_ROOT)."""
        if self.school_id:
            return self.school.schema_name
        if self.bureau_id:
            return f"public/bureau-{self.bureau.code}"
        return "public/platform"
