"""Object storage: Cloud Storage in production (and against its emulator), a local directory for `make run`."""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from shared.config import get_settings
from shared.domain.errors import ServiceUnavailable

log = logging.getLogger(__name__)
SIGNED_URL_TTL = timedelta(minutes=15)
TIMEOUT_S = 5.0  # per attempt
RETRY_BUDGET_S = 10.0  # all attempts: a request must not wait out the library's default two minutes


class StorageUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("File storage is unavailable; try again shortly.")


class Storage(Protocol):
    # True when clients should be sent to `url(name)`; False when the API serves the bytes itself.
    redirects: bool

    def put(self, name: str, data: bytes, content_type: str) -> None: ...

    def get(self, name: str) -> bytes | None: ...

    def url(self, name: str) -> str: ...


class LocalStorage:
    """Objects as files under one directory (written atomically); for local runs and tests."""

    redirects = False

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def put(self, name: str, data: bytes, content_type: str) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        Path(tmp).replace(path)

    def get(self, name: str) -> bytes | None:
        path = self._path(name)
        return path.read_bytes() if path.is_file() else None

    def url(self, name: str) -> str:
        return self._path(name).as_uri()

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"object name outside the storage directory: {name!r}")
        return path


class GcsStorage:
    """A Cloud Storage bucket; `url()` is a V4 signed URL (the emulator's own URL against the emulator)."""

    redirects = True

    def __init__(self, bucket: str, *, emulator_host: str = "", project: str | None = None,
                 retry_budget_s: float = RETRY_BUDGET_S) -> None:
        self.bucket_name = bucket
        self.retry_budget_s = retry_budget_s
        self.emulator_host = emulator_host.rstrip("/")
        if self.emulator_host and "://" not in self.emulator_host:
            self.emulator_host = f"http://{self.emulator_host}"
        self.project = project

    def put(self, name: str, data: bytes, content_type: str) -> None:
        with _translated_errors():
            self._bucket.blob(name).upload_from_string(data, content_type=content_type, timeout=TIMEOUT_S,
                                                       retry=self._retry)  # same name, same bytes: safe to retry

    def get(self, name: str) -> bytes | None:
        from google.api_core.exceptions import NotFound

        with _translated_errors():
            try:
                data: bytes = self._bucket.blob(name).download_as_bytes(timeout=TIMEOUT_S, retry=self._retry)
            except NotFound:
                return None
        return data

    def url(self, name: str) -> str:
        if self.emulator_host:  # the emulator serves objects publicly and cannot verify signatures
            return f"{self.emulator_host}/{self.bucket_name}/{quote(name)}"
        with _translated_errors():
            signed: str = self._bucket.blob(name).generate_signed_url(
                version="v4", expiration=SIGNED_URL_TTL, method="GET", **signing_arguments(self._credentials))
        return signed

    @property
    def _retry(self) -> Any:
        from google.cloud.storage.retry import DEFAULT_RETRY

        return DEFAULT_RETRY.with_timeout(self.retry_budget_s)

    @functools.cached_property
    def _credentials(self) -> Any:
        if self.emulator_host:
            from google.auth.credentials import AnonymousCredentials

            return AnonymousCredentials()  # type: ignore[no-untyped-call]
        import google.auth

        credentials, _ = google.auth.default()
        return credentials

    @functools.cached_property
    def _bucket(self) -> Any:
        from google.cloud import storage

        options = {"api_endpoint": self.emulator_host} if self.emulator_host else None
        project = self.project or ("local" if self.emulator_host else None)
        client = storage.Client(project=project, credentials=self._credentials, client_options=options)
        return client.bucket(self.bucket_name)


def signing_arguments(credentials: Any) -> dict[str, str]:
    """How to sign with these credentials: a key signs locally; metadata-server credentials have none.

    Cloud Functions run with token-only credentials, so the signature comes from IAM signBlob: pass the
    service account's email and a fresh access token (the account needs Token Creator on itself).
    """
    from google.auth.credentials import Signing

    if isinstance(credentials, Signing):
        return {}
    if not credentials.valid:  # also resolves the email, which reads "default" before the first refresh
        from google.auth.transport.requests import Request

        credentials.refresh(Request())
    return {"service_account_email": credentials.service_account_email, "access_token": credentials.token}


@contextmanager
def _translated_errors() -> Iterator[None]:
    from google.api_core.exceptions import GoogleAPIError
    from google.auth.exceptions import GoogleAuthError
    from requests.exceptions import RequestException

    try:
        yield
    except (GoogleAPIError, GoogleAuthError, RequestException) as exc:  # API errors, exhausted retries, network
        log.warning("cloud storage call failed: %s", type(exc).__name__, exc_info=True)
        raise StorageUnavailable() from exc


def get_storage() -> Storage:
    """Cloud Storage when QR_BUCKET is set, else the local directory STORAGE_DIR."""
    settings = get_settings()
    return _storage(settings.qr_bucket, settings.storage_dir, settings.storage_emulator_host, settings.gcp_project)


@functools.cache
def _storage(bucket: str, directory: str, emulator_host: str, project: str | None) -> Storage:
    if bucket:
        return GcsStorage(bucket, emulator_host=emulator_host, project=project)
    return LocalStorage(Path(directory))
