"""Repairs pages: report (signed in and public), board, list, detail with actions, worker page, settings."""

from __future__ import annotations

import time

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from frontend.excel import xlsx_response
from frontend.lists import paginate, sort_queryset, wants_export
from schools.models import Room
from tenants.access import school_roles, school_view
from tenants.audit import history_for
from tenants.roles import Role

from . import selectors, services
from .choices import OPEN_STATUSES, Severity, Source, Status
from .forms import (
    CompleteForm,
    ConfirmForm,
    NoteForm,
    PartForm,
    PauseForm,
    PhotoForm,
    PlanForm,
    PublicReportForm,
    ReopenForm,
    ReportForm,
    SettingsForm,
    TriageForm,
)
from .models import MaintenancePlan, RepairSettings, WorkOrder, WorkOrderPhoto

TRIAGE = (Role.LOGISTICS_DIRECTOR,)
RATE_WINDOW_SECONDS = 3600


def _filters(request) -> dict:
    return {k: request.GET.get(k, "") for k in ("q", "status", "severity", "source", "vendor", "overdue", "assignee")}


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error.messages)
    else:
        form.add_error(None, exc.messages)


def _flash_errors(request, exc: ValidationError | PermissionDenied) -> None:
    if isinstance(exc, PermissionDenied):
        messages.error(request, str(exc) or _("You may not do this here."))
    else:
        for message in exc.messages:
            messages.error(request, message)


# --- reporting ----------------------------------------------------------------------------------


@school_view(write=True)
def report(request):
    """A signed-in member reports a fault."""
    form = ReportForm(request.POST or None, request.FILES or None, initial={"room": request.GET.get("room")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.work_order_report(
                reporter=request.user, title=data["title"], room=data["room"], description=data["description"],
                location_note=data["location_note"], photos=data["photos"], source=Source.WEB,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Reported. Reference: %(ref)s") % {"ref": order.reference})
            return redirect("repairs:detail", pk=order.pk)
    return render(request, "repairs/report.html", {"form": form})


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _rate_limited(request, limit: int) -> bool:
    """Count this attempt for the client's address; True when it is over the hourly limit."""
    key = f"repairs-public-report:{_client_address(request)}"
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW_SECONDS)
        count = 1
    return count > limit


def _public_target(request):
    """The room (and asset) a QR label points at, from ?room=<id> or ?asset=<asset number>."""
    room_id = request.GET.get("room") or request.POST.get("room") or ""
    asset_number = (request.GET.get("asset") or request.POST.get("asset") or "").strip()
    asset = None
    if asset_number:
        asset = services.asset_by_number(asset_number)
        if asset is None:
            raise Http404
        return getattr(asset, "room", None), asset
    if room_id:
        if not str(room_id).isdigit():
            raise Http404
        return get_object_or_404(Room.objects.select_related("building"), pk=int(room_id)), None
    return None, None


def public_report(request):
    """The page a room's or an asset's QR label opens: anyone reports a fault, no sign-in."""
    school = getattr(request, "tenant", None)
    if school is None or not hasattr(school, "schema_name"):
        raise Http404
    started = time.perf_counter()
    room, asset = _public_target(request)
    form = PublicReportForm(request.POST or None, request.FILES or None, fixed_room=room)
    status = 200
    if request.method == "POST":
        if school.is_read_only:
            raise PermissionDenied
        preset = RepairSettings.current()
        if _rate_limited(request, preset.public_reports_per_hour):
            form = PublicReportForm(request.POST, fixed_room=room)
            form.is_valid()
            form.add_error(None, _("Too many reports from your address. Please try again in an hour, "
                                   "or tell the logistics office directly."))
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                order = services.work_order_report(
                    reporter=None, title=data["title"], room=room or data["room"], asset=asset,
                    description=data["description"], location_note=data["location_note"],
                    reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
                    photos=data["photos"], source=Source.PUBLIC,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
                status = 400
            else:
                return redirect(f"{request.path.rsplit('report/', 1)[0]}status/?ref={order.reference}&new=1")
        else:
            status = 400
    response = render(
        request, "repairs/public_report.html",
        {"form": form, "room": room, "asset": asset, "bare_layout": True, "school": school},
        status=status,
    )
    response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


def public_status(request):
    """Follow a report by its reference number (no personal data shown)."""
    reference = request.GET.get("ref", "").strip()
    order = selectors.work_order_by_reference(reference=reference) if reference else None
    return render(request, "repairs/public_status.html", {
        "order": order, "reference": reference, "bare_layout": True, "is_new": request.GET.get("new") == "1",
    }, status=200 if order or not reference else 404)


# --- board, list, detail ------------------------------------------------------------------------


@school_view()
def board(request):
    filters = _filters(request)
    return render(request, "repairs/board.html", {
        "columns": selectors.board_for(user=request.user, filters=filters), "filters": filters,
        "severities": Severity.choices,
    })


EXPORT_COLUMNS = [
    (gettext_lazy("Reference"), lambda o: o.reference),
    (gettext_lazy("Reported at"), lambda o: o.reported_at),
    (gettext_lazy("Where"), lambda o: o.where),
    (gettext_lazy("What is broken"), lambda o: o.title),
    (gettext_lazy("Severity"), lambda o: o.get_severity_display()),
    (gettext_lazy("Status"), lambda o: o.get_status_display()),
    (gettext_lazy("Assignee"), lambda o: o.assignee.display_name if o.assignee else ""),
    (gettext_lazy("Vendor"), lambda o: o.vendor_name),
    (gettext_lazy("Due at"), lambda o: o.due_at),
    (gettext_lazy("Completed at"), lambda o: o.completed_at),
    (gettext_lazy("Overdue"), lambda o: o.is_overdue),
    (gettext_lazy("Rating"), lambda o: o.rating),
]


@school_view()
def order_list(request):
    filters = _filters(request)
    qs = selectors.work_order_list_for(user=request.user, filters=filters)
    qs, sort = sort_queryset(request, qs, allowed=("reported_at", "due_at", "reference", "status"),
                             default="-reported_at")
    if wants_export(request):
        headers = [str(title) for title, _getter in EXPORT_COLUMNS]
        rows = ([getter(o) for _title, getter in EXPORT_COLUMNS] for o in qs.iterator(chunk_size=500))
        return xlsx_response(filename=_("Work orders"), headers=headers, rows=rows, title=_("Work orders"))
    return render(request, "repairs/list.html", {
        "page_obj": paginate(request, qs), "filters": filters, "sort": sort,
        "statuses": Status.choices, "severities": Severity.choices,
        "can_triage": bool(school_roles(request.user, request.tenant) & set(TRIAGE)),
    })


def _get(request, pk) -> WorkOrder:
    try:
        return selectors.work_order_get_for(user=request.user, pk=pk)
    except WorkOrder.DoesNotExist as exc:
        raise Http404 from exc


@school_view()
def detail(request, pk: int):
    order = _get(request, pk)
    roles = school_roles(request.user, request.tenant)
    is_triager = Role.LOGISTICS_DIRECTOR in roles
    is_worker = order.assignee_id == request.user.pk or is_triager
    may_confirm = (order.reporter_id == request.user.pk) or (order.reporter_id is None and is_triager)
    context = {
        "order": order,
        "history": history_for(order),
        "clock": order.clock_events.select_related("actor"),
        "notes": order.notes.select_related("author"),
        "photos": order.photos.all(),
        "parts": order.parts.all(),
        "is_triager": is_triager and order.is_open,
        "is_worker": is_worker and order.is_open,
        "may_confirm": may_confirm and order.status == Status.COMPLETED,
        "may_note": bool(roles) and (is_triager or request.user.pk in (order.assignee_id, order.reporter_id)),
        "triage_form": TriageForm(workers=selectors.maintenance_workers_for(user=request.user),
                                  initial={"severity": order.severity, "assignee": order.assignee_id,
                                           "vendor_name": order.vendor_name}),
        "pause_form": PauseForm(), "note_form": NoteForm(), "photo_form": PhotoForm(), "part_form": PartForm(),
        "complete_form": CompleteForm(), "confirm_form": ConfirmForm(), "reopen_form": ReopenForm(),
    }
    return render(request, "repairs/detail.html", context)


@school_view()
def photo(request, pk: int):
    """A photo, only to those who may read the order (never a public media URL)."""
    row = get_object_or_404(WorkOrderPhoto, pk=pk)
    _get(request, row.order_id)
    content_type = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
    return FileResponse(row.image.open("rb"), content_type=content_type.get(row.content_kind, "application/octet-stream"))


def _act(request, pk, action):
    """Run one action on an order and come back to where the user was."""
    order = _get(request, pk)
    try:
        action(order)
    except (ValidationError, PermissionDenied) as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("Saved."))
    back = request.POST.get("next", "")
    if back.startswith("/repairs/") and "//" not in back:
        return redirect(back)
    return redirect("repairs:detail", pk=order.pk)


def _form_action(request, pk, form_class, call):
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("repairs:detail", pk=pk)
    return _act(request, pk, lambda order: call(order, form.cleaned_data))


@require_POST
@school_view(roles=TRIAGE, write=True)
def triage(request, pk: int):
    workers = selectors.maintenance_workers_for(user=request.user)
    form = TriageForm(request.POST, workers=workers)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("repairs:detail", pk=pk)
    data = form.cleaned_data
    return _act(request, pk, lambda o: services.work_order_triage(
        order=o, actor=request.user, severity=data["severity"], assignee=data["assignee"],
        vendor_name=data["vendor_name"]))


@require_POST
@school_view(write=True)
def start(request, pk: int):
    return _act(request, pk, lambda o: services.work_order_start(order=o, actor=request.user))


@require_POST
@school_view(write=True)
def pause(request, pk: int):
    return _form_action(request, pk, PauseForm,
                        lambda o, d: services.work_order_pause(order=o, actor=request.user, reason=d["reason"]))


@require_POST
@school_view(write=True)
def resume(request, pk: int):
    return _act(request, pk, lambda o: services.work_order_resume(order=o, actor=request.user))


@require_POST
@school_view(write=True)
def note(request, pk: int):
    return _form_action(request, pk, NoteForm,
                        lambda o, d: services.work_order_note_add(order=o, actor=request.user, text=d["text"]))


@require_POST
@school_view(write=True)
def photos(request, pk: int):
    return _form_action(request, pk, PhotoForm, lambda o, d: services.work_order_photos_add(
        order=o, actor=request.user, kind=d["kind"], photos=d["photos"]))


@require_POST
@school_view(write=True)
def part(request, pk: int):
    return _form_action(request, pk, PartForm, lambda o, d: services.work_order_part_add(
        order=o, actor=request.user, name=d["name"], quantity=d["quantity"], unit=d["unit"], item=d["item"]))


@require_POST
@school_view(write=True)
def complete(request, pk: int):
    return _form_action(request, pk, CompleteForm, lambda o, d: services.work_order_complete(
        order=o, actor=request.user, closing_note=d["closing_note"], labour_minutes=d["labour_minutes"] or 0))


@require_POST
@school_view(write=True)
def confirm(request, pk: int):
    return _form_action(request, pk, ConfirmForm, lambda o, d: services.work_order_confirm(
        order=o, actor=request.user, rating=d["rating"], comment=d["comment"]))


@require_POST
@school_view(write=True)
def reopen(request, pk: int):
    return _form_action(request, pk, ReopenForm,
                        lambda o, d: services.work_order_reopen(order=o, actor=request.user, reason=d["reason"]))


# --- the worker's phone page, mine, settings, plans ----------------------------------------------


@school_view()
def mine(request):
    """A phone-sized page: my open orders (worker) and what I reported."""
    return render(request, "repairs/mine.html", {
        "orders": selectors.work_order_mine_for(user=request.user),
        "reported": selectors.work_order_reported_by(user=request.user)[:20],
        "pause_form": PauseForm(), "complete_form": CompleteForm(),
    })


@school_view(roles=(Role.LOGISTICS_DIRECTOR, Role.PRINCIPAL), write=True)
def settings_edit(request):
    preset = RepairSettings.current()
    form = SettingsForm(request.POST or None, instance=preset)
    if request.method == "POST" and form.is_valid():
        try:
            services.repair_settings_update(actor=request.user, **{f: form.cleaned_data[f] for f in form.fields})
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("repairs:settings")
    return render(request, "repairs/settings.html", {"form": form})


@school_view()
def plan_list(request):
    plans = MaintenancePlan.objects.select_related("room", "room__building").order_by("next_due_on")
    can_edit = Role.LOGISTICS_DIRECTOR in school_roles(request.user, request.tenant)
    form = PlanForm(request.POST or None) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.maintenance_plan_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("repairs:plans")
    return render(request, "repairs/plans.html", {"plans": plans, "form": form, "open_statuses": OPEN_STATUSES})


@school_view(roles=(Role.LOGISTICS_DIRECTOR, Role.PRINCIPAL, Role.CUSTODIAN))
def room_labels(request):
    """Printable QR labels of the rooms: each opens the public fault-report page for that room."""
    from assets.labels import qr_svg_data_uri

    rooms = Room.objects.select_related("building").order_by("building__name", "floor", "number")
    building = request.GET.get("building", "")
    if building.isdigit():
        rooms = rooms.filter(building_id=int(building))
    school = request.tenant
    labels = [{"room": room, "url": school.url(f"/repairs/report/?room={room.pk}")} for room in rooms[:300]]
    for label in labels:
        label["qr"] = qr_svg_data_uri(label["url"])
    return render(request, "repairs/labels.html", {"labels": labels, "school": school})
