"""core.crypto: AES-256-GCM secrets bound to their row, versioned keys, start-up checks."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from core import crypto
from core.errors import ConfigError

KEY_A = base64.b64encode(b"a" * 32).decode()
KEY_B = base64.b64encode(b"b" * 32).decode()


def aad(row_id: int = 1, field: str = "access_token") -> bytes:
    return crypto.associated_data("social_accounts", row_id, field)


def test_round_trip_uses_a_fresh_nonce_and_names_the_key():
    ring = crypto.parse_keys(f"k1:{KEY_A}")
    first = ring.encrypt("IGQVJ-secret", aad())
    second = ring.encrypt("IGQVJ-secret", aad())
    assert first != second  # fresh nonce each time
    assert first.startswith("v1:k1:") and "IGQVJ-secret" not in first
    assert ring.decrypt(first, aad()) == ring.decrypt(second, aad()) == "IGQVJ-secret"


def test_ciphertext_moved_to_another_row_or_field_fails():
    ring = crypto.parse_keys(f"k1:{KEY_A}")
    sealed = ring.encrypt("token-of-row-1", aad(1))
    with pytest.raises(crypto.DecryptionError):
        ring.decrypt(sealed, aad(2))
    with pytest.raises(crypto.DecryptionError):
        ring.decrypt(sealed, aad(1, "refresh_token"))


def test_tampered_ciphertext_fails():
    ring = crypto.parse_keys(f"k1:{KEY_A}")
    sealed = ring.encrypt("secret", aad())
    body = sealed.split(":")[2]
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(crypto.DecryptionError):
        ring.decrypt(f"v1:k1:{flipped}", aad())


def test_old_key_still_decrypts_after_a_new_key_is_put_first():
    old = crypto.parse_keys(f"k1:{KEY_A}")
    sealed = old.encrypt("secret", aad())
    rotated = crypto.parse_keys(f"k2:{KEY_B},k1:{KEY_A}")
    assert rotated.primary == "k2"
    assert rotated.decrypt(sealed, aad()) == "secret"
    assert rotated.encrypt("secret", aad()).startswith("v1:k2:")
    with pytest.raises(crypto.DecryptionError, match="no key with id 'k1'"):
        crypto.parse_keys(f"k2:{KEY_B}").decrypt(sealed, aad())


def test_the_test_suite_key_format_is_valid():
    ring = crypto.parse_keys("k1:" + "A" * 43 + "=")
    assert ring.keys["k1"] == bytes(32)


@pytest.mark.parametrize(
    "value, message",
    [
        ("k1:" + base64.b64encode(b"short").decode(), "must be 32 bytes"),
        ("k1:not base64!!", "must be 32 bytes"),
        (f"k1:{KEY_A},k1:{KEY_B}", "appears twice"),
        (KEY_A, "id:base64key"),
        (f"bad id:{KEY_A}", "id:base64key"),
        (" , ", "holds no key"),
    ],
)
def test_bad_key_configuration_refuses_to_start(database_url, value, message):
    from vistaflow import create_app

    with pytest.raises(ConfigError, match=message) as info:
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "VISTAFLOW_ENCRYPTION_KEYS": value})
    assert "VISTAFLOW_ENCRYPTION_KEYS" in str(info.value)
    assert KEY_A not in str(info.value) and KEY_B not in str(info.value)


def test_production_without_a_key_refuses_to_start(monkeypatch, tmp_path):
    from vistaflow import create_app

    monkeypatch.setenv("VISTAFLOW_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="VISTAFLOW_ENCRYPTION_KEYS"):
        create_app({"VISTAFLOW_ENV": "production", "VISTAFLOW_ENCRYPTION_KEYS": None, "SECRET_KEY": "x" * 40})
    assert not (tmp_path / crypto.DEV_KEY_FILE).exists()


def test_development_generates_one_private_key_and_reuses_it(monkeypatch, tmp_path, database_url):
    from vistaflow import create_app

    monkeypatch.setenv("VISTAFLOW_INSTANCE_PATH", str(tmp_path))
    config = {"SQLALCHEMY_DATABASE_URI": database_url, "VISTAFLOW_ENCRYPTION_KEYS": None}
    first = create_app(config)
    key_file = tmp_path / crypto.DEV_KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with first.app_context():
        sealed = crypto.encrypt("secret", table="t", row_id=1, field="f")
    second = create_app(config)
    with second.app_context():
        assert crypto.decrypt(sealed, table="t", row_id=1, field="f") == "secret"
    assert crypto.keyring(first).keys == crypto.keyring(second).keys
