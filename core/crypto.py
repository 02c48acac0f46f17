"""Secrets at rest: AES-256-GCM under versioned keys, each ciphertext bound to its record.

A ciphertext reads `v1:<key id>:<base64url(nonce || ciphertext+tag)>`. The associated data
names the table, row id and field, so a value copied into another row (or another column)
fails to decrypt instead of silently handing one account's token to another.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app

from core.errors import ConfigError

log = logging.getLogger(__name__)

ENV_VAR = "VISTAFLOW_ENCRYPTION_KEYS"
DEV_KEY_FILE = "encryption.key"
FORMAT_VERSION = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_EXTENSION = "vistaflow_keyring"

# (model, column attribute, field name in the associated data) of every encrypted column,
# registered by the models so key rotation finds them all.
ENCRYPTED_COLUMNS: list[tuple[type, str, str]] = []


class DecryptionError(ValueError):
    """A ciphertext cannot be opened: unknown key, wrong record, or tampered data."""


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    primary: str

    def encrypt(self, plaintext: str, aad: bytes) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.primary]).encrypt(nonce, plaintext.encode(), aad)
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{FORMAT_VERSION}:{self.primary}:{body}"

    def decrypt(self, token: str, aad: bytes) -> str:
        version, key_id, body = _split(token)
        if version != FORMAT_VERSION:
            raise DecryptionError(f"unknown ciphertext format {version!r}")
        key = self.keys.get(key_id)
        if key is None:
            raise DecryptionError(f"no key with id {key_id!r} is configured in {ENV_VAR}")
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad).decode()
        except (InvalidTag, ValueError, binascii.Error):
            raise DecryptionError("the ciphertext does not belong to this record or was altered") from None


def _split(token: str) -> tuple[str, str, str]:
    parts = (token or "").split(":")
    if len(parts) != 3:
        raise DecryptionError("not a VistaFlow ciphertext")
    return parts[0], parts[1], parts[2]


def key_id_of(token: str) -> str:
    return _split(token)[1]


def associated_data(table: str, row_id: int, field: str) -> bytes:
    return f"vistaflow|{table}|{row_id}|{field}".encode()


def _decode_key(key_id: str, raw: str) -> bytes:
    raw = raw.strip()
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            key = decode(raw + "=" * (-len(raw) % 4))
        except (binascii.Error, ValueError):
            continue
        if len(key) == KEY_BYTES:
            return key
    raise ConfigError(
        f"{ENV_VAR}: key {key_id!r} must be {KEY_BYTES} bytes encoded in base64 "
        '(generate one with: python -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())")'
    )


def parse_keys(value: str) -> Keyring:
    """Parse `id:base64key[,id:base64key...]`; the first key encrypts, every key decrypts."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in (value or "").split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, raw = item.partition(":")
        key_id = key_id.strip()
        if not sep or not _KEY_ID.match(key_id):
            raise ConfigError(
                f"{ENV_VAR} must be a comma-separated list of id:base64key entries "
                "(id: letters, digits, - or _, at most 32)."
            )
        if key_id in keys:
            raise ConfigError(f"{ENV_VAR}: the key id {key_id!r} appears twice; key ids must be unique.")
        keys[key_id] = _decode_key(key_id, raw)
        order.append(key_id)
    if not order:
        raise ConfigError(f"{ENV_VAR} is set but holds no key.")
    return Keyring(keys=keys, primary=order[0])


def _development_keys(instance_path: str) -> str:
    """The instance folder's generated key, created once with owner-only permissions."""
    path = Path(instance_path) / DEV_KEY_FILE
    if not path.exists():
        value = "dev1:" + base64.b64encode(os.urandom(KEY_BYTES)).decode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first; read theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(value + "\n")
            log.warning("generated a development encryption key in %s (set %s in production)", path, ENV_VAR)
    return path.read_text().strip()


def init_app(app: Flask) -> None:
    """Load the keyring when the app is built; refuse to start on a bad or missing key."""
    configured = app.config.get(ENV_VAR)
    if not configured:
        if app.config.get("VISTAFLOW_ENV") == "production":
            raise ConfigError(f"VistaFlow refuses to start in production without {ENV_VAR}.")
        configured = _development_keys(app.instance_path)
    app.extensions[_EXTENSION] = parse_keys(configured)


def keyring(app: Flask | None = None) -> Keyring:
    return (app or current_app).extensions[_EXTENSION]


def encrypt(plaintext: str, *, table: str, row_id: int, field: str) -> str:
    """Encrypt under the newest key, bound to (table, row id, field)."""
    return keyring().encrypt(plaintext, associated_data(table, row_id, field))


def decrypt(token: str, *, table: str, row_id: int, field: str) -> str:
    """Decrypt a value stored for (table, row id, field); DecryptionError otherwise."""
    return keyring().decrypt(token, associated_data(table, row_id, field))


def register_encrypted(model: type, attribute: str, field: str) -> None:
    if (model, attribute, field) not in ENCRYPTED_COLUMNS:
        ENCRYPTED_COLUMNS.append((model, attribute, field))


def describe() -> dict[str, Any]:
    """Key ids in use (never key material), for the doctor and the rotation command."""
    ring = keyring()
    return {"primary": ring.primary, "key_ids": list(ring.keys)}
