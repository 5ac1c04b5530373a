import pytest
from django.db import connection


@pytest.fixture
def departments_a(in_school_a):
    """Departments of school A the sheets name (created inside A's schema, rolled back after)."""
    from schools.models import Department

    made = {name: Department.objects.create(name=name, sort_order=i) for i, name in enumerate(["总务处", "教导处", "大队部"])}
    yield made
    connection.set_tenant(in_school_a)
