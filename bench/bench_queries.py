"""Query discipline, measured on the generated district (BENCH_SCHOOLS schools, default 100):

- the bureau's GraphQL page of 100 schools: SQL statements and time, with the optimizer against the
  same schema without it (the naive resolver-per-field way);
- a school-host request: SQL statements, and `SET search_path` statements with the pooled connection
  handled as Houqin does (the Domain lookup reads public through the path the session holds) against
  django-tenants' stock reset to public before the lookup;
- the per-request time of the bureau home listing every school (paginated).

BENCH_ROUNDS (default 20) requests per figure.
"""

from __future__ import annotations

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tenants.models import Membership, User
from tenants.roles import Role

from . import generator
from .harness import env_int, note, report

QUERY = """{ bureau(code: "%s") { schools(first: 100) { totalCount
  edges { node { name slug status studentCount staffCount host bureauName bureau { name code } } } } } }"""


def _leader(bureau) -> User:
    user, _ = User.objects.get_or_create(username=f"{generator.PREFIX}-bureau-leader", defaults={"name": "局领导（生成）"})
    if not Membership.objects.filter(user=user, bureau=bureau, role=Role.BUREAU_LEADER, is_active=True).exists():
        Membership.objects.create(user=user, bureau=bureau, role=Role.BUREAU_LEADER)
    return user


def _measure(fn, rounds: int) -> tuple[float, int, list[str]]:
    """Median seconds of `fn` over rounds, and the statements of the last round."""
    fn()  # warm
    samples, sqls = [], []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - start)
        sqls = [q["sql"] for q in ctx.captured_queries]
    return statistics.median(samples), len(sqls), sqls


def _schema_without_optimizer():
    import strawberry
    from strawberry.schema.config import StrawberryConfig

    from api.schema import Mutation, Query, schema

    return strawberry.Schema(
        query=Query, mutation=Mutation,
        config=StrawberryConfig(relay_max_results=100),
        extensions=[e for e in schema.extensions if getattr(e, "__name__", "") != "DjangoOptimizerExtension"],
    )


def run() -> None:
    count = env_int("BENCH_SCHOOLS", 100)
    rounds = env_int("BENCH_ROUNDS", 20)
    district = generator.generate(count=count)
    note(f"{len(district.schools)} generated schools")
    bureau = district.bureau
    leader = _leader(bureau)

    # GraphQL page of 100 schools: with the optimizer (as served) against without it.
    portal = Client(HTTP_HOST="localhost")
    portal.force_login(leader)
    query = QUERY % bureau.code

    def served():
        body = portal.post("/graphql/", {"query": query}, content_type="application/json").json()
        assert "errors" not in body, body
        assert len(body["data"]["bureau"]["schools"]["edges"]) == min(100, len(district.schools) + 1)

    from django.test import RequestFactory
    from strawberry.django.context import StrawberryDjangoContext

    naive_schema = _schema_without_optimizer()
    request = RequestFactory().post("/graphql/", HTTP_HOST="localhost")
    request.user = leader
    request.tenant = None

    def naive():
        result = naive_schema.execute_sync(query, context_value=StrawberryDjangoContext(request=request, response=None))
        assert result.errors is None, result.errors

    seconds, queries, _ = _measure(served, rounds)
    naive_seconds, naive_queries, _ = _measure(naive, rounds)
    report("graphql_page100_queries", queries, "queries", baseline=naive_queries)
    report("graphql_page100_time", seconds, "s", baseline=naive_seconds)

    # One school-host request: statements and SET search_path, Houqin's pooled path against stock.
    school = district.schools[0]
    principal = Membership.objects.filter(school=school, role=Role.PRINCIPAL).first().user
    host = Client(HTTP_HOST=school.host)
    host.force_login(principal)

    def school_home():
        assert host.get("/").status_code == 200

    def school_home_stock():
        connection._houqin_session_path = None  # what django-tenants' middleware does: public first
        school_home()

    seconds, queries, sqls = _measure(school_home, rounds)
    sets = sum(1 for s in sqls if s.startswith("SET search_path"))
    stock_seconds, _, stock_sqls = _measure(school_home_stock, rounds)
    stock_sets = sum(1 for s in stock_sqls if s.startswith("SET search_path"))
    report("school_request_queries", queries, "queries")
    report("school_request_search_path_sets", sets, "statements", baseline=stock_sets)
    report("school_home_time", seconds, "s", baseline=stock_seconds)

    # The bureau home over every school (paginated: the page costs the same with 10 or 1,000).
    def bureau_home():
        assert portal.get("/").status_code == 200

    seconds, queries, _ = _measure(bureau_home, rounds)
    report(f"bureau_home_{count}_schools_queries", queries, "queries")
    report(f"bureau_home_{count}_schools_time", seconds, "s")
