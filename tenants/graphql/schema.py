from __future__ import annotations

from dataclasses import dataclass

import strawberry
import strawberry_django
from django.db.models import Prefetch
from django.utils import timezone
from strawberry.types import Info

from api.errors import Code, HouqinGraphQLError
from api.filters import filtered
from api.permissions import (
    PARTNER_MUTATION,
    current_partner,
    current_partner_name,
    current_school,
    refuse_partners,
    require_authenticated,
    require_school_reader,
    require_school_role,
)
from tenants import people as people_services
from tenants.access import bureau_roles, bureaus_for, is_platform_operator, school_roles
from tenants.models import Bureau, Membership, Notification, School, User
from tenants.notifications import (
    NOTIFICATION_KINDS,
    kind_label,
    notification_mark_read,
    notification_preference_set,
)
from tenants.roles import (
    BUREAU_ADMIN_ROLES,
    BUREAU_PERMISSIONS,
    PHONE_VISIBLE_ROLES,
    SCHOOL_ADMIN_ROLES,
    SCHOOL_PERMISSIONS,
    Role,
)

from . import filters as F
from .enums import RobotProvider
from .types import (
    BureauType,
    DeactivationType,
    InvitationLinkType,
    InvitationSentType,
    InvitationToJoinType,
    NotificationPreferenceType,
    NotificationType,
    OpenTaskType,
    PersonType,
    RobotChannelType,
    RolePermissionType,
    SchoolType,
    ViewerType,
)


@dataclass
class _Place:
    school: School | None
    bureau: Bureau | None
    actor: User | None

    def memberships(self):
        return Membership.objects.active().filter(school=self.school, bureau=self.bureau)

    def person(self, user_id) -> User:
        ids = Membership.objects.filter(school=self.school, bureau=self.bureau).values("user_id")
        person = User.objects.filter(pk__in=ids, pk=int(user_id)).first() if str(user_id).isdigit() else None
        if person is None:
            raise HouqinGraphQLError("No such person here.", Code.NOT_FOUND)
        person.here = list(self.memberships().filter(user=person).order_by("role"))
        return person


def _place(info: Info, *, write: bool, partner_scope: str | None = None) -> _Place:
    """Where a people field acts (this school, or the caller's bureau) after checking the caller.

    Roles and invitations are for the school's administrators: never a token (partner_scope None). Only a
    write that names `partner_scope` lets a partner holding it through.
    """
    school = current_school(info)
    request = info.context.request
    partner = current_partner(info)
    if school is not None:
        if write:
            require_school_role(info, SCHOOL_ADMIN_ROLES, scope=partner_scope)
        else:
            require_school_reader(info, scope="people:read")
        user = None if partner is not None else request.user
        request._houqin_show_phone = user is not None and bool(school_roles(user, school) & PHONE_VISIBLE_ROLES)
        return _Place(school=school, bureau=None, actor=user)
    user = require_authenticated(info)
    if partner is not None:
        raise HouqinGraphQLError("Partners act in schools only.", Code.FORBIDDEN)
    bureau = bureaus_for(user).order_by("name").first()
    if bureau is None:
        raise HouqinGraphQLError("You are not a member of a bureau.", Code.FORBIDDEN)
    if write and not (bureau_roles(user, bureau) & BUREAU_ADMIN_ROLES or is_platform_operator(user)):
        raise HouqinGraphQLError("Your role here does not allow this.", Code.FORBIDDEN)
    request._houqin_show_phone = True
    return _Place(school=None, bureau=bureau, actor=user)


def _link(issued, person: User | None = None) -> InvitationLinkType:
    return InvitationLinkType(
        name=issued.name,
        login=issued.login,
        person=person,  # type: ignore[arg-type]
        url=issued.url,
        expires_at=timezone.localtime(issued.invitation.expires_at).isoformat(),
    )


def _sent(invitation) -> InvitationSentType:
    """An invitation as its inviter may see it: what they typed and offered, never the account or the link."""
    return InvitationSentType(
        invitation_id=strawberry.ID(str(invitation.pk)),
        name=invitation.invited_name,
        login=invitation.invited_phone,
        roles=list(invitation.roles),
        post=invitation.post,
        expires_at=timezone.localtime(invitation.expires_at).isoformat(),
    )


def _invitation_id(invitation_id) -> int:
    if not str(invitation_id).isdigit():
        raise HouqinGraphQLError("No such invitation.", Code.NOT_FOUND)
    return int(invitation_id)


def _to_join(invitation) -> InvitationToJoinType:
    return InvitationToJoinType(
        invitation_id=strawberry.ID(str(invitation.pk)),
        school_name=invitation.school.name if invitation.school_id else None,
        bureau_name=invitation.bureau.name if invitation.bureau_id else None,
        roles=list(invitation.roles),
        post=invitation.post,
        invited_by=invitation.created_by.display_name if invitation.created_by_id else "",
        expires_at=timezone.localtime(invitation.expires_at).isoformat(),
    )


@strawberry.type
class TenantsQuery:
    @strawberry.field(description="The signed-in person and where they may act.")
    def viewer(self, info: Info) -> ViewerType:
        user = require_authenticated(info)
        memberships = Membership.objects.active().filter(user=user).select_related("school", "bureau")
        return ViewerType(
            username=user.username,
            name=user.display_name,
            memberships=list(memberships),  # type: ignore[misc]
        )

    @strawberry.field(description="The school of this host (school hosts only).")
    def school(self, info: Info) -> SchoolType:
        return require_school_reader(info)  # type: ignore[return-value]

    @strawberry.field(description="The caller's bureau (bureau host only).")
    def bureau(self, info: Info, code: str | None = None) -> BureauType:
        user = require_authenticated(info)
        if current_school(info) is not None:
            raise HouqinGraphQLError("This field is served on the bureau host only.", Code.WRONG_HOST)
        bureaus = bureaus_for(user)
        if code:
            bureaus = bureaus.filter(code=code)
        bureau = bureaus.order_by("name").first()
        if bureau is None:
            raise HouqinGraphQLError("You are not a member of this bureau.", Code.FORBIDDEN)
        return bureau  # type: ignore[return-value]

    @strawberry_django.connection(
        strawberry_django.relay.ListConnectionWithTotalCount[PersonType],
        description="People of this school (or of the caller's bureau on the bureau host) with their roles.",
    )
    @filtered(F.PersonFilter, F.PersonOrder)
    def person_list(self, info: Info, search: str | None = None, include_left: bool = False) -> list[PersonType]:
        place = _place(info, write=False)
        ids = (Membership.objects.filter if include_left else place.memberships().filter)(
            school=place.school, bureau=place.bureau
        ).values("user_id")
        users = User.objects.filter(pk__in=ids)
        if search:
            users = users.filter(name__icontains=search)
        here = Prefetch("memberships", queryset=place.memberships().order_by("role"), to_attr="here")
        return users.prefetch_related(here).order_by("name", "pk")  # type: ignore[return-value]

    @strawberry.field(description="One person here, by id.")
    def person(self, info: Info, id: strawberry.ID) -> PersonType:
        return _place(info, write=False).person(id)  # type: ignore[return-value]

    @strawberry.field(description="Who may do what: the role matrix of schools (or of bureaus on the bureau host).")
    def role_matrix(self, info: Info) -> list[RolePermissionType]:
        place = _place(info, write=False)
        table = SCHOOL_PERMISSIONS if place.school is not None else BUREAU_PERMISSIONS
        order = list(Role)
        return [
            RolePermissionType(key=key, label=str(label), roles=sorted(allowed, key=order.index))
            for key, label, allowed in table
        ]

    @strawberry_django.connection(
        strawberry_django.relay.ListConnectionWithTotalCount[NotificationType],
        description="My notifications, newest first.",
    )
    @filtered(F.NotificationFilter, F.NotificationOrder)
    def notification_list(self, info: Info, unread_only: bool = False) -> list[NotificationType]:
        user = require_authenticated(info)
        if current_partner(info) is not None:
            return Notification.objects.none()  # type: ignore[return-value]
        qs = Notification.objects.filter(recipient=user)
        if unread_only:
            qs = qs.filter(read_at__isnull=True)
        return qs.order_by("-created_at", "-id")  # type: ignore[return-value]

    @strawberry.field(description="How many of my notifications are unread (the bell).")
    def unread_notification_count(self, info: Info) -> int:
        user = require_authenticated(info)
        if current_partner(info) is not None:
            return 0
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

    @strawberry.field(description="The school's group robots (administrators only).")
    def robot_channel_list(self, info: Info) -> list[RobotChannelType]:
        from tenants.models import RobotChannel

        return list(RobotChannel.objects.filter(school=_robots_school(info)))  # type: ignore[return-value]

    @strawberry.field(description="Invitations to this school (or bureau) waiting for their owners, new accounts "
                                  "and existing ones alike, by the name and phone typed (administrators).")
    def invitation_pending_list(self, info: Info) -> list[InvitationSentType]:
        place = _place(info, write=True)
        return [_sent(i) for i in people_services.invitation_pending_for_place(school=place.school,
                                                                               bureau=place.bureau)[:2000]]

    @strawberry.field(description="My open invitations to join schools and bureaus (I accept or decline them).")
    def invitation_list(self, info: Info) -> list[InvitationToJoinType]:
        refuse_partners(info)  # an invitation is answered by its owner, never by a token
        user = require_authenticated(info)
        return [_to_join(i) for i in people_services.invitation_list_for(user=user)]

    @strawberry.field(description="How I receive each kind of notification.")
    def notification_preferences(self, info: Info) -> list[NotificationPreferenceType]:
        user = require_authenticated(info)
        if current_partner(info) is not None:
            raise HouqinGraphQLError("Only people have notification preferences.", Code.FORBIDDEN)
        current = dict(user.notification_preferences.values_list("kind", "channel"))
        kinds = list(NOTIFICATION_KINDS) + sorted(k for k in current if k not in NOTIFICATION_KINDS)
        return [NotificationPreferenceType(kind=k, label=kind_label(k), channel=current.get(k, "in_app")) for k in kinds]


def _robots_school(info: Info, *, write: bool = False) -> School:
    """The school whose group robots an administrator sees (a token with people:write too) or changes (people
    only: connecting a robot is a setting of the school)."""
    return require_school_role(info, SCHOOL_ADMIN_ROLES, scope=None if write else "people:write")


@strawberry.input
class PersonInviteInput:
    name: str
    phone: str
    role: str
    email: str = ""
    post: str = ""


@strawberry.input
class SchoolOnboardInput:
    bureau_code: str
    name: str
    slug: str
    principal_name: str
    principal_phone: str
    principal_email: str = ""
    student_count: int = 0
    staff_count: int = 0
    kind: str = strawberry.field(default="", description="primary, junior, senior, nine_year, complete or "
                                                       "kindergarten; empty when not recorded.")
    boarding: bool = strawberry.field(default=False, description="A boarding school (寄宿制).")


@strawberry.type
class SchoolOnboardedType:
    """A new school and the invitation sent to its principal (to their own phone and e-mail)."""

    school: SchoolType
    invitation: InvitationSentType


def _onboarding_bureau(info: Info, code: str) -> Bureau:
    """The bureau the caller may create schools in (platform operators: any; bureau leaders, logistics: theirs)."""
    from tenants.roles import BUREAU_SCHOOL_CREATORS

    refuse_partners(info)
    user = require_authenticated(info)
    if current_school(info) is not None:
        raise HouqinGraphQLError("Schools are onboarded on the bureau host by people.", Code.FORBIDDEN)
    bureau = Bureau.objects.filter(code=code).first()
    if bureau is None or not (is_platform_operator(user) or bureau_roles(user, bureau) & BUREAU_SCHOOL_CREATORS):
        raise HouqinGraphQLError("You may not create schools in this bureau.", Code.FORBIDDEN)
    return bureau


@strawberry.type
class TenantsMutation:
    @strawberry.mutation(description="Create a school (schema cloned from the template) and invite its principal.")
    def school_onboard(self, info: Info, data: SchoolOnboardInput) -> SchoolOnboardedType:
        bureau = _onboarding_bureau(info, data.bureau_code)
        school, added = people_services.school_onboard(
            bureau=bureau, by=info.context.request.user, name=data.name, slug=data.slug,
            principal_name=data.principal_name, principal_phone=data.principal_phone,
            principal_email=data.principal_email, student_count=data.student_count, staff_count=data.staff_count,
            kind=data.kind, boarding=data.boarding,
        )
        return SchoolOnboardedType(school=school, invitation=_sent(added.invitation))  # type: ignore[arg-type]


    @strawberry.mutation(description="Mark my notifications read (all of them when no ids are given).")
    def notification_mark_read(self, info: Info, ids: list[strawberry.ID] | None = None) -> int:
        refuse_partners(info)  # a token has no notifications
        user = require_authenticated(info)
        parsed = None if ids is None else [int(i) for i in ids if str(i).isdigit()]
        return notification_mark_read(user=user, notification_ids=parsed)

    @strawberry.mutation(description="Choose how one kind reaches me: in_app, email or digest.")
    def notification_preference_set(self, info: Info, kind: str, channel: str) -> NotificationPreferenceType:
        refuse_partners(info)  # only people have notification preferences
        user = require_authenticated(info)
        pref = notification_preference_set(user=user, kind=kind, channel=channel)
        return NotificationPreferenceType(kind=pref.kind, label=kind_label(pref.kind), channel=pref.channel)

    @strawberry.mutation(description="Give a person here a further role (a person may hold several).")
    def role_grant(self, info: Info, person_id: strawberry.ID, role: str, post: str = "") -> PersonType:
        place = _place(info, write=True)
        person = place.person(person_id)
        people_services.member_role_grant(user=person, role=role, school=place.school, bureau=place.bureau,
                                          post=post, by=place.actor)
        return place.person(person_id)  # type: ignore[return-value]

    @strawberry.mutation(description="Remove one role of a person here.")
    def role_revoke(self, info: Info, person_id: strawberry.ID, role: str) -> PersonType:
        place = _place(info, write=True)
        person = place.person(person_id)
        people_services.role_revoke(user=person, role=role, school=place.school, bureau=place.bureau,
                                    by=place.actor)
        return place.person(person_id)  # type: ignore[return-value]

    @strawberry.mutation(description="Invite a person with a first role. The answer is the same whether or not the "
                                     "phone (or e-mail) has an account: an invitation, sent with its link to the "
                                     "person's own phone and e-mail only, that makes them a member when they "
                                     "accept (a new account's owner by setting the password). Null only when the "
                                     "person is a member here already (then the role is added).")
    def person_invite(self, info: Info, data: PersonInviteInput) -> InvitationSentType | None:
        place = _place(info, write=True)
        added = people_services.person_add(
            name=data.name, phone=data.phone, email=data.email, role=data.role, post=data.post,
            school=place.school, bureau=None if place.school else place.bureau, by=place.actor,
        )
        if added.invitation is None:
            return None
        return _sent(added.invitation)

    @strawberry.mutation(description="Send a waiting invitation again, to the person's own phone and e-mail (a new "
                                     "link replaces the old one).")
    def invitation_resend(self, info: Info, invitation_id: strawberry.ID) -> InvitationSentType:
        place = _place(info, write=True)
        return _sent(people_services.invitation_resend(invitation_id=_invitation_id(invitation_id), by=place.actor,
                                                       school=place.school, bureau=place.bureau))

    @strawberry.mutation(description="A link to print or pass on for a waiting invitation. Returned only for an "
                                     "account this place made that has never signed in and belongs nowhere else "
                                     "(it replaces the link sent before); otherwise null and nothing changes.")
    def invitation_link(self, info: Info, invitation_id: strawberry.ID) -> InvitationLinkType | None:
        place = _place(info, write=True)
        issued = people_services.invitation_link_issue(invitation_id=_invitation_id(invitation_id), by=place.actor,
                                                       school=place.school, bureau=place.bureau)
        return None if issued is None else _link(issued)

    @strawberry.mutation(description="Withdraw a waiting invitation.")
    def invitation_withdraw(self, info: Info, invitation_id: strawberry.ID) -> bool:
        place = _place(info, write=True)
        people_services.invitation_withdraw(invitation_id=_invitation_id(invitation_id), school=place.school,
                                            bureau=place.bureau)
        return True

    @strawberry.mutation(description="A new one-time link for a member to set or reset their password. Returned "
                                     "only for an account this place made that has never signed in and belongs "
                                     "nowhere else; otherwise it goes to the owner's own phone and e-mail and null "
                                     "is returned.")
    def person_link(self, info: Info, person_id: strawberry.ID) -> InvitationLinkType | None:
        place = _place(info, write=True)
        person = place.person(person_id)
        if not person.here:
            raise HouqinGraphQLError("This person holds no role here.", Code.BAD_USER_INPUT)
        issued = people_services.password_link_issue(user=person, by=place.actor, school=place.school,
                                                     bureau=place.bureau)
        return None if issued is None else _link(issued, person)

    @strawberry.mutation(description="Accept (or decline) one of my invitations to join, as the invited account.")
    def invitation_answer(self, info: Info, invitation_id: strawberry.ID, accept: bool) -> bool:
        refuse_partners(info)  # an invitation is answered by its owner, never by a token
        user = require_authenticated(info)
        if accept:
            people_services.invitation_join_accept(invitation_id=_invitation_id(invitation_id), user=user)
        else:
            people_services.invitation_join_decline(invitation_id=_invitation_id(invitation_id), user=user)
        return True

    @strawberry.mutation(description="End a person's access here at once (sessions too); lists their open work. "
                                     "A partner with people:write (the district's HR system) ends the access of "
                                     "leavers, never of the school's administrators; its name is kept.",
                         metadata=PARTNER_MUTATION)
    def person_deactivate(self, info: Info, person_id: strawberry.ID) -> DeactivationType:
        place = _place(info, write=True, partner_scope="people:write")
        person = place.person(person_id)
        tasks = people_services.open_tasks_for(user=person, school=place.school) if place.school else []
        result = people_services.person_deactivate(user=person, by=place.actor, school=place.school,
                                                   bureau=None if place.school else place.bureau,
                                                   partner_name=current_partner_name(info))
        return DeactivationType(
            memberships_ended=result["memberships"],
            user_deactivated=result["user_deactivated"],
            sessions_ended=result["sessions"],
            open_tasks=[OpenTaskType(module=str(t.get("module", "")), label=str(t.get("label", "")),
                                     url=str(t.get("url", ""))) for t in tasks],
        )

    @strawberry.mutation(description="Connect a DingTalk or WeCom group robot to the school's notifications.")
    def robot_channel_create(self, info: Info, name: str, provider: RobotProvider, webhook_url: str, secret: str = "",
                             kinds: list[str] | None = None) -> RobotChannelType:
        from tenants.notifications import robot_channel_create

        school = _robots_school(info, write=True)
        return robot_channel_create(school=school, name=name, provider=provider,  # type: ignore[return-value]
                                    webhook_url=webhook_url, secret=secret, kinds=kinds or [])

    @strawberry.mutation(description="Disconnect a group robot.")
    def robot_channel_delete(self, info: Info, robot_id: strawberry.ID) -> bool:
        from tenants.notifications import robot_channel_delete

        school = _robots_school(info, write=True)
        if not str(robot_id).isdigit():
            raise HouqinGraphQLError("No such robot here.", Code.NOT_FOUND)
        robot_channel_delete(school=school, robot_id=int(robot_id))
        return True

    @strawberry.mutation(description="Add a district education bureau (platform operators).")
    def bureau_create(self, info: Info, name: str, code: str, region: str = "") -> BureauType:
        from tenants.services import bureau_create

        refuse_partners(info)
        user = require_authenticated(info)
        if not is_platform_operator(user):
            raise HouqinGraphQLError("Only the platform operator adds bureaus.", Code.FORBIDDEN)
        return bureau_create(name=name, code=code, region=region)  # type: ignore[return-value]

    @strawberry.mutation(description="Set a password with a one-time link's token (no sign-in needed).")
    def invitation_accept(self, info: Info, token: str, password: str) -> bool:
        refuse_partners(info)  # a person sets their own password; a token never does
        people_services.invitation_accept(token=token, school=current_school(info), password=password)
        return True
