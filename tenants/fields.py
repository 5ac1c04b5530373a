"""Model fields that a school's tables use to point at the public schema."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def user_fk(**kwargs) -> models.ForeignKey:
    """A school row's link to a person (public `tenants_user`), kept by the application, not by a constraint.

    A foreign-key constraint puts two triggers on the *referenced* table. Every school schema has ~60
    links to users, so with 1,000 schools `tenants_user` would carry 120,000 triggers: each update of a
    user (a sign-in sets last_login) walks all of them, each new connection loads them all, and each new
    school's constraints rebuild that list again and again, so provisioning and the generator grow with
    the square of the number of schools (`./dev bench generator`, infra/SCALING.md). Users are never
    deleted (a trigger on `tenants_user` refuses it; people leave by deactivation), so a link cannot
    dangle; `tests/tenants/test_user_links.py` keeps every school-to-public link constraint-free.
    """
    return models.ForeignKey(settings.AUTH_USER_MODEL, db_constraint=False, **kwargs)


def school_links_to_public(*, with_history: bool = True) -> list[models.Field]:
    """Every relation a school-schema model declares towards a public-schema model (`with_history=False`
    leaves out pghistory's event tables, whose copies of the links never had constraints)."""
    from django.apps import apps
    from pghistory.models import Event

    def label(app: str) -> str:
        return app.split(".")[-1]

    public_only = {label(a) for a in settings.SHARED_APPS} - {label(a) for a in settings.TENANT_APPS}
    links = []
    for app in settings.TENANT_APPS:
        if app in settings.SHARED_APPS:
            continue
        for model in apps.get_app_config(label(app)).get_models():
            if not with_history and issubclass(model, Event):
                continue
            links += [f for f in model._meta.concrete_fields
                      if f.is_relation and f.related_model is not None
                      and f.related_model._meta.app_label in public_only]
    return links
