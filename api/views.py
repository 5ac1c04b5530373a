"""/graphql/ on every host: a school's host serves that school, the base domain the bureau."""

from __future__ import annotations

import json
import logging

import pghistory
from django.conf import settings
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from graphql import OperationDefinitionNode, parse

from .auth import InvalidToken, authenticate_request
from .errors import Code
from .limits import rate_limit_of
from .schema import schema


def _error(message: str, code: str, status: int, **extra) -> JsonResponse:
    return JsonResponse({"data": None, "errors": [{"message": message, "extensions": {"code": code, **extra}}]},
                        status=status)


def _operation_count(query: object) -> int:
    """Operations in a document (0 when it does not parse: strawberry reports that itself)."""
    if not isinstance(query, str):
        return 0
    try:
        document = parse(query, max_tokens=settings.GRAPHQL_MAX_TOKENS)
    except Exception:  # noqa: BLE001 - a syntax error is reported by strawberry with its own code
        return 0
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


_csrf_logger = logging.getLogger("django.security.csrf")


class _CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check answering the reason of a refusal (or None), without logging it.

    Django logs every refusal as a warning; here a refusal matters only for a signed-in caller.
    """

    def _reject(self, request, reason):
        return reason


class HouqinGraphQLView(GraphQLView):
    graphql_ide = "graphiql"

    def dispatch(self, request, *args, **kwargs):
        # One operation per request: a batch (a JSON list) or a document with several operations
        # is refused before anything runs.
        query = request.GET.get("query")
        if request.method == "POST" and request.content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                body = None
            if isinstance(body, list):
                return _error("Send one operation per request.", Code.ONE_OPERATION, 400)
            if isinstance(body, dict):
                query = body.get("query")
        if _operation_count(query) > 1:
            return _error("Send one operation per request.", Code.ONE_OPERATION, 400)
        # Partners: a bearer token, checked on every request (a revoked token fails at once).
        try:
            partner = authenticate_request(request)
        except InvalidToken as exc:
            response = _error("The token is not valid.", Code.UNAUTHENTICATED, 401, reason=exc.reason)
            response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        # Cookie sessions need the CSRF token; a bearer token (partners) carries no ambient authority,
        # nor does an anonymous caller, whose request is answered without a warning in the log.
        if request.method == "POST" and partner is None:
            reason = _CsrfCheck(lambda r: None).process_view(request, None, (), {})
            if reason is not None and request.user.is_authenticated:
                response = _error("CSRF token missing or wrong.", Code.FORBIDDEN, 403)
                # One line, with Django's reason, instead of Django's generic "Forbidden: /graphql/".
                log_response("Forbidden (%s): %s", reason, request.path, response=response, request=request,
                             logger=_csrf_logger)
                return response
        if partner is not None:
            # A token has no user: the row history names the partner client instead, so no write is anonymous.
            with pghistory.context(partner=partner.client.name, partner_client=partner.client.pk):
                return _with_rate_limit(request, super().dispatch(request, *args, **kwargs))
        return super().dispatch(request, *args, **kwargs)


def _with_rate_limit(request, response):
    """The token's budget in the headers (GitHub's names); over budget, HTTP 429 with Retry-After.

    The numbers are those the limiter charged this request (api/limits.py), the same as `rateLimit` answers.
    """
    charge = rate_limit_of(request)
    if charge is None:
        return response
    response["X-RateLimit-Limit"] = str(charge.limit)
    response["X-RateLimit-Remaining"] = str(charge.remaining)
    response["X-RateLimit-Reset"] = str(charge.reset)
    response["X-RateLimit-Cost"] = str(charge.cost)
    if charge.exceeded:
        response.status_code = 429
        response["Retry-After"] = str(charge.retry_after())
    return response


# CSRF is checked in dispatch, for cookie sessions only.
graphql_view = csrf_exempt(HouqinGraphQLView.as_view(schema=schema))
# Every field checks its own permission (api/permissions.py); the isolation matrix runs each one.
graphql_view.houqin_access = {"kind": "graphql"}
