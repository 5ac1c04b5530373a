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
from collections.abc import Callable, Sequence
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
    """An invitation and its clear-text link: the link is shown once and never stored.

    `name` and `login` are what the inviter may be shown: for an invitation, what they typed (never the
    account's own name); for a member's password link, the member's name and login.
    """

    invitation: Invitation
    token: str
    url: str
    name: str = ""
    login: str = ""


def place_url(*, school: School | None, path: str) -> str:
    """An absolute address on the school's host, or on the bureau portal when there is no school."""
    if school is not None:
        return school.url(path)
    port = settings.SITE_PORT
    suffix = "" if port in ("", "80", "443") else f":{port}"
    return f"{settings.SITE_SCHEME}://{settings.BASE_DOMAIN}{suffix}{path}"


def invitation_url(*, school: School | None, token: str) -> str:
    return place_url(school=school, path=f"/people/invite/{token}/")


# --- people ------------------------------------------------------------------------------------


def person_check(*, name: str, phone: str, email: str = "") -> None:
    """Check a name, phone and e-mail address as typed. Nothing is looked up: whether the phone has an account
    is never told to the one who typed it."""
    name = (name or "").strip()
    phone = (phone or "").strip()
    if not name:
        raise ValidationError({"name": _("The name is missing.")})
    probe = User(username=phone or "x", name=name, phone=phone, email=(email or "").strip())
    probe.full_clean(exclude=["username", "password"], validate_unique=False)


def account_for_contact(*, phone: str, email: str = "") -> User | None:
    """The account behind a phone (or a login spelled like it), else behind an e-mail address.

    For the services only: no page or response may show who it is to the one who typed the contact.
    """
    phone, email = (phone or "").strip(), (email or "").strip()
    if phone:
        found = User.objects.filter(Q(phone=phone) | Q(username__iexact=phone)).order_by("id").first()
        if found is not None:
            return found
    if email:
        return User.objects.filter(email__iexact=email).order_by("id").first()
    return None


def person_create(*, name: str, phone: str, email: str = "") -> User:
    """A new account for a phone nobody holds yet (no password: its owner sets one with their link)."""
    person_check(name=name, phone=phone, email=email)
    name, phone = name.strip(), phone.strip()
    if account_for_contact(phone=phone) is not None:
        raise ValidationError({"phone": _("This phone number cannot be used for a new account.")})
    user = User(username=phone, name=name, phone=phone, email=(email or "").strip())
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


# --- invitations -------------------------------------------------------------------------------


def _where(school: School | None, bureau: Bureau | None) -> str:
    return school.name if school else (bureau.name if bureau else _("Houqin"))


def _roles_label(roles) -> str:
    return "、".join(str(Role(r).label) for r in roles)


@transaction.atomic
def invitation_create(
    *,
    user: User,
    created_by: User | None,
    school: School | None = None,
    bureau: Bureau | None = None,
    purpose: str = InvitationPurpose.ONBOARD,
    send_email: bool = True,
    roles: Sequence[str] = (),
    post: str = "",
    invited_name: str = "",
    invited_phone: str = "",
    created_account: bool = False,
) -> IssuedInvitation:
    """Issue a one-time link (set a password, or accept an invitation to join); e-mail it to the account's own
    address when e-mail is on."""
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
        roles=list(roles),
        post=post,
        invited_name=invited_name,
        invited_phone=invited_phone,
        created_account=created_account,
    )
    invitation.full_clean()
    invitation.save()
    url = invitation_url(school=school, token=token)
    if send_email and settings.EMAIL_ENABLED and user.email:
        where = _where(school, bureau)
        until = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M")
        if purpose == InvitationPurpose.JOIN:
            subject = _("Invitation to join %(where)s on Houqin") % {"where": where}
            body = _("%(where)s invites you to join as %(roles)s. Sign in with your own account and accept "
                     "(valid until %(until)s); nothing changes until you do:\n%(url)s") % {
                "where": where, "roles": _roles_label(roles), "until": until, "url": url}
        else:
            subject = _("Your Houqin account at %(where)s") % {"where": where}
            body = _("Open this link to set your password (valid until %(until)s, once only):\n%(url)s") % {
                "until": until, "url": url,
            }
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=True)
        )
    if invited_name:
        name, login = invited_name, invited_phone
    else:
        name, login = user.display_name, user.username
    return IssuedInvitation(invitation=invitation, token=token, url=url, name=name, login=login)


def invitation_get(*, token: str, school: School | None, purposes: Sequence[str] | None = None) -> Invitation:
    """The invitation behind a link, checked for this host, purpose, expiry and single use."""
    invitation = (
        Invitation.objects.select_related("user", "school", "bureau").filter(token_hash=token_hash(token)).first()
    )
    here = school.pk if school is not None else None
    if invitation is None or invitation.school_id != here or (purposes is not None and invitation.purpose not in purposes):
        raise ValidationError(_("This link is not valid. Ask for a new one."))
    if invitation.used_at is not None:
        raise ValidationError(_("This link has already been used. Ask for a new one."))
    if invitation.is_expired:
        raise ValidationError(_("This link has expired. Ask for a new one."))
    if not invitation.user.is_active:
        raise ValidationError(_("This account has been deactivated."))
    return invitation


# A link that sets a password; an invitation to join never does (its account has an owner who signs in).
PASSWORD_PURPOSES = (InvitationPurpose.ONBOARD, InvitationPurpose.RESET)


@transaction.atomic
def invitation_accept(*, token: str, school: School | None, password: str) -> User:
    """Set the invited person's password and use up the link (and any older password link of theirs)."""
    invitation = invitation_get(token=token, school=school, purposes=PASSWORD_PURPOSES)
    # Lock the row: two tabs submitting the same link set the password once.
    invitation = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
    if invitation.used_at is not None:
        raise ValidationError(_("This link has already been used. Ask for a new one."))
    user = invitation.user
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    now = timezone.now()
    Invitation.objects.filter(user=user, used_at__isnull=True, purpose__in=PASSWORD_PURPOSES).update(used_at=now)
    if invitation.created_by_id and invitation.purpose == InvitationPurpose.ONBOARD:
        notify(kind="people.invited", title=_("%(name)s has set a password and can sign in") % {"name": user.display_name},
               users=[invitation.created_by], school=invitation.school, url="/people/",
               dedupe_key=f"invitation-accepted:{invitation.pk}")
    return user


def _notify_privately(**kwargs) -> None:
    """Notify one person only: outside any school's schema, so no school's group robot relays it (a robot
    posting an invitation would tell the inviting school that the phone has an account)."""
    with schema_context("public"):
        notify(school=None, bureau=None, **kwargs)


@dataclass
class PersonAdded:
    """What inviting someone did, told the same way whether or not the phone (or e-mail) had an account.

    `issued`: the link to pass on (set a password for a new account, accept for an existing one); None only
    when the person was already a member here and simply got the roles. `account`: the account, only when it
    is a member here now (made here, or a member already), never for an invitation still to be accepted.
    """

    issued: IssuedInvitation | None
    name: str
    login: str
    account: User | None


def _join_pending(*, user: User, school: School | None, bureau: Bureau | None):
    return Invitation.objects.filter(user=user, school=school, bureau=bureau, purpose=InvitationPurpose.JOIN,
                                     used_at__isnull=True, expires_at__gt=timezone.now())


@transaction.atomic
def join_invitation_send(
    *, user: User, by: User | None, school: School | None, bureau: Bureau | None, roles: Sequence[str],
    post: str = "", invited_name: str, invited_phone: str = "",
) -> IssuedInvitation:
    """Invite an existing account to join here with roles: its owner accepts while signed in.

    Nothing about the account changes; a newer invitation from here replaces an older one. The owner hears
    of it in their notification centre (and by e-mail when configured), at most once a day from here.
    """
    now = timezone.now()
    _join_pending(user=user, school=school, bureau=bureau).update(used_at=now)
    day = timezone.localdate().isoformat()
    place_key = f"s{school.pk}" if school else f"b{bureau.pk if bureau else 0}"
    first_today = not Invitation.objects.filter(
        user=user, school=school, bureau=bureau, purpose=InvitationPurpose.JOIN, created_at__date=timezone.localdate()
    ).exists()
    issued = invitation_create(
        user=user, created_by=by, school=school, bureau=bureau, purpose=InvitationPurpose.JOIN,
        send_email=first_today, roles=roles, post=post, invited_name=invited_name, invited_phone=invited_phone,
    )
    inviter = by.display_name if by is not None else _where(school, bureau)
    _notify_privately(
        kind="people.invited",
        title=_("%(where)s invites you to join as %(roles)s") % {"where": _where(school, bureau),
                                                                 "roles": _roles_label(roles)},
        body=_("Invited by %(inviter)s. Accept while signed in as yourself; nothing changes until you do.")
        % {"inviter": inviter},
        url=place_url(school=school, path="/people/invitations/"),
        users=[user],
        dedupe_key=f"join-invited:{place_key}:{user.pk}:{day}",
    )
    return issued


@transaction.atomic
def person_invite(
    *, name: str, phone: str, roles: Sequence[str], by: User | None, school: School | None = None,
    bureau: Bureau | None = None, email: str = "", post: str = "", issue_link: bool = True,
) -> PersonAdded:
    """Invite a person here by phone (or e-mail) with roles; the same answer whether or not the account exists.

    A phone nobody holds gets a new account with the roles here at once and a set-password link. An account
    that exists gets an invitation its owner accepts while signed in: until then nothing about it changes
    (not its name, password, memberships or whether it is switched on), and the inviter learns nothing about
    it. A member here simply gets the roles.
    """
    person_check(name=name, phone=phone, email=email)
    name, phone, email = name.strip(), phone.strip(), (email or "").strip()
    if (school is None) == (bureau is None):
        raise ValidationError(_("Say which school or bureau the person joins."))
    checked = [_check_scope(role=r, school=school, bureau=bureau) for r in dict.fromkeys(roles)]
    if not checked:
        raise ValidationError({"role": _("Choose a role.")})
    for role in checked:
        _check_principal_rule(by=by, role=role, school=school)
    account = account_for_contact(phone=phone, email=email)
    if account is None:
        user = person_create(name=name, phone=phone, email=email)
        for role in checked:
            role_grant(user=user, role=role, school=school, bureau=bureau, post=post, by=by)
        # The link also records that this place made the account (account_is_ours); an import that shows no
        # links (the demo) sends none either.
        issued = invitation_create(user=user, created_by=by, school=school, bureau=bureau, roles=checked, post=post,
                                   invited_name=name, invited_phone=phone, created_account=True,
                                   send_email=issue_link)
        issued = issued if issue_link else None
        return PersonAdded(issued=issued, name=name, login=phone, account=user)
    if Membership.objects.active().filter(user=account, school=school, bureau=bureau).exists():
        # A member here already: the roles are this place's own to give.
        for role in checked:
            role_grant(user=account, role=role, school=school, bureau=bureau, post=post, by=by)
        return PersonAdded(issued=None, name=account.display_name, login=account.username, account=account)
    issued = join_invitation_send(user=account, by=by, school=school, bureau=bureau, roles=checked, post=post,
                                  invited_name=name, invited_phone=phone)
    return PersonAdded(issued=issued if issue_link else None, name=name, login=phone, account=None)


def _inviter_may_still_grant(invitation: Invitation) -> bool:
    """The one who invited still administers the place (an invitation does not outlive the inviter's rights)."""
    from .access import bureau_roles, forget_memberships, is_platform_operator, school_roles
    from .roles import BUREAU_ADMIN_ROLES, BUREAU_SCHOOL_CREATORS, SCHOOL_ADMIN_ROLES

    by = invitation.created_by
    if by is None or not by.is_active:
        return False
    forget_memberships(by)
    if is_platform_operator(by):
        return True
    if invitation.school is not None:
        return bool(school_roles(by, invitation.school) & SCHOOL_ADMIN_ROLES
                    or bureau_roles(by, invitation.school.bureau) & BUREAU_SCHOOL_CREATORS)
    return bool(bureau_roles(by, invitation.bureau) & BUREAU_ADMIN_ROLES)


def invitation_list_for(*, user: User):
    """My invitations to join that are still open (the page where I accept or decline them)."""
    return (
        Invitation.objects.filter(user=user, purpose=InvitationPurpose.JOIN, used_at__isnull=True,
                                  expires_at__gt=timezone.now())
        .select_related("school", "bureau", "created_by").order_by("-created_at", "-id")
    )


def invitation_pending_for_place(*, school: School | None, bureau: Bureau | None):
    """Invitations to join this place that wait for their owner (shown by the name the inviter typed)."""
    return (
        Invitation.objects.filter(school=school, bureau=None if school else bureau, purpose=InvitationPurpose.JOIN,
                                  used_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("created_by").order_by("-created_at", "-id")
    )


def _my_open_invitation(*, invitation_id: int, user: User) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update(of=("self",)).select_related("school", "bureau", "created_by", "user")
        .filter(pk=invitation_id, user=user, purpose=InvitationPurpose.JOIN).first()
    )
    if invitation is None:
        raise ValidationError(_("This link is not valid. Ask for a new one."))
    if invitation.used_at is not None:
        raise ValidationError(_("This invitation has already been answered or withdrawn."))
    if invitation.is_expired:
        raise ValidationError(_("This invitation has expired. Ask for a new one."))
    return invitation


@transaction.atomic
def invitation_join_accept(*, invitation_id: int, user: User) -> list[Membership]:
    """The invited account's owner, signed in as it, accepts: they become a member with the roles offered."""
    invitation = _my_open_invitation(invitation_id=invitation_id, user=user)
    if not user.is_active:
        raise ValidationError(_("This account has been deactivated."))
    if invitation.school is not None and invitation.school.is_read_only:
        raise ValidationError(_("This school is read-only at the moment; accept the invitation later."))
    if not _inviter_may_still_grant(invitation):
        raise ValidationError(_("The one who invited you no longer administers this place. Ask for a new invitation."))
    memberships = [
        role_grant(user=user, role=role, school=invitation.school, bureau=invitation.bureau, post=invitation.post,
                   by=invitation.created_by)
        for role in invitation.roles
    ]
    now = timezone.now()
    _join_pending(user=user, school=invitation.school, bureau=invitation.bureau).update(used_at=now)
    if invitation.school is not None:
        with tenant_context(invitation.school):
            for hook in _hooks("person_joined"):
                hook(user=user, phone=invitation.invited_phone)
    notify(kind="people.invited",
           title=_("%(name)s accepted the invitation and is now a member here") % {"name": invitation.invited_name
                                                                                   or user.display_name},
           users=[invitation.created_by], school=invitation.school, bureau=invitation.bureau, url="/people/",
           dedupe_key=f"join-accepted:{invitation.pk}")
    return memberships


@transaction.atomic
def invitation_join_decline(*, invitation_id: int, user: User) -> None:
    """The invited account's owner declines: the invitation is closed and nothing else changes."""
    invitation = _my_open_invitation(invitation_id=invitation_id, user=user)
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])


@transaction.atomic
def invitation_withdraw(*, invitation_id: int, school: School | None, bureau: Bureau | None) -> None:
    """An administrator withdraws an invitation to join their place that is still open."""
    updated = invitation_pending_for_place(school=school, bureau=bureau).filter(pk=invitation_id).update(
        used_at=timezone.now())
    if not updated:
        raise ValidationError(_("This invitation is no longer open."))


def account_is_ours(*, user: User, school: School | None, bureau: Bureau | None) -> bool:
    """Made by this place, never signed in, no password of its owner, and no membership anywhere else: the one
    kind of account whose set-password link an administrator may see (nobody else has a claim on it)."""
    bureau = None if school else bureau
    if user.last_login is not None or user.has_usable_password():
        return False
    if not Invitation.objects.filter(user=user, school=school, bureau=bureau, created_account=True).exists():
        return False
    return not Membership.objects.filter(user=user).exclude(school=school, bureau=bureau).exists()


@transaction.atomic
def password_link_issue(*, user: User, by: User, school: School | None, bureau: Bureau | None) -> IssuedInvitation | None:
    """A new set- or reset-password link for a member here.

    Shown to the administrator (returned) only for an account this place made that has never signed in and
    belongs nowhere else, or to the platform operator. Otherwise it goes to the owner's own e-mail address
    (at most one a day from here) and None is returned: no link to an account of its owner ever reaches an
    administrator's screen.
    """
    from .access import is_platform_operator

    bureau = None if school else bureau
    if not Membership.objects.active().filter(user=user, school=school, bureau=bureau).exists():
        raise ValidationError(_("This person holds no role here."))
    purpose = InvitationPurpose.RESET if user.has_usable_password() else InvitationPurpose.ONBOARD
    if account_is_ours(user=user, school=school, bureau=bureau) or is_platform_operator(by):
        return invitation_create(user=user, created_by=by, school=school, bureau=bureau, purpose=purpose)
    if settings.EMAIL_ENABLED and user.email and not Invitation.objects.filter(
        user=user, school=school, bureau=bureau, purpose__in=PASSWORD_PURPOSES, created_by__isnull=False,
        created_at__date=timezone.localdate(),
    ).exists():
        invitation_create(user=user, created_by=by, school=school, bureau=bureau, purpose=purpose)
    return None


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
def member_role_grant(
    *, user: User, role: str, school: School | None = None, bureau: Bureau | None = None, post: str = "",
    by: User | None = None,
) -> Membership:
    """An administrator gives a current member here a further role (the person page, roleGrant).

    Someone who left is invited back instead (person_invite): they come back when they accept.
    """
    if not Membership.objects.active().filter(user=user, school=school, bureau=None if school else bureau).exists():
        raise ValidationError({"user": _("This person is no longer a member here: invite them again.")})
    return role_grant(user=user, role=role, school=school, bureau=None if school else bureau, post=post, by=by)


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

    The account itself is never switched off by a school or bureau (only by the platform operator): its
    sessions everywhere end when no membership is left. A partner (by=None) passes its name, kept on the
    ended memberships.
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
    # Only this place's memberships end: the account stays its owner's (switched on, its invitations from
    # elsewhere open), so it can join another school, or come back here when invited and it accepts.
    if not Membership.objects.active().filter(user=user).exists():
        sessions = sessions_end(user=user)
    else:
        sessions = sessions_end(user=user, host=school.host) if school is not None else sessions_end(
            user=user, host=settings.BASE_DOMAIN
        )
    if school is not None:
        with tenant_context(school):
            for hook in _hooks("person_left"):
                hook(user=user)
    return {"memberships": ended, "user_deactivated": False, "sessions": sessions}


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
) -> PersonAdded:
    """Invite a person here with a first role (web and GraphQL): see person_invite."""
    return person_invite(name=name, phone=phone, roles=[role], by=by, school=school,
                         bureau=None if school else bureau, email=email, post=post)


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


def principal_invite(*, school: School, by: User | None, name: str, phone: str, email: str = "") -> PersonAdded:
    """Invite the named person to be principal of the school (see person_invite).

    Re-inviting the principal a school already has issues them a new link by password_link_issue's rule.
    """
    with transaction.atomic():
        added = person_invite(name=name, phone=phone, roles=[Role.PRINCIPAL], by=by, school=school, email=email,
                              post="校长")
        if added.issued is None and added.account is not None and by is not None:
            added.issued = password_link_issue(user=added.account, by=by, school=school, bureau=None)
    return added


def school_onboard(
    *, bureau: Bureau, by: User | None, name: str, slug: str, principal_name: str, principal_phone: str,
    principal_email: str = "", student_count: int = 0, staff_count: int = 0,
) -> tuple[School, PersonAdded]:
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
    added = principal_invite(school=school, by=by, name=principal_name, phone=principal_phone,
                             email=principal_email)
    return school, added
