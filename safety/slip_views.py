"""Signing slips (签字单) for a class: a printable A4 sheet of the families' QR codes and links, and the
class roster (花名册) the slips and the text reminders read their names and phones from."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from assets.labels import qr_svg_data_uri
from tenants.access import school_view

from . import forms as F
from . import selectors
from . import services as S
from .models import AgreementCampaign, SchoolClass
from .pdf import pdf_response

SLIPS_PER_PAGE = 8  # 2 × 4 on A4, each about 97 × 70 mm


def short_link(url: str) -> str:
    """The link as a parent types it: without the scheme."""
    return url.split("://", 1)[-1]


@school_view()
def class_slips(request, pk: int, class_pk: int):
    """A class's signing slips for one campaign: 8 a page with cut lines; ?format=pdf for the PDF.

    The class's head teacher and the safety managers only (403 for anyone else): each slip carries a
    family's signing link, which is all a parent needs to sign.
    """
    campaign = get_object_or_404(AgreementCampaign.objects.select_related("template"), pk=pk)
    school_class = get_object_or_404(SchoolClass, pk=class_pk)
    unsigned_only = request.GET.get("state") == "unsigned"
    rows = selectors.class_slips(
        actor=request.user, campaign=campaign, school_class=school_class, unsigned_only=unsigned_only
    )
    school = request.tenant
    slips = []
    for agreement in rows:
        url = (
            school.url(reverse("safety:public_sign_short", args=[agreement.token])) if agreement.token else ""
        )
        slips.append(
            {
                "agreement": agreement,
                "url": url,
                "link": short_link(url),
                "qr": qr_svg_data_uri(url) if url and agreement.signed_at is None else "",
            }
        )
    pages = [slips[i : i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)]
    for page in pages:
        page.extend([None] * (SLIPS_PER_PAGE - len(page)))  # empty cells keep the grid (and the cut lines)
    context = {
        "campaign": campaign,
        "school_class": school_class,
        "school": school,
        "pages": pages,
        "count": len(slips),
        "signed": sum(1 for s in slips if s["agreement"].signed_at),
        "state": request.GET.get("state", ""),
        "has_roster": any(s["agreement"].student_name for s in slips),
    }
    if request.GET.get("format") == "pdf":
        return pdf_response(
            filename=f"{school_class.name}-{campaign.template.title}-签字单",
            template="safety/class_slips.html",
            context={**context, "pdf": True},
        )
    return render(request, "safety/class_slips.html", context)


@school_view()
def class_roster(request, pk: int):
    """A class's roster: seat number, pupil, guardian's phone (the head teacher and the safety managers)."""
    school_class = get_object_or_404(SchoolClass, pk=pk)
    students = selectors.class_roster(actor=request.user, school_class=school_class)
    lines = "\n".join(" ".join(filter(None, [str(s.seat_no), s.name, s.guardian_phone])) for s in students)
    form = F.ClassRosterForm(request.POST or None, initial={"lines": lines})
    if request.method == "POST" and form.is_valid():
        try:
            saved = S.school_class_roster_set(
                actor=request.user, school_class=school_class, rows=form.cleaned_data["lines"]
            )
        except ValidationError as exc:
            form.add_error("lines", exc.messages)
        else:
            messages.success(request, _("Roster saved: %(n)s students.") % {"n": len(saved)})
            return redirect("safety:class_roster", pk=pk)
    return render(
        request,
        "safety/class_roster.html",
        {
            "school_class": school_class,
            "students": students,
            "form": form,
            "with_phone": sum(1 for s in students if s.guardian_phone),
            "back": request.GET.get("back", "") if request.GET.get("back", "").startswith("/safety/") else "",
        },
    )
