"""School-host pages: the school's titles, its readiness for each award, applications, and its own
work summary. The public reporting tables are reachable here (public is on the search_path)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tenants.access import school_roles, school_view

from . import catalogue, selectors, services
from .forms import AwardApplicationForm
from .models import Term
from .views import _add_errors, _summary_page


@school_view()
def awards(request):
    school = request.tenant
    term = services.term_current(bureau=school.bureau)
    values = selectors.values_for(user=request.user, school=school, term=term)
    programmes = [
        {"programme": p, **selectors.award_readiness(programme=p, values=values)}
        for p in selectors.programmes_for_school(user=request.user, school=school).filter(is_open=True)
    ]
    context = {
        "school": school, "term": term, "programmes": programmes,
        "records": selectors.records_for_school(user=request.user, school=school),
        "applications": selectors.applications_for_school(user=request.user, school=school),
        "may_apply": bool(school_roles(request.user, school) & services.SCHOOL_REPORTER_ROLES),
        "may_edit_campus": bool(school_roles(request.user, school) & services.SCHOOL_ADMIN_ROLES),
        "campus": {
            "green_space_rate": catalogue.percent(school.green_space_rate) if school.green_space_rate is not None
            else None,
            "per_pupil": round(school.site_area_per_pupil, 1) if school.site_area_per_pupil is not None else None,
        },
    }
    return render(request, "reporting/school_awards.html", context)


@school_view(roles=services.SCHOOL_REPORTER_ROLES, write=True)
def apply(request, programme_id: int):
    school = request.tenant
    programme = selectors.programmes_for_school(user=request.user, school=school).filter(pk=programme_id).first()
    if programme is None:
        raise PermissionDenied
    form = AwardApplicationForm(request.POST or None, request.FILES or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            services.award_apply(user=request.user, school=school, programme=programme, evidence=form.evidence(),
                                 statement=form.cleaned_data["statement"],
                                 evidence_file=form.cleaned_data.get("evidence_file"),
                                 criterion_evidence=form.criterion_evidence())
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your application was sent to the bureau."))
            return redirect("reporting_school:awards")
    return render(request, "reporting/form_page.html",
                  {"form": form, "title": _("Apply for %(name)s") % {"name": programme.name}})


@school_view(roles=services.SCHOOL_ADMIN_ROLES, write=True)
def campus(request):
    """The campus figures award criteria read: site area, green space, green cover rate (the school's profile)."""
    from .forms import CampusForm

    school = request.tenant
    form = CampusForm(request.POST or None, initial={
        "site_area": school.site_area, "green_area": school.green_area, "green_cover_rate": school.green_cover_rate})
    if request.method == "POST" and form.is_valid():
        try:
            services.school_campus_update(user=request.user, school=school, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The campus figures were saved."))
            return redirect("reporting_school:awards")
    return render(request, "reporting/form_page.html", {"form": form, "title": _("Campus figures")})


@school_view(roles=services.SCHOOL_REPORTER_ROLES)
def summary_page(request):
    """The school's own term work summary, generated from its figures, editable, exported."""
    school = request.tenant
    terms = list(Term.objects.filter(bureau=school.bureau).order_by("-start"))
    term = next((t for t in terms if str(t.pk) == request.GET.get("term")), None) or services.term_current(
        bureau=school.bureau)
    if term not in terms:
        terms.insert(0, term)
    return _summary_page(request, bureau=school.bureau, term=term, terms=terms, school=school, schools=None,
                         base=reverse("reporting_school:summary"))


@school_view()
def evidence_file(request, application_id: int):
    """The evidence file of one of this school's applications (members and its bureau only)."""
    application = selectors.applications_for_school(user=request.user, school=request.tenant).filter(
        pk=application_id).first()
    if application is None or not application.evidence_file:
        raise PermissionDenied
    return file_response(application)


@school_view()
def criterion_evidence_file(request, application_id: int, evidence_id: int):
    """The file a school attached to one criterion of its application (members and its bureau only)."""
    application = selectors.applications_for_school(user=request.user, school=request.tenant).filter(
        pk=application_id).first()
    evidence = application.criterion_evidence.filter(pk=evidence_id).first() if application else None
    if evidence is None or not evidence.file:
        raise PermissionDenied
    return file_response(application, evidence.file)


def file_response(application, field_file=None):
    from django.http import FileResponse
    from django_tenants.utils import tenant_context

    field_file = field_file or application.evidence_file
    with tenant_context(application.school):
        handle = field_file.open("rb")
    name = field_file.name.rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=True, filename=name)
