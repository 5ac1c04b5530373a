import pytest
from django.urls import reverse

from tests.schools.factories import (
    FeedbackFactory,
    LostItemFactory,
    MilestoneFactory,
    RoomFactory,
    ServiceFactory,
    UnitFactory,
)

URLCONF = "config.urls_school"

LISTS = ["department_list", "unit_list", "building_list", "room_list", "project_list", "feedback_list",
         "lost_item_list", "service_list"]


@pytest.mark.parametrize("name", LISTS)
def test_every_list_renders_and_exports_for_the_principal(name, school_a, alice, client_for, in_school_a):
    # given a few rows of every kind
    RoomFactory(); UnitFactory(); MilestoneFactory(); FeedbackFactory(); LostItemFactory(); ServiceFactory()  # noqa: E702
    client = client_for(alice, school_a)
    url = reverse(f"schools:{name}", urlconf=URLCONF)

    # when / then
    assert client.get(url).status_code == 200
    export = client.get(url + "?export=xlsx")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_detail_pages_render(school_a, alice, client_for, in_school_a):
    room = RoomFactory()
    unit = UnitFactory()
    milestone = MilestoneFactory()
    feedback = FeedbackFactory()
    lost = LostItemFactory()
    client = client_for(alice, school_a)
    for name, pk in [("building_detail", room.building.pk), ("room_detail", room.pk), ("unit_detail", unit.pk),
                     ("project_detail", milestone.project.pk), ("feedback_detail", feedback.pk),
                     ("lost_item_detail", lost.pk)]:
        response = client.get(reverse(f"schools:{name}", args=[pk], urlconf=URLCONF))
        assert response.status_code == 200, name
    for name in ["department_create", "unit_create", "building_create", "room_create", "project_create",
                 "feedback_create", "lost_item_create", "service_create"]:
        assert client.get(reverse(f"schools:{name}", urlconf=URLCONF)).status_code == 200, name
    assert client.get("/").status_code == 200
