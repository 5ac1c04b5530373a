"""Public-schema models: bureaus, schools (one schema each), domains, users and memberships."""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from .roles import BUREAU_ROLES, SCHOOL_ROLES, Role

phone_validator = RegexValidator(r"^1\d{10}$", _("Enter an 11-digit mainland mobile number."))


class Bureau(models.Model):
    """A district education bureau (区教育局): owns a set of schools and their rollups."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    # Asset kind thresholds (issue: configurable per bureau), in yuan.
    fixed_asset_threshold = models.DecimalField(
        _("fixed asset threshold"), max_digits=12, decimal_places=2, default=Decimal("1000.00")
    )
    special_equipment_threshold = models.DecimalField(
        _("special equipment threshold"), max_digits=12, decimal_places=2, default=Decimal("1500.00")
    )
    procurement_approval_limit = models.DecimalField(
        _("purchases above this need the bureau's approval"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("50000.00"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("bureau")
        verbose_name_plural = _("bureaus")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SchoolStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended (read-only)")
    ARCHIVED = "archived", _("Archived")


class School(TenantMixin):
    """A school: one PostgreSQL schema holding all of its ledgers."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("host name"), max_length=40, unique=True)
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="schools", verbose_name=_("bureau"))
    status = models.CharField(_("status"), max_length=12, choices=SchoolStatus.choices, default=SchoolStatus.ACTIVE)
    kind = models.CharField(_("kind"), max_length=40, blank=True, default="")
    address = models.CharField(_("address"), max_length=200, blank=True)
    student_count = models.PositiveIntegerField(_("students"), default=0)
    staff_count = models.PositiveIntegerField(_("teachers and staff"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    @property
    def is_read_only(self) -> bool:
        return self.status != SchoolStatus.ACTIVE

    @property
    def host(self) -> str:
        return f"{self.slug}.{settings.BASE_DOMAIN}"

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Clone the template schema; its django_migrations rows come along, so no fake migrate is needed."""
        from django.db import connection as conn
        from django_tenants.clone import CloneSchema
        from django_tenants.utils import schema_exists

        base = settings.TENANT_BASE_SCHEMA
        if not (sync_schema and base and schema_exists(base)):
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        CloneSchema().clone_schema(base, self.schema_name, "DATA")
        conn.set_schema_to_public()
        return True

    def url(self, path: str = "/") -> str:
        port = settings.SITE_PORT
        suffix = "" if port in ("", "80", "443") else f":{port}"
        return f"{settings.SITE_SCHEME}://{self.host}{suffix}{path}"


class Domain(DomainMixin):
    """A host name that routes to a school."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")


class HouqinUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["password", "last_login"],
)
class User(AbstractUser):
    """A person who signs in; where they may act is said by their memberships."""

    name = models.CharField(_("name"), max_length=50, blank=True)
    phone = models.CharField(
        _("mobile phone"), max_length=11, unique=True, null=True, blank=True, validators=[phone_validator]
    )

    objects = HouqinUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def display_name(self) -> str:
        return self.name or self.get_full_name() or self.username


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Membership(models.Model):
    """Says where a user may act (a bureau, a school, or the platform) and as what."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    bureau = models.ForeignKey(
        Bureau, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships", verbose_name=_("bureau")
    )
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships", verbose_name=_("school")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    post = models.CharField(_("post"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    Q(role=Role.PLATFORM_OPERATOR, bureau__isnull=True, school__isnull=True)
                    | Q(role__in=sorted(BUREAU_ROLES), bureau__isnull=False, school__isnull=True)
                    | Q(role__in=sorted(SCHOOL_ROLES), bureau__isnull=True, school__isnull=False)
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "school", "role"],
                condition=Q(is_active=True, school__isnull=False),
                name="membership_unique_active_school_role",
            ),
            models.UniqueConstraint(
                fields=["user", "bureau", "role"],
                condition=Q(is_active=True, bureau__isnull=False),
                name="membership_unique_active_bureau_role",
            ),
        ]
        indexes = [models.Index(fields=["school", "role"]), models.Index(fields=["bureau", "role"])]

    def __str__(self) -> str:
        where = self.school or self.bureau or _("platform")
        return f"{self.user} @ {where}: {self.get_role_display()}"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app message to one person, about something in one school or bureau."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=64)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # The same event notifies a person once, however often the sending task runs.
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_once")]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.title


from .integrity_models import HistorySeal  # noqa: E402,F401  (history hash chain, tenants/integrity.py)
