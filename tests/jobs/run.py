"""For tests of pages whose file is made by a background job: run the job the page started, get its file."""

from __future__ import annotations

import re

from django.http import HttpResponse

from jobs.tasks import job_run_task


def file_of_job(client, response) -> HttpResponse:
    """`response` redirected to /jobs/<id>/: run that job (as the worker would) and download its file as the
    same client; the download comes back as a plain response with `.content`."""
    assert response.status_code == 302, response.status_code
    match = re.fullmatch(r"/jobs/(\d+)/", response["Location"])
    assert match, response["Location"]
    job_run_task.apply(kwargs={"job_id": int(match[1])}).get()
    download = client.get(f"/jobs/{match[1]}/download/")
    assert download.status_code == 200, client.get(response["Location"]).content.decode()
    plain = HttpResponse(b"".join(download.streaming_content), content_type=download["Content-Type"])
    plain["Content-Disposition"] = download["Content-Disposition"]
    return plain
