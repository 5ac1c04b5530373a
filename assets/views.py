"""Pages of the assets module: thin views over services and selectors."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST

from core.labels import ASSET, label_read
from frontend.excel import xlsx_response
from frontend.lists import PAGE_SIZE, paginate, wants_export
from jobs.background import document_in_background, export_in_background
from tenants.access import bureau_roles, can_read_school, public_view, school_roles, school_view
from tenants.audit import history_for

from . import charts, selectors, services
from .choices import Condition, DisposalStatus, Finding, PurchaseStatus, StocktakeStatus, TransferStatus
from .forms import (
    AcceptanceForm,
    AssetFilterForm,
    AssetForm,
    BorrowForm,
    CategoryImportForm,
    ConsumableItemForm,
    DecisionForm,
    DisposalForm,
    ImportForm,
    LoanForm,
    PurchaseForm,
    PurchaseLineFormSet,
    RequisitionForm,
    ResolveForm,
    ReturnForm,
    ScanForm,
    StockForm,
    StocktakeForm,
    TransferForm,
)
from .labels import asset_label_token
from .models import Disposal, LoanRequest, PurchaseRequest, Requisition, Stocktake, Transfer
from .roles import APPROVERS, BUREAU_APPROVERS, MANAGERS, PRINCIPALS, STAFF


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _flash_error(request, exc: ValidationError | PermissionDenied) -> None:
    text = " ".join(exc.messages) if isinstance(exc, ValidationError) else (str(exc) or _("You may not do this."))
    messages.error(request, text)


def approver_view(*, school_roles_allowed, bureau: bool = True):
    """A school-host view for a decision: the school's approvers, or (when `bureau`) its bureau's approvers.

    Bureau staff read the school through its host; this lets them act on the approvals that are theirs.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            school = getattr(request, "tenant", None)
            if school is None or school.is_public:
                raise PermissionDenied
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            ok = bool(school_roles(request.user, school) & set(school_roles_allowed))
            if bureau and bureau_roles(request.user, school.bureau) & BUREAU_APPROVERS:
                ok = True
            if not ok or school.is_read_only:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.houqin_access = {"kind": "school", "roles": frozenset(school_roles_allowed), "write": True}
        return wrapped

    return decorator


def _export(request, *, filename, rows, columns):
    """The .xlsx download of a list's filtered rows, or None when no export was asked for."""
    if not wants_export(request):
        return None
    count = rows.count() if hasattr(rows, "filter") else len(rows)
    if (started := export_in_background(request, rows=count, title=filename)) is not None:
        return started
    return xlsx_response(filename=filename, headers=[str(title) for title, _getter in columns],
                         rows=([getter(row) for _title, getter in columns] for row in rows), school=request.tenant)


def _roles(request) -> frozenset[str]:
    return school_roles(request.user, request.tenant)


# ---------------------------------------------------------------- asset cards

ASSET_COLUMNS = [
    (gettext_lazy("Asset number"), lambda a: a.asset_number),
    (gettext_lazy("Name"), lambda a: a.name),
    (gettext_lazy("Category"), lambda a: str(a.category)),
    (gettext_lazy("Kind"), lambda a: a.get_kind_display()),
    (gettext_lazy("Brand"), lambda a: a.brand),
    (gettext_lazy("Model"), lambda a: a.model),
    (gettext_lazy("Unit price"), lambda a: a.unit_price),
    (gettext_lazy("Quantity"), lambda a: a.quantity),
    (gettext_lazy("Original value"), lambda a: a.original_value),
    (gettext_lazy("Net value"), lambda a: a.net_value()),
    (gettext_lazy("Booked on"), lambda a: a.booked_on),
    (gettext_lazy("Managing department"), lambda a: str(a.department or "")),
    (gettext_lazy("User"), lambda a: str(a.user or "")),
    (pgettext_lazy("asset", "Room"), lambda a: str(a.room or "")),
    (gettext_lazy("Condition"), lambda a: a.get_condition_display()),
]


@school_view()
def asset_list(request):
    """Every asset card of the school, searchable and filtered; ?export=xlsx downloads the same rows."""
    form = AssetFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    assets = selectors.asset_list_for(
        user=request.user, q=filters.get("q", ""), kind=filters.get("kind", ""),
        condition=filters.get("condition", ""), category=filters.get("category", ""),
        room=filters["room"].pk if filters.get("room") else None,
    )
    if wants_export(request):
        if (started := export_in_background(request, rows=assets.count(), title=_("Asset ledger"))) is not None:
            return started
        headers = [str(title) for title, _getter in ASSET_COLUMNS]
        rows = ([getter(a) for _title, getter in ASSET_COLUMNS] for a in assets.iterator(chunk_size=2000))
        return xlsx_response(filename=_("Assets"), headers=headers, rows=rows, title=_("Asset ledger"),
                             school=request.tenant, signature=True)
    if request.GET.get("labels") == "pdf":
        if not _roles(request) & MANAGERS:
            raise PermissionDenied
        if (started := document_in_background(request, title=f"{_('Asset label')} (PDF)")) is not None:
            return started
        from .labels import labels_pdf

        pdf = labels_pdf(school=request.tenant, assets=assets[:500])
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'inline; filename="labels.pdf"'
        return response
    # Page over ids first (an index scan, even deep into the list), then load the 25 rows with their joins.
    page_obj = paginate(request, assets.values_list("pk", flat=True))
    rows = assets.in_bulk(list(page_obj.object_list))
    page_obj.object_list = [rows[pk] for pk in page_obj.object_list]
    context = {"form": form, "page_obj": page_obj, "can_manage": bool(_roles(request) & MANAGERS)}
    return render(request, "assets/asset_list.html", context)


@school_view()
def asset_detail(request, pk: int):
    """The asset card: its fields, depreciation, loans, transfers, disposals and full history."""
    asset = selectors.asset_get_for(user=request.user, pk=pk)
    roles = _roles(request)
    context = {
        "asset": asset,
        "accumulated": asset.accumulated_depreciation(),
        "net_value": asset.net_value(),
        "under_warranty": selectors.asset_under_warranty(asset),
        "loans": asset.loans.select_related("borrower", "lent_by")[:20],
        "transfers": asset.transfers.select_related("to_department", "to_room__building", "to_user")[:20],
        "disposals": asset.disposals.select_related("requested_by", "decided_by")[:10],
        "history": history_for(asset),
        "can_manage": bool(roles & MANAGERS),
        "can_request": bool(roles & STAFF),
        "open_loan": asset.loans.filter(returned_on__isnull=True).first(),
        "repair_url": f"/repairs/report/?label={asset_label_token(request.tenant, asset)}",
    }
    return render(request, "assets/asset_detail.html", context)


@school_view(roles=MANAGERS, write=True)
def asset_create(request):
    form = AssetForm(request.POST or None, school=request.tenant)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            asset = services.asset_create(actor=request.user, **fields)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Asset %(number)s booked.") % {"number": asset.asset_number})
            return redirect("assets:asset_detail", pk=asset.pk)
    return render(request, "assets/form.html", {"form": form, "title": _("Book an asset")})


@school_view(roles=MANAGERS, write=True)
def asset_edit(request, pk: int):
    asset = selectors.asset_get_for(user=request.user, pk=pk)
    form = AssetForm(request.POST or None, instance=asset, school=request.tenant)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.asset_update(asset=selectors.asset_get_for(user=request.user, pk=pk), actor=request.user, **fields)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("assets:asset_detail", pk=pk)
    return render(request, "assets/form.html", {"form": form, "title": _("Edit %(asset)s") % {"asset": asset}})


@school_view(roles=MANAGERS, write=True)
def asset_lend(request, pk: int):
    asset = selectors.asset_get_for(user=request.user, pk=pk)
    form = LoanForm(request.POST or None, school=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.loan_create(asset=asset, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("assets:asset_detail", pk=pk)
    return render(request, "assets/form.html", {"form": form, "title": _("Lend %(asset)s") % {"asset": asset}})


@school_view(roles=STAFF, write=True)
def asset_borrow(request, pk: int):
    """A member of staff asks to borrow this asset."""
    asset = selectors.asset_get_for(user=request.user, pk=pk)
    form = BorrowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.loan_request_create(asset=asset, requester=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Loan requested; the custodian will hand it over."))
            return redirect("assets:asset_detail", pk=pk)
    return render(request, "assets/form.html", {"form": form, "title": _("Borrow %(asset)s") % {"asset": asset}})


@require_POST
@school_view(roles=MANAGERS, write=True)
def loan_request_decide(request, pk: int):
    loan_request = get_object_or_404(LoanRequest, pk=pk)
    try:
        services.loan_request_decide(request=loan_request, actor=request.user, approve=request.POST.get("decision") == "approve")
    except ValidationError as exc:
        _flash_error(request, exc)
    return redirect("assets:loan_list")


@school_view(roles=MANAGERS, write=True)
def asset_return(request, pk: int):
    asset = selectors.asset_get_for(user=request.user, pk=pk)
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.loan_return(asset=asset, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("assets:asset_detail", pk=pk)
    return render(request, "assets/form.html", {"form": form, "title": _("Return %(asset)s") % {"asset": asset}})


@school_view(roles=STAFF, write=True)
def asset_transfer(request, pk: int):
    asset = selectors.asset_get_for(user=request.user, pk=pk)
    form = TransferForm(request.POST or None, school=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_request(asset=asset, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Transfer requested; the logistics office will confirm it."))
            return redirect("assets:asset_detail", pk=pk)
    return render(request, "assets/form.html", {"form": form, "title": _("Transfer %(asset)s") % {"asset": asset}})


@school_view(roles=MANAGERS, write=True)
def asset_dispose(request, pk: int):
    asset = selectors.asset_get_for(user=request.user, pk=pk)
    form = DisposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {**form.cleaned_data, "proceeds": form.cleaned_data.get("proceeds") or 0}
        try:
            services.disposal_request(asset=asset, actor=request.user, **data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("assets:disposal_list")
    notice = "" if asset.minimum_life_reached() else services.early_disposal_explanation(asset)
    return render(request, "assets/form.html", {"form": form, "notice": notice,
                                                "title": _("Dispose of %(asset)s") % {"asset": asset}})


@public_view
def asset_qr(request, asset_number: str):
    """The QR label's target: the card for a signed-in reader, the public fault report for anyone else; for a
    counter during a stocktake, the count of that asset in the room being counted."""
    school = getattr(request, "tenant", None)
    if school is None or school.is_public:
        raise Http404
    if request.user.is_authenticated and (counting := _counting_room(request)):
        return _count_label(request, asset_number, counting)
    if request.user.is_authenticated and can_read_school(request.user, school):
        asset = selectors.asset_get_for(user=request.user, asset_number=asset_number)
        return redirect("assets:asset_detail", pk=asset.pk)
    # Anyone else: only the label's token opens the public report (repairs checks it names an asset of
    # this school). A label printed before tokens, or a number typed by hand, gets "scan the new label".
    token = request.GET.get("label", "").strip()
    return redirect(f"/repairs/report/?{urlencode({'label': token})}" if token else "/repairs/report/?asset=")


# ---------------------------------------------------------------- import / export


@school_view(roles=MANAGERS, write=True)
def asset_import(request):
    """Upload asset cards from .xlsx: all rows are validated, then all are created or none."""
    from .imports import ImportFailed, assets_import
    from .jobs import import_in_background

    form = ImportForm(request.POST or None, request.FILES or None)
    errors = None
    if request.method == "POST" and form.is_valid():
        try:
            if (started := import_in_background(request, upload=form.cleaned_data["file"],
                                                mapping=form.cleaned_data["mapping"])) is not None:
                return started
            count = assets_import(upload=form.cleaned_data["file"], actor=request.user,
                                  mapping=form.cleaned_data["mapping"])
        except ValidationError as exc:
            _add_errors(form, ValidationError({"file": exc.messages}))
        except ImportFailed as exc:
            errors = exc.errors
            request.session["assets_import_errors"] = [[e.row, e.column, e.message] for e in errors[:20000]]
        else:
            messages.success(request, _("%(count)s asset cards imported.") % {"count": count})
            return redirect("assets:asset_list")
    return render(request, "assets/import.html", {"form": form, "errors": errors[:200] if errors else None,
                                                  "error_count": len(errors) if errors else 0})


@school_view(roles=MANAGERS)
def asset_import_errors(request):
    rows = request.session.get("assets_import_errors") or []
    return xlsx_response(filename=_("Import errors"), headers=[_("Row"), _("Column"), _("Message")], rows=rows,
                         heading=False)


@school_view(roles=MANAGERS)
def asset_import_template(request):
    from .imports import template_headers

    return xlsx_response(filename=_("Asset import template"), headers=template_headers(), rows=[], heading=False)


# ---------------------------------------------------------------- categories


@school_view()
def category_list(request):
    categories = selectors.category_list_for(user=request.user).select_related("parent")
    q = request.GET.get("q", "").strip()
    if q:
        categories = categories.filter(code__startswith=q) | categories.filter(name__icontains=q)
    columns = [
        (_("Code"), lambda c: c.code), (_("Name"), lambda c: c.name), (pgettext("category", "Parent"), lambda c: c.parent.code if c.parent else ""),
        (_("Service life (years)"), lambda c: c.service_life_years),
        (_("Special equipment"), lambda c: c.is_special_equipment),
    ]
    if wants_export(request):
        return xlsx_response(filename=_("Categories"), headers=[str(t) for t, _g in columns],
                             rows=([g(c) for _t, g in columns] for c in categories), heading=False)
    form = CategoryImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not _roles(request) & MANAGERS or request.tenant.is_read_only:
            raise PermissionDenied
        if form.is_valid():
            from .jobs import category_import_in_background

            upload = form.cleaned_data["file"]
            try:
                rows = _category_rows(upload)
                # A long table is imported by a background job with a progress bar; the request answers at once.
                if (started := category_import_in_background(request, upload=upload, rows=len(rows))) is not None:
                    return started
                count = services.category_table_import(rows=rows, actor=request.user)
            except ValidationError as exc:
                _add_errors(form, ValidationError({"file": exc.messages}))
            else:
                messages.success(request, _("%(count)s categories imported.") % {"count": count})
                return redirect("assets:category_list")
    return render(request, "assets/category_list.html", {
        "page_obj": paginate(request, categories, per_page=50), "form": form,
        "can_manage": bool(_roles(request) & MANAGERS),
    })


def _category_rows(upload) -> list[dict]:
    from .jobs import category_sheet_rows

    return category_sheet_rows(upload)


# ---------------------------------------------------------------- consumables


@school_view()
def consumable_list(request):
    low = request.GET.get("low") == "1"
    items = selectors.consumable_list_for(user=request.user, low_only=low, q=request.GET.get("q", "").strip())
    columns = [(_("Name"), lambda i: i.name), (_("Specification"), lambda i: i.spec), (_("Unit"), lambda i: i.unit),
               (_("On hand"), lambda i: i.on_hand), (_("Reorder level"), lambda i: i.reorder_level),
               (_("Unit price"), lambda i: i.unit_price)]
    if wants_export(request):
        if (started := export_in_background(request, rows=items.count(), title=_("Consumables"))) is not None:
            return started
        return xlsx_response(filename=_("Consumables"), headers=[str(t) for t, _g in columns],
                             rows=([g(i) for _t, g in columns] for i in items), school=request.tenant)
    return render(request, "assets/consumable_list.html", {
        "page_obj": paginate(request, items), "low": low, "can_manage": bool(_roles(request) & MANAGERS),
        "can_request": bool(_roles(request) & STAFF),
    })


@school_view(roles=MANAGERS, write=True)
def consumable_create(request):
    form = ConsumableItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.consumable_item_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("assets:consumable_detail", pk=item.pk)
    return render(request, "assets/form.html", {"form": form, "title": _("New consumable")})


@school_view()
def consumable_detail(request, pk: int):
    item = get_object_or_404(selectors.consumable_list_for(user=request.user), pk=pk)
    can_manage = bool(_roles(request) & MANAGERS)
    form = StockForm(request.POST or None)
    if request.method == "POST":
        if not can_manage or request.tenant.is_read_only:
            raise PermissionDenied
        if form.is_valid():
            action = services.consumable_receive if request.POST.get("direction") == "in" else services.consumable_issue
            try:
                action(item=item, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return redirect("assets:consumable_detail", pk=pk)
    movements = selectors.movement_list_for(user=request.user, item=item)
    return render(request, "assets/consumable_detail.html", {
        "item": item, "form": form, "page_obj": paginate(request, movements), "can_manage": can_manage,
        "rate": selectors.consumption_per_day(item=item), "history": history_for(item),
    })


@school_view()
def requisition_list(request):
    requisitions = selectors.requisition_list_for(user=request.user)
    export = _export(request, filename=_("Requisitions"), rows=requisitions, columns=[
        (_("Item"), lambda r: str(r.item)), (_("Quantity"), lambda r: r.quantity), (_("Requested by"), lambda r: str(r.requester)),
        (_("Reason"), lambda r: r.reason), (_("Status"), lambda r: r.get_status_display()),
        (_("Created at"), lambda r: r.created_at),
    ])
    if export:
        return export
    return render(request, "assets/requisition_list.html", {
        "page_obj": paginate(request, requisitions), "roles": _roles(request),
        "can_approve": bool(_roles(request) & APPROVERS), "can_manage": bool(_roles(request) & MANAGERS),
        "can_request": bool(_roles(request) & STAFF),
    })


@school_view()
def requisition_detail(request, pk):
    """A requisition has no page of its own: a link to one (from a notification) opens its row in the list."""
    requisitions = selectors.requisition_list_for(user=request.user)
    requisition = get_object_or_404(requisitions, pk=pk)
    newer = requisitions.filter(
        Q(created_at__gt=requisition.created_at) | Q(created_at=requisition.created_at, pk__gt=requisition.pk)
    ).count()
    page = newer // PAGE_SIZE + 1
    query = f"?page={page}" if page > 1 else ""
    return redirect(f"{reverse('assets:requisition_list')}{query}#requisition-{requisition.pk}")


@school_view(roles=STAFF, write=True)
def requisition_create(request):
    form = RequisitionForm(request.POST or None, initial={"item": request.GET.get("item")})
    if request.method == "POST" and form.is_valid():
        try:
            services.requisition_create(requester=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Requisition sent for approval."))
            return redirect("assets:requisition_list")
    return render(request, "assets/form.html", {"form": form, "title": _("Request consumables")})


@require_POST
@school_view(roles=STAFF, write=True)
def requisition_act(request, pk: int, action: str):
    requisition = get_object_or_404(Requisition, pk=pk)
    try:
        if action in ("approve", "reject"):
            services.requisition_decide(requisition=requisition, actor=request.user, approve=action == "approve")
        elif action == "issue":
            services.requisition_issue(requisition=requisition, actor=request.user)
        elif action == "confirm":
            services.requisition_confirm(requisition=requisition, actor=request.user)
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        _flash_error(request, exc)
    return redirect("assets:requisition_list")


# ---------------------------------------------------------------- procurement


@school_view()
def purchase_list(request):
    status = request.GET.get("status", "")
    purchases = selectors.purchase_list_for(user=request.user, status=status if status in PurchaseStatus.values else "")
    export = _export(request, filename=_("Purchase requests"), rows=purchases, columns=[
        (_("Number"), lambda p: p.number), (_("Title"), lambda p: p.title), (_("Department"), lambda p: str(p.department)),
        (_("Procurement channel"), lambda p: p.get_channel_display()), (_("Estimated total"), lambda p: p.estimated_total),
        (_("Status"), lambda p: p.get_status_display()), (_("Requested by"), lambda p: p.requester_name),
    ])
    if export:
        return export
    return render(request, "assets/purchase_list.html", {
        "page_obj": paginate(request, purchases), "statuses": PurchaseStatus.choices, "status": status,
        "can_request": bool(_roles(request) & STAFF),
    })


@school_view(roles=STAFF, write=True)
def purchase_create(request):
    form = PurchaseForm(request.POST or None)
    lines = PurchaseLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        line_inputs = [services.LineInput(**f.cleaned_data) for f in lines.forms if f.cleaned_data]
        try:
            request_obj = services.purchase_request_create(actor=request.user, lines=line_inputs, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("assets:purchase_detail", pk=request_obj.pk)
    return render(request, "assets/purchase_form.html", {"form": form, "lines": lines})


@school_view()
def purchase_detail(request, pk: int):
    purchase = get_object_or_404(selectors.purchase_list_for(user=request.user), pk=pk)
    roles = _roles(request)
    is_bureau_approver = bool(bureau_roles(request.user, request.tenant.bureau) & BUREAU_APPROVERS)
    can_decide = (purchase.status == PurchaseStatus.SUBMITTED and bool(roles & PRINCIPALS)) or (
        purchase.status == PurchaseStatus.BUREAU_PENDING and is_bureau_approver
    )
    return render(request, "assets/purchase_detail.html", {
        "purchase": purchase, "lines": purchase.lines.select_related("category"),
        "approvals": purchase.approvals.select_related("decided_by"),
        "acceptances": purchase.acceptances.prefetch_related("members__user", "lines__line"),
        "can_submit": purchase.status == PurchaseStatus.DRAFT and (purchase.requested_by_id == request.user.pk or roles & MANAGERS),
        "can_decide": can_decide and not request.tenant.is_read_only,
        "can_accept": purchase.status in (PurchaseStatus.APPROVED, PurchaseStatus.PARTLY_ACCEPTED) and bool(roles & MANAGERS),
        "decision_form": DecisionForm(), "history": history_for(purchase),
    })


@require_POST
@school_view(roles=STAFF, write=True)
def purchase_submit(request, pk: int):
    purchase = get_object_or_404(PurchaseRequest, pk=pk)
    try:
        services.purchase_request_submit(request=purchase, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _flash_error(request, exc)
    return redirect("assets:purchase_detail", pk=pk)


@require_POST
@approver_view(school_roles_allowed=PRINCIPALS)
def purchase_decide(request, pk: int):
    purchase = get_object_or_404(PurchaseRequest, pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        services.purchase_request_decide(request=purchase, actor=request.user, approve=request.POST.get("decision") == "approve",
                                         comment=form.cleaned_data.get("comment", ""))
    except ValidationError as exc:
        _flash_error(request, exc)
    return redirect("assets:purchase_detail", pk=pk)


@school_view(roles=MANAGERS, write=True)
def purchase_accept(request, pk: int):
    purchase = get_object_or_404(PurchaseRequest, pk=pk)
    lines = [line for line in purchase.lines.all() if line.open_quantity > 0]
    form = AcceptanceForm(request.POST or None, school=request.tenant, lines=lines,
                          initial={"accepted_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        accepted = [
            services.AcceptedLine(line=line, accepted=data[f"accepted_{line.pk}"], rejected=data[f"rejected_{line.pk}"],
                                  unit_price=data[f"price_{line.pk}"])
            for line in lines
        ]
        try:
            services.acceptance_record(
                request=purchase, actor=request.user, members=list(data["members"]), actual_user=data["actual_user"],
                lines=accepted, accepted_on=data["accepted_on"], invoice_number=data["invoice_number"],
                room=data["room"], notes=data["notes"], plan=data["plan"], stage=data["stage"], agent=data["agent"],
                buyer_confirmation=data["buyer_confirmation"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Acceptance recorded and booked."))
            return redirect("assets:purchase_detail", pk=pk)
    return render(request, "assets/form.html", {"form": form, "title": _("Acceptance of %(p)s") % {"p": purchase},
                                                "multipart": False})


# ---------------------------------------------------------------- loans, transfers, disposals


@school_view()
def loan_list(request):
    which = request.GET.get("show", "open")
    loans = selectors.loan_list_for(user=request.user, open_only=which == "open", overdue_only=which == "overdue")
    columns = [(_("Asset"), lambda x: str(x.asset)), (_("Borrower"), lambda x: str(x.borrower)),
               (_("Lent on"), lambda x: x.lent_on), (_("Due on"), lambda x: x.due_on),
               (_("Returned on"), lambda x: x.returned_on), (_("Condition on return"), lambda x: x.return_condition)]
    if wants_export(request):
        if (started := export_in_background(request, rows=loans.count(), title=_("Loans"))) is not None:
            return started
        return xlsx_response(filename=_("Loans"), headers=[str(t) for t, _g in columns],
                             rows=([g(x) for _t, g in columns] for x in loans), school=request.tenant)
    roles = _roles(request)
    requests = selectors.loan_request_list_for(user=request.user).filter(status=TransferStatus.PENDING)
    return render(request, "assets/loan_list.html", {"page_obj": paginate(request, loans), "show": which,
                                                     "today": timezone.localdate(), "requests": requests,
                                                     "can_manage": bool(roles & MANAGERS)})


@school_view()
def transfer_list(request):
    transfers = selectors.transfer_list_for(user=request.user)
    export = _export(request, filename=_("Transfers"), rows=transfers, columns=[
        (_("Asset"), lambda t: str(t.asset)), (pgettext("transfer", "From"), lambda t: str(t.from_room or "")),
        (pgettext("transfer", "To"), lambda t: " ".join(str(x) for x in (t.to_department, t.to_room, t.to_user) if x)),
        (_("Reason"), lambda t: t.reason), (_("Requested by"), lambda t: str(t.requested_by)),
        (_("Status"), lambda t: t.get_status_display()),
    ])
    if export:
        return export
    return render(request, "assets/transfer_list.html", {
        "page_obj": paginate(request, transfers),
        "can_manage": bool(_roles(request) & MANAGERS), "pending": TransferStatus.PENDING,
    })


@require_POST
@school_view(roles=MANAGERS, write=True)
def transfer_decide(request, pk: int):
    transfer = get_object_or_404(Transfer, pk=pk)
    try:
        services.transfer_decide(transfer=transfer, actor=request.user, confirm=request.POST.get("decision") == "confirm")
    except ValidationError as exc:
        _flash_error(request, exc)
    return redirect("assets:transfer_list")


@school_view()
def disposal_list(request):
    is_bureau_approver = bool(bureau_roles(request.user, request.tenant.bureau) & BUREAU_APPROVERS)
    disposals = selectors.disposal_list_for(user=request.user)
    export = _export(request, filename=_("Disposals"), rows=disposals, columns=[
        (_("Asset"), lambda d: str(d.asset)), (_("Method"), lambda d: d.get_method_display()), (_("Reason"), lambda d: d.reason),
        (_("Before minimum service life"), lambda d: d.is_early), (_("Proceeds"), lambda d: d.proceeds),
        (_("Status"), lambda d: d.get_status_display()),
    ])
    if export:
        return export
    return render(request, "assets/disposal_list.html", {
        "page_obj": paginate(request, disposals),
        "is_principal": bool(_roles(request) & PRINCIPALS), "is_bureau_approver": is_bureau_approver,
        "pending": DisposalStatus.PENDING,
    })


@require_POST
@approver_view(school_roles_allowed=PRINCIPALS)
def disposal_decide(request, pk: int):
    disposal = get_object_or_404(Disposal, pk=pk)
    try:
        services.disposal_decide(disposal=disposal, actor=request.user, approve=request.POST.get("decision") == "approve")
    except (ValidationError, PermissionDenied) as exc:
        _flash_error(request, exc)
    return redirect("assets:disposal_list")


# ---------------------------------------------------------------- stocktake


@school_view()
def stocktake_list(request):
    form = StocktakeForm(request.POST or None, initial={"planned_on": timezone.localdate()})
    if request.method == "POST":
        if not _roles(request) & MANAGERS or request.tenant.is_read_only:
            raise PermissionDenied
        if form.is_valid():
            try:
                stocktake = services.stocktake_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return redirect("assets:stocktake_detail", pk=stocktake.pk)
    return render(request, "assets/stocktake_list.html", {
        "page_obj": paginate(request, selectors.stocktake_list_for(user=request.user)), "form": form,
        "can_manage": bool(_roles(request) & MANAGERS),
    })


@school_view()
def stocktake_detail(request, pk: int):
    stocktake = get_object_or_404(selectors.stocktake_list_for(user=request.user), pk=pk)
    found = selectors.stocktake_discrepancies(stocktake=stocktake, user=request.user)
    signatures = list(stocktake.signatures.select_related("signer"))
    if wants_export(request):
        return _stocktake_export(request, stocktake, found, signatures)
    rooms = stocktake.rooms.select_related("building")
    signed = {s.signer_id for s in signatures}
    counters = selectors.stocktake_counters(stocktake=stocktake)
    finished = stocktake.status == StocktakeStatus.FINISHED
    roles = _roles(request)
    drafts = {d.code: d for d in stocktake.drafts.select_related("asset")}
    for row in found["surplus"]:
        row["draft"] = drafts.get(row["code"])
    return render(request, "assets/stocktake_detail.html", {
        "stocktake": stocktake, "found": found, "rooms": rooms, "can_manage": bool(roles & MANAGERS),
        "counting": stocktake.status == StocktakeStatus.COUNTING,
        "progress": charts.stocktake_progress(stocktake=stocktake),
        "signatures": signatures, "unsigned": [u for u in counters if u.pk not in signed],
        "can_sign": finished and request.user.pk not in signed and not request.tenant.is_read_only
        and (bool(roles & MANAGERS) or any(u.pk == request.user.pk for u in counters)),
    })


def _loan_text(loan) -> str:
    if loan is None:
        return ""
    return _("%(borrower)s, due %(due)s") % {"borrower": loan.borrower, "due": loan.due_on.isoformat()}


def _stocktake_export(request, stocktake, found, signatures):
    """The stocktake's result: the discrepancies, the assets out on loan and the counters' signatures."""
    kinds = (("surplus", _("Surplus (盘盈)")), ("missing", _("Missing (盘亏)")), ("misplaced", _("Misplaced")),
             ("lent", pgettext("stocktake", "On loan")))
    rows = [[label, r["code"], r["asset"].name if r["asset"] else r.get("description", ""), str(r["booked_room"] or ""),
             str(r["scanned_room"] or ""), _loan_text(r.get("loan")) or r["resolution_label"]]
            for key, label in kinds for r in found[key]]
    rows += [[_("Signed by"), str(s.signer), "", "", "", timezone.localtime(s.signed_at).strftime("%Y-%m-%d %H:%M")]
             for s in signatures]
    return xlsx_response(
        filename=f"{stocktake.name}-{_('Stocktake discrepancies')}", title=f"{stocktake.name} {_('Stocktake discrepancies')}",
        headers=[_("Finding"), _("Code"), _("Asset"), _("Booked room"), _("Scanned in"), pgettext("stocktake", "Action")], rows=rows,
        school=request.tenant, signature=[_("Counted by"), _("Supervised by"), _("Person in charge"), _("Date")])


@require_POST
@school_view(roles=MANAGERS | {"teacher"}, write=True)
def stocktake_sign(request, pk: int):
    try:
        services.stocktake_sign(stocktake=get_object_or_404(Stocktake, pk=pk), actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("You have signed the stocktake."))
    return redirect("assets:stocktake_detail", pk=pk)


@school_view(roles=MANAGERS, write=True)
def stocktake_draft(request, pk: int):
    """Complete the card of an item a stocktake found (盘盈): its draft fills in what the counter saw."""
    draft = selectors.asset_draft_get_for(user=request.user, pk=pk)
    if draft.asset_id:
        return redirect("assets:asset_detail", pk=draft.asset_id)
    initial = {"name": draft.description, "room": draft.room_id, "booked_on": timezone.localdate(),
               "notes": _("Found at stocktake %(name)s (code %(code)s).") % {"name": draft.stocktake.name,
                                                                            "code": draft.code}}
    form = AssetForm(request.POST or None, initial=initial, school=request.tenant)
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            asset = services.asset_draft_complete(draft=draft, actor=request.user, **fields)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Asset %(number)s booked.") % {"number": asset.asset_number})
            return redirect("assets:stocktake_detail", pk=draft.stocktake_id)
    return render(request, "assets/form.html", {
        "form": form, "title": _("Complete the card of a found item: %(item)s") % {"item": draft}})


@require_POST
@school_view(roles=MANAGERS, write=True)
def stocktake_finish(request, pk: int):
    try:
        services.stocktake_finish(stocktake=get_object_or_404(Stocktake, pk=pk), actor=request.user)
    except ValidationError as exc:
        _flash_error(request, exc)
    return redirect("assets:stocktake_detail", pk=pk)


@require_POST
@school_view(roles=MANAGERS, write=True)
def stocktake_resolve(request, pk: int):
    stocktake = get_object_or_404(Stocktake, pk=pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.stocktake_resolve(stocktake=stocktake, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _flash_error(request, exc)
    return redirect("assets:stocktake_detail", pk=pk)


# The room a counter is counting, kept in their session: a label's URL opened on their phone (by its own camera
# app) counts the asset there instead of opening its card, for as long as counting lasts.
COUNTING_SESSION_KEY = "assets.counting"
COUNTING_HOURS = 12


def _scan_message(scan) -> str:
    what = str(scan.asset) if scan.asset else (scan.description or scan.code)
    if getattr(scan, "counted_before", False):
        return _("%(asset)s was already counted in %(room)s.") % {"asset": what, "room": scan.room}
    text = _("Counted: %(asset)s in %(room)s") % {"asset": what, "room": scan.room}
    if scan.finding == Finding.LENT:
        on_loan = _("On loan to %(loan)s") % {"loan": _loan_text(scan.loan)} if scan.loan else pgettext("stocktake", "On loan")
        return f"{text} · {on_loan}"
    if scan.finding != Finding.OK:
        return f"{text} · {scan.get_finding_display()}"
    return text


def _counting_room(request):
    """(stocktake, room) the signed-in counter is counting now, or None."""
    held = request.session.get(COUNTING_SESSION_KEY)
    if not held or held.get("schema") != request.tenant.schema_name:
        return None
    if timezone.now().timestamp() - held.get("since", 0) > COUNTING_HOURS * 3600:
        return None
    if request.tenant.is_read_only or not _roles(request) & (MANAGERS | {"teacher"}):
        return None
    stocktake = Stocktake.objects.filter(pk=held.get("stocktake"), status=StocktakeStatus.COUNTING).first()
    room = stocktake.rooms.select_related("building").filter(pk=held.get("room")).first() if stocktake else None
    return (stocktake, room) if room else None


def _from_its_label(request, asset_number: str) -> bool:
    """Whether this request is the asset's own label opened (its token, not a link on another site)."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    read = label_read(schema_name=request.tenant.schema_name, token=request.GET.get("label", "").strip())
    if read is None or read[0] != ASSET:
        return False
    try:
        return selectors.asset_get_for(user=request.user, pk=read[1]).asset_number == asset_number
    except Http404:
        return False


def _count_label(request, asset_number: str, counting):
    """A label opened while counting: count it in the counter's room and go back to the count.

    Only the label itself counts at once (a GET that writes: a number typed into the address bar or a link
    from elsewhere could count what nobody saw); anything else opens the count with the number filled in.
    """
    stocktake, room = counting
    if not _from_its_label(request, asset_number):
        messages.info(request, _("Check the number and record it: %(code)s") % {"code": asset_number})
        query = urlencode({"code": asset_number[:60]})
        return redirect(f"{reverse('assets:stocktake_scan', args=[stocktake.pk, room.pk])}?{query}")
    try:
        scan = services.stocktake_scan(stocktake=stocktake, room=room, code=asset_number, actor=request.user,
                                       allow_unknown=False)
    except (ValidationError, PermissionDenied) as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _scan_message(scan))
    return redirect("assets:stocktake_scan", pk=stocktake.pk, room_id=room.pk)


# The scanner's ZXing reader is WebAssembly, which the site-wide policy (script-src 'self') does not run.
@csp_update({"script-src": ["'wasm-unsafe-eval'"]})
@school_view(roles=MANAGERS | {"teacher"}, write=True)
def stocktake_scan(request, pk: int, room_id: int):
    """Phone-sized counting page for one room: scan labels with the camera in the page (or type the number);
    what is left unscanned is listed, the assets out on loan with who has them."""
    stocktake = get_object_or_404(Stocktake, pk=pk)
    room = get_object_or_404(stocktake.rooms.select_related("building"), pk=room_id)
    counting = stocktake.status == StocktakeStatus.COUNTING
    if counting:
        request.session[COUNTING_SESSION_KEY] = {"schema": request.tenant.schema_name, "stocktake": pk,
                                                 "room": room_id, "since": timezone.now().timestamp()}
    form = ScanForm(request.POST or None, initial={"code": request.GET.get("code", "")[:60]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            scan = services.stocktake_scan(stocktake=stocktake, room=room, code=data["code"], actor=request.user,
                                           allow_unknown=data["surplus"], description=data["description"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _scan_message(scan))
            return redirect(reverse("assets:stocktake_scan", args=[pk, room_id]))
    scans = stocktake.scans.filter(room=room).select_related("asset", "loan__borrower").order_by("-scanned_at")
    scanned_ids = [s.asset_id for s in scans if s.asset_id]
    unscanned = room.assets.exclude(condition__in=[Condition.DISPOSED, Condition.LOST]).exclude(pk__in=scanned_ids)
    loans = {loan.asset_id: loan for loan in selectors.open_loans_for(user=request.user, assets=unscanned)}
    orders = selectors.repair_orders_for(user=request.user, assets=unscanned)
    lent = [(a, loans.get(a.pk)) for a in unscanned if a.pk in loans or a.condition == Condition.LENT]
    away = {a.pk for a, _loan in lent}
    # Away at its repair (as stocktake_lists counts it): neither still expected nor, unscanned, 盘亏.
    repair = [(a, orders.get(a.pk)) for a in unscanned
              if a.pk not in away and (a.pk in orders or a.condition == Condition.UNDER_REPAIR)]
    away |= {a.pk for a, _order in repair}
    expected = [a for a in unscanned if a.pk not in away]
    return render(request, "assets/stocktake_scan.html", {
        "stocktake": stocktake, "room": room, "form": form, "scans": scans, "expected": expected, "lent": lent,
        "repair": repair, "counting": counting,
    })


@require_POST
@school_view(roles=MANAGERS | {"teacher"})
def stocktake_scan_stop(request, pk: int, room_id: int):
    """Stop counting on this phone: labels open the asset card again."""
    request.session.pop(COUNTING_SESSION_KEY, None)
    return redirect("assets:stocktake_detail", pk=pk)
