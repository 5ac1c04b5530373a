"""Repairs pages: report (signed in and public), board, list, detail with actions, worker page, settings."""

from __future__ import annotations

import time

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from core.labels import ROOM, label_token
from core.net import client_ip
from frontend.excel import xlsx_response
from frontend.lists import paginate, sort_queryset, wants_export
from jobs.background import export_in_background
from schools.models import Room
from tenants.access import can_read_school, public_view, school_roles, school_view
from tenants.audit import history_for
from tenants.roles import Role

from . import charts, selectors, services
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
    return client_ip(request) or "unknown"  # the real client behind the trusted proxy (core/net.py)


def _rate_key(request, scope: str) -> str:
    return f"{scope}:{_client_address(request)}"


def _rate_limited(request, limit: int, *, scope: str = "repairs-public-report") -> bool:
    """Count this attempt for the client's address; True when it is over the hourly limit."""
    key = _rate_key(request, scope)
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW_SECONDS)
        count = 1
    return count > limit


def _rate_exhausted(request, limit: int, *, scope: str) -> bool:
    """True when this address has used up its hourly attempts (looks, does not count)."""
    return (cache.get(_rate_key(request, scope)) or 0) >= limit


def _label(request) -> str:
    return (request.GET.get("label") or request.POST.get("label") or "").strip()


def _scan_the_label(request, school, *, stale: bool):
    """No label, or one that names nothing here (old, forged, another school's): no data, only what to do."""
    return render(request, "repairs/public_scan.html", {"stale": stale, "bare_layout": True, "school": school},
                  status=404 if stale else 200)


@public_view
def public_report(request):
    """The page a room's or an asset's QR label opens: anyone reports a fault there, no sign-in.

    Only a label token (core.labels) opens the form, and the page names only what the label names.
    Labels printed before tokens (?room=<id>, ?asset=<number>) show "scan the new label", whether or not
    the room exists; a signed-in member without a label chooses the room on the members' report page.
    """
    school = getattr(request, "tenant", None)
    if school is None or not hasattr(school, "schema_name"):
        raise Http404
    started = time.perf_counter()
    token = _label(request)
    target = selectors.label_target_for(token=token) if token else None
    if target is None:
        if school_roles(request.user, school):
            room = request.GET.get("room", "")
            return redirect(reverse("repairs:report_signed_in") + (f"?room={room}" if room.isdigit() else ""))
        # ?room= and ?asset= are the labels printed before tokens: the same answer whatever they name.
        return _scan_the_label(request, school, stale=any(key in request.GET for key in ("label", "room", "asset")))
    form = PublicReportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if school.is_read_only:
            raise PermissionDenied
        preset = RepairSettings.current()
        if _rate_limited(request, preset.public_reports_per_hour):
            form = PublicReportForm(request.POST)
            form.is_valid()
            form.add_error(None, _("Too many reports from your address. Please try again in an hour, "
                                   "or tell the logistics office directly."))
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                order = services.work_order_report(
                    reporter=None, title=data["title"], room=target.room, asset=target.asset,
                    description=data["description"], location_note=data["location_note"],
                    reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"],
                    photos=data["photos"], source=Source.PUBLIC, follow_link=True,
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
                status = 400
            else:
                # The private follow-up link, shown once: the order keeps only its hash.
                return redirect(f"{request.path.rsplit('report/', 1)[0]}status/?t={order.follow_token}&new=1")
        else:
            status = 400
    response = render(
        request, "repairs/public_report.html",
        {"form": form, "target": target, "label": token, "bare_layout": True, "school": school},
        status=status,
    )
    response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response


# Follow-up links looked up in vain per address and hour before every lookup is refused for the hour.
FOLLOW_MISSES_PER_HOUR = 20


@public_view
def public_status(request):
    """Follow a report by its private link (?t=…). A reference number (sequential) shows nothing here:
    a member who may read the school is sent to the order, anyone else gets the same page whatever it names."""
    school = getattr(request, "tenant", None)
    if school is None or not hasattr(school, "schema_name"):
        raise Http404
    token = request.GET.get("t", "").strip()
    context = {"bare_layout": True, "school": school, "is_new": request.GET.get("new") == "1", "order": None,
               "asked": bool(token)}
    if not token:
        reference = request.GET.get("ref", "").strip()
        if reference and can_read_school(request.user, school):
            order = selectors.work_order_by_reference_for(user=request.user, reference=reference)
            if order is not None:
                return redirect("repairs:detail", pk=order.pk)
        return render(request, "repairs/public_status.html", context)
    if _rate_exhausted(request, FOLLOW_MISSES_PER_HOUR, scope="repairs-follow-miss"):
        context["throttled"] = True
        return render(request, "repairs/public_status.html", context, status=429)
    order = selectors.work_order_by_follow_token(token=token)
    if order is None:
        _rate_limited(request, FOLLOW_MISSES_PER_HOUR, scope="repairs-follow-miss")
        return render(request, "repairs/public_status.html", context, status=404)
    if request.method == "POST":
        # The link is the reporter's credential: 催修 while it is worked on; confirm and rate, or reopen, once done.
        action = request.POST.get("action")
        try:
            if action == "urge":
                services.work_order_urge_by_link(token=token)
                messages.success(request, _("Your reminder was sent to the people repairing it."))
            elif action == "confirm":
                services.work_order_confirm_by_link(token=token, rating=request.POST.get("rating"),
                                                    comment=request.POST.get("comment", ""))
                messages.success(request, _("Thank you: the repair is confirmed."))
            elif action == "reopen":
                services.work_order_reopen_by_link(token=token, reason=request.POST.get("reason", ""))
                messages.success(request, _("The report is open again; the repair team has been told."))
            else:
                raise ValidationError(_("Choose what to do."))
        except ValidationError as error:
            context["errors"] = error.messages
            order.refresh_from_db()
        else:
            return redirect(f"{request.path}?t={token}")
    context["order"] = order
    context["follow_url"] = request.build_absolute_uri(f"{request.path}?t={token}")
    context["can_urge"] = order.status in OPEN_STATUSES
    context["can_confirm"] = order.status == Status.COMPLETED
    context["ratings"] = range(1, 6)
    return render(request, "repairs/public_status.html", context)


# --- board, list, detail ------------------------------------------------------------------------


@school_view()
def board(request):
    filters = _filters(request)
    return render(request, "repairs/board.html", {
        "columns": selectors.board_for(user=request.user, filters=filters), "filters": filters,
        "severities": Severity.choices, "charts": charts.board_charts(),
    })


EXPORT_COLUMNS = [
    (pgettext_lazy("work order", "Reference"), lambda o: o.reference),
    (gettext_lazy("Reported at"), lambda o: o.reported_at),
    (gettext_lazy("Where"), lambda o: o.where),
    (gettext_lazy("What is broken"), lambda o: o.title),
    (gettext_lazy("Severity"), lambda o: o.get_severity_display()),
    (gettext_lazy("Status"), lambda o: o.get_status_display()),
    (gettext_lazy("Assignee"), lambda o: o.assignee.display_name if o.assignee else ""),
    (gettext_lazy("Vendor"), lambda o: o.vendor_name),
    (gettext_lazy("Due at"), lambda o: o.due_at),
    (pgettext_lazy("work order", "Completed at"), lambda o: o.completed_at),
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
        if (started := export_in_background(request, rows=qs.count(), title=_("Work orders"))) is not None:
            return started
        headers = [str(title) for title, _getter in EXPORT_COLUMNS]
        rows = ([getter(o) for _title, getter in EXPORT_COLUMNS] for o in qs.iterator(chunk_size=500))
        return xlsx_response(filename=_("Work orders"), headers=headers, rows=rows, title=_("Work orders"),
                             school=request.tenant)
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


def _room_label_url(school, room) -> str:
    """What a room's QR label opens: the public report page for that room, by its label token."""
    return school.url(f"/repairs/report/?label={label_token(schema_name=school.schema_name, kind=ROOM, pk=room.pk)}")


@school_view(roles=(Role.LOGISTICS_DIRECTOR, Role.PRINCIPAL, Role.CUSTODIAN))
def room_labels(request):
    """Printable QR labels of the rooms: each opens the public fault-report page for that room."""
    from assets.labels import qr_svg_data_uri

    rooms = Room.objects.select_related("building").order_by("building__name", "floor", "number")
    building = request.GET.get("building", "")
    if building.isdigit():
        rooms = rooms.filter(building_id=int(building))
    school = request.tenant
    labels = [{"room": room, "url": _room_label_url(school, room)} for room in rooms[:300]]
    for label in labels:
        label["qr"] = qr_svg_data_uri(label["url"])
    return render(request, "repairs/labels.html", {"labels": labels, "school": school})
