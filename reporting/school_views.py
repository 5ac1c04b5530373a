"""School-host pages: the school's titles, its readiness for each award, applications, and its own
work summary. The public reporting tables are reachable here (public is on the search_path)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tenants.access import school_roles, school_view

from . import selectors, services
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
                                 evidence_file=form.cleaned_data.get("evidence_file"))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your application was sent to the bureau."))
            return redirect("reporting_school:awards")
    return render(request, "reporting/form_page.html",
                  {"form": form, "title": _("Apply for %(name)s") % {"name": programme.name}})


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


def file_response(application):
    from django.http import FileResponse
    from django_tenants.utils import tenant_context

    with tenant_context(application.school):
        handle = application.evidence_file.open("rb")
    name = application.evidence_file.name.rsplit("/", 1)[-1]
    return FileResponse(handle, as_attachment=True, filename=name)
