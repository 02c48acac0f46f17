"""Regressions found by fuzzing: values the database cannot store are refused as bad input, never a 500,
and the OpenAPI document describes what each operation really answers."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from


@pytest.fixture
def owner(factory):
    user = factory.user()
    user.workspace = factory.workspace(user)
    return user


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/targets/10350706719765"),
        ("GET", "/workspaces/2147483648"),
        ("PATCH", "/leads/99999999999"),
        ("DELETE", "/targets/99999999999/personal-data"),
        ("POST", "/integrations/deliveries/99999999999999999999/replay"),
    ],
)
def test_ids_beyond_the_database_range_are_404_not_500_or_405(owner, method, path):
    response = owner.request(method, path, json={})
    assert response.status_code == 404, response.get_json()
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_bigint_id_within_range_still_reaches_the_service(owner):
    # Deliveries are keyed by BIGINT: a big id is looked up (and is simply not found).
    response = owner.post("/integrations/deliveries/3000000000/replay")
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "Delivery not found."


def test_out_of_range_numbers_in_query_and_body_name_the_field(owner):
    ws = owner.workspace["id"]
    query = owner.get(f"/leads/workspace/{ws}?account=99999999999")
    assert query.status_code == 422 and "account" in query.get_json()["error"]["fields"]
    owner_filter = owner.get(f"/leads/export/csv/{ws}?owner=99999999999")
    assert owner_filter.status_code == 422 and "owner" in owner_filter.get_json()["error"]["fields"]
    body = owner.post(f"/leads/workspace/{ws}", json={"target_id": 99999999999})
    assert body.status_code == 422
    assert any(key.startswith("target") for key in body.get_json()["error"]["fields"])


def test_nul_characters_are_refused_naming_the_field(owner):
    response = owner.post("/workspaces", json={"name": "Acme\x00Corp"})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"name": "Must not contain NUL characters."}


def test_console_form_with_a_nul_character_is_a_422_page_not_a_500(console, owner):
    console.login(owner.email)
    token = csrf_from(console.get("/w/new").get_data(as_text=True))
    response = console.client.post("/w/new", data={"csrf_token": token, "name": "Acme\x00", "time_zone": "UTC"})
    assert response.status_code == 422
    assert "could not be stored" in response.get_data(as_text=True)


def test_openapi_components_are_unique_and_every_reference_resolves(client):
    doc = client.get("/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    refs: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"].rsplit("/", 1)[-1])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert refs and all(name in schemas for name in refs)
    # The targets and social-accounts modules both had a model named like another module's: each operation
    # must now point at its own, so the documented fields are the ones it answers with.
    target = doc["paths"]["/targets/{target_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    target_schema = schemas[target["schema"]["$ref"].rsplit("/", 1)[-1]]
    rescore = doc["paths"]["/targets/update/{workspace_id}"]["post"]["responses"]
    assert "200" in rescore and "202" in rescore
    assert "properties" in target_schema
    path_param = doc["paths"]["/targets/{target_id}"]["get"]["parameters"][0]["schema"]
    assert path_param["maximum"] == 2**31 - 1
