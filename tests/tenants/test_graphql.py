from pathlib import Path

from django.conf import settings

from api.management.commands.export_schema import SCHEMA_PATH, current_schema_sdl


def test_viewer_lists_memberships(client_for, alice, school_a):
    result = client_for(alice, school_a).gql("{ viewer { username memberships { role schoolName } } }")
    assert result["data"]["viewer"] == {
        "username": "alice",
        "memberships": [{"role": "principal", "schoolName": "阿尔法小学"}],
    }


def test_viewer_requires_sign_in(client_for, school_a):
    result = client_for(None, school_a).gql("{ viewer { username } }")
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert result["data"] is None


def test_school_query_on_school_host(client_for, bob, school_a):
    result = client_for(bob, school_a).gql("{ school { name slug studentCount bureauName } }")
    assert result["data"]["school"] == {
        "name": "阿尔法小学", "slug": "alpha", "studentCount": 481, "bureauName": "北区教育局",
    }


def test_school_query_on_bureau_host_is_wrong_host(client_for, dave):
    result = client_for(dave, None).gql("{ school { name } }")
    assert result["errors"][0]["extensions"]["code"] == "WRONG_HOST"


def test_bureau_query_lists_schools(client_for, dave):
    result = client_for(dave, None).gql("{ bureau { code schools(first: 10) { edges { node { slug } } } } }")
    slugs = [e["node"]["slug"] for e in result["data"]["bureau"]["schools"]["edges"]]
    assert result["data"]["bureau"]["code"] == "north"
    assert slugs == ["alpha", "beta"]


def _deep_query(levels: int) -> str:
    # bureau → schools → edges → node → bureau → … : each round trip adds four levels (pages of 10 inside
    # the page of 100: a page of 100 inside it could hold 20,402 objects, over the limit of 10,000).
    inner = "name"
    for _ in range(levels):
        inner = "bureau { schools(first: 10) { edges { node { " + inner + " } } } }"
    return "{ bureau { name schools { edges { node { " + inner + " } } } } }"


def test_query_within_depth_limit_runs(client_for, dave):
    result = client_for(dave, None).gql(_deep_query(1))
    assert "errors" not in result


def test_query_over_depth_limit_is_rejected(client_for, dave):
    result = client_for(dave, None).gql(_deep_query(3))
    assert result["errors"][0]["extensions"]["code"] == "DEPTH_LIMIT_EXCEEDED"
    assert result.get("data") is None


def test_too_many_aliases_are_rejected(client_for, dave):
    aliases = " ".join(f"a{i}: viewer {{ username }}" for i in range(settings.GRAPHQL_MAX_ALIASES + 1))
    result = client_for(dave, None).gql("{ " + aliases + " }")
    assert result["errors"][0]["extensions"]["code"] == "ALIAS_LIMIT_EXCEEDED"
    assert result.get("data") is None


def test_too_many_tokens_are_rejected(client_for, dave):
    fields = " ".join("username" for _ in range(settings.GRAPHQL_MAX_TOKENS))
    result = client_for(dave, None).gql("{ viewer { " + fields + " } }")
    assert result["errors"][0]["extensions"]["code"] == "TOKEN_LIMIT_EXCEEDED"


def test_page_size_over_cap_is_rejected(client_for, dave):
    result = client_for(dave, None).gql("{ bureau { schools(first: 101) { edges { node { name } } } } }")
    assert result["errors"][0]["extensions"]["code"] == "PAGE_SIZE_LIMIT_EXCEEDED"


def test_batch_of_operations_is_refused(client_for, dave):
    client = client_for(dave, None)
    response = client.post("/graphql/", [{"query": "{ viewer { username } }"}] * 2, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "ONE_OPERATION_PER_REQUEST"


def test_unknown_field_error_has_code_and_no_suggestion(client_for, dave):
    result = client_for(dave, None).gql("{ viewr { username } }")
    error = result["errors"][0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean" not in error["message"]


def test_committed_schema_is_current():
    committed = Path(SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == current_schema_sdl(), "graphql/schema.graphql is stale: run ./dev manage export_schema"


def test_graphql_folder_is_not_a_package():
    assert not (Path(settings.BASE_DIR) / "graphql" / "__init__.py").exists()
