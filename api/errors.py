"""Stable error codes in `extensions.code`, and no stack trace or internal detail in any error."""

from __future__ import annotations

import logging
import re

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from strawberry.extensions import SchemaExtension

from graphql import GraphQLError

logger = logging.getLogger("houqin.graphql")


class Code:
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    WRONG_HOST = "WRONG_HOST"
    READ_ONLY = "READ_ONLY"
    DEPTH_LIMIT = "DEPTH_LIMIT_EXCEEDED"
    ALIAS_LIMIT = "ALIAS_LIMIT_EXCEEDED"
    TOKEN_LIMIT = "TOKEN_LIMIT_EXCEEDED"
    PAGE_SIZE_LIMIT = "PAGE_SIZE_LIMIT_EXCEEDED"
    COST_LIMIT = "COST_LIMIT_EXCEEDED"
    RATE_LIMIT = "RATE_LIMITED"
    ONE_OPERATION = "ONE_OPERATION_PER_REQUEST"
    INVALID_QUERY = "GRAPHQL_VALIDATION_FAILED"
    # A file refused as a whole (core.spreadsheets); `extensions.reason` says why (TOO_LARGE, INFLATES, …).
    UPLOAD_REFUSED = "UPLOAD_REFUSED"
    INTERNAL = "INTERNAL_SERVER_ERROR"


class HouqinGraphQLError(GraphQLError):
    """An error meant for the caller, with its stable code."""

    def __init__(self, message: str, code: str, **extra):
        super().__init__(message, extensions={"code": code, **extra})


def forbidden(message: str = "You may not do this here.") -> HouqinGraphQLError:
    return HouqinGraphQLError(message, Code.FORBIDDEN)


_PATTERNS = [
    (re.compile(r"exceeds maximum operation depth"), Code.DEPTH_LIMIT),
    (re.compile(r"aliases found\. Allowed"), Code.ALIAS_LIMIT),
    (re.compile(r"more than \d+ tokens|tokens? limit|Document contains more than"), Code.TOKEN_LIMIT),
    (re.compile(r"Argument '(first|last)' cannot be higher than"), Code.PAGE_SIZE_LIMIT),
]


# A malformed global id, or a value Django cannot turn into a key: the caller's input, not our fault.
_BAD_ID = re.compile(r"cannot represent a GlobalID|expected to contain only 2 items|expected a number but got")


def _raised_in_relay(exc: BaseException) -> bool:
    """A ValueError from strawberry's relay code is a malformed id or cursor sent by the caller."""
    tb = exc.__traceback__
    while tb is not None:
        if "/strawberry/relay/" in tb.tb_frame.f_code.co_filename.replace("\\", "/"):
            return True
        tb = tb.tb_next
    return False


def _code_for(error: GraphQLError) -> tuple[str, str | None, dict]:
    """(code, replacement message or None, extra extensions) of one error."""
    if error.extensions and error.extensions.get("code"):
        return error.extensions["code"], None, {}
    original = error.original_error
    if original is None:
        for pattern, code in _PATTERNS:
            if pattern.search(error.message):
                return code, None, {}
        return Code.INVALID_QUERY, None, {}
    if isinstance(original, HouqinGraphQLError):
        return original.extensions["code"], original.message, {}
    if isinstance(original, GraphQLError):
        # graphql-core's own errors about the caller's input (e.g. a variable of the wrong type).
        return Code.BAD_USER_INPUT, None, {}
    if isinstance(original, ValidationError):
        fields = {}
        if hasattr(original, "error_dict"):
            fields = {k: [str(m) for e in v for m in e.messages] for k, v in original.error_dict.items()}
        message = "；".join(m for msgs in fields.values() for m in msgs) if fields else "；".join(original.messages)
        return Code.BAD_USER_INPUT, message, ({"fields": fields} if fields else {})
    if isinstance(original, PermissionDenied):
        return Code.FORBIDDEN, str(original) or "You may not do this here.", {}
    if isinstance(original, (ObjectDoesNotExist, Http404)):
        return Code.NOT_FOUND, "Not found.", {}
    if type(original).__name__ in ("GlobalIDValueError", "InvalidGlobalIDError") or _BAD_ID.search(str(original)):
        return Code.BAD_USER_INPUT, "This id is not valid.", {}
    if isinstance(original, ValueError):
        for pattern, code in _PATTERNS:
            if pattern.search(str(original)):
                return code, str(original), {}
    if isinstance(original, ValueError) and _raised_in_relay(original):
        return Code.BAD_USER_INPUT, "This id or cursor is not valid.", {}
    return Code.INTERNAL, "Internal server error.", {}


refusals = logging.getLogger("houqin.graphql.refused")
_REASON_CHARS = 200


def errors_log(errors, query: object) -> None:
    """Log a request's errors (HouqinSchema.process_errors): each once, none with the query's text.

    An unexpected error is logged with its traceback (its message is masked for the caller). A request
    refused as a whole (syntax, token limit, validation, the limits) is one line with its size and the
    reason: a refused 2 MB document is never echoed. Errors of single fields (forbidden, not found, bad
    input) are answers to the caller, not incidents, and are not logged.
    """
    size = len(query.encode()) if isinstance(query, str) else 0
    for error in errors:
        code, _, _ = _code_for(error)
        if code == Code.INTERNAL:
            where = ".".join(str(p) for p in error.path) if error.path else "-"
            logger.error("Unexpected GraphQL error at %s: %s", where, _reason(error.message),
                         exc_info=error.original_error)
        elif not error.path:
            refusals.warning("GraphQL request refused: %s (%s, %d bytes)", _reason(error.message), code, size)


def _reason(message: str) -> str:
    """The first line of a message, cut short: graphql-core appends the offending source to some."""
    first = (message or "").strip().splitlines()[0] if (message or "").strip() else ""
    return first if len(first) <= _REASON_CHARS else first[: _REASON_CHARS - 1] + "…"


class ErrorCodes(SchemaExtension):
    """Give every error a stable code; hide the message of anything unexpected."""

    def on_operation(self):
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        processed = []
        for error in result.errors:
            code, message, extra = _code_for(error)
            processed.append(
                GraphQLError(
                    message or error.message,
                    nodes=error.nodes,
                    source=error.source,
                    positions=error.positions,
                    path=error.path,
                    original_error=None,
                    extensions={**(error.extensions or {}), "code": code, **extra},
                )
            )
        result.errors = processed
