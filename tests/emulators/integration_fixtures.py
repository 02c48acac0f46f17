"""Fixtures for the integration tests: a signature-checking webhook receiver, Google Sheets, Notion, HubSpot, Pipedrive.

Import them into a test module (`from tests.emulators.integration_fixtures import *`).
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.emulators.google_sheets import GoogleSheetsEmulator
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.notion import NotionEmulator
from tests.emulators.pipedrive import PipedriveEmulator
from tests.emulators.webhook_receiver import WebhookReceiver

SERVICE_EMAIL = "vistaflow-sync@test-project.iam.gserviceaccount.com"
SPREADSHEET_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


@pytest.fixture(scope="session")
def google_key_pair() -> tuple[str, bytes]:
    """A test RSA key pair: the private key PEM (for the service account JSON) and the public key PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@pytest.fixture
def service_account(google_key_pair) -> dict:
    return {
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "k1",
        "private_key": google_key_pair[0],
        "client_email": SERVICE_EMAIL,
        "token_uri": "https://oauth2.googleapis.com/token",
    }


@pytest.fixture
def webhook_receiver():
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def sheets_emulator(google_key_pair):
    with GoogleSheetsEmulator(google_key_pair[1], SERVICE_EMAIL) as emulator:
        emulator.add_spreadsheet(SPREADSHEET_ID)
        yield emulator


@pytest.fixture
def notion_emulator():
    with NotionEmulator() as emulator:
        yield emulator


@pytest.fixture
def hubspot_emulator():
    with HubSpotEmulator() as emulator:
        yield emulator


@pytest.fixture
def pipedrive_emulator():
    with PipedriveEmulator() as emulator:
        yield emulator


@pytest.fixture
def app_config(sheets_emulator, notion_emulator):
    """Loopback targets allowed (the emulators listen on 127.0.0.1) and vendor URLs pointed at them."""
    return {"INTEGRATIONS_ALLOW_PRIVATE_TARGETS": True, **sheets_emulator.config(), **notion_emulator.config()}
