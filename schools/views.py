"""Pages of the school core: thin views over selectors (reads) and services (writes)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from frontend.excel import xlsx_response
from frontend.lists import paginate, wants_export
from tenants.access import has_school_role, school_view
from tenants.audit import history_for, partner_label
from tenants.roles import PHONE_VISIBLE_ROLES

from . import selectors, services
from .choices import (
    STAGE_ORDER,
    FeedbackChannel,
    ProjectKind,
    ProjectStage,
    RoomPurpose,
    SafetyGrade,
    ServiceKind,
    UnitKind,
)
from .forms import (
    AdvanceForm,
    AppraisalForm,
    BuildingForm,
    CallbackForm,
    ContractForm,
    ConvenienceForm,
    DepartmentForm,
    DocumentForm,
    FeedbackForm,
    LostItemForm,
    MilestoneForm,
    ProjectForm,
    ReturnForm,
    RoomForm,
    UnitForm,
)
from .models import (
    Building,
    Department,
    Feedback,
    LostItem,
    Milestone,
    OnCampusUnit,
    ProjectDocument,
)
from .roles import EDITOR_ROLES, MEMBER_ROLES, SERVICE_ROLES


def _can(request, roles) -> bool:
    return has_school_role(request.user, request.tenant, roles) and not request.tenant.is_read_only


def _apply_errors(form, exc: ValidationError) -> None:
    """Put a service's errors beside the fields they belong to."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _choices(choices, current: str) -> list[tuple[str, str, bool]]:
    return [(value, label, value == current) for value, label in choices]


def _list(request, *, title, qs, columns, row_url, filters=(), create_url=None, filename, flag=None, extra=None):
    """A list page: search, filters, pagination and the Excel export of the same rows."""
    if wants_export(request):
        headers = [str(label) for label, _getter in columns]
        rows = ([getter(item) for _label, getter in columns] for item in qs)
        return xlsx_response(filename=filename, headers=headers, rows=rows, title=str(title), school=request.tenant)
    page = paginate(request, qs)
    rows = [
        {"url": row_url(item), "cells": [getter(item) for _label, getter in columns], "flag": flag(item) if flag else ""}
        for item in page
    ]
    context = {
        "title": title, "headers": [label for label, _getter in columns], "rows": rows, "page_obj": page,
        "q": request.GET.get("q", ""), "filters": filters, "create_url": create_url, **(extra or {}),
    }
    return render(request, "schools/list.html", context)


def _form(request, *, form, title, save, cancel_url, multipart=False):
    """A form page: on POST call `save(cleaned_data)` and redirect to what it returns."""
    if request.method == "POST" and form.is_valid():
        try:
            target = save(form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(target)
    return render(request, "schools/form.html", {"form": form, "title": title, "cancel_url": cancel_url,
                                                 "multipart": multipart})


def _dt_or_now(value):
    return value or timezone.now()


# --- organisation -----------------------------------------------------------------------------

@school_view()
def department_list(request):
    qs = selectors.department_list_for(user=request.user, q=request.GET.get("q", ""), active=request.GET.get("active", ""))
    return _list(
        request, title=_("Departments"), qs=qs, filename=_("Departments"),
        columns=[(_("name"), lambda d: d.name), (_("head"), lambda d: str(d.head or "")),
                 (_("Rooms"), lambda d: d.room_count), (_("active"), lambda d: d.is_active)],
        row_url=lambda d: reverse("schools:department_detail", args=[d.pk]),
        filters=[("active", _("active"), _choices([("1", _("Yes")), ("0", _("No"))], request.GET.get("active", "")))],
        create_url=reverse("schools:department_create") if _can(request, EDITOR_ROLES) else None,
    )


@school_view()
def department_detail(request, pk):
    department = get_object_or_404(Department.objects.select_related("head"), pk=pk)
    rooms = "、".join(str(r) for r in department.rooms.select_related("building"))
    fields = [(_("head"), department.head or ""), (_("order"), department.sort_order),
              (_("active"), department.is_active), (_("Rooms"), rooms)]
    return render(request, "schools/detail.html", {
        "title": department.name, "fields": fields, "history": history_for(department),
        "edit_url": reverse("schools:department_edit", args=[pk]) if _can(request, EDITOR_ROLES) else None,
        "back_url": reverse("schools:department_list"),
    })


@school_view(roles=EDITOR_ROLES, write=True)
def department_edit(request, pk=None):
    department = get_object_or_404(Department, pk=pk) if pk else None
    form = DepartmentForm(request.POST or None, instance=department)

    def save(data):
        saved = services.department_save(actor=request.user, department=department, **data)
        return reverse("schools:department_detail", args=[saved.pk])

    return _form(request, form=form, title=_("Department"), save=save, cancel_url=reverse("schools:department_list"))


def _phone(request, value: str) -> str:
    return value if has_school_role(request.user, request.tenant, PHONE_VISIBLE_ROLES) else ("***" if value else "")


@school_view()
def unit_list(request):
    kind = request.GET.get("kind", "")
    qs = selectors.unit_list_for(user=request.user, q=request.GET.get("q", ""), kind=kind)
    return _list(
        request, title=_("On-campus units"), qs=qs, filename=_("On-campus units"),
        columns=[(_("name"), lambda u: u.name), (_("kind"), lambda u: u.get_kind_display()),
                 (_("contact"), lambda u: u.contact_name), (_("contact phone"), lambda u: _phone(request, u.contact_phone)),
                 (_("lease start"), lambda u: u.lease_start), (_("lease end"), lambda u: u.lease_end),
                 (_("headcount"), lambda u: u.headcount)],
        row_url=lambda u: reverse("schools:unit_detail", args=[u.pk]),
        filters=[("kind", _("kind"), _choices(UnitKind.choices, kind))],
        create_url=reverse("schools:unit_create") if _can(request, EDITOR_ROLES) else None,
    )


@school_view()
def unit_detail(request, pk):
    unit = get_object_or_404(OnCampusUnit, pk=pk)
    fields = [(_("kind"), unit.get_kind_display()), (_("contact"), unit.contact_name),
              (_("contact phone"), _phone(request, unit.contact_phone)), (_("lease start"), unit.lease_start),
              (_("lease end"), unit.lease_end), (_("headcount"), unit.headcount), (_("notes"), unit.notes)]
    return render(request, "schools/detail.html", {
        "title": unit.name, "fields": fields, "history": history_for(unit),
        "edit_url": reverse("schools:unit_edit", args=[pk]) if _can(request, EDITOR_ROLES) else None,
        "back_url": reverse("schools:unit_list"),
    })


@school_view(roles=EDITOR_ROLES, write=True)
def unit_edit(request, pk=None):
    unit = get_object_or_404(OnCampusUnit, pk=pk) if pk else None
    form = UnitForm(request.POST or None, instance=unit)

    def save(data):
        saved = services.unit_save(actor=request.user, unit=unit, **data)
        return reverse("schools:unit_detail", args=[saved.pk])

    return _form(request, form=form, title=_("On-campus unit"), save=save, cancel_url=reverse("schools:unit_list"))


# --- buildings and rooms ----------------------------------------------------------------------

@school_view()
def building_list(request):
    grade, flagged = request.GET.get("grade", ""), request.GET.get("flagged", "") == "1"
    qs = selectors.building_list_for(user=request.user, q=request.GET.get("q", ""), grade=grade, flagged=flagged)
    needs = lambda b: b.safety_grade in selectors.WEAK_GRADES and not b.has_active_project  # noqa: E731
    return _list(
        request, title=_("Buildings"), qs=qs, filename=_("Buildings"),
        columns=[(_("name"), lambda b: b.name), (_("year built"), lambda b: b.year_built),
                 (_("floors"), lambda b: b.floors), (_("floor area (m²)"), lambda b: b.floor_area),
                 (_("use"), lambda b: b.use), (_("safety grade"), lambda b: b.get_safety_grade_display()),
                 (_("handling category"), lambda b: b.get_handling_display()),
                 (_("appraised on"), lambda b: b.appraised_on),
                 (_("No active reinforcement project"), lambda b: needs(b))],
        row_url=lambda b: reverse("schools:building_detail", args=[b.pk]),
        flag=lambda b: _("C/D grade without an active reinforcement project") if needs(b) else "",
        filters=[("grade", _("safety grade"), _choices(SafetyGrade.choices, grade)),
                 ("flagged", _("Flagged"), _choices([("1", _("C/D without project"))], request.GET.get("flagged", "")))],
        create_url=reverse("schools:building_create") if _can(request, EDITOR_ROLES) else None,
    )


@school_view()
def building_detail(request, pk):
    building = selectors.building_get_for(user=request.user, pk=pk)
    needs = building.is_weak and not building.has_active_project
    fields = [(_("year built"), building.year_built), (_("floors"), building.floors),
              (_("floor area (m²)"), building.floor_area), (_("structure"), building.structure),
              (_("use"), building.use), (_("safety grade"), building.get_safety_grade_display()),
              (_("handling category"), building.get_handling_display()), (_("appraised on"), building.appraised_on),
              (_("appraising body"), building.appraised_by), (_("notes"), building.notes)]
    can_edit = _can(request, EDITOR_ROLES)
    return render(request, "schools/building_detail.html", {
        "title": building.name, "building": building, "fields": fields, "needs_project": needs,
        "appraisals": building.appraisals.all(), "rooms": building.rooms.all(), "projects": building.projects.all(),
        "history": history_for(building),
        "edit_url": reverse("schools:building_edit", args=[pk]) if can_edit else None,
        "appraise_url": reverse("schools:building_appraise", args=[pk]) if can_edit else None,
        "back_url": reverse("schools:building_list"),
    })


@school_view(roles=EDITOR_ROLES, write=True)
def building_edit(request, pk=None):
    building = get_object_or_404(Building, pk=pk) if pk else None
    form = BuildingForm(request.POST or None, instance=building)

    def save(data):
        saved = services.building_save(actor=request.user, building=building, **data)
        return reverse("schools:building_detail", args=[saved.pk])

    return _form(request, form=form, title=_("Building"), save=save, cancel_url=reverse("schools:building_list"))


@school_view(roles=EDITOR_ROLES, write=True)
def building_appraise(request, pk):
    building = get_object_or_404(Building, pk=pk)
    form = AppraisalForm(request.POST or None, request.FILES or None)

    def save(data):
        services.building_appraise(actor=request.user, building=building, grade=data["grade"],
                                   appraised_on=data["appraised_on"], appraised_by=data["appraised_by"],
                                   handling=data["handling"], notes=data["notes"], report=data.get("report"))
        return reverse("schools:building_detail", args=[pk])

    return _form(request, form=form, title=_("Record an appraisal of %(name)s") % {"name": building.name},
                 save=save, cancel_url=reverse("schools:building_detail", args=[pk]), multipart=True)


@school_view()
def building_report(request, pk):
    """The appraisal report file, only to readers of this school."""
    building = get_object_or_404(Building, pk=pk)
    if not building.appraisal_report:
        raise Http404
    return FileResponse(building.appraisal_report.open("rb"), as_attachment=True,
                        filename=building.appraisal_report.name.rsplit("/", 1)[-1])


@school_view()
def room_list(request):
    building, purpose = request.GET.get("building", ""), request.GET.get("purpose", "")
    qs = selectors.room_list_for(user=request.user, q=request.GET.get("q", ""), building=building, purpose=purpose)
    return _list(
        request, title=_("Rooms"), qs=qs, filename=_("Rooms"),
        columns=[(_("building"), lambda r: r.building.name), (_("floor"), lambda r: r.floor),
                 (pgettext("room", "number"), lambda r: r.number), (_("name"), lambda r: r.name),
                 (_("purpose"), lambda r: r.get_purpose_display()), (_("area (m²)"), lambda r: r.area), (_("department"), lambda r: str(r.department or "")),
                 (_("custodian"), lambda r: str(r.custodian or ""))],
        row_url=lambda r: reverse("schools:room_detail", args=[r.pk]),
        filters=[("building", _("building"), _choices([(str(b.pk), b.name) for b in Building.objects.order_by("name")], building)),
                 ("purpose", _("purpose"), _choices(RoomPurpose.choices, purpose))],
        create_url=reverse("schools:room_create") if _can(request, EDITOR_ROLES) else None,
    )


@school_view()
def room_detail(request, pk):
    room = selectors.room_get_for(user=request.user, pk=pk)
    fields = [(_("building"), room.building.name), (_("floor"), room.floor), (pgettext("room", "number"), room.number),
              (_("name"), room.name), (_("purpose"), room.get_purpose_display()), (_("area (m²)"), room.area),
              (_("department"), room.department or ""), (_("custodian"), room.custodian or "")]
    return render(request, "schools/detail.html", {
        "title": str(room), "fields": fields, "history": history_for(room),
        "edit_url": reverse("schools:room_edit", args=[pk]) if _can(request, EDITOR_ROLES) else None,
        "back_url": reverse("schools:room_list"),
    })


@school_view(roles=EDITOR_ROLES, write=True)
def room_edit(request, pk=None):
    room = selectors.room_get_for(user=request.user, pk=pk) if pk else None
    form = RoomForm(request.POST or None, instance=room)

    def save(data):
        saved = services.room_save(actor=request.user, room=room, **data)
        return reverse("schools:room_detail", args=[saved.pk])

    return _form(request, form=form, title=_("Room"), save=save, cancel_url=reverse("schools:room_list"))


# --- capital projects -------------------------------------------------------------------------

@school_view()
def project_list(request):
    kind, stage = request.GET.get("kind", ""), request.GET.get("stage", "")
    qs = selectors.project_list_for(user=request.user, q=request.GET.get("q", ""), kind=kind, stage=stage)
    return _list(
        request, title=_("Capital projects"), qs=qs, filename=_("Capital projects"),
        columns=[(pgettext("project", "title"), lambda p: p.title), (_("kind"), lambda p: p.get_kind_display()),
                 (_("stage"), lambda p: p.get_stage_display()), (_("budget (yuan)"), lambda p: p.budget),
                 (_("funding source"), lambda p: p.get_funding_source_display()),
                 (_("procurement channel"), lambda p: p.get_procurement_channel_display()),
                 (_("approval document number"), lambda p: p.approval_number),
                 (_("buildings"), lambda p: "、".join(b.name for b in p.buildings.all())),
                 (_("Overdue milestones"), lambda p: p.overdue_milestones)],
        row_url=lambda p: reverse("schools:project_detail", args=[p.pk]),
        flag=lambda p: _("Overdue milestones") if p.overdue_milestones else "",
        filters=[("kind", _("kind"), _choices(ProjectKind.choices, kind)),
                 ("stage", _("stage"), _choices(ProjectStage.choices, stage))],
        create_url=reverse("schools:project_create") if _can(request, EDITOR_ROLES) else None,
    )


@school_view()
def project_detail(request, pk):
    project = selectors.project_get_for(user=request.user, pk=pk)
    can_edit = _can(request, EDITOR_ROLES)
    nxt = services.next_stage(project)
    today = timezone.localdate()
    index = STAGE_ORDER.index(project.stage)
    pipeline = [{"label": ProjectStage(s).label, "done": i < index, "current": i == index}
                for i, s in enumerate(STAGE_ORDER)]
    fields = [(_("kind"), project.get_kind_display()), (_("budget (yuan)"), project.budget),
              (_("funding source"), project.get_funding_source_display()),
              (_("procurement channel"), project.get_procurement_channel_display()),
              (_("approval document number"), project.approval_number), (_("approval date"), project.approval_date),
              (_("drawing review passed on"), project.drawing_review_passed_on),
              (_("construction started on"), project.construction_started_on),
              (_("accepted on"), project.accepted_on), (_("planned start"), project.planned_start),
              (_("planned end"), project.planned_end),
              (_("buildings"), "、".join(b.name for b in project.buildings.all())),
              (_("description"), project.description)]
    milestones = [{"m": m, "overdue": m.is_overdue(today)} for m in project.milestones.all()]
    return render(request, "schools/project_detail.html", {
        "title": project.title, "project": project, "fields": fields, "pipeline": pipeline,
        "next_stage": ProjectStage(nxt) if nxt else None,
        "missing": services.stage_requirement_missing(project, nxt).values() if nxt else [],
        "milestones": milestones, "contracts": project.contracts.all(), "documents": project.documents.all(),
        "stage_changes": project.stage_changes.select_related("by"), "history": history_for(project),
        "can_edit": can_edit, "back_url": reverse("schools:project_list"),
    })


@school_view(roles=EDITOR_ROLES, write=True)
def project_edit(request, pk=None):
    project = selectors.project_get_for(user=request.user, pk=pk) if pk else None
    form = ProjectForm(request.POST or None, instance=project)

    def save(data):
        data = dict(data)
        buildings = list(data.pop("buildings"))
        saved = services.project_save(actor=request.user, project=project, buildings=buildings, **data)
        return reverse("schools:project_detail", args=[saved.pk])

    return _form(request, form=form, title=_("Capital project"), save=save, cancel_url=reverse("schools:project_list"))


@school_view(roles=EDITOR_ROLES, write=True)
def project_advance(request, pk):
    project = selectors.project_get_for(user=request.user, pk=pk)
    if request.method != "POST":
        return redirect("schools:project_detail", pk=pk)
    form = AdvanceForm(request.POST)
    if form.is_valid():
        try:
            services.project_advance(actor=request.user, project=project, to_stage=form.cleaned_data["to_stage"],
                                     note=form.cleaned_data["note"])
            messages.success(request, _("The project entered the next stage."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
    return redirect("schools:project_detail", pk=pk)


@school_view(roles=EDITOR_ROLES, write=True)
def milestone_edit(request, pk, milestone_pk=None):
    project = selectors.project_get_for(user=request.user, pk=pk)
    milestone = get_object_or_404(Milestone, pk=milestone_pk, project=project) if milestone_pk else None
    form = MilestoneForm(request.POST or None, instance=milestone)

    def save(data):
        services.milestone_save(actor=request.user, project=project, milestone=milestone, **data)
        return reverse("schools:project_detail", args=[pk])

    return _form(request, form=form, title=_("Milestone"), save=save, cancel_url=reverse("schools:project_detail", args=[pk]))


@school_view(roles=EDITOR_ROLES, write=True)
def contract_add(request, pk):
    project = selectors.project_get_for(user=request.user, pk=pk)
    form = ContractForm(request.POST or None)

    def save(data):
        services.contract_add(actor=request.user, project=project, **data)
        return reverse("schools:project_detail", args=[pk])

    return _form(request, form=form, title=_("Contract"), save=save, cancel_url=reverse("schools:project_detail", args=[pk]))


@school_view(roles=EDITOR_ROLES, write=True)
def document_upload(request, pk):
    project = selectors.project_get_for(user=request.user, pk=pk)
    form = DocumentForm(request.POST or None, request.FILES or None)

    def save(data):
        services.document_upload(actor=request.user, project=project, upload=data["file"], title=data["title"],
                                 kind=data["kind"])
        return reverse("schools:project_detail", args=[pk])

    return _form(request, form=form, title=_("Upload a document"), save=save, multipart=True,
                 cancel_url=reverse("schools:project_detail", args=[pk]))


@school_view()
def document_download(request, pk, document_pk):
    """A project document, served only to readers of this school (never a public media URL)."""
    document = get_object_or_404(ProjectDocument, pk=document_pk, project_id=pk)
    return FileResponse(document.file.open("rb"), as_attachment=True,
                        filename=document.file.name.rsplit("/", 1)[-1])


# --- services ---------------------------------------------------------------------------------

@school_view()
def feedback_list(request):
    channel, status = request.GET.get("channel", ""), request.GET.get("status", "")
    qs = selectors.feedback_list_for(user=request.user, q=request.GET.get("q", ""), channel=channel, status=status)
    now = timezone.now()
    return _list(
        request, title=_("Feedback and complaints"), qs=qs, filename=_("Feedback and complaints"),
        columns=[(_("received at"), lambda f: timezone.localtime(f.received_at)), (_("channel"), lambda f: f.get_channel_display()),
                 (_("category"), lambda f: f.get_category_display()), (_("content"), lambda f: f.content[:60]),
                 (_("from"), lambda f: f.reporter_name),
                 (_("recorded by partner"), lambda f: partner_label(f.partner_name) if f.partner_name else ""),
                 (_("callback due at"), lambda f: timezone.localtime(f.callback_due_at)),
                 (_("called back at"), lambda f: timezone.localtime(f.callback_at) if f.callback_at else ""),
                 (_("satisfaction (1–5)"), lambda f: f.satisfaction)],
        row_url=lambda f: reverse("schools:feedback_detail", args=[f.pk]),
        flag=lambda f: _("Callback overdue") if f.is_overdue(now) else "",
        filters=[("channel", _("channel"), _choices(FeedbackChannel.choices, channel)),
                 ("status", _("status"), _choices([("open", _("Awaiting callback")), ("overdue", _("Callback overdue")),
                                                   ("done", _("Called back"))], status))],
        create_url=reverse("schools:feedback_create") if _can(request, MEMBER_ROLES) else None,
    )


@school_view()
def feedback_detail(request, pk):
    feedback = get_object_or_404(Feedback, pk=pk)
    fields = [(_("channel"), feedback.get_channel_display()), (_("category"), feedback.get_category_display()),
              (_("received at"), timezone.localtime(feedback.received_at)), (_("from"), feedback.reporter_name),
              (_("content"), feedback.content), (_("callback due at"), timezone.localtime(feedback.callback_due_at)),
              (_("called back at"), timezone.localtime(feedback.callback_at) if feedback.callback_at else ""),
              (_("called back by"), feedback.callback_by or ""), (_("outcome"), feedback.outcome),
              (_("satisfaction (1–5)"), feedback.satisfaction)]
    if feedback.partner_name:
        fields.append((_("recorded by partner"), partner_label(feedback.partner_name)))
    return render(request, "schools/detail.html", {
        "title": _("Feedback"), "fields": fields, "history": history_for(feedback),
        "flag": _("Callback overdue") if feedback.is_overdue() else "",
        "edit_url": reverse("schools:feedback_callback", args=[pk])
        if _can(request, SERVICE_ROLES) and not feedback.callback_at else None,
        "edit_label": _("Record the callback"), "back_url": reverse("schools:feedback_list"),
    })


@school_view(roles=MEMBER_ROLES, write=True)
def feedback_create(request):
    form = FeedbackForm(request.POST or None)

    def save(data):
        feedback = services.feedback_submit(actor=request.user, channel=data["channel"], category=data["category"],
                                            content=data["content"], reporter_name=data["reporter_name"],
                                            received_at=data["received_at"])
        return reverse("schools:feedback_detail", args=[feedback.pk])

    return _form(request, form=form, title=_("Submit feedback"), save=save, cancel_url=reverse("schools:feedback_list"))


@school_view(roles=SERVICE_ROLES, write=True)
def feedback_callback(request, pk):
    feedback = get_object_or_404(Feedback, pk=pk)
    form = CallbackForm(request.POST or None)

    def save(data):
        services.feedback_callback(actor=request.user, feedback=feedback, outcome=data["outcome"],
                                   satisfaction=data["satisfaction"], callback_at=data["callback_at"])
        return reverse("schools:feedback_detail", args=[pk])

    return _form(request, form=form, title=_("Record the callback"), save=save,
                 cancel_url=reverse("schools:feedback_detail", args=[pk]))


@school_view()
def lost_item_list(request):
    status = request.GET.get("status", "")
    qs = selectors.lost_item_list_for(user=request.user, q=request.GET.get("q", ""), status=status)
    return _list(
        request, title=_("Lost and found"), qs=qs, filename=_("Lost and found"),
        columns=[(_("item"), lambda i: i.item), (_("quantity"), lambda i: i.quantity),
                 (_("cash amount (yuan)"), lambda i: i.amount), (_("found at"), lambda i: timezone.localtime(i.found_at)),
                 (_("where found"), lambda i: i.found_place), (_("where kept"), lambda i: i.kept_at),
                 (_("claimant"), lambda i: i.claimant),
                 (_("returned at"), lambda i: timezone.localtime(i.returned_at) if i.returned_at else ""),
                 (_("recorded by partner"), lambda i: partner_label(i.partner_name) if i.partner_name else "")],
        row_url=lambda i: reverse("schools:lost_item_detail", args=[i.pk]),
        filters=[("status", _("status"), _choices([("kept", _("Kept")), ("returned", _("Returned"))], status))],
        create_url=reverse("schools:lost_item_create") if _can(request, MEMBER_ROLES) else None,
    )


@school_view()
def lost_item_detail(request, pk):
    lost = get_object_or_404(LostItem, pk=pk)
    fields = [(_("item"), lost.item), (_("quantity"), lost.quantity), (_("cash amount (yuan)"), lost.amount),
              (_("found at"), timezone.localtime(lost.found_at)), (_("where found"), lost.found_place),
              (_("finder"), lost.finder), (_("where kept"), lost.kept_at), (_("claimant"), lost.claimant),
              (_("identified by"), lost.identified_by),
              (_("returned at"), timezone.localtime(lost.returned_at) if lost.returned_at else "")]
    if lost.partner_name:
        fields.append((_("recorded by partner"), partner_label(lost.partner_name)))
    if lost.returned_by_partner:
        fields.append((_("returned by partner"), partner_label(lost.returned_by_partner)))
    return render(request, "schools/detail.html", {
        "title": lost.item, "fields": fields, "history": history_for(lost),
        "edit_url": reverse("schools:lost_item_return", args=[pk]) if _can(request, SERVICE_ROLES) and not lost.returned_at else None,
        "edit_label": _("Return to owner"), "back_url": reverse("schools:lost_item_list"),
    })


@school_view(roles=MEMBER_ROLES, write=True)
def lost_item_create(request):
    form = LostItemForm(request.POST or None)

    def save(data):
        lost = services.lost_item_report(actor=request.user, **data)
        return reverse("schools:lost_item_detail", args=[lost.pk])

    return _form(request, form=form, title=_("Report a found item"), save=save, cancel_url=reverse("schools:lost_item_list"))


@school_view(roles=SERVICE_ROLES, write=True)
def lost_item_return(request, pk):
    lost = get_object_or_404(LostItem, pk=pk)
    form = ReturnForm(request.POST or None)

    def save(data):
        services.lost_item_return(actor=request.user, lost=lost, **data)
        return reverse("schools:lost_item_detail", args=[pk])

    return _form(request, form=form, title=_("Return to owner"), save=save,
                 cancel_url=reverse("schools:lost_item_detail", args=[pk]))


@school_view()
def service_list(request):
    kind = request.GET.get("kind", "")
    start, end = selectors.term_of(timezone.localdate())
    term = request.GET.get("term", "current")
    if term == "all":
        start = end = None
    qs = selectors.convenience_list_for(user=request.user, q=request.GET.get("q", ""), kind=kind, start=start, end=end)
    term_start, term_end = selectors.term_of(timezone.localdate())
    counts = selectors.convenience_counts(user=request.user, start=term_start, end=term_end)
    summary = [(label, counts.get(value, 0)) for value, label in ServiceKind.choices]
    return _list(
        request, title=_("Convenience services"), qs=qs, filename=_("Convenience services"),
        columns=[(_("date"), lambda s: s.done_on), (_("kind"), lambda s: s.get_kind_display()),
                 (_("times"), lambda s: s.count), (_("for whom"), lambda s: s.beneficiary),
                 (_("handled by"), lambda s: s.handled_by), (_("notes"), lambda s: s.notes),
                 (_("recorded by partner"), lambda s: partner_label(s.partner_name) if s.partner_name else "")],
        row_url=lambda s: "",
        filters=[("kind", _("kind"), _choices(ServiceKind.choices, kind)),
                 ("term", _("Term"), _choices([("current", _("This term")), ("all", _("All"))], term))],
        create_url=reverse("schools:service_create") if _can(request, SERVICE_ROLES) else None,
        extra={"summary": summary, "summary_title": _("Times this term (%(start)s – %(end)s)")
               % {"start": term_start, "end": term_end}},
    )


@school_view(roles=SERVICE_ROLES, write=True)
def service_create(request):
    form = ConvenienceForm(request.POST or None)

    def save(data):
        services.convenience_service_log(actor=request.user, **data)
        return reverse("schools:service_list")

    return _form(request, form=form, title=_("Log a convenience service"), save=save,
                 cancel_url=reverse("schools:service_list"))
