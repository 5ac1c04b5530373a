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
#
# An invitation offers roles here to the person behind a phone (or e-mail). It is told to the inviter the
# same way whether or not the phone had an account, and it changes nothing until its owner accepts:
#
# - a phone nobody holds gets a new account (no password, no membership) and an "onboard" link that sets
#   the password and accepts in one step;
# - an account that exists gets a "join" invitation its owner accepts while signed in (or, for an account
#   that has never had a password, by setting one through the invitation's own link).
#
# Either way the link goes only to the owner's own channels (text message to the account's phone, its
# e-mail address, and the notification centre for an account that exists), never onto the inviter's
# screen, and both wait under "Invitations waiting to be accepted". The one exception is the "link"
# action for an account this place made that has never signed in and belongs nowhere else (account_is_ours).

# Links that set a password; an invitation to join never does (its account has an owner who signs in).
PASSWORD_PURPOSES = (InvitationPurpose.ONBOARD, InvitationPurpose.RESET)
# Links that offer roles here: an onboard link that made the account (its `roles` say what it offers), or an
# invitation to join.
OFFER_PURPOSES = (InvitationPurpose.ONBOARD, InvitationPurpose.JOIN)


def _where(school: School | None, bureau: Bureau | None) -> str:
    return school.name if school else (bureau.name if bureau else _("Houqin"))


def _roles_label(roles) -> str:
    return "、".join(str(Role(r).label) for r in roles)


def _link_texts(*, invitation: Invitation, url: str) -> tuple[str, str, str]:
    """(e-mail subject, e-mail body, text message) of a link, by what it is for."""
    values = {
        "where": _where(invitation.school, invitation.bureau),
        "roles": _roles_label(invitation.roles),
        "until": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M"),
        "url": url,
    }
    if invitation.purpose == InvitationPurpose.JOIN:
        return (
            _("Invitation to join %(where)s on Houqin") % values,
            _("%(where)s invites you to join as %(roles)s. Sign in with your own account and accept "
              "(valid until %(until)s); nothing changes until you do:\n%(url)s") % values,
            _("[Houqin] %(where)s invites you to join as %(roles)s. Sign in with your own account to accept "
              "(valid until %(until)s): %(url)s") % values,
        )
    if invitation.roles:
        return (
            _("Invitation to join %(where)s on Houqin") % values,
            _("%(where)s invites you to join as %(roles)s. Open this link to set your password and accept "
              "(valid until %(until)s, once only):\n%(url)s") % values,
            _("[Houqin] %(where)s invites you to join as %(roles)s. Open the link to set your password and "
              "accept (valid until %(until)s, once only): %(url)s") % values,
        )
    subject = _("Your Houqin account at %(where)s") % values
    if invitation.purpose == InvitationPurpose.RESET:
        return (
            subject,
            _("Open this link to set your password (valid until %(until)s, once only):\n%(url)s") % values,
            _("[Houqin] Your account at %(where)s: open the link to set a new password (valid until %(until)s, "
              "once only): %(url)s. If you did not ask for it, ignore this message.") % values,
        )
    return (
        subject,
        _("Open this link to set your password (valid until %(until)s, once only):\n%(url)s") % values,
        _("[Houqin] Your account at %(where)s: open the link to set your password (valid until %(until)s, "
          "once only): %(url)s") % values,
    )


@transaction.atomic
def invitation_create(
    *,
    user: User,
    created_by: User | None,
    school: School | None = None,
    bureau: Bureau | None = None,
    purpose: str = InvitationPurpose.ONBOARD,
    send_email: bool = True,
    send_sms: bool = False,
    roles: Sequence[str] = (),
    post: str = "",
    invited_name: str = "",
    invited_phone: str = "",
    created_account: bool = False,
) -> IssuedInvitation:
    """Issue a one-time link (set a password, or accept an invitation to join); e-mail it to the account's own
    address when e-mail is on, and text it to the account's own phone when asked."""
    from .notifications import sms_send

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
    subject, body, text = _link_texts(invitation=invitation, url=url)
    if send_email and settings.EMAIL_ENABLED and user.email:
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=True)
        )
    if send_sms and user.phone:
        sms_send(phone=user.phone, text=text, kind="people.invited", recipient=user, school=school, bureau=bureau)
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


def _offers():
    return Invitation.objects.filter(purpose__in=OFFER_PURPOSES).exclude(roles=[])


def _offers_open(*, user: User, school: School | None, bureau: Bureau | None):
    return _offers().filter(user=user, school=school, bureau=None if school else bureau, used_at__isnull=True,
                            expires_at__gt=timezone.now())


def never_signed_in(user: User) -> bool:
    """No password of its own and never signed in: nobody has used the account yet."""
    return user.last_login is None and not user.has_usable_password()


def _password_set(*, user: User, password: str, used: Invitation) -> None:
    """Set the owner's password through one of their links; every other password link of theirs is used up.

    An onboard link of another place that offers roles becomes an invitation to join there (the same link now
    asks the owner to sign in and accept): a link printed there still reaches its owner.
    """
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    now = timezone.now()
    open_links = Invitation.objects.filter(user=user, used_at__isnull=True).exclude(pk=used.pk)
    (open_links.filter(purpose=InvitationPurpose.ONBOARD, expires_at__gt=now).exclude(roles=[])
     .update(purpose=InvitationPurpose.JOIN))
    open_links.filter(purpose__in=PASSWORD_PURPOSES).update(used_at=now)
    Invitation.objects.filter(pk=used.pk).update(used_at=now)


def _inviter_may_still_grant(invitation: Invitation) -> bool:
    """The one who invited still administers the place (an invitation does not outlive the inviter's rights).

    An invitation the platform itself issued (no inviter: a school prepared in the background) stands.
    """
    from .access import bureau_roles, forget_memberships, is_platform_operator, school_roles
    from .roles import BUREAU_ADMIN_ROLES, BUREAU_SCHOOL_CREATORS, SCHOOL_ADMIN_ROLES

    by = invitation.created_by
    if by is None:
        return invitation.created_by_id is None
    if not by.is_active:
        return False
    forget_memberships(by)
    if is_platform_operator(by):
        return True
    if invitation.school is not None:
        return bool(school_roles(by, invitation.school) & SCHOOL_ADMIN_ROLES
                    or bureau_roles(by, invitation.school.bureau) & BUREAU_SCHOOL_CREATORS)
    return bool(bureau_roles(by, invitation.bureau) & BUREAU_ADMIN_ROLES)


def _offer_check(invitation: Invitation) -> None:
    """Whether the roles an invitation offers can be given now (checked before anything is changed)."""
    if not invitation.user.is_active:
        raise ValidationError(_("This account has been deactivated."))
    if invitation.school is not None and invitation.school.is_read_only:
        raise ValidationError(_("This school is read-only at the moment; accept the invitation later."))
    if not _inviter_may_still_grant(invitation):
        raise ValidationError(_("The one who invited you no longer administers this place. Ask for a new invitation."))


def _offer_grant(*, invitation: Invitation, user: User, tell_inviter: bool = True) -> list[Membership]:
    """The owner accepted: they become a member with the roles offered; the inviter hears of it."""
    memberships = [
        role_grant(user=user, role=role, school=invitation.school, bureau=invitation.bureau, post=invitation.post,
                   by=invitation.created_by)
        for role in invitation.roles
    ]
    _offers_open(user=user, school=invitation.school, bureau=invitation.bureau).update(used_at=timezone.now())
    if invitation.school is not None:
        with tenant_context(invitation.school):
            for hook in _hooks("person_joined"):
                hook(user=user, phone=invitation.invited_phone)
    if invitation.created_by is not None and tell_inviter:
        # The same words for a new account and an existing one: the name the inviter typed.
        notify(kind="people.invited",
               title=_("%(name)s accepted the invitation and is now a member here")
               % {"name": invitation.invited_name or user.display_name},
               users=[invitation.created_by], school=invitation.school, bureau=invitation.bureau, url="/people/",
               dedupe_key=f"join-accepted:{invitation.pk}")
    return memberships


@transaction.atomic
def invitation_accept(*, token: str, school: School | None, password: str) -> User:
    """Set a password with a link (a new account, a reset) and use it up; a link that offers roles (the one
    that made the account) accepts them too."""
    invitation = invitation_get(token=token, school=school, purposes=PASSWORD_PURPOSES)
    # Lock the row: two tabs submitting the same link set the password once.
    invitation = (Invitation.objects.select_for_update(of=("self",)).select_related("user", "school", "bureau",
                                                                                    "created_by")
                  .get(pk=invitation.pk))
    if invitation.used_at is not None:
        raise ValidationError(_("This link has already been used. Ask for a new one."))
    user = invitation.user
    offer = invitation.purpose == InvitationPurpose.ONBOARD and bool(invitation.roles)
    if offer:
        _offer_check(invitation)
    _password_set(user=user, password=password, used=invitation)
    if offer:
        _offer_grant(invitation=invitation, user=user)
    elif invitation.created_by_id and invitation.purpose == InvitationPurpose.ONBOARD:
        notify(kind="people.invited", title=_("%(name)s has set a password and can sign in") % {"name": user.display_name},
               users=[invitation.created_by], school=invitation.school, url="/people/",
               dedupe_key=f"invitation-accepted:{invitation.pk}")
    return user


def join_link_sets_password(invitation: Invitation) -> bool:
    """An invitation to join for an account nobody has used yet: its link (sent only to the owner's own phone
    and e-mail) lets them set the password and accept, as a new account's link does."""
    return (invitation.purpose == InvitationPurpose.JOIN and invitation.used_at is None and not invitation.is_expired
            and invitation.user.is_active and never_signed_in(invitation.user))


@transaction.atomic
def invitation_join_accept_with_password(*, token: str, school: School | None, password: str) -> User:
    """The owner of an account that has never had a password opens an invitation to join: they set their
    password and accept (their other places' links keep working, as invitations to sign in and accept)."""
    invitation = (Invitation.objects.select_for_update(of=("self",)).select_related("user", "school", "bureau",
                                                                                    "created_by")
                  .filter(token_hash=token_hash(token), purpose=InvitationPurpose.JOIN, school=school).first())
    if invitation is None:
        raise ValidationError(_("This link is not valid. Ask for a new one."))
    if invitation.used_at is not None:
        raise ValidationError(_("This invitation has already been answered or withdrawn."))
    if invitation.is_expired:
        raise ValidationError(_("This invitation has expired. Ask for a new one."))
    if not join_link_sets_password(invitation):
        raise ValidationError(_("Sign in with your own account to answer this invitation."))
    _offer_check(invitation)
    _password_set(user=invitation.user, password=password, used=invitation)
    _offer_grant(invitation=invitation, user=invitation.user)
    return invitation.user


@transaction.atomic
def demo_invitations_accept(*, school: School, phones: Sequence[str], password: str) -> int:
    """The demo only (schools.people_demo; never a page or the API): the demo people whose accounts its staff
    import made accept their invitations with the demo password, as they would by opening their links."""
    accepted = 0
    for invitation in (invitation_pending_for_place(school=school, bureau=None)
                       .filter(purpose=InvitationPurpose.ONBOARD, user__phone__in=list(phones))
                       .select_related("user", "school", "created_by")):
        user = invitation.user
        if not never_signed_in(user):
            continue
        user.set_password(password)
        user.save(update_fields=["password"])
        Invitation.objects.filter(user=user, used_at__isnull=True, purpose__in=PASSWORD_PURPOSES).update(
            used_at=timezone.now())
        _offer_grant(invitation=invitation, user=user, tell_inviter=False)
        accepted += 1
    return accepted


def _notify_privately(**kwargs) -> None:
    """Notify one person only: outside any school's schema, so no school's group robot relays it (a robot
    posting an invitation would tell the inviting school that the phone has an account)."""
    with schema_context("public"):
        notify(school=None, bureau=None, **kwargs)


@dataclass
class PersonAdded:
    """What inviting someone did, told the same way whether or not the phone (or e-mail) had an account.

    `invitation`: the invitation now waiting for its owner (None only when the person was a member here
    already and simply got the roles); it carries what the inviter typed, never the account's own name, and
    no link. `account`: only when the person is a member here (they were already). `link`: only when a
    principal already in office was invited again and password_link_issue allowed the link on this screen.
    """

    invitation: Invitation | None
    name: str
    login: str
    account: User | None
    link: IssuedInvitation | None = None


def _offer_quota_check(*, school: School | None, bureau: Bureau | None, phone: str) -> None:
    """At most INVITATIONS_PER_PHONE_PER_DAY invitations a day from here to one number (each is a text
    message): counted by the number typed, so the answer is the same whether or not it has an account."""
    limit = getattr(settings, "INVITATIONS_PER_PHONE_PER_DAY", 5)
    sent = _offers().filter(school=school, bureau=None if school else bureau, invited_phone=phone,
                            created_at__date=timezone.localdate()).count()
    if sent >= limit:
        raise ValidationError({"phone": _("This number has been invited %(count)s times today; try again "
                                          "tomorrow.") % {"count": sent}})


def _offer_send(
    *, user: User, by: User | None, school: School | None, bureau: Bureau | None, roles: Sequence[str],
    post: str, invited_name: str, invited_phone: str, new_account: bool, send: bool = True,
) -> Invitation:
    """Offer the roles here to the account's owner, through their own channels only; replaces an older
    invitation from here. `send=False` (the demo) sends nothing and notifies no one."""
    bureau = None if school else bureau
    _offers_open(user=user, school=school, bureau=bureau).update(used_at=timezone.now())
    if new_account or account_is_ours(user=user, school=school, bureau=bureau):
        # Nobody else has a claim on the account: its link sets the password and accepts.
        return invitation_create(
            user=user, created_by=by, school=school, bureau=bureau, purpose=InvitationPurpose.ONBOARD,
            roles=roles, post=post, invited_name=invited_name, invited_phone=invited_phone, created_account=True,
            send_email=send, send_sms=send,
        ).invitation
    issued = invitation_create(
        user=user, created_by=by, school=school, bureau=bureau, purpose=InvitationPurpose.JOIN, roles=roles,
        post=post, invited_name=invited_name, invited_phone=invited_phone, send_email=send, send_sms=send,
    )
    if send:
        place_key = f"s{school.pk}" if school else f"b{bureau.pk if bureau else 0}"
        inviter = by.display_name if by is not None else _where(school, bureau)
        _notify_privately(
            kind="people.invited",
            title=_("%(where)s invites you to join as %(roles)s") % {"where": _where(school, bureau),
                                                                     "roles": _roles_label(roles)},
            body=_("Invited by %(inviter)s. Accept while signed in as yourself; nothing changes until you do.")
            % {"inviter": inviter},
            url=place_url(school=school, path="/people/invitations/"),
            users=[user],
            dedupe_key=f"join-invited:{place_key}:{user.pk}:{timezone.localdate().isoformat()}",
        )
    return issued.invitation


@transaction.atomic
def person_invite(
    *, name: str, phone: str, roles: Sequence[str], by: User | None, school: School | None = None,
    bureau: Bureau | None = None, email: str = "", post: str = "", issue_link: bool = True,
) -> PersonAdded:
    """Invite a person here by phone (or e-mail) with roles; the same answer whether or not the account exists.

    A phone nobody holds gets a new account with no password and no membership; an account that exists is
    left as it is (name, password, memberships, switched on or off). Either way its owner gets the invitation
    on their own phone (and e-mail), and becomes a member only by accepting it: a new account's owner by
    setting the password through the link, an existing one's signed in. A member here simply gets the roles.
    `issue_link=False` (the demo) sends nothing.
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
    if account is not None and Membership.objects.active().filter(user=account, school=school, bureau=bureau).exists():
        # A member here already: the roles are this place's own to give.
        for role in checked:
            role_grant(user=account, role=role, school=school, bureau=bureau, post=post, by=by)
        return PersonAdded(invitation=None, name=account.display_name, login=account.username, account=account)
    _offer_quota_check(school=school, bureau=bureau, phone=phone)
    new_account = account is None
    if new_account:
        account = person_create(name=name, phone=phone, email=email)
    invitation = _offer_send(user=account, by=by, school=school, bureau=bureau, roles=checked, post=post,
                             invited_name=name, invited_phone=phone, new_account=new_account, send=issue_link)
    return PersonAdded(invitation=invitation, name=name, login=phone, account=None)


def invitation_list_for(*, user: User):
    """My invitations to join that are still open (the page where I accept or decline them)."""
    return (
        Invitation.objects.filter(user=user, purpose=InvitationPurpose.JOIN, used_at__isnull=True,
                                  expires_at__gt=timezone.now())
        .select_related("school", "bureau", "created_by").order_by("-created_at", "-id")
    )


def invitation_pending_for_place(*, school: School | None, bureau: Bureau | None):
    """Invitations to this place that wait for their owner, of new accounts and existing ones alike (shown by
    the name and phone the inviter typed, never the account's own)."""
    bureau = None if school else bureau
    members = Membership.objects.active().filter(school=school, bureau=bureau).values("user_id")
    return (
        _offers().filter(school=school, bureau=bureau, used_at__isnull=True, expires_at__gt=timezone.now())
        .exclude(user_id__in=members).select_related("created_by").order_by("-created_at", "-id")
    )


def _pending_here(*, invitation_id: int, school: School | None, bureau: Bureau | None) -> Invitation:
    invitation = (invitation_pending_for_place(school=school, bureau=bureau).select_for_update(of=("self",))
                  .select_related("user").filter(pk=invitation_id).first())
    if invitation is None:
        raise ValidationError(_("This invitation is no longer open."))
    return invitation


@transaction.atomic
def invitation_resend(*, invitation_id: int, by: User | None, school: School | None,
                      bureau: Bureau | None) -> Invitation:
    """Send an open invitation from here again, to its owner's own channels (a new link replaces the old)."""
    invitation = _pending_here(invitation_id=invitation_id, school=school, bureau=bureau)
    _offer_quota_check(school=school, bureau=bureau, phone=invitation.invited_phone)
    return _offer_send(user=invitation.user, by=by, school=school, bureau=bureau, roles=invitation.roles,
                       post=invitation.post, invited_name=invitation.invited_name,
                       invited_phone=invitation.invited_phone, new_account=False)


@transaction.atomic
def invitation_link_issue(*, invitation_id: int, by: User | None, school: School | None,
                          bureau: Bureau | None) -> IssuedInvitation | None:
    """The "link" action on an invitation waiting here: a new link to print or pass on, shown only for an
    account this place made that has never signed in and belongs nowhere else (account_is_ours; it replaces
    the link sent before). Any other account is its owner's: None, and nothing changes (the invitation
    reached the owner's own phone; "send again" sends it there again)."""
    invitation = _pending_here(invitation_id=invitation_id, school=school, bureau=bureau)
    if not account_is_ours(user=invitation.user, school=school, bureau=bureau):
        return None
    _offers_open(user=invitation.user, school=school, bureau=bureau).update(used_at=timezone.now())
    return invitation_create(
        user=invitation.user, created_by=by, school=school, bureau=None if school else bureau,
        purpose=InvitationPurpose.ONBOARD, roles=invitation.roles, post=invitation.post,
        invited_name=invitation.invited_name, invited_phone=invitation.invited_phone, created_account=True,
        send_email=False,
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
    _offer_check(invitation)
    return _offer_grant(invitation=invitation, user=user)


@transaction.atomic
def invitation_join_decline(*, invitation_id: int, user: User) -> None:
    """The invited account's owner declines: the invitation is closed and nothing else changes."""
    invitation = _my_open_invitation(invitation_id=invitation_id, user=user)
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])


@transaction.atomic
def invitation_withdraw(*, invitation_id: int, school: School | None, bureau: Bureau | None) -> None:
    """An administrator withdraws an invitation to their place that is still open (either kind)."""
    updated = invitation_pending_for_place(school=school, bureau=bureau).filter(pk=invitation_id).update(
        used_at=timezone.now())
    if not updated:
        raise ValidationError(_("This invitation is no longer open."))


def account_is_ours(*, user: User, school: School | None, bureau: Bureau | None) -> bool:
    """Made by this place, never signed in, no password of its owner, and no membership anywhere else: the one
    kind of account whose set-password link an administrator may see (nobody else has a claim on it)."""
    bureau = None if school else bureau
    if not never_signed_in(user):
        return False
    if not Invitation.objects.filter(user=user, school=school, bureau=bureau, created_account=True).exists():
        return False
    return not Membership.objects.filter(user=user).exclude(school=school, bureau=bureau).exists()


def _owner_reachable(user: User) -> bool:
    return bool(user.phone or (settings.EMAIL_ENABLED and user.email))


@transaction.atomic
def password_link_issue(*, user: User, by: User, school: School | None, bureau: Bureau | None) -> IssuedInvitation | None:
    """A new set- or reset-password link for a member here.

    Shown to the administrator (returned) only for an account this place made that has never signed in and
    belongs nowhere else, or to the platform operator. Otherwise it goes to the owner's own phone and e-mail
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
    if _owner_reachable(user) and not Invitation.objects.filter(
        user=user, school=school, bureau=bureau, purpose__in=PASSWORD_PURPOSES, created_by__isnull=False,
        created_at__date=timezone.localdate(),
    ).exists():
        invitation_create(user=user, created_by=by, school=school, bureau=bureau, purpose=purpose, send_sms=True)
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
    """Someone who forgot their password asks for help: a link to the account's own phone and e-mail, or, when
    neither reaches them, their administrators are told.

    Says nothing about whether the phone exists (the caller shows the same answer either way).
    """
    from .sms import sms_delivers

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
    # One link a day at most: the form cannot be used to flood someone's phone or inbox.
    if not Invitation.objects.filter(user=user, purpose=InvitationPurpose.RESET, created_by__isnull=True,
                                     school=school, created_at__date=timezone.localdate()).exists():
        invitation_create(user=user, created_by=None, school=school, bureau=None if school else membership.bureau,
                          purpose=InvitationPurpose.RESET, send_sms=True)
    if sms_delivers() or (settings.EMAIL_ENABLED and user.email):
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

    Re-inviting the principal a school already has sends them a new password link by password_link_issue's
    rule (`link`: set only when that rule lets it onto this screen).
    """
    with transaction.atomic():
        added = person_invite(name=name, phone=phone, roles=[Role.PRINCIPAL], by=by, school=school, email=email,
                              post="校长")
        if added.invitation is None and added.account is not None and by is not None:
            added.link = password_link_issue(user=added.account, by=by, school=school, bureau=None)
    return added


def principal_pending(*, school: School) -> Invitation | None:
    """The invitation to be the school's principal still waiting for its owner (the platform's list)."""
    return next((i for i in invitation_pending_for_place(school=school, bureau=None) if Role.PRINCIPAL in i.roles),
                None)


def school_onboard(
    *, bureau: Bureau, by: User | None, name: str, slug: str, principal_name: str, principal_phone: str,
    principal_email: str = "", student_count: int = 0, staff_count: int = 0, kind: str = "", boarding: bool = False,
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
                               staff_count=staff_count, kind=kind or "", boarding=bool(boarding))
    added = principal_invite(school=school, by=by, name=principal_name, phone=principal_phone,
                             email=principal_email)
    return school, added
