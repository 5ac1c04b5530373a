import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from schools import services
from schools.choices import DocumentKind, ProjectStage, SafetyGrade
from schools.models import BuildingAppraisal, CapitalProject, Feedback, ProjectDocument, ProjectStageChange
from schools.selectors import building_needs_project, weak_buildings_without_project
from tests.schools.factories import BuildingFactory, FeedbackFactory, LostItemFactory, ProjectFactory

PDF = b"%PDF-1.4\n%test\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _errors(exc_info) -> dict:
    return {k: [str(m) for m in v] for k, v in exc_info.value.message_dict.items()}


# --- the stage pipeline ----------------------------------------------------------------------

def test_a_stage_cannot_be_skipped(in_school_a, alice):
    project = ProjectFactory(approval_number="区教发〔2026〕1号", approval_date=dt.date(2026, 6, 3))

    with pytest.raises(ValidationError) as exc:
        services.project_advance(actor=alice, project=project, to_stage=ProjectStage.APPROVAL)

    assert list(_errors(exc)) == ["stage"]
    project.refresh_from_db()
    assert project.stage == ProjectStage.PROPOSAL
    assert not ProjectStageChange.objects.filter(project=project).exists()


def test_feasibility_needs_the_proposal_document(in_school_a, alice, media):
    project = ProjectFactory()
    with pytest.raises(ValidationError) as exc:
        services.project_advance(actor=alice, project=project, to_stage=ProjectStage.FEASIBILITY)
    assert list(_errors(exc)) == ["documents"]

    services.document_upload(actor=alice, project=project, upload=SimpleUploadedFile("建议书.pdf", PDF),
                             title="建议书", kind=DocumentKind.PROPOSAL)
    assert services.project_advance(actor=alice, project=project, to_stage=ProjectStage.FEASIBILITY).stage == "feasibility"


def test_approval_needs_its_document_number_and_date(in_school_a, alice):
    project = ProjectFactory(stage=ProjectStage.FEASIBILITY)

    with pytest.raises(ValidationError) as exc:
        services.project_advance(actor=alice, project=project, to_stage=ProjectStage.APPROVAL)

    assert set(_errors(exc)) == {"approval_number", "approval_date"}
    project.refresh_from_db()
    assert project.stage == ProjectStage.FEASIBILITY

    services.project_save(actor=alice, project=project, approval_number="区教发〔2026〕18号",
                          approval_date=dt.date(2026, 6, 3))
    project = services.project_advance(actor=alice, project=project, to_stage=ProjectStage.APPROVAL)
    assert project.stage == ProjectStage.APPROVAL
    assert ProjectStageChange.objects.get(project=project, to_stage="approval").from_stage == "feasibility"


@pytest.mark.parametrize(
    ("stage", "field"),
    [(ProjectStage.APPROVAL, "procurement_channel"), (ProjectStage.PROCUREMENT, "contracts"),
     (ProjectStage.DESIGN, "drawing_review_passed_on"), (ProjectStage.CONSTRUCTION, "construction_started_on"),
     (ProjectStage.ACCEPTANCE, "accepted_on")],
)
def test_each_later_stage_needs_its_record(stage, field, in_school_a, alice):
    project = ProjectFactory(stage=stage, approval_number="x", approval_date=dt.date(2026, 1, 1))
    nxt = services.next_stage(project)
    with pytest.raises(ValidationError) as exc:
        services.project_advance(actor=alice, project=project, to_stage=nxt)
    assert list(_errors(exc)) == [field]


def test_end_before_start_is_refused(in_school_a, alice):
    with pytest.raises(ValidationError) as exc:
        services.project_save(actor=alice, title="加固", kind="reinforcement", funding_source="fiscal",
                              planned_start=dt.date(2026, 7, 1), planned_end=dt.date(2026, 6, 1))
    assert _errors(exc) == {"planned_end": ["结束日期不能早于开始日期。"]}
    assert not CapitalProject.objects.filter(title="加固").exists()


def test_negative_budget_is_refused(in_school_a, alice):
    with pytest.raises(ValidationError) as exc:
        services.project_save(actor=alice, title="加固", kind="reinforcement", funding_source="fiscal",
                              budget=Decimal("-1.00"))
    assert _errors(exc) == {"budget": ["预算不能为负数。"]}
    assert not CapitalProject.objects.filter(title="加固").exists()


# --- documents -------------------------------------------------------------------------------

def test_an_executable_is_refused_as_a_document(in_school_a, alice, media):
    project = ProjectFactory()
    upload = SimpleUploadedFile("方案.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100)

    with pytest.raises(ValidationError) as exc:
        services.document_upload(actor=alice, project=project, upload=upload, title="方案")

    assert list(_errors(exc)) == ["file"]
    assert "不接受此类文件" in _errors(exc)["file"][0]
    assert not ProjectDocument.objects.exists()
    assert not list(media.rglob("*.pdf"))


def test_a_file_over_the_size_limit_is_refused(in_school_a, alice, media, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    project = ProjectFactory()
    upload = SimpleUploadedFile("大文件.pdf", PDF + b"0" * 2048)

    with pytest.raises(ValidationError) as exc:
        services.document_upload(actor=alice, project=project, upload=upload, title="大文件")

    assert "文件过大" in _errors(exc)["file"][0]
    assert not ProjectDocument.objects.exists()
    assert not list(media.rglob("*"))


def test_a_pdf_is_stored_with_its_kind_and_size(in_school_a, alice, media):
    project = ProjectFactory()
    document = services.document_upload(actor=alice, project=project, upload=SimpleUploadedFile("批复.pdf", PDF),
                                        title="批复", kind=DocumentKind.APPROVAL)
    assert (document.content_kind, document.size, document.uploaded_by) == ("pdf", len(PDF), alice)


# --- buildings and the C/D flag -------------------------------------------------------------------

def test_appraisal_keeps_history_and_sets_the_current_grade(in_school_a, alice):
    building = BuildingFactory(name="1号教学楼")
    services.building_appraise(actor=alice, building=building, grade=SafetyGrade.B, appraised_on=dt.date(2020, 5, 1))
    services.building_appraise(actor=alice, building=building, grade=SafetyGrade.C, appraised_on=dt.date(2025, 10, 20),
                               handling="demolish")
    # an older appraisal entered late does not overwrite the current grade
    services.building_appraise(actor=alice, building=building, grade=SafetyGrade.A, appraised_on=dt.date(2015, 1, 1))

    building.refresh_from_db()
    assert (building.safety_grade, building.handling, building.appraised_on) == ("C", "demolish", dt.date(2025, 10, 20))
    assert list(BuildingAppraisal.objects.filter(building=building).values_list("grade", flat=True)) == ["C", "B", "A"]


def test_future_appraisal_date_is_refused(in_school_a, alice):
    building = BuildingFactory()
    with pytest.raises(ValidationError) as exc:
        services.building_appraise(actor=alice, building=building, grade="C",
                                   appraised_on=timezone.localdate() + dt.timedelta(days=1))
    assert list(_errors(exc)) == ["appraised_on"]
    assert not BuildingAppraisal.objects.exists()


@pytest.mark.parametrize(
    ("grade", "project_kind", "stage", "flagged"),
    [("C", None, None, True), ("D", None, None, True), ("B", None, None, False), ("A", None, None, False),
     ("C", "reinforcement", ProjectStage.PROCUREMENT, False), ("D", "reinforcement", ProjectStage.PROPOSAL, False),
     ("C", "reinforcement", ProjectStage.CLOSED, True), ("C", "campus_culture", ProjectStage.DESIGN, True)],
)
def test_cd_building_without_active_reinforcement_project_is_flagged(grade, project_kind, stage, flagged, in_school_a):
    building = BuildingFactory(safety_grade=grade)
    if project_kind:
        ProjectFactory(kind=project_kind, stage=stage).buildings.add(building)

    assert building_needs_project(building) is flagged
    assert (building in weak_buildings_without_project(user=None)) is flagged


# --- services ---------------------------------------------------------------------------------

def test_feedback_callback_falls_due_24_hours_after_receipt(in_school_a, bob):
    received = timezone.now() - dt.timedelta(hours=2)
    feedback = services.feedback_submit(actor=bob, channel="box", content="灯坏了", received_at=received)
    assert feedback.callback_due_at == received + dt.timedelta(hours=24)
    assert feedback.is_overdue() is False
    assert feedback.is_overdue(now=received + dt.timedelta(hours=24, seconds=1)) is True


def test_overdue_callback_is_flagged_until_called_back(in_school_a, alice):
    late = FeedbackFactory(received_at=timezone.now() - dt.timedelta(hours=25),
                           callback_due_at=timezone.now() - dt.timedelta(hours=1))
    fresh = FeedbackFactory()
    from schools.selectors import feedback_overdue

    assert list(feedback_overdue(user=alice)) == [late]
    services.feedback_callback(actor=alice, feedback=late, outcome="已修复", satisfaction=5)
    assert list(feedback_overdue(user=alice)) == []
    late.refresh_from_db()
    assert late.called_back_in_time is False
    assert fresh.is_overdue() is False


@pytest.mark.parametrize("satisfaction", [0, 6])
def test_satisfaction_is_from_1_to_5(satisfaction, in_school_a, alice):
    feedback = FeedbackFactory()
    with pytest.raises(ValidationError) as exc:
        services.feedback_callback(actor=alice, feedback=feedback, outcome="好", satisfaction=satisfaction)
    assert list(_errors(exc)) == ["satisfaction"]
    assert Feedback.objects.get(pk=feedback.pk).callback_at is None


def test_lost_item_returned_once_and_not_before_found(in_school_a, alice):
    lost = LostItemFactory()
    with pytest.raises(ValidationError):
        services.lost_item_return(actor=alice, lost=lost, claimant="张三", identified_by="学生证",
                                  returned_at=lost.found_at - dt.timedelta(hours=1))
    services.lost_item_return(actor=alice, lost=lost, claimant="张三", identified_by="学生证")
    with pytest.raises(ValidationError):
        services.lost_item_return(actor=alice, lost=lost, claimant="李四", identified_by="学生证")
    lost.refresh_from_db()
    assert lost.claimant == "张三"


def test_convenience_counts_per_term(in_school_a, alice):
    from schools.selectors import convenience_counts, term_of

    services.convenience_service_log(actor=alice, kind="hospital", done_on=dt.date(2026, 10, 8))
    services.convenience_service_log(actor=alice, kind="pump", done_on=dt.date(2026, 9, 2), count=12)
    services.convenience_service_log(actor=alice, kind="hospital", done_on=dt.date(2026, 6, 1))
    start, end = term_of(dt.date(2026, 11, 25))
    assert (start, end) == (dt.date(2026, 9, 1), dt.date(2027, 1, 31))
    assert convenience_counts(user=alice, start=start, end=end) == {"hospital": 1, "pump": 12}


def test_overdue_callbacks_and_milestones_notify_editors_once(in_school_a, alice, bob):
    from tenants.models import Notification
    from tests.schools.factories import MilestoneFactory

    FeedbackFactory(received_at=timezone.now() - dt.timedelta(hours=30), callback_due_at=timezone.now() - dt.timedelta(hours=6))
    FeedbackFactory()
    MilestoneFactory(planned_on=timezone.localdate() - dt.timedelta(days=1))

    services.overdue_notify()
    services.overdue_notify()

    kinds = sorted(Notification.objects.filter(recipient=alice).values_list("kind", flat=True))
    assert kinds == ["feedback_overdue", "milestone_overdue"]
    assert not Notification.objects.filter(recipient=bob).exists()


def test_milestone_overdue_until_done_and_done_date_not_in_future(in_school_a, alice):
    project = ProjectFactory()
    today = timezone.localdate()
    milestone = services.milestone_save(actor=alice, project=project, title="审图", planned_on=today - dt.timedelta(days=1))
    assert milestone.is_overdue() is True
    with pytest.raises(ValidationError) as exc:
        services.milestone_save(actor=alice, project=project, milestone=milestone, title="审图",
                                planned_on=milestone.planned_on, done_on=today + dt.timedelta(days=1))
    assert list(_errors(exc)) == ["done_on"]
    milestone = services.milestone_save(actor=alice, project=project, milestone=milestone, title="审图",
                                        planned_on=milestone.planned_on, done_on=today)
    assert milestone.is_overdue() is False
