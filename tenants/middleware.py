"""Host routing: the base domain is the bureau/platform portal, `<slug>.<base>` is a school."""

from __future__ import annotations

from django.conf import settings
from django.core.signals import request_finished
from django.db import connection
from django.template.response import TemplateResponse
from django.urls import set_urlconf
from django.utils.deprecation import MiddlewareMixin
from pghistory.middleware import HistoryMiddleware

from config.logs import bind_request_id, sane_request_id, unbind_request_id

from .models import Domain, SchoolStatus

# Paths a suspended (read-only) school still accepts writes on: signing in and out, GraphQL
# (whose mutations check read-only themselves) and the language switch.
READ_ONLY_EXEMPT_PREFIXES = ("/accounts/", "/graphql/", "/i18n/")


def request_host(request) -> str:
    return request.get_host().split(":")[0].lower().rstrip(".")


def _not_found(request):
    response = TemplateResponse(request, "404.html", {"unknown_host": True}, status=404)
    return response.render()


class TenantRoutingMiddleware(MiddlewareMixin):
    """Set the schema and URLconf from the Host header, with one tenant lookup per request."""

    def process_request(self, request):
        _public_readable_without_set()
        host = request_host(request)
        base = settings.BASE_DOMAIN
        # On the portal the "tenant" is django-tenants' public stand-in (its admin templates read it);
        # code asks isinstance(request.tenant, School) to know it is on a school's host.
        request.tenant = connection.tenant
        if host == base or host in ("127.0.0.1", f"www.{base}"):
            _public_for_the_request()
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return None
        if not host.endswith(f".{base}"):
            _public_for_the_request()
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return _not_found(request)
        domain = (
            Domain.objects.select_related("tenant", "tenant__bureau").filter(domain=host).first()
        )
        if domain is None or domain.tenant.status == SchoolStatus.ARCHIVED:
            _public_for_the_request()
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            set_urlconf(request.urlconf)
            return _not_found(request)
        school = domain.tenant
        connection.set_tenant(school)
        request.tenant = school
        request.urlconf = settings.ROOT_URLCONF
        set_urlconf(request.urlconf)
        if (
            school.is_read_only
            and request.method not in ("GET", "HEAD", "OPTIONS")
            and not request.path.startswith(READ_ONLY_EXEMPT_PREFIXES)
        ):
            response = TemplateResponse(request, "403.html", {"read_only": True}, status=403)
            return response.render()
        return None

    def process_response(self, request, response):
        # Leave the pooled connection on the public schema between requests (lazily: the SET is
        # issued by the next query that needs it), remembering the path the session really holds.
        connection._houqin_session_path = (connection.connection, connection.search_path_set_schemas)
        connection.set_schema_to_public()
        return response


def _public_readable_without_set() -> None:
    """Let the Domain lookup run without a `SET search_path` of its own: one SET per request.

    The tenants tables exist only in public, and every path this project sets ends with public, so
    on a pooled connection whose session already reaches public the lookup reads the right table
    whatever school the previous request left. A fresh connection sets public first.
    """
    stored = getattr(connection, "_houqin_session_path", None)
    connection._houqin_session_path = None
    # A path recorded since the last request is what the session holds now (set after a real SET);
    # otherwise the one the last request left, if this is still the same database session.
    path = connection.search_path_set_schemas
    if path is None and stored and stored[0] is not None and stored[0] is connection.connection:
        path = stored[1]
    connection.set_schema_to_public()
    if path and "public" in path and connection.connection is not None:
        connection.search_path_set_schemas = path


def _public_for_the_request() -> None:
    """The request stays on public: make sure its queries do not run on a path left by a school."""
    if connection.search_path_set_schemas not in (None, ["public"]):
        connection.set_schema_to_public()


class HostBoundSessionMiddleware(MiddlewareMixin):
    """A session belongs to the host it was first used on; replayed on another host it is refused."""

    def process_request(self, request):
        if not request.user.is_authenticated:
            return
        host = request_host(request)
        bound = request.session.get("_houqin_host")
        if bound is None:
            request.session["_houqin_host"] = host
        elif bound != host:
            # Do not flush the victim's session on the other host: only refuse it here.
            from django.contrib.auth.models import AnonymousUser

            request.user = AnonymousUser()
            request._houqin_foreign_session = True
        return

    def process_response(self, request, response):
        if getattr(request, "_houqin_foreign_session", False):
            # Never let this host rewrite or extend a session cookie that belongs to another host.
            request.session.modified = False
            request.session.accessed = False
        return response


class RequestIdMiddleware:
    """Give every request an id, echoed in the response, on every log line and in history rows.

    The caller's X-Request-ID when it is a sane value, else a new one (config.logs). First in
    MIDDLEWARE, so every line of the request carries it; the id stays bound until the request
    finishes, so Django's own closing line (``Not Found: …``) carries it too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = sane_request_id(request.headers.get("X-Request-ID"))
        bind_request_id(request.request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


def _request_finished(**kwargs):
    unbind_request_id()


request_finished.connect(_request_finished, dispatch_uid="houqin_request_id_unbind")


class HistoryContextMiddleware(HistoryMiddleware):
    """pghistory context of a write request: the acting user, the URL and the request id."""

    def get_context(self, request):
        context = super().get_context(request)
        context["request_id"] = getattr(request, "request_id", "")
        return context
