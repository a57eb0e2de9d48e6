"""Object storage against the real things (a directory, the Cloud Storage emulator) and QR images read back."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.adapters import qr
from shared.adapters.storage import GcsStorage, LocalStorage, StorageUnavailable, get_storage, signing_arguments
from shared.domain.tracking_links import QrFormat, qr_stem
from tests.qr_decode import decode_qr_png, decode_qr_svg
from tests.storage_emulator import new_bucket, use_directory, use_emulator

URL = "https://track.example.test/ABC123/DEF456/?source_id=newsletter&sub1=spring"


@pytest.fixture
def local(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "storage")


@pytest.fixture
def gcs(storage_emulator) -> GcsStorage:
    return GcsStorage(new_bucket(storage_emulator), emulator_host=storage_emulator)


@pytest.fixture(params=["local", "gcs"])
def storage(request):
    return request.getfixturevalue(request.param)


def test_an_object_put_is_read_back_and_a_missing_one_is_none(storage) -> None:
    storage.put("qr/a/b.png", b"\x89PNG-bytes", "image/png")
    storage.put("qr/a/b.png", b"replaced", "image/png")
    assert storage.get("qr/a/b.png") == b"replaced"
    assert storage.get("qr/a/missing.png") is None


def test_local_objects_stay_inside_their_directory(local, tmp_path) -> None:
    local.put("qr/x.svg", b"<svg/>", "image/svg+xml")
    assert (tmp_path / "storage" / "qr" / "x.svg").read_bytes() == b"<svg/>"
    assert local.url("qr/x.svg") == (tmp_path / "storage" / "qr" / "x.svg").as_uri()
    for name in ("../escape.png", "/etc/passwd", "qr/../../escape.png", ""):
        with pytest.raises(ValueError, match="outside"):
            local.put(name, b"x", "image/png")
    assert not (tmp_path / "escape.png").exists()


def test_the_emulators_url_serves_the_object_with_its_content_type(gcs) -> None:
    gcs.put("qr/tracking-links/1/abc.png", b"png-bytes", "image/png")
    response = requests.get(gcs.url("qr/tracking-links/1/abc.png"), timeout=5)
    assert response.status_code == 200
    assert response.content == b"png-bytes"
    assert response.headers["Content-Type"] == "image/png"


def test_an_unreachable_storage_is_a_503_not_a_crash() -> None:
    down = GcsStorage("qr-bucket", emulator_host="127.0.0.1:1", retry_budget_s=0.5)
    with pytest.raises(StorageUnavailable) as error:
        down.get("qr/x.png")
    assert error.value.status == 503


def test_get_storage_picks_cloud_storage_when_a_bucket_is_set(monkeypatch, tmp_path, storage_emulator) -> None:
    use_directory(monkeypatch, str(tmp_path))
    local = get_storage()
    assert isinstance(local, LocalStorage) and local.root == tmp_path.resolve()
    assert get_storage() is local  # cached
    bucket = use_emulator(monkeypatch, storage_emulator)
    gcs = get_storage()
    assert isinstance(gcs, GcsStorage) and gcs.bucket_name == bucket and gcs.redirects


def test_a_png_qr_code_decodes_back_to_its_url() -> None:
    assert decode_qr_png(qr.render(URL, QrFormat.PNG)) == [URL]


def test_an_svg_qr_code_decodes_back_to_its_url() -> None:
    svg = qr.render(URL, QrFormat.SVG)
    assert svg.startswith(b"<?xml") and b"<svg" in svg and b"<script" not in svg
    assert decode_qr_svg(svg) == [URL]


def test_a_url_too_long_for_a_qr_code_is_a_validation_error() -> None:
    with pytest.raises(Exception, match="too long") as error:
        qr.render("https://t.test/" + "x" * 5_000, QrFormat.PNG)
    assert getattr(error.value, "status", None) == 422


def test_qr_images_stored_in_the_emulator_decode_back_to_the_url(gcs) -> None:
    stem = qr_stem(42, URL)
    qr.store(gcs, stem, URL)
    png = requests.get(gcs.url(f"{stem}.png"), timeout=5)
    assert png.headers["Content-Type"] == "image/png"
    assert decode_qr_png(png.content) == [URL]
    assert decode_qr_svg(gcs.get(f"{stem}.svg") or b"") == [URL]


def test_a_missing_qr_image_is_drawn_and_stored_again(local) -> None:
    stem = qr_stem(7, URL)
    assert local.get(f"{stem}.svg") is None
    svg = qr.load(local, stem, URL, QrFormat.SVG)
    assert local.get(f"{stem}.svg") == svg
    assert decode_qr_svg(svg) == [URL]


class TokenOnlyCredentials:
    """What Cloud Functions get from the metadata server: a token and an email, no private key."""

    def __init__(self) -> None:
        self.valid = False
        self.token: str | None = None
        self.service_account_email = "default"
        self.refreshed = 0

    def refresh(self, request: object) -> None:
        self.refreshed += 1
        self.valid, self.token = True, "ya29.token"
        self.service_account_email = "functions@project.iam.gserviceaccount.com"


def test_metadata_server_credentials_sign_through_iam_with_email_and_token() -> None:
    credentials = TokenOnlyCredentials()
    assert signing_arguments(credentials) == {
        "service_account_email": "functions@project.iam.gserviceaccount.com", "access_token": "ya29.token"}
    signing_arguments(credentials)
    assert credentials.refreshed == 1  # a valid token is reused


def test_a_service_account_key_signs_a_v4_url_locally() -> None:
    from google.cloud import storage
    from google.oauth2 import service_account

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    credentials = service_account.Credentials.from_service_account_info({
        "type": "service_account", "client_email": "signer@project.iam.gserviceaccount.com", "private_key": pem,
        "token_uri": "https://oauth2.googleapis.com/token", "project_id": "project"})
    assert signing_arguments(credentials) == {}
    gcs = GcsStorage("qr-bucket", project="project")
    gcs.__dict__["_credentials"] = credentials  # the key instead of the machine's default credentials
    gcs.__dict__["_bucket"] = storage.Client(project="project", credentials=credentials).bucket("qr-bucket")
    url = urlparse(gcs.url("qr/tracking-links/1/abc.png"))
    query = parse_qs(url.query)
    assert url.path == "/qr-bucket/qr/tracking-links/1/abc.png"
    assert query["X-Goog-Algorithm"] == ["GOOG4-RSA-SHA256"]
    assert query["X-Goog-Credential"][0].startswith("signer@project.iam.gserviceaccount.com/")
    assert int(query["X-Goog-Expires"][0]) == int(timedelta(minutes=15).total_seconds())
    assert len(query["X-Goog-Signature"][0]) == 512
