"""Reads of the job framework: a person's jobs on the host they are on."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import Job

RECENT = 50


def job_list_for(*, user, school) -> QuerySet[Job]:
    """The user's unexpired jobs asked for on this host (a school's, or the bureau console's for None)."""
    return Job.objects.here(school).live().filter(user=user).select_related("school", "bureau")


def job_get_for(*, user, school, job_id: int) -> Job:
    """A job of this host; Http404 when it belongs to another school or host (or expired), PermissionDenied when it
    is someone else's here."""
    job = Job.objects.here(school).live().select_related("school", "bureau", "user").filter(pk=job_id).first()
    if job is None:
        raise Http404
    if job.user_id != user.pk:
        raise PermissionDenied
    return job
