"""Pytest fixtures that run the platform emulators (registered from tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.emulators.instagram import InstagramEmulator
from tests.emulators.tiktok import TikTokEmulator


@pytest.fixture
def instagram_emulator():
    """A running Instagram emulator with no accounts yet; `.config()` gives the app config keys."""
    with InstagramEmulator() as emulator:
        yield emulator


@pytest.fixture
def tiktok_emulator():
    """A running TikTok Business API emulator with no accounts yet; `.config()` gives the app config keys."""
    with TikTokEmulator() as emulator:
        yield emulator
