"""Campaigns go out one task per school and are followed through the safety mirror; awards from
programme to readiness, application, review and the school's title."""

from __future__ import annotations

import datetime as dt
import sys
import types

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from reporting.choices import ApplicationStatus, AwardKind, AwardLevel
from reporting.models import AwardApplication, AwardRecord, Campaign, CampaignTarget
from reporting.services import (
    award_apply,
    award_programme_create,
    award_review,
    campaign_issue,
    school_metrics_refresh,
)
from reporting.tasks import campaign_round_open_task

from .conftest import add_hazards

pytestmark = pytest.mark.django_db
ITEMS = [{"area": "校舍", "text": "墙体有无裂缝"}, {"area": "消防", "text": "灭火器是否在有效期内"}]
CODED = [{"area": "buildings", "text": "墙体有无裂缝"}, {"area": "fire", "text": "灭火器是否在有效期内"}]


@pytest.fixture
def safety_opener(monkeypatch):
    """Stand in for safety.services.campaign_round_open; record the schema each call ran in."""
    calls = []

    def campaign_round_open(*, campaign_id, title, items, due_on):
        calls.append({"schema": connection.schema_name, "campaign_id": campaign_id, "title": title,
                      "items": items, "due_on": due_on})

    module = types.ModuleType("safety.services")
    module.campaign_round_open = campaign_round_open
    monkeypatch.setitem(sys.modules, "safety.services", module)
    return calls


def _run_queued(monkeypatch):
    queued = []
    monkeypatch.setattr(campaign_round_open_task, "apply_async", lambda kwargs: queued.append(kwargs))
    return queued


def test_issuing_queues_one_task_per_school_that_opens_the_round_in_its_schema(
        terms, dave, bureau_north, school_a, school_b, safety_opener, monkeypatch, django_capture_on_commit_callbacks):
    queued = _run_queued(monkeypatch)
    due = timezone.localdate() + dt.timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_issue(user=dave, bureau=bureau_north, title="春季开学安全大检查", items=ITEMS, due_on=due)
    assert sorted(q["school_id"] for q in queued) == sorted([school_a.pk, school_b.pk])
    for kwargs in queued:
        campaign_round_open_task.apply(kwargs=kwargs).get()
    assert sorted(c["schema"] for c in safety_opener) == ["alpha", "beta"]
    assert safety_opener[0] == {**safety_opener[0], "campaign_id": campaign.pk, "title": "春季开学安全大检查",
                                "items": CODED, "due_on": due}
    # idempotent: a second delivery opens nothing more
    campaign_round_open_task.apply(kwargs=queued[0]).get()
    assert len(safety_opener) == 2
    assert CampaignTarget.objects.filter(campaign=campaign, opened_at__isnull=False).count() == 2


def test_campaign_to_some_schools_only_and_never_to_another_bureau(terms, dave, bureau_north, school_a, school_c,
                                                                   monkeypatch):
    _run_queued(monkeypatch)
    due = timezone.localdate() + dt.timedelta(days=7)
    campaign = campaign_issue(user=dave, bureau=bureau_north, title="校舍安全排查", items=ITEMS, due_on=due,
                              schools=[school_a])
    assert list(campaign.targets.values_list("school__slug", flat=True)) == ["alpha"]
    with pytest.raises(ValidationError):
        campaign_issue(user=dave, bureau=bureau_north, title="X", items=ITEMS, due_on=due, schools=[school_c])


def test_only_bureau_managers_issue_campaigns(terms, bureau_north, bureau_staff, alice, erin, monkeypatch):
    _run_queued(monkeypatch)
    due = timezone.localdate() + dt.timedelta(days=7)
    for user in (bureau_staff["fred"], alice, erin):
        with pytest.raises(PermissionDenied):
            campaign_issue(user=user, bureau=bureau_north, title="X", items=ITEMS, due_on=due)
    assert not Campaign.objects.exists()
    campaign_issue(user=bureau_staff["nina"], bureau=bureau_north, title="X", items=ITEMS, due_on=due)


def test_progress_comes_from_the_safety_mirror(fake_metrics_module, terms, dave, bureau_north, school_a, school_b,
                                               client_for, monkeypatch):
    _run_queued(monkeypatch)
    due = timezone.localdate() + dt.timedelta(days=7)
    campaign = campaign_issue(user=dave, bureau=bureau_north, title="春季开学安全大检查", items=ITEMS, due_on=due)
    fake_metrics_module.CAMPAIGN_ROUNDS["alpha"] = [{
        "ref": f"campaign:{campaign.pk}", "title": "春季开学安全大检查", "status": "done", "occurred_on": None,
        "data": {"items_total": 2, "items_checked": 2, "hazards_found": 3, "completed_at": "2026-11-20"}}]
    fake_metrics_module.CAMPAIGN_ROUNDS["beta"] = [{
        "ref": f"campaign:{campaign.pk}", "title": "春季开学安全大检查", "status": "open", "occurred_on": None,
        "data": {"items_total": 2, "items_checked": 1, "hazards_found": 1, "completed_at": None}}]
    school_metrics_refresh(school=school_a)
    school_metrics_refresh(school=school_b)
    response = client_for(dave).get(f"/bureau/campaigns/{campaign.pk}/")
    rows = {r["school"].slug: r for r in response.context["rows"]}
    assert (rows["alpha"]["percent"], rows["alpha"]["hazards_found"]) == (100, 3)
    assert (rows["beta"]["percent"], rows["beta"]["hazards_found"]) == (50, 1)
    assert response.context["summary"] == {"schools": 2, "completed": 1, "hazards": 4, "percent": 50}
    # another bureau cannot open it
    assert client_for(None).get(f"/bureau/campaigns/{campaign.pk}/").status_code == 302


def test_campaign_form_issues_from_the_console(terms, dave, client_for, monkeypatch):
    queued = _run_queued(monkeypatch)
    due = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    response = client_for(dave).post("/bureau/campaigns/new/", {
        "title": "校舍安全排查", "due_on": due, "items": "校舍｜墙体有无裂缝\n消防|灭火器"})
    campaign = Campaign.objects.get(title="校舍安全排查")
    assert response.status_code == 302
    assert campaign.items == [{"area": "buildings", "text": "墙体有无裂缝"}, {"area": "fire", "text": "灭火器"}]
    assert queued == []  # queued after commit only (the test transaction never commits)


@pytest.fixture
def programme(fake_metrics_module, terms, dave, bureau_north):
    return award_programme_create(
        user=dave, bureau=bureau_north, name="区级平安校园", kind=AwardKind.SAFE_CAMPUS, level=AwardLevel.DISTRICT,
        criteria=[{"metric": "hazard_rectification_rate", "op": ">=", "value": 0.95, "source": "本区细则"},
                  {"metric": "buildings_d_grade", "op": "<=", "value": 0, "source": "JGJ 125-2016"}],
        evidence_required=["应急演练记录"],
    )


def test_readiness_apply_review_grant_and_the_school_profile(programme, alice, dave, school_a, client_for):
    add_hazards(school_a, found=7, rectified=5)
    school_metrics_refresh(school=school_a)
    # readiness: 71% < 95% fails, no D-grade building passes → 50
    response = client_for(alice, school_a).get("/awards/")
    assert response.status_code == 200
    (item,) = response.context["programmes"]
    assert item["score"] == 50
    with pytest.raises(ValidationError) as error:
        award_apply(user=alice, school=school_a, programme=programme, evidence={})
    assert "evidence" in error.value.message_dict
    response = client_for(alice, school_a).post(f"/awards/{programme.pk}/apply/",
                                                {"evidence_0": "每月一次，台账在安全办", "statement": ""})
    assert response.status_code == 302
    application = AwardApplication.objects.get(school=school_a)
    assert (application.readiness, application.evidence) == (50, {"应急演练记录": "每月一次，台账在安全办"})
    response = client_for(dave).post(f"/bureau/awards/applications/{application.pk}/",
                                     {"decision": "grant", "score": "88", "note": "材料齐全"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.score) == (ApplicationStatus.GRANTED, 88)
    assert list(AwardRecord.objects.filter(school=school_a).values_list("title", flat=True)) == ["区级平安校园"]
    home = client_for(alice, school_a).get("/").content.decode()
    assert "区级平安校园" in home
    with pytest.raises(ValidationError):
        award_review(user=dave, application=application, grant=True, score=90)


def test_award_roles(programme, bob, charlie, erin, school_a, client_for, bureau_staff):
    assert client_for(bob, school_a).get(f"/awards/{programme.pk}/apply/").status_code == 403
    assert client_for(charlie, school_a).get("/awards/").status_code == 403
    with pytest.raises(PermissionDenied):
        award_apply(user=bob, school=school_a, programme=programme, evidence={"应急演练记录": "x"})
    with pytest.raises(PermissionDenied):
        award_programme_create(user=erin, bureau=programme.bureau, name="X", kind="custom", level="district")
    with pytest.raises(PermissionDenied):
        award_programme_create(user=bureau_staff["fred"], bureau=programme.bureau, name="X", kind="custom",
                               level="district")
    assert client_for(erin).get(f"/bureau/awards/{programme.pk}/").status_code == 403


def test_unknown_metric_in_criteria_is_refused(programme, dave, bureau_north):
    with pytest.raises(ValidationError):
        award_programme_create(user=dave, bureau=bureau_north, name="绿色学校", kind="green", level="city",
                               criteria=[{"metric": "no_such_metric", "op": ">=", "value": 1}])


def test_evidence_file_is_checked_stored_and_served_only_to_readers(programme, alice, dave, erin, bob, school_a,
                                                                    client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tenants.utils import tenant_context

    bad = SimpleUploadedFile("演练.pdf", b"MZ\x90\x00not a pdf", content_type="application/pdf")
    response = client_for(alice, school_a).post(f"/awards/{programme.pk}/apply/",
                                                {"evidence_0": "台账", "evidence_file": bad})
    assert response.status_code == 200
    assert not AwardApplication.objects.exists()
    good = SimpleUploadedFile("演练.pdf", b"%PDF-1.4 drill records", content_type="application/pdf")
    response = client_for(alice, school_a).post(f"/awards/{programme.pk}/apply/",
                                                {"evidence_0": "台账", "evidence_file": good})
    assert response.status_code == 302
    application = AwardApplication.objects.get()
    with tenant_context(school_a):
        assert "/alpha/reporting/evidence/" in application.evidence_file.path  # the school's own media folder
    download = client_for(dave).get(f"/bureau/awards/applications/{application.pk}/file/")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 drill records"
    assert client_for(erin).get(f"/bureau/awards/applications/{application.pk}/file/").status_code == 403
    assert client_for(bob, school_a).get(f"/awards/applications/{application.pk}/file/").status_code == 200
    assert client_for(None, school_a).get(f"/awards/applications/{application.pk}/file/").status_code == 302
    with tenant_context(school_a):
        application.evidence_file.delete(save=False)


def test_real_safety_round_opens_in_the_school_and_its_progress_comes_back(
        terms, dave, bureau_north, school_a, monkeypatch, client_for, django_capture_on_commit_callbacks):
    queued = _run_queued(monkeypatch)
    due = timezone.localdate() + dt.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_issue(user=dave, bureau=bureau_north, title="春季开学安全大检查", items=ITEMS, due_on=due,
                                  schools=[school_a])
    campaign_round_open_task.apply(kwargs=queued[0]).get()
    connection.set_tenant(school_a)
    from safety.models import InspectionRound

    round_ = InspectionRound.objects.get(campaign_id=campaign.pk)
    assert sorted(round_.items.values_list("area", flat=True)) == ["buildings", "fire"]
    connection.set_schema_to_public()
    school_metrics_refresh(school=school_a)
    (row,) = client_for(dave).get(f"/bureau/campaigns/{campaign.pk}/").context["rows"]
    assert (row["opened"], row["items_total"], row["items_checked"], row["completed_at"]) == (True, 2, 0, None)


def test_mirrored_statuses_and_completion_times_read_as_people_write_them():
    from django.utils import translation

    from reporting import catalogue

    with translation.override("zh-hans"):
        assert catalogue.mirror_status("capital_projects", "feasibility") != "feasibility"
        assert catalogue.mirror_status("major_hazards", "open") == "待整改"
        assert catalogue.mirror_status("campaign_rounds", "completed") == "已完成"
        assert catalogue.mirror_status("unknown_kind", "open") == "open"
    # 01:06 UTC is 09:06 in the school's zone (Asia/Shanghai)
    assert catalogue.local_time("2026-12-04T01:06:34+00:00") == "2026-12-04 09:06"
    assert catalogue.local_time("2026-11-20") == "2026-11-20"
    assert catalogue.local_time(None) is None


def test_an_award_without_criteria_cannot_be_run_and_no_figure_is_never_met(programme, dave, alice, bureau_north,
                                                                             school_a):
    from reporting.models import AwardProgramme
    from reporting.selectors import award_readiness

    # a programme cannot be opened without criteria
    before = AwardProgramme.objects.count()
    with pytest.raises(ValidationError) as error:
        award_programme_create(user=dave, bureau=bureau_north, name="市花园式学校", kind=AwardKind.GARDEN,
                               level=AwardLevel.CITY, criteria=[], evidence_required=["绿化面积测绘"])
    assert "criteria" in error.value.message_dict
    assert AwardProgramme.objects.count() == before
    # one made before the rule scores nobody (no free 100) and takes no application
    legacy = AwardProgramme.objects.create(bureau=bureau_north, name="旧评选", kind=AwardKind.GARDEN,
                                           level=AwardLevel.CITY, criteria=[])
    assert award_readiness(programme=legacy, values={"hazard_rectification_rate": 1.0})["score"] is None
    with pytest.raises(ValidationError) as error:
        award_apply(user=alice, school=school_a, programme=legacy, evidence={})
    assert "programme" in error.value.message_dict
    # a school without the figures is unknown on each criterion, and unknown is not met
    readiness = award_readiness(programme=programme, values={})
    assert [c["met"] for c in readiness["checks"]] == [None, None]
    assert (readiness["score"], readiness["met"], readiness["unknown"]) == (0, 0, 2)
