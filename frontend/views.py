from __future__ import annotations

from django.db.models import Q
from django.shortcuts import render

from core.todo import SECTION_LIMIT, todo_for
from tenants.access import (
    bureau_view,
    is_platform_operator,
    public_view,
    school_roles,
    school_view,
    schools_for,
)
from tenants.models import School
from tenants.roles import Role

from .cards import cards_for
from .lists import paginate


@school_view()
def school_home(request):
    """A school's home: who I am here, and each module's summary cards."""
    school: School = request.tenant
    roles = school_roles(request.user, school)
    context = {
        "school": school,
        "role_labels": [Role(r).label for r in sorted(roles)],
        "cards": cards_for(request, school),
    }
    return render(request, "frontend/school_home.html", context)


@school_view()
def my_todo(request):
    """我的待办: what waits for the signed-in person in this school, section by section, each bounded."""
    sections = todo_for(user=request.user, limit=SECTION_LIMIT)
    return render(request, "frontend/todo.html", {
        "todo_sections": sections,
        "total": sum(section.total for section in sections),
        "overdue": sum(1 for section in sections for item in section.items if item.overdue),
    })


@bureau_view
def bureau_home(request):
    """The bureau portal: the schools of the user's district(s)."""
    schools = schools_for(request.user).select_related("bureau").order_by("bureau__name", "name")
    query = request.GET.get("q", "").strip()
    if query:
        schools = schools.filter(Q(name__icontains=query) | Q(slug__icontains=query))
    context = {
        "page_obj": paginate(request, schools),
        "query": query,
        "is_platform": is_platform_operator(request.user),
    }
    return render(request, "frontend/bureau_home.html", context)


@public_view
def portal_home(request):
    """The base domain: the bureau console for bureau members, a pointer for everyone else."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if schools_for(request.user).exists() and (
        is_platform_operator(request.user) or request.user.memberships.filter(bureau__isnull=False, is_active=True).exists()
    ):
        return bureau_home(request)
    my_schools = School.objects.filter(memberships__user=request.user, memberships__is_active=True).distinct()
    return render(request, "frontend/portal_pick.html", {"schools": my_schools})
