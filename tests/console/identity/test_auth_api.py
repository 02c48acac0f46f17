"""POST /auth/register, /auth/login, /auth/me: the contract the original clients rely on."""

from __future__ import annotations

import base64
import json

import jwt

from tests.conftest import DEFAULT_PASSWORD


def test_register_returns_user_and_token(api):
    response = api.post(
        "/auth/register", json={"email": "Ann@Example.com", "password": DEFAULT_PASSWORD, "name": "Ann"}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["email"] == "ann@example.com"
    assert body["token_type"] == "bearer"
    assert "password_hash" not in json.dumps(body)
    me = api.as_user(body["access_token"]).get("/auth/me")
    assert me.status_code == 200 and me.get_json()["user"]["name"] == "Ann"


def test_register_duplicate_email_is_409(api, factory):
    user = factory.user(email="dup@example.com")
    response = api.post("/auth/register", json={"email": "DUP@example.com", "password": DEFAULT_PASSWORD, "name": "X"})
    assert response.status_code == 409
    assert response.get_json()["error"]["fields"] == {"email": "Already registered."}
    assert user.user["email"] == "dup@example.com"


def test_register_names_every_bad_field(api):
    response = api.post("/auth/register", json={"email": "not-an-email", "password": "short", "name": ""})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"email", "password", "name"}


def test_register_rejects_unknown_and_missing_fields(api):
    response = api.post(
        "/auth/register", json={"email": "a@example.com", "password": DEFAULT_PASSWORD, "role": "admin"}
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"role", "name"}


def test_malformed_json_is_a_clear_422_not_500(client):
    response = client.post("/auth/register", data="{not json", content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"body": "Expected a JSON object."}
    response = client.post("/auth/login", json=["a", "list"])
    assert response.status_code == 422


def test_login_returns_token_and_expiry(api, factory):
    user = factory.user()
    response = api.post("/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["expires_in"] == 3600 and body["token_type"] == "bearer"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert {"sub", "exp", "iat"} <= set(claims)
    assert claims["exp"] - claims["iat"] == 3600


def test_wrong_password_and_unknown_email_get_the_same_answer(api, factory):
    user = factory.user()
    wrong = api.post("/auth/login", json={"email": user.email, "password": "wrong-password!"})
    unknown = api.post("/auth/login", json={"email": "nobody@example.com", "password": "wrong-password!"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()


def test_repeated_failures_are_throttled_with_retry_after(api, factory):
    user = factory.user()
    for _ in range(5):
        assert api.post("/auth/login", json={"email": user.email, "password": "wrong-password!"}).status_code == 401
    response = api.post("/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


def test_throttling_goes_through_redis_when_configured(redis_app, redis_client):
    from tests.conftest import Factory

    client = redis_app.test_client()
    user = Factory(client).user()
    for _ in range(5):
        client.post("/auth/login", json={"email": user.email, "password": "wrong-password!"})
    keys = [k.decode() for k in redis_client.keys("vf:throttle:*")]
    assert f"vf:throttle:login:email:{user.email}" in keys
    assert client.post("/auth/login", json={"email": user.email, "password": DEFAULT_PASSWORD}).status_code == 429


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_alg_none_and_tampered_tokens_are_rejected(api, factory):
    user = factory.user()
    claims = jwt.decode(user.token, options={"verify_signature": False})
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert api.as_user(unsigned).get("/auth/me").status_code == 401
    header, _payload, signature = user.token.split(".")
    claims["sub"] = "999"
    tampered = f"{header}.{_b64(claims)}.{signature}"
    assert api.as_user(tampered).get("/auth/me").status_code == 401
    hs512 = jwt.encode(claims | {"sub": str(user.user["id"])}, "guess", algorithm="HS512")
    assert api.as_user(hs512).get("/auth/me").status_code == 401


def test_expired_token_is_401(app, api, factory):
    from core.security.tokens import issue_jwt

    user = factory.user()
    token = issue_jwt(user.user["id"], 1, secret=app.config["JWT_SECRET"], ttl_seconds=-10)
    response = api.as_user(token).get("/auth/me")
    assert response.status_code == 401
    assert "expired" in response.get_json()["error"]["message"]


def test_me_lists_workspaces_with_roles_via_get_and_post(api, factory):
    owner = factory.user()
    workspace = factory.workspace(owner, "Acme")
    for method in ("get", "post"):
        body = getattr(owner, method)("/auth/me").get_json()
        assert body["workspaces"] == [
            {"id": workspace["id"], "name": "Acme", "slug": workspace["slug"], "role": "owner"}
        ]
    assert api.get("/auth/me").status_code == 401


def test_password_is_hashed_with_argon2id(app_ctx, factory):
    from sqlalchemy import select

    from core.db import db
    from core.models import User

    user = factory.user()
    stored = db.session.scalar(select(User.password_hash).where(User.email == user.email))
    assert stored.startswith("$argon2id$")
    assert DEFAULT_PASSWORD not in stored


def test_callers_do_not_leak_between_requests_in_one_app_context(app, factory):
    alice = factory.user(name="Alice")
    bob = factory.user(name="Bob")
    with app.app_context():  # one app context around several requests, as in a job or a test
        assert alice.get("/auth/me").get_json()["user"]["name"] == "Alice"
        assert bob.get("/auth/me").get_json()["user"]["name"] == "Bob"
