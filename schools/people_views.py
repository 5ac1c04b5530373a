"""Pages of the staff roster: list, .xlsx import with its error report, first-run checklist."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache

from core.spreadsheets import SpreadsheetRefused
from frontend.excel import xlsx_response
from frontend.lists import paginate, wants_export
from tenants.access import school_roles, school_view
from tenants.roles import PHONE_VISIBLE_ROLES, SCHOOL_ADMIN_ROLES

from .jobs import staff_import_in_background
from .models import Department
from .people_forms import StaffImportForm
from .people_selectors import checklist_for, staff_list_for
from .people_services import TEMPLATE_HEADERS, staff_import, staff_template_rows

ERRORS_SESSION_KEY = "staff_import_errors"


@school_view()
def staff_list(request):
    """The staff roster, searchable and exportable; phones only for roles that need them."""
    school = request.tenant
    roles = school_roles(request.user, school)
    show_phone = bool(roles & PHONE_VISIBLE_ROLES)
    query = request.GET.get("q", "").strip()
    department = request.GET.get("department", "")
    left = request.GET.get("left") == "1"
    staff = staff_list_for(user=request.user, school=school, query=query,
                           department_id=int(department) if department.isdigit() else None, left=left)
    if wants_export(request):
        rows = ([s.name, s.phone if show_phone else "", s.post, s.department.name if s.department else "",
                 s.joined_on, s.left_on] for s in staff)
        return xlsx_response(filename=str(_("Staff")), rows=rows, school=school, headers=[
            pgettext("person", "Name"), _("Mobile phone"), _("Post"), _("Department"), _("joined on"), _("left on")])
    return render(request, "schools/people/list.html", {
        "page_obj": paginate(request, staff), "query": query, "department": department, "left": left,
        "departments": Department.objects.all(), "show_phone": show_phone,
        "is_admin": bool(roles & SCHOOL_ADMIN_ROLES),
    })


@never_cache  # the result page shows one-time links
@school_view(roles=SCHOOL_ADMIN_ROLES, write=True)
def staff_import_view(request):
    """Upload the staff sheet: every row is checked; all are imported or none."""
    form = StaffImportForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        # The upload itself: core.spreadsheets checks its size (before reading it), type and content.
        try:
            # A long sheet is imported by a background job with a progress bar; the request answers at once.
            if (started := staff_import_in_background(request, upload=form.cleaned_data["file"])) is not None:
                return started
        except SpreadsheetRefused as refused:
            form.add_error("file", refused)
            return render(request, "schools/people/import.html", context)
        result = staff_import(content=form.cleaned_data["file"], by=request.user)
        if result.refused is not None:  # the file as a whole (a zip bomb, too many rows, …): said on the form
            form.add_error("file", result.refused)
            return render(request, "schools/people/import.html", context)
        context["result"] = result
        if result.errors:
            request.session[ERRORS_SESSION_KEY] = [[e.row, e.column, str(e.message)] for e in result.errors]
            return render(request, "schools/people/import.html", context, status=422)
        request.session.pop(ERRORS_SESSION_KEY, None)
    return render(request, "schools/people/import.html", context)


@school_view(roles=SCHOOL_ADMIN_ROLES)
def staff_import_errors(request):
    """The last failed import's error report as .xlsx."""
    errors = request.session.get(ERRORS_SESSION_KEY)
    if not errors:
        raise PermissionDenied
    return xlsx_response(filename=str(_("Staff import errors")), headers=[_("Row"), _("Column"), _("Problem")],
                         rows=errors, heading=False)


@school_view(roles=SCHOOL_ADMIN_ROLES)
def staff_template(request):
    """An empty staff sheet with the expected header and two example rows."""
    return xlsx_response(filename=str(_("Staff sheet template")), headers=list(TEMPLATE_HEADERS),
                         rows=staff_template_rows(), heading=False)


@school_view()
def checklist(request):
    """First-run checklist: departments, buildings and rooms, staff, on-campus units."""
    items = checklist_for(user=request.user, school=request.tenant)
    return render(request, "schools/people/checklist.html", {
        "items": items, "done": sum(1 for i in items if i["done"]), "total": len(items),
    })


@school_view(roles=SCHOOL_ADMIN_ROLES, write=True)
def staff_edit(request, pk: int):
    """Change one person's post and department (their roles follow a known post)."""
    from django.shortcuts import get_object_or_404, redirect

    from .models import StaffMember
    from .people_forms import StaffMemberForm
    from .people_services import staff_member_update

    staff = get_object_or_404(StaffMember, pk=pk)
    form = StaffMemberForm(request.POST or None, initial={"post": staff.post, "department": staff.department})
    if request.method == "POST" and form.is_valid():
        try:
            staff_member_update(staff=staff, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Saved."))
            return redirect("staff:list")
    return render(request, "schools/people/edit.html", {"form": form, "staff": staff})
