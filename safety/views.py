"""Safety pages: the board, the ledgers, the hazard workflow, agreements and the phone pages."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend.excel import period_of, xlsx_response
from frontend.lists import paginate, rows_of, wants_export
from jobs.background import document_in_background, export_in_background
from tenants.access import public_view, school_roles, school_view
from tenants.audit import history_for
from tenants.models import School

from . import charts, duties, selectors
from . import forms as F
from . import roles as R
from . import services as S
from .choices import HazardGrade, HazardStatus, ItemResult, PartyKind
from .ledgers import LEDGERS, Ledger
from .models import (
    Absence,
    AgreementCampaign,
    AgreementTemplate,
    ChecklistItem,
    ChecklistTemplate,
    Drill,
    EmergencyPlan,
    Hazard,
    HazardPhoto,
    HealthCheck,
    InspectionRound,
    RoundItem,
    SchoolClass,
    StaffExit,
    Visitor,
)
from .pdf import pdf_response
from .terms import current_term, term_label

PDF_ROW_LIMIT = 3000
# What a ledger's columns read of each row's children (health: the absent pupils; checklists and plans
# count their items and drills), fetched for the whole page at once instead of a query per row.
LEDGER_PREFETCH = {
    "health": ("absences",),
    "checklists": (Prefetch("items", queryset=ChecklistItem.objects.only("id", "template_id")),),
    "plans": (Prefetch("drills", queryset=Drill.objects.only("id", "plan_id")),),
}
# Service (model) field names that a form calls differently.
FIELD_ALIASES = {"image": "photo", "actions": "actions", "class_uid": "school_class"}


def _roles(request) -> frozenset[str]:
    return school_roles(request.user, request.tenant)


def _errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            field = FIELD_ALIASES.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _spec(key: str) -> Ledger:
    spec = LEDGERS.get(key)
    if spec is None:
        raise Http404
    return spec


# ---------------------------------------------------------------- board


@school_view()
def board(request):
    """The school's safety board: the term's figures and where to go next."""
    term = current_term()
    drills = selectors.drills_vs_required(period=term)
    context = {
        "stats": selectors.hazard_stats(period=term),
        "drills": drills,
        "standing": duties.board_standing(period=term, drills=drills),
        "coverage": selectors.campaign_coverage_list(term=term_label(term)),
        "education": selectors.education_counts(period=term),
        "charts": charts.board_charts(period=term),
        "term": term_label(term),
        "ledgers": LEDGERS.values(),
        "major_open": Hazard.objects.filter(grade=HazardGrade.MAJOR).exclude(status=HazardStatus.CLOSED)[:10],
        "roles": _roles(request),
        "R": R,
    }
    return render(request, "safety/board.html", context)


# ---------------------------------------------------------------- generic ledgers


def _ledger_rows(request, spec: Ledger):
    qs = spec.model.objects.all()
    if spec.related:
        qs = qs.select_related(*spec.related)
    if spec.key in LEDGER_PREFETCH:
        qs = qs.prefetch_related(*LEDGER_PREFETCH[spec.key])
    query = request.GET.get("q", "").strip()
    if query and spec.search:
        condition = Q()
        for name in spec.search:
            condition |= Q(**{f"{name}__icontains": query})
        qs = qs.filter(condition)
    active = {}
    for name, _label, choices in spec.filters:
        value = request.GET.get(name, "")
        if value and value in {c[0] for c in choices}:
            qs = qs.filter(**{name: value})
            active[name] = value
    if spec.key == "hazards" and request.GET.get("status") == "overdue":
        qs = qs.filter(status=HazardStatus.OPEN, deadline__lt=timezone.localdate())
        active["status"] = "overdue"
    if spec.key == "hazards" and request.GET.get("responsible") == "me":
        # 我的待办's "and N more": the hazards I am responsible for that are not closed.
        qs = qs.filter(responsible=request.user).exclude(status=HazardStatus.CLOSED)
        active["responsible"] = "me"
    if spec.date_field:
        is_datetime = spec.model._meta.get_field(spec.date_field).get_internal_type() == "DateTimeField"
        lookup = f"{spec.date_field}__date" if is_datetime else spec.date_field
        for param, op in (("from", "gte"), ("to", "lte")):
            value = _date(request.GET.get(param, ""))
            if value:
                qs = qs.filter(**{f"{lookup}__{op}": value})
    return qs, query, active


@school_view()
def ledger_list(request, key: str):
    """A ledger: search, filters, pagination; ?export=xlsx or ?export=pdf gives the same rows."""
    spec = _spec(key)
    mine = _roles(request)
    if spec.read_roles is not None and mine and not (mine & spec.read_roles):
        raise PermissionDenied  # personal data (visitors): the gate, the managers and the bureau only
    qs, query, active = _ledger_rows(request, spec)
    if wants_export(request):
        title = f"{request.tenant.name} · {spec.title}"
        if (started := export_in_background(request, rows=qs.count(), title=title)) is not None:
            return started
        # Streamed in chunks (select_related joins, and prefetches run per chunk), however long the ledger.
        headers, rows = rows_of(qs.iterator(chunk_size=500), spec.columns)
        return xlsx_response(filename=f"{request.tenant.name}-{spec.title}", headers=headers, rows=rows,
                             title=str(spec.title), school=request.tenant, period=period_of(request), signature=True)
    if request.GET.get("export") == "pdf":
        title = f"{request.tenant.name} · {spec.title} (PDF)"
        if (started := document_in_background(request, title=title)) is not None:
            return started
        headers, rows = rows_of(qs[:PDF_ROW_LIMIT + 1], spec.columns)
        rows = list(rows)
        return pdf_response(filename=f"{request.tenant.name}-{spec.title}", template="safety/ledger_pdf.html",
                            context={"school": request.tenant, "title": spec.title, "headers": headers,
                                     "rows": rows[:PDF_ROW_LIMIT], "cut": len(rows) > PDF_ROW_LIMIT,
                                     "limit": PDF_ROW_LIMIT})
    page = paginate(request, qs)
    headers, rows = rows_of(page.object_list, spec.columns)
    objects = list(page.object_list)
    context = {
        "spec": spec, "page_obj": page, "headers": headers,
        "rows": [(obj, row) for obj, row in zip(objects, rows, strict=True)],
        "query": query, "active": active,
        "may_write": bool(_roles(request) & spec.write_roles) and (spec.form is not None or key == "health"),
    }
    if key == "hazards":
        context["hazard_summary"] = selectors.hazard_ledger_summary()
    return render(request, "safety/ledger_list.html", context)


def ledger_new(request, key: str):
    spec = _spec(key)
    if spec.form is None:
        raise Http404

    @school_view(roles=spec.write_roles, write=True)
    def view(request):
        kwargs = {"school": request.tenant} if spec.form_takes_school else {}
        initial = {"started_at": timezone.localtime().replace(second=0, microsecond=0),
                   "done_at": timezone.localtime().replace(second=0, microsecond=0),
                   "on": timezone.localdate(), "held_on": timezone.localdate(), "inspected_on": timezone.localdate(), "term": term_label(current_term())}
        form = spec.form(request.POST or None, request.FILES or None, initial=initial, **kwargs)
        if request.method == "POST" and form.is_valid():
            try:
                obj = spec.create(request, form.cleaned_data)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            else:
                messages.success(request, _("Saved."))
                if spec.detail_url:
                    return redirect(spec.detail_url, pk=obj.pk)
                return redirect("safety:ledger", key=key)
        phone = key in ("patrols", "visitors", "exits", "escort", "disinfection", "collections", "meals",
                        "fire_inspections")
        return render(request, "safety/ledger_form.html", {"spec": spec, "form": form, "phone": phone})

    return view(request)


# The roles depend on the ledger; the inner view applies them (school_view of that ledger).
ledger_new.houqin_access = {"kind": "school", "roles": None, "write": True}


@school_view()
def escort_summary(request):
    """Route escort per teacher for a month, for the performance pay (?month=2026-11)."""
    today = timezone.localdate()
    try:
        year, month = (int(x) for x in request.GET.get("month", "").split("-"))
        start = dt.date(year, month, 1)
    except ValueError:
        start = today.replace(day=1)
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    rows = selectors.escort_summary(start=start, end=end)
    if wants_export(request):
        return xlsx_response(filename=f"{request.tenant.name}-{_('Route escort')}-{start:%Y-%m}",
                             title=_("Route escort"), school=request.tenant, period=f"{start:%Y-%m}", signature=True,
                             headers=[_("teacher"), _("Days escorted"), _("Days missed")],
                             rows=([r["teacher"], r["present"], r["absent"]] for r in rows))
    return render(request, "safety/escort_summary.html", {"rows": rows, "month": f"{start:%Y-%m}"})


# ---------------------------------------------------------------- gate (phone)


@school_view(roles=R.GATE, write=True)
def gate(request):
    """The guard's phone page: register a visitor, see who is still in, sign them out."""
    form = F.VisitorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            visitor = S.visitor_register(actor=request.user, name=cd["name"], id_number=cd["id_number"],
                                         phone=cd["phone"], host_name=cd["host_name"],
                                         host_verified=cd["host_verified"], purpose=cd["purpose"])
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Registered %(name)s (ID %(id)s).") % {
                "name": visitor.name, "id": visitor.id_number_masked or "—"})
            return redirect("safety:gate")
    staff_out = StaffExit.objects.filter(back_at__isnull=True).order_by("-out_at")[:30]
    return render(request, "safety/gate.html", {"form": form, "inside": _inside_today(), "staff_out": staff_out})


def _inside_today() -> list[Visitor]:
    """Today's visitors not yet signed out: an index range on in_at, so a year's log of 50,000 costs nothing."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    return list(Visitor.objects.filter(in_at__gte=start, in_at__lt=start + dt.timedelta(days=1),
                                       out_at__isnull=True).order_by("-in_at")[:30])


@require_POST
@school_view(roles=R.GATE, write=True)
def visitor_out(request, pk: int):
    visitor = get_object_or_404(Visitor, pk=pk)
    try:
        S.visitor_checkout(actor=request.user, visitor=visitor)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("%(name)s has left.") % {"name": visitor.name})
    return redirect("safety:gate")


# ---------------------------------------------------------------- health (phone)


@school_view(roles=R.HEALTH, write=True)
def health_check(request):
    """A class teacher's phone page for the morning and noon checks."""
    form = F.HealthCheckForm(request.POST or None, initial={"on": timezone.localdate(), "session": (
        "morning" if timezone.localtime().hour < 12 else "noon")})
    mine = SchoolClass.objects.all()
    if not (_roles(request) & R.MANAGERS):
        mine = mine.filter(head_teacher=request.user)
    form.fields["school_class"].queryset = mine
    if not request.POST and len(mine[:2]) == 1:
        form.initial["school_class"] = mine[0]
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            S.health_check_record(actor=request.user, school_class=cd["school_class"], on=cd["on"],
                                  session=cd["session"], present=cd["present"], absent=cd["absent"],
                                  fever=cd["fever"], absences=form.absences_list())
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error("school_class", str(exc))
            else:
                _errors_to_form(form, exc)
        else:
            messages.success(request, _("Health check recorded."))
            return redirect("safety:health_check")
    today = timezone.localdate()
    classes = list(mine.prefetch_related(Prefetch("health_checks", queryset=HealthCheck.objects.filter(on=today))))
    rows = [(c, {h.session for h in c.health_checks.all()}) for c in classes]
    pending = Absence.objects.filter(followed_up=False, health_check__school_class__in=mine).select_related(
        "health_check__school_class").order_by("-health_check__on")[:30]
    return render(request, "safety/health.html", {"form": form, "rows": rows, "pending": pending})


# ---------------------------------------------------------------- hazards


@school_view()
def hazard_detail(request, pk: int):
    hazard = get_object_or_404(Hazard.objects.select_related("room__building", "responsible", "reporter",
                                                             "rectified_by", "verified_by", "round"), pk=pk)
    roles = _roles(request)
    may_rectify = hazard.status == HazardStatus.OPEN and (bool(roles & R.RECTIFY) or hazard.responsible_id == request.user.pk)
    verifier_roles = R.MAJOR_VERIFIER if hazard.grade == HazardGrade.MAJOR else R.MANAGERS
    may_verify = (hazard.status == HazardStatus.RECTIFIED and bool(roles & verifier_roles)
                  and hazard.rectified_by_id != request.user.pk)
    context = {
        "hazard": hazard, "photos": hazard.photos.all(), "actions": hazard.actions.select_related("by"),
        "rectify_form": F.RectifyForm() if may_rectify else None,
        "may_plan": hazard.status != HazardStatus.CLOSED and bool(roles & R.MANAGERS),
        "verify_form": F.VerifyForm() if may_verify else None,
        "history": history_for(hazard), "today": timezone.localdate(),
    }
    return render(request, "safety/hazard_detail.html", context)


@require_POST
@school_view(write=True)
def hazard_rectify(request, pk: int):
    hazard = get_object_or_404(Hazard, pk=pk)
    form = F.RectifyForm(request.POST, request.FILES)
    if form.is_valid():
        photos = [request.FILES["photo"]] if request.FILES.get("photo") else []
        try:
            S.hazard_rectify(actor=request.user, hazard=hazard, actions=form.cleaned_data["actions"], photos=photos)
            messages.success(request, _("Rectification recorded; it now awaits verification."))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, _("Describe what was done."))
    return redirect("safety:hazard_detail", pk=pk)


@require_POST
@school_view(roles=R.MANAGERS, write=True)
def hazard_verify(request, pk: int):
    hazard = get_object_or_404(Hazard, pk=pk)
    form = F.VerifyForm(request.POST)
    if form.is_valid():
        try:
            S.hazard_verify(actor=request.user, hazard=hazard, accepted=form.cleaned_data["accepted"],
                            note=form.cleaned_data["note"])
            messages.success(request, _("Verification recorded."))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    return redirect("safety:hazard_detail", pk=pk)


@school_view(roles=R.MANAGERS, write=True)
def hazard_plan(request, pk: int):
    """Set a hazard's grade and 五定 (a major hazard needs all five)."""
    hazard = get_object_or_404(Hazard, pk=pk)
    initial = {"grade": hazard.grade, "responsible": hazard.responsible, "measures": hazard.measures,
               "funds": hazard.funds, "deadline": hazard.deadline, "contingency_plan": hazard.contingency_plan}
    form = F.HazardPlanForm(request.POST or None, initial=initial, school=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            S.hazard_plan(actor=request.user, hazard=hazard, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("safety:hazard_detail", pk=pk)
    return render(request, "safety/simple_form.html", {"form": form, "title": hazard.description,
                                                        "back": reverse("safety:hazard_detail", args=[pk])})


@school_view(roles=R.MANAGERS, write=True)
def checklist_edit(request, pk: int):
    """Edit a checklist template of this school (rounds already opened keep their own copy)."""
    template = get_object_or_404(ChecklistTemplate, pk=pk)
    lines = "\n".join(f"{item.get_area_display()}：{item.text}" for item in template.items.all())
    form = F.ChecklistTemplateForm(request.POST or None,
                                   initial={"name": template.name, "kind": template.kind, "items": lines})
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            S.checklist_template_save(actor=request.user, template=template, name=cd["name"], kind=cd["kind"],
                                      items=F.parse_checklist(cd["items"]))
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("safety:ledger", key="checklists")
    return render(request, "safety/simple_form.html", {"form": form, "title": template.name,
                                                        "back": reverse("safety:ledger", args=["checklists"])})


@require_POST
@school_view(roles=R.GATE, write=True)
def staff_exit_back(request, pk: int):
    exit_ = get_object_or_404(StaffExit, pk=pk)
    try:
        S.staff_exit_return(actor=request.user, exit_=exit_)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("safety:gate")


@require_POST
@school_view(roles=R.HEALTH, write=True)
def absence_follow_up(request, pk: int):
    absence = get_object_or_404(Absence, pk=pk)
    form = F.FollowUpForm(request.POST)
    if form.is_valid():
        try:
            S.absence_follow_up(actor=request.user, absence=absence, follow_up=form.cleaned_data["follow_up"])
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    else:
        messages.error(request, _("Describe the follow-up."))
    return redirect("safety:health_check")


@school_view()
def template_detail(request, pk: int):
    """An agreement template's text, its versions and the campaigns that issued it."""
    template = get_object_or_404(AgreementTemplate, pk=pk)
    return render(request, "safety/template_detail.html", {
        "template": template,
        "versions": AgreementTemplate.objects.filter(kind=template.kind, post=template.post).order_by("-version"),
        "campaigns": template.campaigns.order_by("-issued_at"),
    })


@school_view()
def plan_detail(request, pk: int):
    """An emergency plan, its other versions and the drills that exercised it."""
    plan = get_object_or_404(EmergencyPlan, pk=pk)
    return render(request, "safety/plan_detail.html", {
        "plan": plan, "drills": plan.drills.order_by("-held_on"),
        "versions": EmergencyPlan.objects.filter(title=plan.title).order_by("-version"),
        "history": history_for(plan),
    })


@school_view()
def plan_document(request, pk: int):
    plan = get_object_or_404(EmergencyPlan, pk=pk)
    if not plan.document:
        raise Http404
    return FileResponse(plan.document.open("rb"))


@school_view()
def hazard_photo(request, pk: int):
    """A hazard photo, served only to readers of this school."""
    photo = get_object_or_404(HazardPhoto, pk=pk)
    return FileResponse(photo.image.open("rb"))


# ---------------------------------------------------------------- rounds


@school_view()
def round_detail(request, pk: int):
    round_ = get_object_or_404(InspectionRound, pk=pk)
    items = round_.items.select_related("hazard", "checked_by")
    may_check = bool(_roles(request) & (R.MANAGERS | R.PATROL)) and not round_.completed_at
    return render(request, "safety/round_detail.html", {
        "round": round_, "items": items, "may_check": may_check,
        "may_complete": may_check and bool(_roles(request) & R.MANAGERS),
        "history": history_for(round_),
    })


@require_POST
@school_view(roles=R.MANAGERS | R.PATROL, write=True)
def round_item_check(request, pk: int):
    item = get_object_or_404(RoundItem, pk=pk)
    result = request.POST.get("result", "")
    hazard = {"location_text": request.POST.get("location_text", "").strip() or item.round.title,
              "grade": request.POST.get("grade") or HazardGrade.GENERAL}
    try:
        S.round_item_check(actor=request.user, item=item, result=result, note=request.POST.get("note", ""),
                           hazard=hazard if result == ItemResult.FAIL else None)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("safety:round_detail", pk=item.round_id)


@require_POST
@school_view(roles=R.MANAGERS, write=True)
def round_complete(request, pk: int):
    round_ = get_object_or_404(InspectionRound, pk=pk)
    try:
        S.round_complete(actor=request.user, round_=round_)
        messages.success(request, _("Round completed."))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("safety:round_detail", pk=pk)


# ---------------------------------------------------------------- agreements


@school_view()
def campaign_detail(request, pk: int):
    campaign = get_object_or_404(AgreementCampaign.objects.select_related("template"), pk=pk)
    # Need-to-know: the campaign's runners see every copy; anyone else only their own.
    rows = selectors.agreement_list_for(actor=request.user).filter(campaign=campaign).select_related("school_class")
    state = request.GET.get("state", "")
    if state == "unsigned":
        rows = rows.filter(signed_at__isnull=True)
    elif state == "signed":
        rows = rows.filter(signed_at__isnull=False)
    party = request.GET.get("party", "")
    if party in PartyKind.values:
        rows = rows.filter(party_kind=party)
    may_manage = bool(_roles(request) & R.MANAGERS)
    if wants_export(request):
        columns = [
            (_("party"), lambda a: a.get_party_kind_display()), (_("party name"), lambda a: a.party_name),
            (_("class"), lambda a: a.school_class.name if a.school_class_id else ""),
            (_("signed by"), lambda a: a.signer_name), (_("signed at"), lambda a: a.signed_at),
            (_("signed via"), lambda a: a.get_signed_via_display()),
            (_("SHA-256 of the text signed"), lambda a: a.text_sha256)]
        if may_manage:
            # A family's link is its credential: only those who run the campaign (as on the agreement's page).
            columns.append((_("signing link"), lambda a: request.tenant.url(
                reverse("safety:public_sign_short", args=[a.token])) if a.token and not a.signed_at else ""))
        headers, data = rows_of(rows, columns)
        return xlsx_response(filename=str(campaign), headers=headers, rows=data, title=str(campaign),
                             school=request.tenant, term=campaign.term, signature=True)
    return render(request, "safety/campaign_detail.html", {
        "campaign": campaign, "coverage": selectors.campaign_coverage(campaign_id=campaign.pk),
        "page_obj": paginate(request, rows), "state": state, "party": party, "parties": PartyKind.choices,
        "may_manage": may_manage,
        "slip_classes": selectors.slip_classes_for(actor=request.user, campaign=campaign),
    })


@require_POST
@school_view(roles=R.MANAGERS, write=True)
def campaign_remind(request, pk: int):
    campaign = get_object_or_404(AgreementCampaign, pk=pk)
    result = S.agreement_campaign_remind(campaign=campaign)
    (messages.success if result.total else messages.info)(request, result.message())
    return redirect("safety:campaign_detail", pk=pk)


@school_view()
def my_agreements(request):
    rows = selectors.agreement_list_for(actor=request.user).filter(user=request.user).order_by("-pk")
    return render(request, "safety/my_agreements.html", {"rows": rows})


@school_view()
def agreement_detail(request, pk: int):
    """Read an agreement; sign it online if it is yours, or record a scanned paper copy (managers)."""
    agreement = selectors.agreement_get_for(actor=request.user, agreement_id=pk)
    roles = _roles(request)
    may_sign = agreement.signed_at is None and (
        agreement.user_id == request.user.pk
        or (agreement.party_kind != PartyKind.TEACHER and bool(roles & R.MANAGERS)))
    sign_form = F.SignForm(initial={"seen_sha256": S.text_sha256(agreement.text)}) if may_sign else None
    scan_form = F.ScanForm() if agreement.signed_at is None and roles & R.MANAGERS else None
    if request.method == "POST":
        if request.tenant.is_read_only or not roles:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "sign" and sign_form is not None:
                sign_form = F.SignForm(request.POST)
                if sign_form.is_valid():
                    S.agreement_sign(agreement=agreement, signer_name=sign_form.cleaned_data["signer_name"],
                                     user=request.user, seen_sha256=sign_form.cleaned_data["seen_sha256"] or None)
                    messages.success(request, _("Signed."))
                    return redirect("safety:agreement_detail", pk=pk)
            elif action == "scan" and scan_form is not None:
                scan_form = F.ScanForm(request.POST, request.FILES)
                if scan_form.is_valid():
                    S.agreement_scan_upload(actor=request.user, agreement=agreement, scan=scan_form.cleaned_data["scan"],
                                            signer_name=scan_form.cleaned_data["signer_name"])
                    messages.success(request, _("Scan recorded."))
                    return redirect("safety:agreement_detail", pk=pk)
            else:
                raise PermissionDenied
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    return render(request, "safety/agreement_detail.html", {
        "agreement": agreement, "sign_form": sign_form, "scan_form": scan_form,
        "history": history_for(agreement),
        "public_link": request.build_absolute_uri(reverse("safety:public_sign", args=[agreement.token]))
        if agreement.token and roles & R.MANAGERS else "",
    })


@school_view()
def agreement_scan(request, pk: int):
    agreement = selectors.agreement_get_for(actor=request.user, agreement_id=pk)
    if not agreement.scan:
        raise Http404
    return FileResponse(agreement.scan.open("rb"))


@public_view
def public_sign(request, token: str):
    """A parent signs by the link the school sent: no account, only the token."""
    school = getattr(request, "tenant", None)
    if not isinstance(school, School):
        raise Http404
    agreement = selectors.agreement_get_by_token(token=token)
    form = F.SignForm(request.POST or None, initial={"seen_sha256": S.text_sha256(agreement.text)})
    if request.method == "POST" and agreement.signed_at is None and form.is_valid():
        if school.is_read_only:
            raise PermissionDenied
        try:
            S.agreement_sign(agreement=agreement, signer_name=form.cleaned_data["signer_name"], token=token,
                             seen_sha256=form.cleaned_data["seen_sha256"] or None)
            return redirect("safety:public_sign", token=token)
        except ValidationError as exc:
            _errors_to_form(form, exc)
    return render(request, "safety/public_sign.html", {"agreement": agreement, "form": form, "school": school,
                                                       "bare_layout": True})
