"""Reads: every selector takes the acting user."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tenants.access import can_read_school, school_roles

from .categories import top_code
from .choices import (
    Condition,
    DisposalStatus,
    Finding,
    MovementKind,
    RequisitionStatus,
    Resolution,
    StocktakeStatus,
)
from .models import (
    Acceptance,
    Asset,
    AssetDraft,
    Category,
    ConsumableItem,
    Disposal,
    Loan,
    LoanRequest,
    PurchaseRequest,
    Requisition,
    StockMovement,
    Stocktake,
    StocktakeResolution,
    StocktakeScan,
    StocktakeSignature,
    Transfer,
)
from .roles import MANAGERS


def _school():
    from .services import current_school

    return current_school()


def _check_reader(user, *, as_partner: bool = False) -> None:
    """Only readers of the current school get past; `as_partner`: a partner token the API already checked
    for this school's grant and assets:read (api.permissions.require_school_reader)."""
    school = _school()
    if school is None or not (as_partner or (user is not None and can_read_school(user, school))):
        raise PermissionDenied


def asset_under_warranty(asset: Asset, on: dt.date | None = None) -> bool:
    """True while the supplier's warranty still covers the asset on that date."""
    on = on or timezone.localdate()
    return asset.warranty_end is not None and on <= asset.warranty_end


def asset_list_for(*, user, q: str = "", kind: str = "", condition: str = "", category: str = "",
                   room: int | None = None, department: int | None = None) -> QuerySet[Asset]:
    """The assets a reader of the school may list, filtered; rows carry what the list shows."""
    _check_reader(user)
    qs = Asset.objects.select_related("category", "room__building", "department", "user")
    if q:
        qs = qs.filter(Q(asset_number__startswith=q) | Q(name__icontains=q) | Q(serial_number=q))
    if kind:
        qs = qs.filter(kind=kind)
    if condition:
        qs = qs.filter(condition=condition)
    if category:
        qs = qs.filter(category__code__startswith=category.rstrip("0") or category)
    if room:
        qs = qs.filter(room_id=room)
    if department:
        qs = qs.filter(department_id=department)
    return qs


def asset_get_for(*, user, pk: int | None = None, asset_number: str | None = None) -> Asset:
    _check_reader(user)
    qs = Asset.objects.select_related("category", "room__building", "department", "user", "supplier")
    try:
        return qs.get(pk=pk) if pk is not None else qs.get(asset_number=asset_number)
    except Asset.DoesNotExist as exc:
        raise Http404 from exc


def asset_totals(*, user) -> dict:
    """Count and original value by kind and by top-level category (in-service assets only)."""
    _check_reader(user)
    live = Asset.objects.exclude(condition__in=[Condition.DISPOSED, Condition.LOST])
    by_kind = {
        row["kind"]: row
        for row in live.values("kind").annotate(count=Count("id"), value=Coalesce(Sum("original_value"), Decimal("0")))
    }
    by_category: dict[str, dict] = {}
    categories = {c.code: c for c in Category.objects.all()}
    for row in live.values("category__code").annotate(count=Count("id"), value=Sum("original_value")):
        code = row["category__code"]
        top = categories.get(top_code(code))
        key = str(top) if top else code
        entry = by_category.setdefault(key, {"name": key, "count": 0, "value": Decimal("0")})
        entry["count"] += row["count"]
        entry["value"] += row["value"] or Decimal("0")
    return {"by_kind": by_kind, "by_category": sorted(by_category.values(), key=lambda e: e["name"])}


def category_list_for(*, user) -> QuerySet[Category]:
    _check_reader(user)
    return Category.objects.all()


def consumable_list_for(*, user, low_only: bool = False, q: str = "") -> QuerySet[ConsumableItem]:
    _check_reader(user)
    qs = ConsumableItem.objects.select_related("category", "room")
    if q:
        qs = qs.filter(name__icontains=q)
    if low_only:
        from django.db.models import F

        qs = qs.filter(on_hand__lte=F("reorder_level"))
    return qs


def consumption_per_day(*, item: ConsumableItem, days: int = 30, on: dt.date | None = None) -> Decimal:
    """Average quantity issued per day over the last `days` days (actual consumption)."""
    on = on or timezone.localdate()
    since = timezone.make_aware(dt.datetime.combine(on - dt.timedelta(days=days), dt.time.min))
    issued = StockMovement.objects.filter(item=item, kind=MovementKind.OUT, created_at__gte=since).aggregate(
        total=Coalesce(Sum("quantity"), 0)
    )["total"]
    return Decimal(-issued) / days


def consumables_running_low(*, lead_days: int = 14, on: dt.date | None = None) -> list[tuple[ConsumableItem, Decimal]]:
    """Items at or under their reorder level, or that will run out within `lead_days` at the actual rate."""
    found = []
    for item in ConsumableItem.objects.all():
        rate = consumption_per_day(item=item, on=on)
        if item.on_hand <= item.reorder_level or (rate > 0 and item.on_hand < rate * lead_days):
            found.append((item, rate))
    return found


def movement_list_for(*, user, item: ConsumableItem | None = None) -> QuerySet[StockMovement]:
    _check_reader(user)
    qs = StockMovement.objects.select_related("item", "actor")
    return qs.filter(item=item) if item else qs


def requisition_list_for(*, user, mine: bool = False) -> QuerySet[Requisition]:
    _check_reader(user)
    qs = Requisition.objects.select_related("item", "requester", "approved_by", "department")
    roles = school_roles(user, _school())
    if mine or not (roles & (MANAGERS | {"principal"})) and roles:
        qs = qs.filter(requester=user)
    return qs


def requisitions_waiting(*, user) -> QuerySet[Requisition]:
    return requisition_list_for(user=user).filter(status__in=[RequisitionStatus.PENDING, RequisitionStatus.APPROVED])


def purchase_list_for(*, user, status: str = "", as_partner: bool = False) -> QuerySet[PurchaseRequest]:
    """Every purchase request of the school (all its readers see them), optionally of one status."""
    _check_reader(user, as_partner=as_partner)
    qs = PurchaseRequest.objects.select_related("department", "requested_by")
    return qs.filter(status=status) if status else qs


def purchase_get_for(*, user, number: str, as_partner: bool = False) -> PurchaseRequest:
    """One purchase request by its number, or Http404."""
    try:
        return purchase_list_for(user=user, as_partner=as_partner).get(number=number.strip())
    except PurchaseRequest.DoesNotExist as exc:
        raise Http404 from exc


def acceptance_list_for(*, user, request: PurchaseRequest | None = None,
                        as_partner: bool = False) -> QuerySet[Acceptance]:
    """Acceptance records (验收) of the school, newest first, optionally of one purchase request."""
    _check_reader(user, as_partner=as_partner)
    qs = Acceptance.objects.select_related("request")
    return qs.filter(request=request) if request is not None else qs


def loan_list_for(*, user, open_only: bool = False, overdue_only: bool = False) -> QuerySet[Loan]:
    _check_reader(user)
    qs = Loan.objects.select_related("asset", "borrower", "lent_by")
    roles = school_roles(user, _school())
    if roles and not roles & (MANAGERS | {"principal"}):
        qs = qs.filter(borrower=user)
    if open_only or overdue_only:
        qs = qs.filter(returned_on__isnull=True)
    if overdue_only:
        qs = qs.filter(due_on__lt=timezone.localdate())
    return qs


def loan_request_list_for(*, user) -> QuerySet[LoanRequest]:
    """Managers see every request; others their own."""
    _check_reader(user)
    qs = LoanRequest.objects.select_related("asset", "requester")
    roles = school_roles(user, _school())
    if roles and not roles & (MANAGERS | {"principal"}):
        qs = qs.filter(requester=user)
    return qs


def transfer_list_for(*, user) -> QuerySet[Transfer]:
    _check_reader(user)
    return Transfer.objects.select_related(
        "asset", "requested_by", "to_department", "to_room__building", "to_user", "from_room__building"
    )


def disposal_list_for(*, user) -> QuerySet[Disposal]:
    _check_reader(user)
    return Disposal.objects.select_related("asset", "requested_by", "decided_by")


def disposals_pending(*, user) -> QuerySet[Disposal]:
    return disposal_list_for(user=user).filter(status=DisposalStatus.PENDING)


def stocktake_list_for(*, user) -> QuerySet[Stocktake]:
    _check_reader(user)
    return Stocktake.objects.annotate(scan_count=Count("scans")).order_by("-planned_on", "-id")


def stocktake_counters(*, stocktake: Stocktake) -> list:
    """Who scanned labels in this stocktake, by name: those who sign its result."""
    from tenants.models import User

    ids = StocktakeScan.objects.filter(stocktake=stocktake).values_list("scanned_by", flat=True).distinct()
    return list(User.objects.filter(pk__in=list(ids)).order_by("name", "username"))


def asset_draft_get_for(*, user, pk: int) -> AssetDraft:
    """A draft card of a stocktake's found item, for the school's custodians; Http404 otherwise."""
    _check_reader(user)
    if not school_roles(user, _school()) & MANAGERS:
        raise Http404
    return get_object_or_404(AssetDraft.objects.select_related("stocktake", "room__building"), pk=pk)


def asset_draft_list_for(*, user, open_only: bool = False) -> QuerySet[AssetDraft]:
    """Draft cards of found items (盘盈), for the school's custodians; `open_only`: not yet booked."""
    _check_reader(user)
    if not school_roles(user, _school()) & MANAGERS:
        return AssetDraft.objects.none()
    drafts = AssetDraft.objects.select_related("stocktake")
    return drafts.filter(asset__isnull=True) if open_only else drafts


def stocktakes_to_sign_for(*, user) -> QuerySet[Stocktake]:
    """Finished stocktakes the person counted in and has not signed yet."""
    _check_reader(user)
    return (
        Stocktake.objects.filter(status=StocktakeStatus.FINISHED, scans__scanned_by=user.pk)
        .exclude(pk__in=StocktakeSignature.objects.filter(signer=user.pk).values("stocktake"))
        .distinct()
    )


def open_loans_for(*, user, assets) -> QuerySet[Loan]:
    """The loans not yet returned of these assets, with their borrowers."""
    _check_reader(user)
    return Loan.objects.filter(asset__in=assets, returned_on__isnull=True).select_related("borrower")


def repair_orders_for(*, user, assets) -> dict[int, object]:
    """The newest open work order of each of these assets that has one, by asset id (none without repairs)."""
    _check_reader(user)
    orders = open_work_orders()
    if orders is None:
        return {}
    found: dict[int, object] = {}
    for order in orders.filter(asset__in=assets):
        found.setdefault(order.asset_id, order)
    return found


def _label(action: str | None) -> str:
    return str(Resolution(action).label) if action else ""


def stocktake_discrepancies(*, stocktake: Stocktake, user) -> dict[str, list[dict]]:
    """盘盈 (scanned, not on the books), 盘亏 (on the books here, not scanned) and misplaced (scanned in another room)."""
    _check_reader(user)
    return stocktake_lists(stocktake)


# What stocktake_lists reads of a stocktake, in the order Django must prefetch it.
STOCKTAKE_PREFETCH = ("resolutions", "scans", "rooms", "rooms__assets")


# Where the open work orders of assets are read: repairs registers it in its AppConfig.ready (the arrow runs
# from repairs to assets, never back). A dotted path or a function returning a queryset of open orders, newest
# first; until one is registered an asset is under repair only by its condition.
_OPEN_WORK_ORDERS: list = []


def open_work_orders_register(source) -> None:
    """Tell the stocktake where the open work orders are (a dotted path, imported on first use, or a function)."""
    _OPEN_WORK_ORDERS[:] = [source]


def open_work_orders() -> QuerySet | None:
    """The open work orders (those with an asset), from the registered source; None without one."""
    if not _OPEN_WORK_ORDERS:
        return None
    source = _OPEN_WORK_ORDERS[0]
    if isinstance(source, str):
        from django.utils.module_loading import import_string

        source = _OPEN_WORK_ORDERS[0] = import_string(source)
    return source()


def _away_prefetch() -> list[Prefetch]:
    """With each expected asset, its open loan (and borrower) and its open work orders: two queries per page."""
    prefetch = [Prefetch("loans", queryset=Loan.objects.filter(returned_on__isnull=True).select_related("borrower"),
                         to_attr="open_loans")]
    orders = open_work_orders()
    if orders is not None:
        prefetch.append(Prefetch("work_orders", queryset=orders, to_attr="open_work_orders"))
    return prefetch


def stocktake_prefetch_one(lookup: str) -> Prefetch:
    """A fresh Prefetch of one of STOCKTAKE_PREFETCH."""
    from schools.models import Room

    querysets = {
        "resolutions": lambda: StocktakeResolution.objects.select_related("loan__borrower", "disposal"),
        "scans": lambda: StocktakeScan.objects.select_related("asset", "room__building", "booked_room__building",
                                                              "loan__borrower"),
        "rooms": lambda: Room.objects.select_related("building"),
        "rooms__assets": lambda: Asset.objects.exclude(condition=Condition.DISPOSED).prefetch_related(*_away_prefetch()),
    }
    return Prefetch(lookup, queryset=querysets[lookup]())


def stocktake_prefetch() -> list[Prefetch]:
    """What stocktake_lists reads, for many stocktakes at once: `qs.prefetch_related(*stocktake_prefetch())`."""
    return [stocktake_prefetch_one(lookup) for lookup in STOCKTAKE_PREFETCH]


def _is_prefetched(stocktake: Stocktake) -> bool:
    cache = getattr(stocktake, "_prefetched_objects_cache", {})
    return {"resolutions", "scans", "rooms"} <= cache.keys()


def stocktake_lists(stocktake: Stocktake) -> dict[str, list[dict]]:
    """The discrepancy lists without an access check (for metrics, which run without a person), the assets
    out on loan (`lent`: with the loan, who has it and until when) and those under repair (`repair`: with the open
    work order, or the reference recorded when counting finished) — neither in place nor missing.

    Under repair: an open work order on the asset, or its condition 维修中 (repairs keeps it in step with the
    orders; a loan returned damaged sets it too). Reads the rows stocktake_prefetch() fetched when they are there
    (a page of stocktakes costs no query per stocktake); otherwise six queries.
    """
    prefetched = _is_prefetched(stocktake)
    if prefetched:
        resolutions = {r.code: r for r in stocktake.resolutions.all()}
        scans = list(stocktake.scans.all())
    else:
        resolutions = {r.code: r for r in stocktake.resolutions.select_related("loan__borrower", "disposal")}
        scans = list(stocktake.scans.select_related("asset", "room__building", "booked_room__building",
                                                    "loan__borrower"))

    def row(code, asset, booked_room, scanned_room, **extra) -> dict:
        resolution = resolutions.get(code)
        return {"code": code, "asset": asset, "booked_room": booked_room, "scanned_room": scanned_room,
                "resolution": resolution.action if resolution else None, "resolution_label": _label(
                    resolution.action if resolution else None), "disposal": resolution.disposal if resolution else None,
                "description": "", "loan": None, "work_order": None, "work_order_reference": "", **extra}

    rows = {Finding.SURPLUS: [], Finding.MISPLACED: [], Finding.LENT: []}
    for scan in scans:
        if scan.finding in rows:
            rows[scan.finding].append(row(scan.code, scan.asset, scan.booked_room, scan.room,
                                          description=scan.description, loan=scan.loan))
    scanned_ids = {s.asset_id for s in scans if s.asset_id}
    if prefetched:
        # The assets' own order (newest booking first), as the query below gives it.
        expected = sorted((a for room in stocktake.rooms.all() for a in room.assets.all() if a.pk not in scanned_ids),
                          key=lambda a: (a.booked_on, a.pk), reverse=True)
    else:
        expected = (
            Asset.objects.filter(room__in=stocktake.rooms.all())
            .exclude(condition=Condition.DISPOSED)
            .exclude(pk__in=scanned_ids)
            .select_related("room__building")
            .prefetch_related(*_away_prefetch())
        )
    missing, repair = [], []
    for a in expected:
        resolution = resolutions.get(a.asset_number)
        action = resolution.action if resolution else None
        loans = getattr(a, "open_loans", None) or []
        orders = getattr(a, "open_work_orders", None) or []
        if action == Resolution.LENT:
            rows[Finding.LENT].append(row(a.asset_number, a, a.room, None, loan=resolution.loan))
        elif action == Resolution.REPAIR:
            repair.append(row(a.asset_number, a, a.room, None, work_order_reference=resolution.work_order_reference))
        elif action is None and (loans or a.condition == Condition.LENT):
            rows[Finding.LENT].append(row(a.asset_number, a, a.room, None, loan=loans[0] if loans else None))
        elif action is None and (orders or a.condition == Condition.UNDER_REPAIR):
            order = orders[0] if orders else None
            repair.append(row(a.asset_number, a, a.room, None, work_order=order,
                              work_order_reference=order.reference if order else ""))
        elif a.condition != Condition.LOST or resolution is not None:
            missing.append(row(a.asset_number, a, a.room, None))
    return {"surplus": rows[Finding.SURPLUS], "missing": missing, "misplaced": rows[Finding.MISPLACED],
            "lent": rows[Finding.LENT], "repair": repair}


def stocktake_discrepancy_count(found: dict[str, list[dict]]) -> int:
    """盘盈, 盘亏 and misplaced together (an asset out on loan or under repair is none of them)."""
    return len(found["surplus"]) + len(found["missing"]) + len(found["misplaced"])
