from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _remember_session(sender, request, user, **kwargs) -> None:
    from .people import session_record

    session = getattr(request, "session", None)
    if session is not None and session.session_key is None:
        session.save()  # a flushed session (another user signed in before) gets its key now
    try:
        host = request.get_host().split(":")[0].lower()
    except Exception:  # a request built by the test client's force_login has no host
        host = ""
    session_record(user=user, session_key=getattr(session, "session_key", None), host=host)


def _forget_session(sender, request, user, **kwargs) -> None:
    from .models import UserSession

    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        UserSession.objects.filter(session_key=key).delete()


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Tenancy and people")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        # Not business flow: bookkeeping so a leaver's sessions can be deleted at once.
        user_logged_in.connect(_remember_session, dispatch_uid="houqin-remember-session")
        user_logged_out.connect(_forget_session, dispatch_uid="houqin-forget-session")

        from .notifications import notification_kind_register

        # What the nightly history check sends the operators and the bureaus (tenants/integrity.py).
        notification_kind_register("history_tampered", _("History check problems"))
        notification_kind_register("history", _("Daily history seal heads"))
