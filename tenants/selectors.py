"""Reads of the public schema that a school's pages and resolvers need: who is a person of this school.

A form, a mutation or an import that names a person (a borrower, an acceptance member, a hazard's responsible
person, a work order's worker, a room's custodian …) takes them only through `member_get_for` or a choice list
from `member_list_for`: users live in the public schema, so a plain `User.objects` read would let a school put
anyone of the whole platform on its records, and its answer would tell which accounts exist elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .access import can_read_school
from .models import Membership, School, User

NOT_A_MEMBER = _("This person is not a member of this school.")


class PersonNotFound(ObjectDoesNotExist):
    """The person named is not an active member of this school: raised alike for an account of another school,
    a switched-off one and one that does not exist, so the answer tells nothing about accounts elsewhere."""

    def __init__(self, message: str | None = None):
        super().__init__(message or gettext(NOT_A_MEMBER))


def member_list_for(
    *, actor: User | None, school: School | None, roles: Iterable[str] | None = None, keep: Iterable[int] = ()
) -> QuerySet[User]:
    """Active people with an active membership at this school (holding one of `roles` if given), by name.

    `actor` is the person asking (None for a partner token or a form its view has already checked): someone who
    may not read the school gets no one. `keep` adds the ids a record already names, so that editing a record
    whose custodian has since left saves unchanged; it never adds anyone the record does not name.
    """
    if school is None or school.is_public or (actor is not None and not can_read_school(actor, school)):
        return User.objects.none()
    memberships = Membership.objects.active().filter(school=school)
    if roles is not None:
        memberships = memberships.filter(role__in=sorted(roles))
    here = Q(pk__in=memberships.values("user_id"), is_active=True)
    kept = [int(pk) for pk in keep if pk is not None]
    if kept:
        here |= Q(pk__in=kept)
    return User.objects.filter(here).order_by("name", "username", "pk")


def member_get_for(
    *,
    actor: User | None,
    school: School | None,
    user_id: int | str | None = None,
    username: str | None = None,
    roles: Iterable[str] | None = None,
) -> User:
    """The person of this school with this id or username (any case); PersonNotFound otherwise.

    The error is the same whether the account belongs to another school or bureau, is switched off, or does
    not exist at all: a school learns nothing about accounts it does not hold.
    """
    people = member_list_for(actor=actor, school=school, roles=roles)
    if user_id is not None and str(user_id).strip().isdigit():
        found = people.filter(pk=int(str(user_id).strip())).first()
    elif user_id is None and username and username.strip():
        name = username.strip()
        matches = list(people.filter(username__iexact=name)[:2])
        # Usernames are matched in any case (as at sign-in); an exact spelling wins if two differ only in case.
        found = next((u for u in matches if u.username == name), matches[0] if matches else None)
    else:
        found = None
    if found is None:
        raise PersonNotFound
    return found
