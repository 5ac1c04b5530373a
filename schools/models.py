"""What every other module points at: departments, staff, buildings, rooms, on-campus units."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tenants.audit import tracked

from .choices import Handling, RoomPurpose, SafetyGrade, UnitKind


@tracked()
class Department(models.Model):
    """A department of the school (总务处, 教导处, 大队部, 教研组 …)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("head"),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


@tracked()
class StaffMember(models.Model):
    """A person on the school's staff roster, linked to their sign-in account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("mobile phone"), max_length=11, blank=True)
    post = models.CharField(_("post"), max_length=50, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="staff",
        verbose_name=_("department"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["department__sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(user__isnull=False), name="staff_one_per_user"),
        ]

    def __str__(self) -> str:
        return self.name


@tracked()
class Building(models.Model):
    """A school building (校舍) with its safety appraisal per JGJ 125."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    year_built = models.PositiveIntegerField(_("year built"), null=True, blank=True)
    floors = models.PositiveIntegerField(_("floors"), default=1, validators=[MinValueValidator(1)])
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=10, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    structure = models.CharField(_("structure"), max_length=50, blank=True)
    use = models.CharField(_("use"), max_length=50, blank=True)
    safety_grade = models.CharField(_("safety grade"), max_length=1, choices=SafetyGrade.choices, blank=True)
    appraised_on = models.DateField(_("appraised on"), null=True, blank=True)
    appraised_by = models.CharField(_("appraising body"), max_length=100, blank=True)
    handling = models.CharField(_("handling category"), max_length=12, choices=Handling.choices, blank=True)
    appraisal_report = models.FileField(_("appraisal report"), upload_to="buildings/", blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


@tracked()
class Room(models.Model):
    """A room of a building: where assets stand and hazards are found."""

    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("building"))
    floor = models.IntegerField(_("floor"), default=1)
    number = models.CharField(_("number"), max_length=20)
    name = models.CharField(_("name"), max_length=50, blank=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=RoomPurpose.choices, default=RoomPurpose.CLASSROOM)
    custodian = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("custodian"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="rooms",
        verbose_name=_("department"),
    )

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["building__name", "floor", "number"]
        constraints = [models.UniqueConstraint(fields=["building", "number"], name="room_number_unique_in_building")]

    def __str__(self) -> str:
        label = f"{self.building.name} {self.number}"
        return f"{label} {self.name}" if self.name else label


@tracked()
class OnCampusUnit(models.Model):
    """A unit renting space on campus (租赁单位): signs safety agreements, its people pass the gate."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices, default=UnitKind.OTHER)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("contact account"),
    )
    lease_start = models.DateField(_("lease start"), null=True, blank=True)
    lease_end = models.DateField(_("lease end"), null=True, blank=True)
    headcount = models.PositiveIntegerField(_("headcount"), default=0)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("on-campus unit")
        verbose_name_plural = _("on-campus units")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="unit_lease_end_after_start",
                condition=models.Q(lease_end__isnull=True)
                | models.Q(lease_start__isnull=True)
                | models.Q(lease_end__gte=models.F("lease_start")),
            )
        ]

    def __str__(self) -> str:
        return self.name
