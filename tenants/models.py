"""Public-schema models: bureaus, schools (one schema each), domains, users and memberships."""

from __future__ import annotations

from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
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
    ACTIVE = "active", pgettext_lazy("school status", "Active")
    SUSPENDED = "suspended", _("Suspended (read-only)")
    ARCHIVED = "archived", _("Archived")


class SchoolKind(models.TextChoices):
    """The kind of school (学段), which decides the rules that bind it (core/rules.py)."""

    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary school")
    SENIOR = "senior", _("Senior secondary school")
    NINE_YEAR = "nine_year", _("Nine-year school")
    COMPLETE = "complete", _("Complete secondary school")
    KINDERGARTEN = "kindergarten", _("Kindergarten")


# A rule's `applies_to` may name boarding schools (寄宿制), which combine with every kind above.
BOARDING = "boarding"


class School(TenantMixin):
    """A school: one PostgreSQL schema holding all of its ledgers."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("host name"), max_length=40, unique=True)
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="schools", verbose_name=_("bureau"))
    status = models.CharField(_("status"), max_length=12, choices=SchoolStatus.choices, default=SchoolStatus.ACTIVE)
    kind = models.CharField(_("kind"), max_length=40, blank=True, default="", choices=SchoolKind.choices)
    boarding = models.BooleanField(_("boarding school"), default=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    student_count = models.PositiveIntegerField(_("students"), default=0)
    staff_count = models.PositiveIntegerField(_("teachers and staff"), default=0)
    # The campus figures award criteria read (绿色学校, 花园式学校, 平安校园 use area per pupil): None while the
    # school has not entered them, so a criterion on them is "unknown", never met by default.
    site_area = models.DecimalField(_("site area (m²)"), max_digits=10, decimal_places=2, null=True, blank=True,
                                    validators=[MinValueValidator(Decimal("0.01"))])
    green_area = models.DecimalField(_("green space area (m²)"), max_digits=10, decimal_places=2, null=True,
                                     blank=True, validators=[MinValueValidator(Decimal("0"))])
    green_cover_rate = models.DecimalField(
        _("green cover rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Vertical projection of all vegetation (tree crowns included) over the site area, as surveyed."),
    )
    campus_areas_updated_at = models.DateTimeField(_("campus figures updated at"), null=True, blank=True)
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
    def green_space_rate(self) -> float | None:
        """绿地率: green space area ÷ site area (a ratio 0..1); None while either is not entered."""
        if self.site_area is None or self.green_area is None or not self.site_area:
            return None
        return float(self.green_area / self.site_area)

    @property
    def site_area_per_pupil(self) -> float | None:
        """生均占地面积 in m²; None without the site area or any pupil."""
        if self.site_area is None or not self.student_count:
            return None
        return float(self.site_area / self.student_count)

    @property
    def host(self) -> str:
        return f"{self.slug}.{settings.BASE_DOMAIN}"

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """Copy the template schema; its django_migrations rows come along, so no fake migrate is needed.

        The copy replays a SQL snapshot of the template (tenants/snapshot.py), whose cost does not grow
        with the number of schools; where pg_dump cannot run it falls back to django-tenants' clone.
        """
        from django.db import connection as conn
        from django_tenants.clone import CloneSchema
        from django_tenants.utils import schema_exists

        from .snapshot import SnapshotUnavailable, schema_replay, spare_claim

        base = settings.TENANT_BASE_SCHEMA
        if not (sync_schema and base and schema_exists(base)):
            return super().create_schema(check_if_exists, sync_schema, verbosity)
        if check_if_exists and schema_exists(self.schema_name):
            return False
        conn.set_schema_to_public()
        try:
            if not settings.TENANT_SNAPSHOT:
                raise SnapshotUnavailable("switched off")
            if settings.TENANT_SPARE_SCHEMAS and spare_claim(base, self.schema_name):
                from django.db import transaction

                from .tasks import spare_schemas_fill_task

                # Replace the spare once this school is committed, off the request.
                transaction.on_commit(lambda: spare_schemas_fill_task.delay())
            else:
                schema_replay(base, self.schema_name)
        except SnapshotUnavailable:
            CloneSchema().clone_schema(base, self.schema_name, "DATA")
        conn.set_schema_to_public()
        return True

    def url(self, path: str = "/") -> str:
        port = settings.SITE_PORT
        suffix = "" if port in ("", "80", "443") else f":{port}"
        return f"{settings.SITE_SCHEME}://{self.host}{suffix}{path}"


class SchemaSnapshot(models.Model):
    """The template schema as SQL, taken after it migrates; new schools replay it (tenants/snapshot.py)."""

    base = models.CharField(max_length=63, unique=True)
    fingerprint = models.CharField(max_length=64)
    sql = models.TextField()
    taken_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("schema snapshot")
        verbose_name_plural = _("schema snapshots")

    def __str__(self) -> str:
        return f"{self.base} @ {self.fingerprint[:8]}"


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
        # People leave by deactivation. School rows point at users without a constraint (tenants/fields.py),
        # so the database itself refuses to delete one: no school record can ever lose who did it.
        triggers = [pgtrigger.Protect(name="users_never_deleted", operation=pgtrigger.Delete)]

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
    # A partner token (the district's HR system) has no account: its client's name is kept when it ends access.
    ended_by_partner = models.CharField(_("ended by partner"), max_length=100, blank=True)

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


class InvitationPurpose(models.TextChoices):
    ONBOARD = "onboard", _("Invitation")
    RESET = "reset", _("Password reset")
    # To an account that exists already: its owner accepts while signed in; nothing changes before.
    JOIN = "join", _("Invitation to join")


class Invitation(models.Model):
    """A one-time link: set a password (onboard, reset) or join a school or bureau (join); only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("person"))
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("school")
    )
    bureau = models.ForeignKey(
        Bureau, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("bureau")
    )
    purpose = models.CharField(
        _("purpose"), max_length=12, choices=InvitationPurpose.choices, default=InvitationPurpose.ONBOARD
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    # What the invitation offers and what the inviter typed. The inviter's pages show these, never the account's
    # own name: a school learns nothing about an account it does not hold.
    roles = models.JSONField(_("roles"), default=list, blank=True)
    post = models.CharField(_("post"), max_length=50, blank=True)
    invited_name = models.CharField(_("name as invited"), max_length=50, blank=True)
    invited_phone = models.CharField(_("phone as invited"), max_length=11, blank=True)
    # The account was made with this invitation: the one case where its set-password link may be shown to the
    # inviting administrator (while it has never signed in and belongs nowhere else).
    created_account = models.BooleanField(_("created the account"), default=False)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.invited_name or self.user} ({self.get_purpose_display()})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def roles_display(self) -> str:
        return "、".join(str(Role(r).label) for r in self.roles if r in Role.values)

    @property
    def place_name(self) -> str:
        place = self.school if self.school_id else self.bureau
        return place.name if place is not None else ""


class UserSession(models.Model):
    """A session key a person signed in with, so ending their access can delete it at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    host = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user_id}@{self.host}"


class NotificationChannel(models.TextChoices):
    IN_APP = "in_app", _("In the app only")
    EMAIL = "email", _("In the app and by e-mail at once")
    DIGEST = "digest", _("In the app and in the daily e-mail digest")


class NotificationPreference(models.Model):
    """How one person wants to receive one kind of notification (in-app is always on)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(_("kind"), max_length=64)
    channel = models.CharField(
        _("how"), max_length=12, choices=NotificationChannel.choices, default=NotificationChannel.IN_APP
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} → {self.channel}"


class RobotProvider(models.TextChoices):
    DINGTALK = "dingtalk", _("DingTalk group robot")
    WECOM = "wecom", _("WeCom group robot")


# Who connected which robot, when: history without the signing secret.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), exclude=["secret"])
class RobotChannel(models.Model):
    """A school's group-chat robot (DingTalk / WeCom webhook) that relays chosen notification kinds."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="robot_channels", verbose_name=_("school"))
    name = models.CharField(_("name"), max_length=50)
    provider = models.CharField(_("provider"), max_length=12, choices=RobotProvider.choices)
    webhook_url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    # Empty: every kind.
    kinds = models.JSONField(_("kinds"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def relays(self, kind: str) -> bool:
        return self.is_active and (not self.kinds or kind in self.kinds)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class NotificationDelivery(models.Model):
    """One send of a notification over e-mail, a group robot or the daily digest; the log of it."""

    channel = models.CharField(_("channel"), max_length=12)
    notification = models.ForeignKey(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    robot = models.ForeignKey(RobotChannel, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries")
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # The same send happens once, however often notify or the task runs.
    dedupe_key = models.CharField(max_length=255, unique=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel}: {self.subject}"



class SmsStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    KEPT = "kept", _("Kept here (no SMS provider)")
    FAILED = "failed", _("Failed")


class SmsMessage(models.Model):
    """One text message to a phone (the notification centre's SMS channel): to whom, what, and how it went.

    With no provider configured (tenants.sms.LocalSmsBackend) the message is kept here only, for the platform
    operator to read in the admin; once a provider has taken it, a link in the stored text is masked.
    """

    phone = models.CharField(_("mobile phone"), max_length=20)
    text = models.TextField(_("text"))
    kind = models.CharField(_("kind"), max_length=64, blank=True)
    recipient = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name=_("person"))
    school = models.ForeignKey(School, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("school"))
    bureau = models.ForeignKey(Bureau, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("bureau"))
    status = models.CharField(_("status"), max_length=12, choices=SmsStatus.choices, default=SmsStatus.PENDING)
    backend = models.CharField(pgettext_lazy("sms", "provider"), max_length=200, blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=100, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("text message")
        verbose_name_plural = _("text messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone", "created_at"], name="sms_phone_created")]

    def __str__(self) -> str:
        return f"{self.phone}: {self.text[:30]}"


from .integrity_models import HistorySeal  # noqa: E402,F401  (history hash chain, tenants/integrity.py)


class RuleOverride(models.Model):
    """A bureau's local value for one rule of the register (core/rules.py), where the rule allows one."""

    bureau = models.ForeignKey(Bureau, on_delete=models.CASCADE, related_name="rule_overrides",
                               verbose_name=_("bureau"))
    code = models.CharField(_("rule"), max_length=80)
    value = models.DecimalField(_("local value"), max_digits=12, decimal_places=2)
    note = models.CharField(_("local document"), max_length=200, blank=True)
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("set by"))
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("local rule value")
        verbose_name_plural = _("local rule values")
        constraints = [models.UniqueConstraint(fields=["bureau", "code"], name="rule_override_once")]

    def __str__(self) -> str:
        return f"{self.bureau_id}:{self.code}={self.value}"
