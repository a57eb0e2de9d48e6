"""The Cloud Storage emulator (the `gcp-storage-emulator` package) for tests, and buckets in it."""

from __future__ import annotations

import contextlib
import logging
import socket
import uuid
from collections.abc import Iterator

import pytest

from shared.config import get_settings


@contextlib.contextmanager
def storage_emulator_server() -> Iterator[str]:
    """An in-memory emulator on a free loopback port, served from a thread; yields its base URL."""
    from gcp_storage_emulator.server import create_server

    logging.getLogger("gcp_storage_emulator").setLevel(logging.WARNING)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def new_bucket(emulator_url: str) -> str:
    """A fresh bucket, so tests never see each other's objects."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    name = f"qr-{uuid.uuid4().hex[:12]}"
    client = storage.Client(project="test", credentials=AnonymousCredentials(),
                            client_options={"api_endpoint": emulator_url})
    client.create_bucket(name)
    return name


def use_emulator(monkeypatch: pytest.MonkeyPatch, emulator_url: str) -> str:
    """Point the platform's storage at a fresh bucket of the emulator (as QR_BUCKET does in production)."""
    bucket = new_bucket(emulator_url)
    monkeypatch.setenv("QR_BUCKET", bucket)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator_url)
    get_settings.cache_clear()
    return bucket


def use_directory(monkeypatch: pytest.MonkeyPatch, directory: str) -> None:
    """Point the platform's storage at a directory of the test's own."""
    monkeypatch.delenv("QR_BUCKET", raising=False)
    monkeypatch.setenv("STORAGE_DIR", directory)
    get_settings.cache_clear()
