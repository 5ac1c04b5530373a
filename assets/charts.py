"""A stocktake's progress by room: assets counted against assets booked there (see core/charts.py)."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.charts import chart, percent

from .choices import Condition, Resolution
from .models import Asset, Stocktake, StocktakeResolution, StocktakeScan
from .selectors import open_work_orders


def stocktake_progress(*, stocktake: Stocktake) -> dict:
    """Per room of the stocktake: expected (booked there), counted (scanned there), still to count, other labels.

    Expected are the room's assets as stocktake_lists expects them (not disposed; a lost one only when this
    stocktake resolved it), counted are those of them whose label was scanned in that very room, on loan those
    out on loan and not scanned, under repair those away at their repair and not scanned (neither counted nor still
    to count); a label
    scanned in a room that is not its own, or of no asset, is an "other label" of the room it was scanned in.
    """
    rooms = list(stocktake.rooms.select_related("building"))
    scanned_here = StocktakeScan.objects.filter(
        stocktake=stocktake, asset=OuterRef("pk"), room=OuterRef("room")
    )
    resolved = StocktakeResolution.objects.filter(stocktake=stocktake, code=OuterRef("asset_number"))
    # Out on loan and not scanned: neither counted nor still to count (recorded with its loan when finished).
    away = ~Q(Exists(scanned_here)) & (
        Q(condition=Condition.LENT) | Q(Exists(resolved.filter(action=Resolution.LENT)))
    )
    # Away at its repair and not scanned (recorded with its work order when finished); a loan goes first.
    at_repair = Q(condition=Condition.UNDER_REPAIR) | Q(Exists(resolved.filter(action=Resolution.REPAIR)))
    orders = open_work_orders()
    if orders is not None:
        at_repair |= Q(Exists(orders.filter(asset=OuterRef("pk"))))
    repairing = ~Q(Exists(scanned_here)) & ~away & at_repair
    booked = {
        row["room"]: row
        for row in Asset.objects.filter(room__in=rooms)
        .exclude(condition=Condition.DISPOSED)
        .exclude(Q(condition=Condition.LOST) & ~Exists(resolved))
        .values("room")
        .annotate(
            expected=Count("pk"),
            counted=Count("pk", filter=Q(Exists(scanned_here))),
            lent=Count("pk", filter=away),
            repair=Count("pk", filter=repairing),
        )
    }
    scans = dict(
        StocktakeScan.objects.filter(stocktake=stocktake)
        .values("room")
        .annotate(n=Count("pk"))
        .values_list("room", "n")
    )
    expected = [booked.get(room.pk, {}).get("expected", 0) for room in rooms]
    counted = [booked.get(room.pk, {}).get("counted", 0) for room in rooms]
    lent = [booked.get(room.pk, {}).get("lent", 0) for room in rooms]
    repair = [booked.get(room.pk, {}).get("repair", 0) for room in rooms]
    return chart(
        key="stocktake-progress",
        kind="bar",
        title=_("Counted against booked, by room"),
        horizontal=True,
        label_name=pgettext("asset", "Room"),
        labels=[str(room) for room in rooms],
        series=[
            {"name": _("Counted"), "data": counted, "stack": "room"},
            {"name": pgettext("stocktake", "On loan"), "data": lent, "stack": "room"},
            {"name": _("Under repair"), "data": repair, "stack": "room"},
            {
                "name": _("Not yet counted"),
                "data": [e - c - n - r for e, c, n, r in zip(expected, counted, lent, repair, strict=True)],
                "stack": "room",
            },
            {"name": _("Booked in the room"), "data": expected, "table_only": True},
            {
                "name": _("Share counted"),
                "data": [percent(c, e) for c, e in zip(counted, expected, strict=True)],
                "unit": "%",
                "table_only": True,
            },
            {
                "name": _("Other labels scanned here"),
                "data": [scans.get(room.pk, 0) - c for room, c in zip(rooms, counted, strict=True)],
                "table_only": True,
            },
        ],
    )
