"""The re-classification report: cards whose kind was corrected to the register's rules, for the custodian to confirm."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from frontend.excel import xlsx_response
from frontend.lists import paginate, wants_export
from tenants.access import school_roles, school_view

from . import services
from .models import Reclassification
from .roles import MANAGERS


def reclassification_list_for(*, user, pending: bool | None = None) -> QuerySet[Reclassification]:
    """The report's rows, newest first (members of the school read it; managers confirm it)."""
    if not school_roles(user, services.current_school()):
        raise PermissionDenied
    rows = Reclassification.objects.select_related("asset", "asset__category", "confirmed_by")
    if pending is not None:
        rows = rows.filter(confirmed_at__isnull=pending)
    return rows.order_by("confirmed_at", "-created_at", "-pk")


@school_view()
def reclassification_list(request):
    if request.method == "POST":
        try:
            count = services.reclassifications_confirm(actor=request.user)
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc) or _("Your role here does not allow this.")])))
        else:
            messages.success(request, _("%(n)s re-classifications confirmed.") % {"n": count})
        return redirect("assets:reclassifications")
    rows = reclassification_list_for(user=request.user)
    if wants_export(request):
        headers = [_("Asset number"), _("Name"), _("Category"), _("Unit price"), _("Booked as"), _("Re-classified as"),
                   _("Reason"), _("Source"), _("Confirmed by"), _("Confirmed at")]
        data = ([r.asset.asset_number, r.asset.name, str(r.asset.category), r.unit_price, r.get_old_kind_display(),
                 r.get_new_kind_display(), r.reason, r.source, str(r.confirmed_by or ""), r.confirmed_at] for r in rows)
        return xlsx_response(filename="资产重分类报告", headers=headers, rows=data, title=_("Re-classification report"),
                             school=request.tenant)
    pending = rows.filter(confirmed_at__isnull=True).count()
    may_confirm = bool(school_roles(request.user, request.tenant) & MANAGERS)
    return render(request, "assets/reclassification_list.html",
                  {"page_obj": paginate(request, rows), "pending": pending, "may_confirm": may_confirm})
