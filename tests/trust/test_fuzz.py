"""Fuzzing: generated GraphQL operations as each kind of caller, and generated input for the import
parsers. No 5xx, no unexpected exception: only the answers a user is meant to get."""

from __future__ import annotations

import contextlib
import io
import os

import hypothesis_graphql
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from strawberry.printer import print_schema

from api.schema import schema
from tenants.models import User
from tests.conftest import HostClient

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
SDL = print_schema(schema)
# Scalars strawberry adds on top of GraphQL's own.
CUSTOM = {
    "Date": st.dates().map(lambda d: {"kind": "StringValue", "value": d.isoformat()}),
    "DateTime": st.datetimes().map(lambda d: {"kind": "StringValue", "value": d.isoformat() + "+08:00"}),
    "Decimal": st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6).map(
        lambda d: {"kind": "StringValue", "value": str(d)}),
    "JSON": st.just({"kind": "StringValue", "value": "{}"}),
    "Upload": st.just({"kind": "NullValue"}),
    "Time": st.times().map(lambda t: {"kind": "StringValue", "value": t.isoformat()}),
    "UUID": st.uuids().map(lambda u: {"kind": "StringValue", "value": str(u)}),
    "GlobalID": st.text(min_size=1, max_size=20).map(lambda t: {"kind": "StringValue", "value": t}),
}
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
ALLOWED_CODES = {
    "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "WRONG_HOST", "READ_ONLY",
    "DEPTH_LIMIT_EXCEEDED", "ALIAS_LIMIT_EXCEEDED", "TOKEN_LIMIT_EXCEEDED", "PAGE_SIZE_LIMIT_EXCEEDED",
    "COST_LIMIT_EXCEEDED", "RATE_LIMITED", "GRAPHQL_VALIDATION_FAILED", "ONE_OPERATION_PER_REQUEST",
}


def _custom_scalars():
    from graphql import build_schema

    names = set(build_schema(SDL).type_map)
    return {k: v.map(lambda node: _node(node)) for k, v in CUSTOM.items() if k in names}


def _node(spec):
    import graphql

    if spec["kind"] == "NullValue":
        return graphql.NullValueNode()
    return graphql.StringValueNode(value=spec["value"])


def _post(client: HostClient, document: str):
    response = client.post("/graphql/", {"query": document}, content_type="application/json")
    assert response.status_code < 500, document
    body = response.json()
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    assert codes <= ALLOWED_CODES, (document, body["errors"])


@pytest.mark.parametrize("who", [None, "alice", "bob", "charlie", "dave"])
def test_generated_queries_never_fail_on_the_server(db, school_a, who):
    client = HostClient(school_a.host)
    if who:
        client.force_login(User.objects.get(username=who))

    @FUZZ
    @given(document=hypothesis_graphql.queries(SDL, custom_scalars=_custom_scalars()))
    def run(document):
        _post(client, document)
        connection.set_schema_to_public()

    run()


@pytest.mark.parametrize("who", [None, "bob", "charlie"])
def test_generated_mutations_from_outsiders_never_fail_on_the_server(db, school_a, who):
    client = HostClient(school_a.host)
    if who:
        client.force_login(User.objects.get(username=who))

    @FUZZ
    @given(document=hypothesis_graphql.mutations(SDL, custom_scalars=_custom_scalars()))
    def run(document):
        _post(client, document)
        connection.set_schema_to_public()

    run()


CELL = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30), st.integers(-10**9, 10**9),
                 st.floats(allow_nan=True, allow_infinity=True), st.dates(), st.booleans())


def _workbook(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


ASSET_HEADER = ["资产编号", "资产名称", "分类代码", "单价", "数量", "入账日期", "存放地点"]


@FUZZ
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=9), max_size=6), keep_header=st.booleans())
def test_asset_import_answers_only_with_errors_for_the_user(in_school_a, alice, rows, keep_header):
    from assets.imports import ImportFailed, assets_import

    content = _workbook(([ASSET_HEADER] if keep_header else []) + rows)
    with contextlib.suppress(ImportFailed, ValidationError):
        assets_import(upload=SimpleUploadedFile("a.xlsx", content), actor=alice)


@FUZZ
@given(content=st.binary(max_size=2048))
def test_asset_import_refuses_arbitrary_bytes(in_school_a, alice, content):
    from assets.imports import ImportFailed, assets_import

    with pytest.raises((ImportFailed, ValidationError)):
        assets_import(upload=SimpleUploadedFile("a.xlsx", content), actor=alice)


STAFF_HEADER = ["姓名", "手机号", "岗位", "部门", "角色"]


@FUZZ
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=6))
def test_staff_import_answers_only_with_errors_for_the_user(in_school_a, alice, rows):
    from schools.people_services import staff_import

    content = _workbook([STAFF_HEADER, *rows])
    with contextlib.suppress(ValidationError):
        staff_import(content=content, by=alice, issue_links=False)
