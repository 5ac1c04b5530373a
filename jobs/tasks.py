"""Celery entry points of the job framework (thin: they call services)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="jobs.tasks.job_run_task", acks_late=True)
def job_run_task(*, job_id: int) -> str | None:
    """Run one job (idempotent: a finished job is left alone; a worker lost mid-run has it delivered again).

    It sets the school's schema from the job row, whatever schema the message arrived with."""
    from .services import job_run

    job = job_run(job_id=job_id)
    return job.status if job else None


@shared_task(name="jobs.tasks.jobs_expired_clean_task", acks_late=True)
def jobs_expired_clean_task() -> int:
    """Delete expired jobs and their files (hourly)."""
    from .services import jobs_expired_clean

    return jobs_expired_clean()
