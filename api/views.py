"""/graphql/ on every host: a school's host serves that school, the base domain the bureau."""

from __future__ import annotations

import json

import pghistory
from django.conf import settings
from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from graphql import OperationDefinitionNode, parse

from .auth import InvalidToken, authenticate_request
from .errors import Code
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
        # Cookie sessions need the CSRF token; a bearer token (partners) carries no ambient authority.
        if request.method == "POST" and partner is None:
            rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if rejected is not None and request.user.is_authenticated:
                return _error("CSRF token missing or wrong.", Code.FORBIDDEN, 403)
        if partner is not None:
            # A token has no user: the row history names the partner client instead, so no write is anonymous.
            with pghistory.context(partner=partner.client.name, partner_client=partner.client.pk):
                return super().dispatch(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)


# CSRF is checked in dispatch, for cookie sessions only.
graphql_view = csrf_exempt(HouqinGraphQLView.as_view(schema=schema))
# Every field checks its own permission (api/permissions.py); the isolation matrix runs each one.
graphql_view.houqin_access = {"kind": "graphql"}
