from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

from frontend.lists import paginate

from .access import personal_view, place_view, platform_view, public_view
from .forms import LoginForm
from .middleware import request_host
from .notifications import notification_mark_read


def _client_ip(request) -> str:
    # core.net.client_ip (the trusted-proxy rule), reached through axes' AXES_CLIENT_IP_CALLABLE:
    # tenants imports no other app of the project.
    return get_client_ip_address(request) or ""


class LoginView(auth_views.LoginView):
    """Sign-in; the session is bound to this host.

    Failures are counted per account (every alias, every host) and per client address by django-axes
    (tenants/throttle.py): a locked sign-in is refused before its password is checked and answered by
    tenants.throttle.lockout_response (HTTP 429).
    """

    template_name = "registration/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)  # django.contrib.auth.login rotates the session key
        self.request.session["_houqin_host"] = request_host(self.request)
        return response


class LogoutView(auth_views.LogoutView):
    pass


@personal_view
def notification_list(request):
    """The notification centre: my notifications, newest first."""
    from .notifications import kind_label

    notifications = request.user.notifications.select_related("school", "bureau")
    if request.GET.get("unread"):
        notifications = notifications.filter(read_at__isnull=True)
    page_obj = paginate(request, notifications)
    for notification in page_obj:
        notification.kind_label = kind_label(notification.kind)
    return render(request, "tenants/notifications.html", {
        "page_obj": page_obj, "unread_only": bool(request.GET.get("unread")),
    })


@personal_view
@require_POST
def notification_read(request):
    ids = request.POST.getlist("id")
    count = notification_mark_read(user=request.user, notification_ids=[int(i) for i in ids if i.isdigit()] or None)
    messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
    target = request.POST.get("next") or ""
    # Only a path on this host: never an open redirect.
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) or not target.startswith("/"):
        target = "/notifications/"
    return HttpResponseRedirect(target)


# --- people: members, roles, invitations, leavers ------------------------------------------------

from django.contrib.auth import login as auth_login  # noqa: E402
from django.contrib.auth.forms import SetPasswordForm  # noqa: E402
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.db.models import Prefetch, Q  # noqa: E402
from django.shortcuts import get_object_or_404, redirect  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from frontend.excel import xlsx_response  # noqa: E402
from frontend.lists import wants_export  # noqa: E402

from . import people as people_services  # noqa: E402
from .access import (  # noqa: E402
    bureau_roles,
    bureaus_for,
    can_read_school,
    forget_memberships,
    is_platform_operator,
    school_roles,
)
from .forms import PersonInviteForm, RobotChannelForm, RoleGrantForm, SchoolCreateForm  # noqa: E402
from .models import (  # noqa: E402
    Bureau,
    Invitation,
    InvitationPurpose,
    Membership,
    NotificationChannel,
    NotificationDelivery,
    RobotChannel,
    School,
    User,
)
from .notifications import (  # noqa: E402
    NOTIFICATION_KINDS,
    kind_label,
    notification_preference_set,
    robot_channel_create,
    robot_channel_delete,
)
from .roles import (  # noqa: E402
    BUREAU_ADMIN_ROLES,
    BUREAU_PERMISSIONS,
    BUREAU_ROLES,
    BUREAU_SCHOOL_CREATORS,
    PHONE_VISIBLE_ROLES,
    SCHOOL_ADMIN_ROLES,
    SCHOOL_PERMISSIONS,
    SCHOOL_ROLES,
    Role,
)


def _add_errors(form, exc: ValidationError) -> None:
    """Put a service's errors beside the form's fields (or above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class Place:
    """Where a people page acts: the school of this host, or the user's bureau on the base domain."""

    def __init__(self, request):
        tenant = getattr(request, "tenant", None)
        self.school: School | None = tenant if isinstance(tenant, School) else None
        self.bureau: Bureau | None = None
        self.bureau_choices: list[Bureau] = []
        user = request.user
        if not user.is_authenticated:
            raise PermissionDenied
        if self.school is not None:
            self.roles = school_roles(user, self.school)
            self.readable = can_read_school(user, self.school)
            self.admin = bool(self.roles & SCHOOL_ADMIN_ROLES) and not self.school.is_read_only
            self.grantable = sorted(SCHOOL_ROLES, key=list(Role).index)
        else:
            bureaus = bureaus_for(user)
            code = request.GET.get("bureau") or request.POST.get("bureau")
            self.bureau = (bureaus.filter(code=code) if code else bureaus).order_by("name").first()
            self.bureau_choices = list(bureaus.order_by("name")) if bureaus.count() > 1 else []
            self.roles = bureau_roles(user, self.bureau)
            self.readable = self.bureau is not None
            self.admin = self.bureau is not None and (
                bool(self.roles & BUREAU_ADMIN_ROLES) or is_platform_operator(user)
            )
            self.grantable = sorted(BUREAU_ROLES, key=list(Role).index)
        if not self.readable:
            raise PermissionDenied

    @property
    def where(self):
        return self.school or self.bureau

    def memberships(self):
        return Membership.objects.active().filter(school=self.school, bureau=self.bureau)

    def require_admin(self) -> None:
        if not self.admin:
            raise PermissionDenied


def _person_for(place: Place, user_id: int) -> User:
    """A person who is or was a member here (there is no person lookup by id without the place)."""
    return get_object_or_404(
        User.objects.filter(
            pk__in=Membership.objects.filter(school=place.school, bureau=place.bureau).values("user_id")
        ),
        pk=user_id,
    )


def _members_queryset(place: Place, query: str, show_left: bool):
    memberships = Membership.objects.filter(school=place.school, bureau=place.bureau)
    users = User.objects.filter(pk__in=memberships.values("user_id"))
    active_ids = place.memberships().values("user_id")
    users = users.exclude(pk__in=active_ids) if show_left else users.filter(pk__in=active_ids)
    if query:
        users = users.filter(Q(name__icontains=query) | Q(username__icontains=query) | Q(phone__icontains=query))
    current = Prefetch(
        "memberships", queryset=place.memberships().order_by("role"), to_attr="here"
    )
    return users.prefetch_related(current).order_by("name", "pk")


@place_view(write=False)
def people_list(request):
    """The people of this school or bureau and their roles."""
    place = Place(request)
    query = request.GET.get("q", "").strip()
    show_left = request.GET.get("left") == "1"
    users = _members_queryset(place, query, show_left)
    show_phone = place.school is None or bool(place.roles & PHONE_VISIBLE_ROLES)
    if wants_export(request):
        rows = (
            [u.display_name, u.phone if show_phone else "", "、".join(str(m.get_role_display()) for m in u.here),
             "、".join(sorted({m.post for m in u.here if m.post}))]
            for u in users
        )
        return xlsx_response(filename=str(_("People")), headers=[pgettext("person", "Name"), _("Mobile phone"), _("Roles"), _("Post")],
                             rows=rows, school=place.school or place.bureau)
    page_obj = paginate(request, users)
    for person in page_obj:
        person.posts = list(dict.fromkeys(m.post for m in person.here if m.post))
    # Invitations still to be accepted, by the name the administrator typed (never the account's own).
    pending = (people_services.invitation_pending_for_place(school=place.school, bureau=place.bureau)
               if place.admin and not show_left else [])
    return render(request, "tenants/people/list.html", {
        "place": place, "page_obj": page_obj, "query": query, "show_left": show_left,
        "show_phone": show_phone, "pending": pending,
    })


@place_view(write=False)
def person_detail(request, user_id: int):
    """One person here: roles held, and (for administrators) grant, remove, new link, end access."""
    place = Place(request)
    person = _person_for(place, user_id)
    memberships = place.memberships().filter(user=person).order_by("role")
    context = {
        "place": place,
        "person": person,
        "memberships": memberships,
        "grant_form": RoleGrantForm(roles=[r for r in place.grantable if r not in {m.role for m in memberships}]),
        "show_phone": place.school is None or bool(place.roles & PHONE_VISIBLE_ROLES),
        "open_tasks": people_services.open_tasks_for(user=person, school=place.school) if place.school else [],
        "past": Membership.objects.filter(user=person, school=place.school, bureau=place.bureau, is_active=False)
        .order_by("-ended_at"),
        "invitations": Invitation.objects.filter(user=person, school=place.school,
                                                 bureau=None if place.school else place.bureau)
        .select_related("created_by")[:20] if place.admin else [],
    }
    return render(request, "tenants/people/detail.html", context)


@place_view(write=True)
@require_POST
def person_role_grant(request, user_id: int):
    place = Place(request)
    place.require_admin()
    person = _person_for(place, user_id)
    form = RoleGrantForm(request.POST, roles=place.grantable)
    if form.is_valid():
        try:
            people_services.member_role_grant(user=person, role=form.cleaned_data["role"], school=place.school,
                                              bureau=place.bureau, post=form.cleaned_data["post"], by=request.user)
            messages.success(request, _("Role granted."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Choose a role."))
    return redirect(_detail_url(place, person))


@place_view(write=True)
@require_POST
def person_role_revoke(request, user_id: int):
    place = Place(request)
    place.require_admin()
    person = _person_for(place, user_id)
    try:
        people_services.role_revoke(user=person, role=request.POST.get("role", ""), school=place.school,
                                    bureau=place.bureau, by=request.user)
        messages.success(request, _("Role removed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    forget_memberships(request.user)
    return redirect(_detail_url(place, person))


def _detail_url(place: Place, person: User) -> str:
    url = reverse("people:detail", args=[person.pk])
    return f"{url}?bureau={place.bureau.code}" if place.bureau else url


@place_view(write=True)
@require_POST
@never_cache
def person_link(request, user_id: int):
    """A new one-time link for a member to set (or reset) their password: shown here only for an account this
    place made that has never signed in and belongs nowhere else; otherwise sent to the owner's own phone and
    e-mail."""
    place = Place(request)
    place.require_admin()
    person = _person_for(place, user_id)
    if not place.memberships().filter(user=person).exists():
        raise PermissionDenied
    try:
        issued = people_services.password_link_issue(user=person, by=request.user, school=place.school,
                                                     bureau=place.bureau)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_detail_url(place, person))
    if issued is None:
        messages.info(request, LINK_NOT_SHOWN)
        return redirect(_detail_url(place, person))
    return render(request, "tenants/people/links.html", {"place": place, "issued": [issued]})


@place_view(write=True)
def person_leave(request, user_id: int):
    """End a person's access here: shows their open work first, then ends memberships and sessions."""
    place = Place(request)
    place.require_admin()
    person = _person_for(place, user_id)
    open_tasks = people_services.open_tasks_for(user=person, school=place.school) if place.school else []
    if request.method == "POST":
        try:
            result = people_services.person_deactivate(user=person, by=request.user, school=place.school,
                                                       bureau=None if place.school else place.bureau)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(_detail_url(place, person))
        messages.success(request, _("%(name)s no longer has access here; %(sessions)s sessions were ended.")
                         % {"name": person.display_name, "sessions": result["sessions"]})
        return render(request, "tenants/people/left.html", {"place": place, "person": person,
                                                             "open_tasks": open_tasks, "result": result})
    return render(request, "tenants/people/leave.html", {"place": place, "person": person, "open_tasks": open_tasks})


# The same words whether or not the phone had an account.
INVITED_MESSAGE = gettext_lazy("An invitation was sent to this phone number; once accepted, the person is a member "
                               "of this school.")
INVITED_MESSAGE_BUREAU = gettext_lazy("An invitation was sent to this phone number; once accepted, the person is a "
                                      "member of this bureau.")
RESENT_MESSAGE = gettext_lazy("The invitation was sent to this phone number again.")
# The "link" action, for any account but one this place made that has never signed in and belongs nowhere else.
LINK_NOT_SHOWN = gettext_lazy("The link is not shown here: the account is its owner's. A new link was sent to "
                              "the person's own phone (and e-mail address, if any).")
INVITATION_LINK_NOT_SHOWN = gettext_lazy("The link is not shown here: the invitation went to the person's own "
                                         "phone. Use “Send again” to send it there again.")


def _invited(request, place: Place):
    """The answer to an invitation: the same words, and no link, whether or not the phone had an account; the
    invitation waits on the people list by the name typed."""
    messages.success(request, INVITED_MESSAGE if place.school is not None else INVITED_MESSAGE_BUREAU)
    return redirect(_list_url(place))


@place_view(write=True)
@never_cache
def person_invite(request):
    """Invite a person with a first role: an invitation its owner accepts (a new account's owner by setting the
    password through the link)."""
    place = Place(request)
    place.require_admin()
    form = PersonInviteForm(request.POST or None, roles=place.grantable)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = people_services.person_add(
                name=data["name"], phone=data["phone"], email=data["email"], role=data["role"], post=data["post"],
                school=place.school, bureau=None if place.school else place.bureau, by=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if added.invitation is None:
                messages.success(request, _("%(name)s is a member here already: the role was added.")
                                 % {"name": added.name})
                return redirect(_detail_url(place, added.account))
            return _invited(request, place)
    return render(request, "tenants/people/invite.html", {"place": place, "form": form})


def _list_url(place: Place) -> str:
    url = reverse("people:list")
    return f"{url}?bureau={place.bureau.code}" if place.bureau else url


@place_view(write=True)
@require_POST
@never_cache
def invitation_resend(request, invitation_id: int):
    """Send an open invitation again, to the owner's own phone (a new link replaces the old one)."""
    place = Place(request)
    place.require_admin()
    try:
        people_services.invitation_resend(invitation_id=invitation_id, by=request.user, school=place.school,
                                          bureau=None if place.school else place.bureau)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, RESENT_MESSAGE)
    return redirect(_list_url(place))


@place_view(write=True)
@require_POST
@never_cache
def invitation_link(request, invitation_id: int):
    """A link to print or pass on for a waiting invitation: only for an account this place made that has never
    signed in and belongs nowhere else (people_services.invitation_link_issue)."""
    place = Place(request)
    place.require_admin()
    try:
        issued = people_services.invitation_link_issue(invitation_id=invitation_id, by=request.user,
                                                       school=place.school, bureau=place.bureau)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_list_url(place))
    if issued is None:
        messages.info(request, INVITATION_LINK_NOT_SHOWN)
        return redirect(_list_url(place))
    return render(request, "tenants/people/links.html", {"place": place, "issued": [issued]})


@place_view(write=True)
@require_POST
def invitation_withdraw(request, invitation_id: int):
    place = Place(request)
    place.require_admin()
    try:
        people_services.invitation_withdraw(invitation_id=invitation_id, school=place.school, bureau=place.bureau)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Invitation withdrawn."))
    return redirect(_list_url(place))


@place_view(write=False)
def role_matrix(request):
    """Which role may do what (from the declarative table in tenants/roles.py)."""
    place = Place(request)
    if place.school is not None:
        table, roles = SCHOOL_PERMISSIONS, place.grantable
    else:
        table, roles = BUREAU_PERMISSIONS, place.grantable
    rows = [{"key": key, "label": label, "cells": [r in allowed for r in roles]} for key, label, allowed in table]
    holders = dict.fromkeys(roles, 0)
    for membership in place.memberships().filter(user__is_active=True):
        holders[membership.role] = holders.get(membership.role, 0) + 1
    return render(request, "tenants/people/matrix.html", {
        "place": place, "roles": [(Role(r), holders.get(r, 0)) for r in roles], "rows": rows,
    })


# --- invitations: set a password -----------------------------------------------------------------


def _after_accept_url(user: User, school: School | None) -> str:
    if school is not None and school_roles(user, school) & SCHOOL_ADMIN_ROLES:
        try:
            return reverse("staff:checklist")
        except NoReverseMatch:
            return reverse("people:checklist")
    return "/"


def _signed_in_after_link(request, user: User, school: School | None, welcome: str):
    auth_login(request, user, backend="tenants.backends.PhoneOrUsernameBackend")
    request.session["_houqin_host"] = request_host(request)
    forget_memberships(user)
    messages.success(request, welcome)
    waiting = people_services.invitation_list_for(user=user).count()
    if waiting:
        messages.info(request, _("%(count)s more invitations wait for your answer under My invitations.")
                      % {"count": waiting})
    return HttpResponseRedirect(_after_accept_url(user, school))


def _password_form(user: User, data):
    form = SetPasswordForm(user, data)
    for field in form.fields.values():
        field.widget.attrs["class"] = "form-control"
    return form


@public_view
@never_cache
def invitation_accept(request, token: str):
    """Open a link: set a password (a new account, which accepts its invitation; a reset), or answer an
    invitation to join while signed in as its account."""
    from django.contrib.auth.views import redirect_to_login

    tenant = getattr(request, "tenant", None)
    school = tenant if isinstance(tenant, School) else None
    join = Invitation.objects.filter(token_hash=people_services.token_hash(token), purpose=InvitationPurpose.JOIN,
                                     school=school).select_related("user", "school", "bureau").first()
    if join is not None:
        # An account that exists: only its owner answers. Signed in as it, they accept or decline; signed out,
        # they sign in first, unless nobody has used the account yet (no password): then this link, which
        # went only to the owner's own phone and e-mail, sets the password and accepts.
        if not request.user.is_authenticated:
            if not people_services.join_link_sets_password(join):
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            form = _password_form(join.user, request.POST or None)
            if request.method == "POST" and form.is_valid():
                try:
                    user = people_services.invitation_join_accept_with_password(
                        token=token, school=school, password=form.cleaned_data["new_password1"])
                except ValidationError as exc:
                    return render(request, "tenants/people/invite_invalid.html",
                                  {"message": " ".join(exc.messages)}, status=410)
                where = join.school or join.bureau
                return _signed_in_after_link(request, user, school, _("Your password is set. You are now a member "
                                                                      "of %(where)s.") % {"where": where})
            return render(request, "tenants/people/accept.html", {
                "form": form, "invitation": join, "offer": join, "bare_layout": True,
            })
        if request.user.pk != join.user_id:
            return render(request, "tenants/people/invite_invalid.html", {
                "message": _("This invitation is for another account. Sign out, then sign in with the invited "
                             "account to answer it.")}, status=403)
        return _join_answer(request, join.pk, school)
    try:
        invitation = people_services.invitation_get(token=token, school=school,
                                                    purposes=people_services.PASSWORD_PURPOSES)
    except ValidationError as exc:
        return render(request, "tenants/people/invite_invalid.html", {"message": " ".join(exc.messages)}, status=410)
    form = _password_form(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = people_services.invitation_accept(token=token, school=school,
                                                     password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            return render(request, "tenants/people/invite_invalid.html", {"message": " ".join(exc.messages)},
                          status=410)
        return _signed_in_after_link(request, user, school,
                                     _("Your password is set. Welcome, %(name)s.") % {"name": user.display_name})
    return render(request, "tenants/people/accept.html", {
        "form": form, "invitation": invitation, "bare_layout": True,
        "offer": invitation if invitation.roles else None,
    })


def _join_answer(request, invitation_id: int, school: School | None):
    """The signed-in owner's answer to one invitation to join (GET shows it, POST accepts or declines)."""
    invitation = people_services.invitation_list_for(user=request.user).filter(pk=invitation_id).first()
    if invitation is None:
        return render(request, "tenants/people/invite_invalid.html", {
            "message": _("This invitation has already been answered, withdrawn or has expired.")}, status=410)
    if request.method != "POST":
        return render(request, "tenants/people/join.html", {"invitations": [invitation]})
    try:
        if request.POST.get("answer") == "accept":
            people_services.invitation_join_accept(invitation_id=invitation.pk, user=request.user)
            forget_memberships(request.user)
            where = invitation.school or invitation.bureau
            messages.success(request, _("You are now a member of %(where)s.") % {"where": where})
            if invitation.school is not None and invitation.school != school:
                # Stay on this host: the CSP's form-action 'self' stops a form's redirect to
                # another school's host, so the button seemed to do nothing; the message says where they are.
                return redirect("people:invitations")
            return HttpResponseRedirect("/")
        people_services.invitation_join_decline(invitation_id=invitation.pk, user=request.user)
        messages.info(request, _("Invitation declined."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("people:invitations")


@personal_view
@never_cache
def my_invitations(request):
    """My open invitations to join schools and bureaus, to accept or decline while signed in as myself."""
    tenant = getattr(request, "tenant", None)
    school = tenant if isinstance(tenant, School) else None
    if request.method == "POST":
        invitation_id = request.POST.get("invitation", "")
        if not invitation_id.isdigit():
            return redirect("people:invitations")
        return _join_answer(request, int(invitation_id), school)
    return render(request, "tenants/people/join.html", {
        "invitations": list(people_services.invitation_list_for(user=request.user)), "listing": True,
    })


@personal_view
def checklist_fallback(request):
    """When the school's own checklist page is not there: point to the people pages."""
    return render(request, "tenants/people/checklist_fallback.html", {})


# --- notification preferences and group robots ---------------------------------------------------


@personal_view
def notification_preferences(request):
    """Choose per kind: in the app only, also by e-mail at once, or in the daily digest."""
    user = request.user
    received = set(user.notifications.values_list("kind", flat=True).distinct()[:200])
    kinds = list(NOTIFICATION_KINDS) + sorted(k for k in received if k not in NOTIFICATION_KINDS)
    current = {p.kind: p.channel for p in user.notification_preferences.all()}
    if request.method == "POST":
        errors = []
        with transaction.atomic():
            for kind in kinds:
                channel = request.POST.get(f"kind:{kind}", NotificationChannel.IN_APP)
                if current.get(kind, NotificationChannel.IN_APP) == channel:
                    continue
                try:
                    notification_preference_set(user=user, kind=kind, channel=channel)
                except ValidationError as exc:
                    errors.extend(exc.messages)
            if errors:
                transaction.set_rollback(True)
        if errors:
            messages.error(request, " ".join(sorted(set(errors))))
        else:
            messages.success(request, _("Preferences saved."))
            return redirect("people:preferences")
    rows = [{"kind": k, "label": kind_label(k), "channel": current.get(k, NotificationChannel.IN_APP)} for k in kinds]
    return render(request, "tenants/people/preferences.html", {
        "rows": rows, "channels": NotificationChannel.choices, "email_enabled": settings.EMAIL_ENABLED,
        "has_email": bool(user.email),
    })


def _robot_place(request) -> Place:
    place = Place(request)
    if place.school is None:
        raise PermissionDenied
    return place


@place_view(write=True)
def robot_list(request):
    """The school's group robots and their latest deliveries."""
    place = _robot_place(request)
    if not place.roles & SCHOOL_ADMIN_ROLES:
        raise PermissionDenied
    form = RobotChannelForm(request.POST or None)
    if request.method == "POST":
        place.require_admin()
        if form.is_valid():
            try:
                robot_channel_create(school=place.school, **form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Group robot connected."))
                return redirect("people:robots")
    robots = RobotChannel.objects.filter(school=place.school)
    deliveries = NotificationDelivery.objects.filter(robot__school=place.school).select_related("robot")[:30]
    return render(request, "tenants/people/robots.html", {
        "place": place, "robots": robots, "deliveries": deliveries, "form": form,
    })


@place_view(write=True)
@require_POST
def robot_delete(request, robot_id: int):
    place = _robot_place(request)
    place.require_admin()
    robot_channel_delete(school=place.school, robot_id=robot_id)
    messages.success(request, _("Group robot removed."))
    return redirect("people:robots")


@place_view(write=True)
@require_POST
def robot_test(request, robot_id: int):
    """Post a test message now, to check the address and the signature."""
    from .notifications import DeliveryError, robot_post

    place = _robot_place(request)
    place.require_admin()
    robot = get_object_or_404(RobotChannel, school=place.school, pk=robot_id)
    try:
        robot_post(robot=robot, subject=str(_("Houqin test message")), body=place.school.name)
        messages.success(request, _("The robot accepted the test message."))
    except (DeliveryError, ValidationError) as exc:
        messages.error(request, _("The robot refused the message: %(error)s") % {"error": exc})
    return redirect("people:robots")


# --- platform: create a school and invite its principal -------------------------------------------


def _creator_bureaus(user):
    if is_platform_operator(user):
        return Bureau.objects.all()
    ids = [b.pk for b in bureaus_for(user) if bureau_roles(user, b) & BUREAU_SCHOOL_CREATORS]
    return Bureau.objects.filter(pk__in=ids)


def _platform_guard(request):
    if isinstance(getattr(request, "tenant", None), School):  # the platform pages live on the portal
        raise PermissionDenied
    bureaus = _creator_bureaus(request.user)
    if not bureaus.exists():
        raise PermissionDenied
    return bureaus


def _onboard_in_background(user, data: dict) -> None:
    """Check what can be checked now, then queue the provisioning (the invitation goes to the principal's own
    phone and e-mail)."""
    from .services import school_slug_validate
    from .tasks import school_onboard_task

    try:
        people_services.person_check(name=data["principal_name"], phone=data["principal_phone"],
                                     email=data["principal_email"])
    except ValidationError as exc:
        raise ValidationError({f"principal_{k}": v for k, v in exc.message_dict.items()}) from None
    slug = school_slug_validate(data["slug"])
    kwargs = {k: v for k, v in data.items() if k != "bureau"}
    kwargs.update(slug=slug, bureau_id=data["bureau"].pk, by_id=user.pk)
    transaction.on_commit(lambda: school_onboard_task.delay(**kwargs))


@platform_view
@never_cache
def platform_schools(request):
    """Schools the operator (or the bureau) onboards: list, create, invite the principal."""
    bureaus = _platform_guard(request)
    form = SchoolCreateForm(request.POST or None, bureaus=bureaus, initial={"bureau": bureaus.first()})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        in_background = data.pop("in_background", False)
        try:
            if in_background:
                _onboard_in_background(request.user, data)
                messages.success(request, _("School %(name)s is being prepared; an invitation will be sent to its "
                                            "principal's phone number.") % {"name": data["name"]})
                return redirect("platform:schools")
            school, added = people_services.school_onboard(by=request.user, **data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("School %(name)s is ready at %(host)s.") % {"name": school.name,
                                                                                     "host": school.host})
            messages.success(request, INVITED_MESSAGE)
            return redirect("platform:schools")
    schools = School.objects.filter(bureau__in=bureaus).exclude(schema_name="public").select_related("bureau")
    principals = {
        m.school_id: m.user for m in Membership.objects.active().filter(role=Role.PRINCIPAL, school__in=schools)
        .select_related("user")
    }
    # Principals invited and not yet accepted, by the name typed (new accounts and existing ones alike).
    pending = {
        i.school_id: i for i in Invitation.objects.filter(
            school__in=schools, purpose__in=people_services.OFFER_PURPOSES, roles__contains=[Role.PRINCIPAL],
            used_at__isnull=True, expires_at__gt=timezone.now()).order_by("created_at", "id")
    }
    rows = [(s, principals.get(s.pk), pending.get(s.pk)) for s in schools.order_by("bureau__name", "name")]
    return render(request, "tenants/platform/schools.html", {"form": form, "rows": rows})


@platform_view
@require_POST
@never_cache
def platform_principal_link(request, slug: str):
    """The "link" action for a school's principal still invited: shown only for an account the school's
    invitation made that has never signed in and belongs nowhere else; otherwise it went to their phone."""
    bureaus = _platform_guard(request)
    school = get_object_or_404(School.objects.filter(bureau__in=bureaus), slug=slug)
    invitation = people_services.principal_pending(school=school)
    if invitation is None:
        messages.error(request, _("This invitation is no longer open."))
        return redirect("platform:schools")
    issued = people_services.invitation_link_issue(invitation_id=invitation.pk, by=request.user, school=school,
                                                   bureau=None)
    if issued is None:
        messages.info(request, INVITATION_LINK_NOT_SHOWN)
        return redirect("platform:schools")
    return render(request, "tenants/people/links.html", {"issued": [issued], "school": school})


@platform_view
@never_cache
def platform_principal_invite(request, slug: str):
    """Invite (or re-invite) a school's principal; the link is shown to pass on when e-mail is off."""
    bureaus = _platform_guard(request)
    school = get_object_or_404(School.objects.filter(bureau__in=bureaus), slug=slug)
    form = PersonInviteForm(request.POST or None, roles=[Role.PRINCIPAL], initial={"post": "校长"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = people_services.principal_invite(school=school, by=request.user, name=data["name"],
                                                     phone=data["phone"], email=data["email"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if added.invitation is not None:
                messages.success(request, INVITED_MESSAGE)
                return redirect("platform:schools")
            if added.link is None:
                messages.info(request, _("%(name)s is principal here already.") % {"name": added.name})
                messages.info(request, LINK_NOT_SHOWN)
                return redirect("platform:schools")
            return render(request, "tenants/people/links.html", {"issued": [added.link], "school": school})
    return render(request, "tenants/platform/invite.html", {"form": form, "school": school})


@platform_view
def platform_bureaus(request):
    """The platform operator's list of bureaus, and a form to add one."""
    from .forms import BureauCreateForm
    from .services import bureau_create

    if isinstance(getattr(request, "tenant", None), School) or not is_platform_operator(request.user):
        raise PermissionDenied
    form = BureauCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            bureau = bureau_create(**form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Bureau %(name)s added.") % {"name": bureau.name})
            return redirect("platform:bureaus")
    from django.db.models import Count

    bureaus = Bureau.objects.annotate(school_count=Count("schools")).order_by("name")
    return render(request, "tenants/platform/bureaus.html", {"form": form, "bureaus": bureaus})


@public_view
def password_help(request):
    """"Forgot your password?": the same answer whether or not the phone is known."""
    from .forms import PasswordHelpForm

    tenant = getattr(request, "tenant", None)
    school = tenant if isinstance(tenant, School) else None
    form = PasswordHelpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Per client address on every host together: another school's host gives no fresh tries.
        key = f"password-help:{_client_ip(request)}"
        with schema_context("public"):
            tries = cache.get(key, 0)
            cache.set(key, tries + 1, timeout=3600)
        if tries < settings.LOGIN_FAILURE_LIMIT:
            people_services.password_help_request(phone=form.cleaned_data["phone"], school=school)
        return render(request, "tenants/people/password_help_sent.html", {"bare_layout": True})
    return render(request, "tenants/people/password_help.html", {"form": form, "bare_layout": True})
