"""/graphql/ on every host: a school's host serves that school, the base domain the bureau."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from .errors import Code
from .schema import schema


class HouqinGraphQLView(GraphQLView):
    graphql_ide = "graphiql"

    def dispatch(self, request, *args, **kwargs):
        # One operation per request: a batch (a JSON list) is refused before anything runs.
        if request.method == "POST" and request.content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                body = None
            if isinstance(body, list):
                return JsonResponse(
                    {"errors": [{"message": "Send one operation per request.", "extensions": {"code": Code.ONE_OPERATION}}]},
                    status=400,
                )
        # Cookie sessions need the CSRF token; a bearer token (partners) carries no ambient authority.
        if request.method == "POST" and not request.headers.get("Authorization", "").startswith("Bearer "):
            rejected = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
            if rejected is not None and request.user.is_authenticated:
                return JsonResponse(
                    {"errors": [{"message": "CSRF token missing or wrong.", "extensions": {"code": Code.FORBIDDEN}}]},
                    status=403,
                )
        return super().dispatch(request, *args, **kwargs)


# CSRF is checked in dispatch, for cookie sessions only.
graphql_view = csrf_exempt(HouqinGraphQLView.as_view(schema=schema))
# Every field checks its own permission (api/permissions.py); the isolation matrix runs each one.
graphql_view.houqin_access = {"kind": "graphql"}
