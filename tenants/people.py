"""People of the shared core: invitations, roles granted and removed, leavers and their sessions.

Other modules plug in without being imported here (arrows run one way): an app may ship
`<app>/people_hooks.py` with `open_tasks_for(*, user) -> list[dict]` (the person's open work in the
current school's schema: {"label", "url", "module"}) and `person_left(*, user)` (called in the school's
schema when a person leaves it). Apps may also append callables to OPEN_TASK_PROVIDERS.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import secrets
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, tenant_context

from .audit import partner_name_required
from .models import Bureau, Invitation, InvitationPurpose, Membership, School, User, UserSession
from .notifications import notify
from .roles import BUREAU_ROLES, SCHOOL_ROLES, Role

logger = logging.getLogger(__name__)

# Apps whose `people_hooks` module is consulted (the same list the menu uses).
HOOK_APPS = ("schools", "assets", "repairs", "safety", "reporting", "api")
# Extra providers registered at start-up: callables (user) -> list[dict], run in the school's schema.
OPEN_TASK_PROVIDERS: list[Callable[..., list[dict]]] = []


def invitation_valid_for() -> timedelta:
    return timedelta(hours=getattr(settings, "INVITATION_VALID_HOURS", 72))


def token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


@dataclass
class IssuedInvitation:
    """An invitation and its clear-text link: the link is shown once and never stored."""

    invitation: Invitation
    token: str
    url: str


def invitation_url(*, school: School | None, token: str) -> str:
    path = f"/people/invite/{token}/"
    if school is not None:
        return school.url(path)
    port = settings.SITE_PORT
    suffix = "" if port in ("", "80", "443") else f":{port}"
    return f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{suffix}{path}"


# --- people ------------------------------------------------------------------------------------


def person_check(*, name: str, phone: str, email: str = "") -> User | None:
    """Check a name and phone; return the existing person with that phone (same name), if any."""
    name = (name or "").strip()
    phone = (phone or "").strip()
    if not name:
        raise ValidationError({"name": _("The name is missing.")})
    probe = User(username=phone or "x", name=name, phone=phone, email=(email or "").strip())
    probe.full_clean(exclude=["username", "password"], validate_unique=False)
    existing = User.objects.filter(Q(phone=phone) | Q(username__iexact=phone)).order_by("id").first()
    if existing is not None and existing.name.strip() != name:
        raise ValidationError(
            {"phone": _("This phone number belongs to %(other)s, not %(name)s.") % {"other": existing.name, "name": name}}
        )
    return existing


def person_find_or_create(*, name: str, phone: str, email: str = "") -> tuple[User, bool]:
    """The user with this phone (same name required: never a merge of two people) or a new one."""
    existing = person_check(name=name, phone=phone, email=email)
    if existing is not None:
        return existing, False
    name, phone = name.strip(), phone.strip()
    user = User(username=phone, name=name, phone=phone, email=(email or "").strip())
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user, True


# --- invitations -------------------------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *,
    user: User,
    created_by: User | None,
    school: School | None = None,
    bureau: Bureau | None = None,
    purpose: str = InvitationPurpose.ONBOARD,
    send_email: bool = True,
) -> IssuedInvitation:
    """Issue a one-time link for a person to set their password; e-mail it when e-mail is on."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation = Invitation(
        created_at=now,
        user=user,
        school=school,
        bureau=bureau,
        purpose=purpose,
        token_hash=token_hash(token),
        created_by=created_by,
        expires_at=now + invitation_valid_for(),
    )
    invitation.full_clean()
    invitation.save()
    url = invitation_url(school=school, token=token)
    if send_email and settings.EMAIL_ENABLED and user.email:
        where = school.name if school else (bureau.name if bureau else _("Houqin"))
        subject = _("Your Houqin account at %(where)s") % {"where": where}
        body = _("Open this link to set your password (valid until %(until)s, once only):\n%(url)s") % {
            "until": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"),
            "url": url,
        }
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=True)
        )
    return IssuedInvitation(invitation=invitation, token=token, url=url)


def invitation_get(*, token: str, school: School | None) -> Invitation:
    """The invitation behind a link, checked for this host, expiry and single use."""
    invitation = (
        Invitation.objects.select_related("user", "school", "bureau").filter(token_hash=token_hash(token)).first()
    )
    here = school.pk if school is not None else None
    if invitation is None or invitation.school_id != here:
        raise ValidationError(_("This link is not valid. Ask for a new one."))
    if invitation.used_at is not None:
        raise ValidationError(_("This link has already been used. Ask for a new one."))
    if invitation.is_expired:
        raise ValidationError(_("This link has expired. Ask for a new one."))
    if not invitation.user.is_active:
        raise ValidationError(_("This account has been deactivated."))
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, school: School | None, password: str) -> User:
    """Set the invited person's password and use up the link (and any older link of theirs)."""
    invitation = invitation_get(token=token, school=school)
    # Lock the row: two tabs submitting the same link set the password once.
    invitation = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
    if invitation.used_at is not None:
        raise ValidationError(_("This link has already been used. Ask for a new one."))
    user = invitation.user
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    now = timezone.now()
    Invitation.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
    if invitation.created_by_id and invitation.purpose == InvitationPurpose.ONBOARD:
        notify(kind="people.invited", title=_("%(name)s has set a password and can sign in") % {"name": user.display_name},
               users=[invitation.created_by], school=invitation.school, url="/people/",
               dedupe_key=f"invitation-accepted:{invitation.pk}")
    return user


# --- roles -------------------------------------------------------------------------------------


def _check_scope(*, role: str, school: School | None, bureau: Bureau | None) -> Role:
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError({"role": _("This role does not exist.")}) from None
    if school is not None and role not in SCHOOL_ROLES:
        raise ValidationError({"role": _("This role belongs to a bureau.")})
    if bureau is not None and role not in BUREAU_ROLES:
        raise ValidationError({"role": _("This role belongs to a school.")})
    return role


def _check_principal_rule(*, by: User | None, role: str | None, school: School | None) -> None:
    """Only a principal (or the platform, or the school's bureau) hands out or takes away the principal role:
    a logistics director administers people but cannot make themselves principal."""
    if by is None or school is None or role != Role.PRINCIPAL:
        return
    from .access import bureau_roles, is_platform_operator, school_roles
    from .roles import BUREAU_SCHOOL_CREATORS

    if (
        Role.PRINCIPAL in school_roles(by, school)
        or is_platform_operator(by)
        or bureau_roles(by, school.bureau) & BUREAU_SCHOOL_CREATORS
    ):
        return
    raise ValidationError({"role": _("Only a principal may grant or remove the principal role.")})


@transaction.atomic
def role_grant(
    *, user: User, role: str, school: School | None = None, bureau: Bureau | None = None, post: str = "",
    by: User | None = None,
) -> Membership:
    """Give a person a (further) role in a school or bureau; a person may hold several."""
    from .services import membership_grant

    role = _check_scope(role=role, school=school, bureau=bureau)
    _check_principal_rule(by=by, role=role, school=school)
    if not user.is_active:
        raise ValidationError({"user": _("This account has been deactivated.")})
    existing = Membership.objects.active().filter(user=user, role=role, school=school, bureau=bureau).exists()
    membership = membership_grant(user=user, role=role, school=school, bureau=bureau, post=post)
    if not existing:
        where = school or bureau
        notify(kind="people.roles", title=_("You are now %(role)s at %(where)s") % {"role": role.label, "where": where},
               users=[user], school=school, url="/", dedupe_key=f"role-granted:{membership.pk}")
    return membership


@transaction.atomic
def role_revoke(
    *, user: User, role: str, school: School | None = None, bureau: Bureau | None = None, by: User | None = None
) -> int:
    """End one role of a person; the last administrator of a school or bureau cannot be removed."""
    role = _check_scope(role=role, school=school, bureau=bureau)
    _check_principal_rule(by=by, role=role, school=school)
    memberships = Membership.objects.active().filter(user=user, role=role, school=school, bureau=bureau)
    if not memberships.exists():
        return 0
    _keep_an_admin(school=school, bureau=bureau, leaving={user.pk}, role=role)
    ids = list(memberships.values_list("pk", flat=True))
    count = memberships.update(is_active=False, ended_at=timezone.now())
    notify(kind="people.roles", title=_("You are no longer %(role)s at %(where)s") % {"role": role.label,
                                                                                      "where": school or bureau},
           users=[user], school=school, dedupe_key=f"role-revoked:{ids[0]}")
    _sessions_end_if_no_access(user=user, school=school)
    return count


def _keep_an_admin(*, school: School | None, bureau: Bureau | None, leaving: set[int], role: str | None) -> None:
    admin_role = Role.PRINCIPAL if school is not None else Role.BUREAU_LEADER
    if role is not None and role != admin_role:
        return
    others = Membership.objects.active().filter(role=admin_role, school=school, bureau=bureau, user__is_active=True)
    if not others.exclude(user_id__in=leaving).exists() and others.exists():
        raise ValidationError(
            {"role": _("%(role)s is held by no one else: grant it to someone first.") % {"role": admin_role.label}}
        )


# --- leavers -----------------------------------------------------------------------------------


def _hooks(name: str) -> list[Callable]:
    found = []
    for app in HOOK_APPS:
        try:
            module = importlib.import_module(f"{app}.people_hooks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.people_hooks":
                raise
            continue
        hook = getattr(module, name, None)
        if hook is not None:
            found.append(hook)
    return found


def open_tasks_for(*, user: User, school: School) -> list[dict]:
    """The person's open work in this school (repairs assigned, hazards they answer for …)."""
    tasks: list[dict] = []
    providers = [*_hooks("open_tasks_for"), *OPEN_TASK_PROVIDERS]
    with tenant_context(school):
        for provider in providers:
            if isinstance(provider, str):
                provider = import_string(provider)
            tasks.extend(provider(user=user))
    return tasks


def sessions_end(*, user: User, host: str | None = None) -> int:
    """Delete the person's sessions from the session store (on one host, or everywhere)."""
    from importlib import import_module

    engine = import_module(settings.SESSION_ENGINE)
    ended = []
    with schema_context("public"):
        for row in UserSession.objects.filter(user=user):
            store: SessionBase = engine.SessionStore(session_key=row.session_key)
            # The host a session is bound to is written on its first request (HostBoundSessionMiddleware).
            bound = store.get("_houqin_host") or row.host
            if host is None or not bound or bound == host:
                store.delete(row.session_key)
                ended.append(row.pk)
        UserSession.objects.filter(pk__in=ended).delete()
    return len(ended)


def _sessions_end_if_no_access(*, user: User, school: School | None) -> None:
    if school is not None and not Membership.objects.active().filter(user=user, school=school).exists():
        sessions_end(user=user, host=school.host)


def _partner_leaver_check(memberships, partner_name: str) -> str:
    """A partner (the district's HR system) ends leavers' access under its name, never an administrator's."""
    from .roles import BUREAU_ADMIN_ROLES, SCHOOL_ADMIN_ROLES

    partner_name = partner_name_required(partner_name)
    if memberships.filter(role__in=sorted(SCHOOL_ADMIN_ROLES | BUREAU_ADMIN_ROLES)).exists():
        raise PermissionDenied(_("A partner cannot end the access of the school's administrators."))
    return partner_name


@transaction.atomic
def person_deactivate(
    *, user: User, by: User | None, school: School | None = None, bureau: Bureau | None = None,
    partner_name: str = "",
) -> dict:
    """End a person's memberships here and their sessions at once; keep all they recorded.

    The account itself is deactivated when no active membership is left anywhere. A partner (by=None) passes
    its name, kept on the ended memberships.
    """
    if by is not None and user.pk == by.pk:
        raise ValidationError(_("You cannot end your own access."))
    if (school is None) == (bureau is None):
        raise ValidationError(_("Say which school or bureau the person leaves."))
    memberships = Membership.objects.active().filter(user=user, school=school, bureau=bureau)
    if not memberships.exists():
        raise ValidationError(_("This person holds no role here."))
    partner_name = "" if by is not None else _partner_leaver_check(memberships, partner_name)
    if memberships.filter(role=Role.PRINCIPAL).exists():
        _check_principal_rule(by=by, role=Role.PRINCIPAL, school=school)
    _keep_an_admin(school=school, bureau=bureau, leaving={user.pk}, role=None)
    now = timezone.now()
    ended = memberships.update(is_active=False, ended_at=now, ended_by_partner=partner_name)
    Invitation.objects.filter(user=user, used_at__isnull=True, school=school, bureau=bureau).update(used_at=now)
    deactivated = False
    if not Membership.objects.active().filter(user=user).exists():
        user.is_active = False
        user.save(update_fields=["is_active"])
        Invitation.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        deactivated = True
        sessions = sessions_end(user=user)
    else:
        sessions = sessions_end(user=user, host=school.host) if school is not None else sessions_end(
            user=user, host=settings.BASE_DOMAIN
        )
    if school is not None:
        with tenant_context(school):
            for hook in _hooks("person_left"):
                hook(user=user)
    return {"memberships": ended, "user_deactivated": deactivated, "sessions": sessions}


def sessions_prune() -> int:
    """Forget remembered sessions that have expired (the session store drops them on its own)."""
    cutoff = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    with schema_context("public"):
        deleted, _ = UserSession.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def session_record(*, user: User, session_key: str | None, host: str) -> None:
    """Remember a signed-in session so it can be ended when the person leaves."""
    if not session_key:
        return
    with schema_context("public"):
        UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user, "host": host})


@transaction.atomic
def person_add(
    *, name: str, phone: str, role: str, by: User | None, school: School | None = None, bureau: Bureau | None = None,
    email: str = "", post: str = "",
) -> tuple[User, IssuedInvitation | None]:
    """Add a person here with a first role: a new account gets a one-time link; someone who left comes back."""
    person, _created = person_find_or_create(name=name, phone=phone, email=email)
    if not person.is_active:
        person.is_active = True
        person.save(update_fields=["is_active"])
    role_grant(user=person, role=role, school=school, bureau=bureau, post=post, by=by)
    if person.has_usable_password():
        return person, None
    return person, invitation_create(user=person, created_by=by, school=school, bureau=None if school else bureau)


def password_help_request(*, phone: str, school: School | None) -> None:
    """Someone who forgot their password asks for help: a link by e-mail, or their administrators are told.

    Says nothing about whether the phone exists (the caller shows the same answer either way).
    """
    phone = (phone or "").strip()
    user = User.objects.filter(phone=phone, is_active=True).first() if phone else None
    if user is None:
        return
    here = Membership.objects.active().filter(user=user, school=school)
    if school is None:
        here = Membership.objects.active().filter(user=user, bureau__isnull=False)
    membership = here.select_related("bureau").first()
    if membership is None:
        return
    day = timezone.localdate().isoformat()
    if settings.EMAIL_ENABLED and user.email:
        # One e-mailed link a day at most: the form cannot be used to flood someone's inbox.
        if not Invitation.objects.filter(user=user, purpose=InvitationPurpose.RESET, created_by__isnull=True,
                                         school=school, created_at__date=timezone.localdate()).exists():
            invitation_create(user=user, created_by=None, school=school,
                              bureau=None if school else membership.bureau, purpose=InvitationPurpose.RESET)
        return
    from .roles import BUREAU_ADMIN_ROLES, SCHOOL_ADMIN_ROLES

    admins = Membership.objects.active().filter(
        role__in=SCHOOL_ADMIN_ROLES if school else BUREAU_ADMIN_ROLES,
        school=school, bureau=None if school else membership.bureau,
    ).exclude(user=user).select_related("user")
    notify(kind="people.invited", title=_("%(name)s forgot their password and asks for a new link")
           % {"name": user.display_name}, url=f"/people/{user.pk}/", users=[m.user for m in admins],
           school=school, dedupe_key=f"password-help:{user.pk}:{day}")


# --- onboarding a school -----------------------------------------------------------------------


@contextmanager
def _without_history_injection():
    """Provisioning runs raw DDL (the schema clone function, full of '%'); pghistory's request context
    would prepend its parameterised SET to it and break it. The new schema's rows need no context."""
    from django.db import connection
    from pghistory.runtime import _inject_history_context

    saved = list(connection.execute_wrappers)
    connection.execute_wrappers[:] = [w for w in saved if w is not _inject_history_context]
    try:
        yield
    finally:
        connection.execute_wrappers[:] = saved


def principal_invite(*, school: School, by: User | None, name: str, phone: str, email: str = "") -> tuple[User, IssuedInvitation]:
    """Make the named person principal of the school and issue their one-time link."""
    with transaction.atomic():
        person, _created = person_find_or_create(name=name, phone=phone, email=email)
        role_grant(user=person, role=Role.PRINCIPAL, school=school, post="校长", by=by)
        issued = invitation_create(user=person, created_by=by, school=school)
    return person, issued


def school_onboard(
    *, bureau: Bureau, by: User | None, name: str, slug: str, principal_name: str, principal_phone: str,
    principal_email: str = "", student_count: int = 0, staff_count: int = 0,
) -> tuple[School, User, IssuedInvitation]:
    """Create a school (its schema cloned from the template) and invite its principal.

    The principal is checked first, so a wrong phone leaves no half-made school behind.
    """
    from .services import school_create

    try:
        person_check(name=principal_name, phone=principal_phone, email=principal_email)
    except ValidationError as exc:
        raise ValidationError({f"principal_{k}": v for k, v in exc.message_dict.items()}) from None
    with _without_history_injection():
        school = school_create(bureau=bureau, name=name, slug=slug, student_count=student_count,
                               staff_count=staff_count)
    person, issued = principal_invite(school=school, by=by, name=principal_name, phone=principal_phone,
                                      email=principal_email)
    return school, person, issued
