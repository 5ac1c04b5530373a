"""The school core's card on the school home: weak buildings, projects, feedback awaiting callback."""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from . import selectors
from .choices import ACTIVE_STAGES, SafetyGrade
from .models import Building, CapitalProject, Feedback, Milestone


def home_cards(request, school) -> list[dict]:
    user = request.user
    grades = dict(Building.objects.exclude(safety_grade="").values_list("safety_grade").annotate(n=Count("pk")))
    now = timezone.now()
    context = {
        "weak_without_project": list(selectors.weak_buildings_without_project(user=user)),
        "building_count": Building.objects.count(),
        "grades": [(SafetyGrade(g).label, grades[g]) for g in SafetyGrade.values if g in grades],
        "active_projects": CapitalProject.objects.filter(stage__in=ACTIVE_STAGES).count(),
        "overdue_milestones": Milestone.objects.filter(done_on__isnull=True, planned_on__lt=timezone.localdate()).count(),
        "open_feedback": Feedback.objects.filter(callback_at__isnull=True).count(),
        "overdue_feedback": Feedback.objects.filter(callback_at__isnull=True, callback_due_at__lt=now).count(),
    }
    return [{"template": "schools/home_card.html", "context": context, "order": 10}]
