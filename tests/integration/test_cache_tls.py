"""Redis over TLS as Memorystore serves it: the client trusts the instance's CA (REDIS_CA_CERT) and nothing else.

The embedded Valkey is built without TLS, so a TLS terminator in front of it plays Memorystore's
port 6378: a real handshake with a certificate from a CA made here, then the bytes go to the test
Redis. The server certificate names an IP only in its subject CN, as Memorystore's reportedly does.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared.cache import get_redis, reset_redis
from shared.config import get_settings

Configure = Callable[..., redis.Redis]


@dataclass(frozen=True)
class Authority:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: str, issuer: x509.Name, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1)))


def make_authority(common_name: str) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (_builder(common_name, _name(common_name), key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    return Authority(key, cert)


def issue_server_cert(ca: Authority, directory: Path, *, ip_san: str | None = None) -> tuple[Path, Path]:
    """A server certificate signed by `ca`: subject CN 10.0.0.3 (not the address dialled), SAN only if asked."""
    key = ec.generate_private_key(ec.SECP256R1())
    builder = _builder("10.0.0.3", ca.cert.subject, key)
    if ip_san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip_san))]),
                                        critical=False)
    cert = builder.sign(ca.key, hashes.SHA256())
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    pem = serialization.Encoding.PEM
    cert_path.write_bytes(cert.public_bytes(pem) + ca.cert.public_bytes(pem))
    key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


class TlsTerminator:
    """Accepts TLS on a loopback port and relays the plaintext to `target` (the test Redis)."""

    def __init__(self, target: tuple[str, int], cert: Path, key: Path) -> None:
        self.target = target
        self.refused = threading.Event()  # a client broke off the handshake
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                raw, _ = self._listener.accept()
                threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(5)
        try:
            tls = self._context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):  # the client refused our certificate
            self.refused.set()
            raw.close()
            return
        with tls, socket.create_connection(self.target) as upstream, contextlib.suppress(OSError):
            _relay(tls, upstream)


def _relay(tls: ssl.SSLSocket, upstream: socket.socket) -> None:
    """Both directions from one thread: an SSL object must not be read and written concurrently."""
    while True:
        ready = [tls] if tls.pending() else select.select([tls, upstream], [], [], 5)[0]
        if not ready:
            return
        for source, sink in ((tls, upstream), (upstream, tls)):
            if source in ready:
                data = source.recv(65_536)
                if not data:
                    return
                sink.sendall(data)


def address_of(redis_url: str) -> tuple[str, int]:
    parts = urlsplit(redis_url)
    return parts.hostname or "127.0.0.1", parts.port or 6379


def through(terminator: TlsTerminator, redis_url: str) -> str:
    """The test Redis's URL (credentials, database) as rediss:// to the terminator."""
    parts = urlsplit(redis_url)
    credentials = parts.netloc.rpartition("@")[0]
    return f"rediss://{credentials + '@' if credentials else ''}127.0.0.1:{terminator.port}{parts.path}"


@pytest.fixture(scope="module")
def instance_ca() -> Authority:
    return make_authority("Memorystore-like instance CA")


@pytest.fixture
def terminator(redis_url: str, instance_ca: Authority, tmp_path: Path) -> Iterator[TlsTerminator]:
    server = TlsTerminator(address_of(redis_url), *issue_server_cert(instance_ca, tmp_path))
    yield server
    server.close()


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Configure]:
    """Set REDIS_URL / REDIS_CA_CERT the way Terraform does and rebuild the shared client."""

    def apply(url: str, ca_pem: str = "") -> redis.Redis:
        monkeypatch.setenv("APP_ENV", "test")
        monkeypatch.setenv("REDIS_URL", url)
        monkeypatch.setenv("REDIS_TIMEOUT_S", "2")
        monkeypatch.setenv("REDIS_CA_CERT", ca_pem)
        get_settings.cache_clear()
        reset_redis()
        return get_redis()

    yield apply
    reset_redis()
    get_settings.cache_clear()


def test_the_client_trusts_the_instance_ca_and_reaches_redis_through_tls(
        configure: Configure, terminator: TlsTerminator, instance_ca: Authority, redis_url: str) -> None:
    client = configure(through(terminator, redis_url), instance_ca.pem)
    assert client.ping() is True
    client.set("tls:probe", "through TLS", ex=60)
    assert client.get("tls:probe") == b"through TLS"
    assert not terminator.refused.is_set()


def test_during_a_ca_rotation_both_authorities_are_trusted(
        configure: Configure, terminator: TlsTerminator, instance_ca: Authority, redis_url: str) -> None:
    """Terraform joins every server_ca_certs entry; the new CA may come first."""
    bundle = make_authority("the next instance CA").pem + "\n" + instance_ca.pem
    assert configure(through(terminator, redis_url), bundle).ping() is True


def test_without_the_ca_the_server_is_refused(configure: Configure, terminator: TlsTerminator, redis_url: str) -> None:
    client = configure(through(terminator, redis_url))
    with pytest.raises(redis.ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        client.ping()
    assert terminator.refused.wait(5)  # the server's side of the handshake ends after the client's


def test_a_certificate_from_any_other_ca_is_refused_even_one_the_system_trusts(
        configure: Configure, redis_url: str, instance_ca: Authority, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An impostor whose CA the machine trusts, certificate naming the right IP: only the instance CA counts."""
    impostor_ca = make_authority("publicly trusted CA")
    (tmp_path / "roots.pem").write_text(impostor_ca.pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "roots.pem"))  # the system roots, as OpenSSL reads them
    impostor = TlsTerminator(address_of(redis_url), *issue_server_cert(impostor_ca, tmp_path, ip_san="127.0.0.1"))
    try:
        url = through(impostor, redis_url)
        assert configure(url).ping() is True  # the system roots alone accept it
        with pytest.raises(redis.ConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            configure(url, instance_ca.pem).ping()
    finally:
        impostor.close()


def test_the_ca_is_not_applied_to_a_plain_redis_url(
        configure: Configure, redis_url: str, instance_ca: Authority) -> None:
    """Local runs and tests keep redis:// even where REDIS_CA_CERT is set."""
    assert configure(redis_url, instance_ca.pem).ping() is True
