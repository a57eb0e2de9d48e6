"""Supabase token verification against a real JWKS endpoint on 127.0.0.1, attacks included."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from shared.auth.tokens import (
    InvalidToken,
    KeySet,
    bearer_token,
    fetch_signing_keys,
    issue,
    reset_key_set,
    verify,
    verify_token,
)
from shared.config import get_settings

SECRET = "unit-test-legacy-secret-with-at-least-32-bytes"
CLAIMS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "jwt" / "access_token_claims.json").read_text()
)
USER = UUID(CLAIMS["sub"])


# --- a JWKS endpoint -------------------------------------------------------------------------


class JwksServer(ThreadingHTTPServer):
    """Serves `keys` as a JWKS (or fails with `status`) and counts the requests it gets."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), JwksHandler)
        self.keys: list[Any] = []  # JWKS entries, odd ones included
        self.status = 200
        self.hits = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/auth/v1/.well-known/jwks.json"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class JwksHandler(BaseHTTPRequestHandler):
    server: JwksServer

    def do_GET(self) -> None:
        self.server.hits += 1
        body = json.dumps({"keys": self.server.keys}).encode() if self.server.status == 200 else b"upstream down"
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output free of access logs."""


@dataclass(frozen=True)
class Keys:
    ec_key: ec.EllipticCurvePrivateKey
    rsa_key: rsa.RSAPrivateKey
    rogue_key: ec.EllipticCurvePrivateKey


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(
        ec_key=ec.generate_private_key(ec.SECP256R1()),
        rsa_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rogue_key=ec.generate_private_key(ec.SECP256R1()),
    )


@pytest.fixture
def jwks(keys: Keys) -> Iterator[JwksServer]:
    server = JwksServer()
    server.keys = [ec_jwk(keys.ec_key, "ec-1"), rsa_jwk(keys.rsa_key, "rsa-1")]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def settings(monkeypatch: pytest.MonkeyPatch, jwks: JwksServer) -> Iterator[None]:
    monkeypatch.setenv("SUPABASE_JWT_SECRET", SECRET)
    monkeypatch.setenv("SUPABASE_JWKS_URL", jwks.url)
    monkeypatch.setenv("JWT_AUDIENCE", "authenticated")
    monkeypatch.setenv("JWT_LEEWAY_SECONDS", "30")
    monkeypatch.setenv("JWKS_CACHE_SECONDS", "600")
    monkeypatch.setenv("JWKS_MIN_REFRESH_SECONDS", "30")
    monkeypatch.delenv("JWT_ISSUER", raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # a developer's proxy must not swallow the local JWKS
    forget()
    yield
    forget()


def forget() -> None:
    get_settings.cache_clear()
    reset_key_set()


def configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    forget()


# --- tokens ----------------------------------------------------------------------------------


def ec_jwk(key: ec.EllipticCurvePrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    return {**ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig", "alg": "ES256", **extra}


def rsa_jwk(key: rsa.RSAPrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    return {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig", "alg": "RS256", **extra}


def claims(*, drop: tuple[str, ...] = (), **overrides: Any) -> dict[str, Any]:
    """The canonical Supabase claims, fresh: issued now, valid for an hour."""
    now = int(time.time())
    payload = {**CLAIMS, "iat": now, "exp": now + 3600, **overrides}
    return {name: value for name, value in payload.items() if name not in drop}


def es256(keys: Keys, payload: dict[str, Any] | None = None, *, kid: str = "ec-1") -> str:
    return jwt.encode(payload or claims(), keys.ec_key, algorithm="ES256", headers={"kid": kid})


def rs256(keys: Keys, payload: dict[str, Any] | None = None, *, kid: str = "rsa-1") -> str:
    return jwt.encode(payload or claims(), keys.rsa_key, algorithm="RS256", headers={"kid": kid})


def hs256(payload: dict[str, Any] | None = None, *, secret: str = SECRET) -> str:
    return jwt.encode(payload or claims(), secret, algorithm="HS256")


def segment(value: dict[str, Any] | bytes) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def forged(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A token with any header, assembled by hand as an attacker would."""
    return f"{segment(header)}.{segment(payload)}.{segment(signature)}"


def hmac_signed(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{segment(header)}.{segment(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{segment(signature)}"


def public_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def reason_for(token: str) -> str:
    with pytest.raises(InvalidToken) as refused:
        verify(token)
    assert refused.value.status == 401
    return refused.value.code


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


# --- accepted tokens -------------------------------------------------------------------------


def test_es256_token_published_in_the_jwks_yields_its_user_id(keys: Keys) -> None:
    assert verify(es256(keys)) == USER


def test_rs256_token_published_in_the_jwks_yields_its_user_id(keys: Keys) -> None:
    assert verify(rs256(keys)) == USER


def test_hs256_token_signed_with_the_legacy_secret_yields_its_user_id(jwks: JwksServer) -> None:
    user = uuid4()
    assert verify(issue(user, SECRET)) == user
    assert jwks.hits == 0, "an HS256 token never touches the JWKS"


def test_verified_token_carries_its_algorithm_and_claims(keys: Keys) -> None:
    verified = verify_token(es256(keys))
    assert (verified.user_id, verified.algorithm) == (USER, "ES256")
    assert verified.claims["role"] == "authenticated"
    assert verified.claims["session_id"] == CLAIMS["session_id"]


def test_an_audience_list_that_includes_authenticated_is_accepted(keys: Keys) -> None:
    assert verify(es256(keys, claims(aud=["authenticated", "other"]))) == USER


def test_expiry_and_not_before_within_the_leeway_are_accepted(keys: Keys) -> None:
    now = int(time.time())
    assert verify(es256(keys, claims(exp=now - 10, nbf=now + 10))) == USER


def test_matching_issuer_is_accepted_when_one_is_configured(keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, JWT_ISSUER=CLAIMS["iss"])
    assert verify(es256(keys)) == USER


def test_any_issuer_is_accepted_when_none_is_configured(keys: Keys) -> None:
    assert verify(es256(keys, claims(iss="https://elsewhere.example/auth/v1"))) == USER


def test_many_threads_on_a_cold_cache_fetch_the_jwks_once(keys: Keys, jwks: JwksServer) -> None:
    token = es256(keys)
    results: list[UUID] = []
    threads = [threading.Thread(target=lambda: results.append(verify(token))) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [USER] * 16
    assert jwks.hits == 1


# --- the attack suite ------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_refused(alg: str, jwks: JwksServer) -> None:
    assert reason_for(forged({"alg": alg, "typ": "JWT"}, claims())) == "unsupported_algorithm"
    assert reason_for(forged({"alg": alg, "kid": "ec-1"}, claims(), b"sig")) == "unsupported_algorithm"
    assert jwks.hits == 0


@pytest.mark.parametrize("alg", ["HS384", "HS512", "PS256", "RS512", "ES384", "ES256K", "EdDSA", "", None])
def test_algorithms_outside_the_allow_list_are_refused_before_any_key_lookup(alg: str | None,
                                                                            jwks: JwksServer) -> None:
    assert reason_for(forged({"alg": alg, "kid": "ec-1"}, claims(), b"x" * 64)) == "unsupported_algorithm"
    assert jwks.hits == 0


def test_a_header_without_alg_or_with_a_list_alg_is_refused() -> None:
    assert reason_for(forged({"typ": "JWT"}, claims(), b"x")) == "unsupported_algorithm"
    assert reason_for(forged({"alg": ["ES256", "HS256"]}, claims(), b"x")) == "unsupported_algorithm"


@pytest.mark.parametrize("which", ["ec", "rsa"])
def test_hs256_signed_with_the_public_key_pem_is_refused(which: str, keys: Keys, jwks: JwksServer) -> None:
    pem = public_pem(keys.ec_key if which == "ec" else keys.rsa_key)
    token = hmac_signed({"alg": "HS256", "typ": "JWT", "kid": f"{which}-1"}, claims(), pem)
    assert reason_for(token) == "invalid_signature"
    assert jwks.hits == 0, "an HS256 token is never checked against a published key"


def test_hs256_signed_with_the_public_key_is_refused_when_only_the_jwks_is_configured(
        keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, SUPABASE_JWT_SECRET="")
    token = hmac_signed({"alg": "HS256", "kid": "ec-1"}, claims(), public_pem(keys.ec_key))
    assert reason_for(token) == "auth_not_configured"


def test_hs256_signed_with_another_secret_is_refused() -> None:
    assert reason_for(hs256(secret="another-secret-that-is-also-32-bytes-long")) == "invalid_signature"


@pytest.mark.parametrize("sign", [es256, rs256])
def test_expired_token_is_refused(sign: Any, keys: Keys) -> None:
    now = int(time.time())
    assert reason_for(sign(keys, claims(iat=now - 7200, exp=now - 120))) == "token_expired"


def test_expired_hs256_token_is_refused() -> None:
    assert reason_for(issue(USER, SECRET, ttl_seconds=-120)) == "token_expired"


@pytest.mark.parametrize("claim", ["nbf", "iat"])
def test_token_not_yet_valid_is_refused(claim: str, keys: Keys) -> None:
    early: dict[str, Any] = {claim: int(time.time()) + 300}
    assert reason_for(es256(keys, claims(**early))) == "token_not_yet_valid"


@pytest.mark.parametrize("aud", ["anon", "authenticated ", ["anon", "service"], "https://api.example"])
def test_wrong_audience_is_refused(aud: Any, keys: Keys) -> None:
    assert reason_for(es256(keys, claims(aud=aud))) == "invalid_audience"


def test_wrong_issuer_is_refused_when_one_is_configured(keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, JWT_ISSUER=CLAIMS["iss"])
    assert reason_for(es256(keys, claims(iss="https://attacker.supabase.co/auth/v1"))) == "invalid_issuer"
    assert reason_for(es256(keys, claims(drop=("iss",)))) == "missing_claim"


@pytest.mark.parametrize("sign", [es256, rs256])
def test_tampered_payload_is_refused(sign: Any, keys: Keys) -> None:
    header, _, signature = sign(keys).split(".")
    tampered = f"{header}.{segment(claims(sub=str(uuid4()), role='service_role'))}.{signature}"
    assert reason_for(tampered) == "invalid_signature"


def test_unreadable_payload_is_refused_on_its_signature_before_it_is_parsed(keys: Keys) -> None:
    header, _, signature = es256(keys).split(".")
    assert reason_for(f"{header}.{segment(b'not json')}.{signature}") == "invalid_signature"


def test_tampered_hs256_payload_is_refused() -> None:
    header, _, signature = hs256().split(".")
    assert reason_for(f"{header}.{segment(claims(sub=str(uuid4())))}.{signature}") == "invalid_signature"


def test_signature_by_a_key_that_is_not_published_under_a_known_kid_is_refused(keys: Keys) -> None:
    token = jwt.encode(claims(), keys.rogue_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert reason_for(token) == "invalid_signature"


def test_alg_that_does_not_match_the_kids_key_is_refused(keys: Keys) -> None:
    token = jwt.encode(claims(), keys.rsa_key, algorithm="RS256", headers={"kid": "ec-1"})
    assert reason_for(token) == "invalid_signature"


@pytest.mark.parametrize("claim", ["sub", "exp", "aud"])
def test_missing_required_claim_is_refused(claim: str, keys: Keys) -> None:
    assert reason_for(es256(keys, claims(drop=(claim,)))) == "missing_claim"


def test_missing_sub_in_an_hs256_token_is_refused() -> None:
    assert reason_for(hs256(claims(drop=("sub",)))) == "missing_claim"


@pytest.mark.parametrize("sub", ["anon", "", "12345", 42, "6f1d2c3b-4a59-4e8d-9c7b"])
def test_subject_that_is_not_a_user_id_is_refused(sub: Any, keys: Keys) -> None:
    assert reason_for(es256(keys, claims(sub=sub))) == "invalid_subject"


def test_unknown_kid_is_refused(keys: Keys) -> None:
    token = jwt.encode(claims(), keys.rogue_key, algorithm="ES256", headers={"kid": "rogue-1"})
    assert reason_for(token) == "unknown_key"


def test_asymmetric_token_without_a_kid_is_refused_without_a_fetch(keys: Keys, jwks: JwksServer) -> None:
    assert reason_for(jwt.encode(claims(), keys.ec_key, algorithm="ES256")) == "unknown_key"
    assert jwks.hits == 0


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "not.a.jwt",
        "a.b.c",
        "....",
        "eyJhbGciOiJFUzI1NiJ9",
        "eyJhbGciOiJFUzI1NiJ9.!!!!.sig",
        f"{segment(b'[1, 2]')}.{segment({'sub': 'x'})}.sig",
        f"{segment(b'not json')}.{segment({'sub': 'x'})}.sig",
        f"{segment({'alg': 'ES256', 'kid': 7})}.{segment({'sub': 'x'})}.sig",
    ],
)
def test_garbage_is_refused_as_malformed(token: str) -> None:
    assert reason_for(token) == "malformed_token"


# --- configuration ---------------------------------------------------------------------------


def test_hs256_token_is_refused_when_no_secret_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, SUPABASE_JWT_SECRET="")
    assert reason_for(hs256()) == "auth_not_configured"


def test_asymmetric_token_is_refused_when_no_jwks_url_is_configured(keys: Keys,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, SUPABASE_JWKS_URL="")
    assert reason_for(es256(keys)) == "auth_not_configured"


@pytest.mark.parametrize(
    ("header", "token"),
    [(None, ""), ("", ""), ("Basic abc", ""), ("Bearer ", ""), ("Bearer abc", "abc"), ("bearer  abc ", "abc")],
)
def test_bearer_token_is_taken_from_a_bearer_authorization_header(header: str | None, token: str) -> None:
    if token:
        assert bearer_token(header) == token
    else:
        with pytest.raises(InvalidToken) as refused:
            bearer_token(header)
        assert refused.value.code == "missing_token"


# --- the key set -----------------------------------------------------------------------------


def test_a_rotated_in_kid_is_accepted_after_one_refetch(keys: Keys, jwks: JwksServer) -> None:
    assert verify(es256(keys)) == USER
    jwks.keys.append(ec_jwk(keys.rogue_key, "ec-2"))
    token = jwt.encode(claims(), keys.rogue_key, algorithm="ES256", headers={"kid": "ec-2"})
    assert verify(token) == USER
    assert jwks.hits == 2


def test_many_unknown_kids_within_the_interval_cause_at_most_one_extra_fetch(keys: Keys, jwks: JwksServer) -> None:
    assert verify(es256(keys)) == USER
    for n in range(25):
        token = jwt.encode(claims(), keys.rogue_key, algorithm="ES256", headers={"kid": f"garbage-{n}"})
        assert reason_for(token) == "unknown_key"
    assert jwks.hits == 2
    assert verify(rs256(keys)) == USER, "known kids keep verifying from the cache"
    assert jwks.hits == 2


def test_an_unknown_kid_refetches_again_once_the_interval_has_passed(jwks: JwksServer) -> None:
    clock = Clock()
    key_set = KeySet(jwks.url, ttl=600, min_refresh=30, clock=clock)
    key_set.signing_key("ec-1")
    for kid in ("a", "b", "c"):
        with pytest.raises(InvalidToken, match="unknown"):
            key_set.signing_key(kid)
    assert jwks.hits == 2
    clock.now += 31
    with pytest.raises(InvalidToken):
        key_set.signing_key("d")
    assert jwks.hits == 3


def test_the_key_set_is_refetched_when_its_cache_time_is_over(keys: Keys, jwks: JwksServer) -> None:
    clock = Clock()
    key_set = KeySet(jwks.url, ttl=600, min_refresh=30, clock=clock)
    key_set.signing_key("ec-1")
    clock.now += 599
    key_set.signing_key("ec-1")
    assert jwks.hits == 1
    jwks.keys = [rsa_jwk(keys.rsa_key, "rsa-1")]
    clock.now += 1
    with pytest.raises(InvalidToken) as refused:
        key_set.signing_key("ec-1")
    assert refused.value.code == "unknown_key", "a key revoked upstream stops verifying after the cache time"
    assert jwks.hits == 2


def test_a_jwks_outage_after_a_successful_fetch_keeps_verifying_with_the_cached_keys(
        keys: Keys, jwks: JwksServer, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, JWKS_CACHE_SECONDS="0")  # every call wants a fresh set
    assert verify(es256(keys)) == USER
    jwks.status = 503
    assert verify(es256(keys)) == USER
    assert verify(rs256(keys)) == USER
    assert jwks.hits == 2, "after a failed fetch, the next attempt waits for the refresh interval"
    jwks.stop()
    reset_key_set()
    assert reason_for(es256(keys)) == "jwks_unavailable"


def test_an_unreachable_jwks_with_a_cached_set_keeps_verifying(keys: Keys, jwks: JwksServer) -> None:
    clock = Clock()
    key_set = KeySet(jwks.url, ttl=10, min_refresh=0, clock=clock)
    key_set.signing_key("ec-1")
    jwks.stop()
    clock.now += 60
    assert key_set.signing_key("ec-1").key_id == "ec-1"


@pytest.mark.parametrize("status", [404, 500, 503])
def test_without_any_key_set_asymmetric_tokens_are_refused_as_jwks_unavailable(status: int, keys: Keys,
                                                                              jwks: JwksServer) -> None:
    jwks.status = status
    assert reason_for(es256(keys)) == "jwks_unavailable"
    assert reason_for(rs256(keys)) == "jwks_unavailable"
    assert jwks.hits == 1, "failures are retried at most once per refresh interval"
    assert verify(issue(USER, SECRET)) == USER, "HS256 tokens do not depend on the JWKS"


def test_keys_not_for_signing_or_outside_the_allow_list_are_ignored(keys: Keys, jwks: JwksServer) -> None:
    other_ec = ec.generate_private_key(ec.SECP384R1())
    jwks.keys += [
        ec_jwk(keys.rogue_key, "enc-1", use="enc"),
        rsa_jwk(keys.rsa_key, "rs512-1", alg="RS512"),
        {**ECAlgorithm.to_jwk(other_ec.public_key(), as_dict=True), "kid": "es384-1"},
        {"kty": "oct", "kid": "oct-1", "k": segment(SECRET.encode())},
        {"kty": "OKP", "crv": "Ed25519", "kid": "ed-1", "x": segment(b"\0" * 32)},
        {"kty": "EC", "kid": "broken-1", "crv": "P-256", "x": 5, "y": None},
        {"kty": "RSA", "kid": "no-modulus"},
        {**ec_jwk(keys.rogue_key, "no-kid"), "kid": None},
        "not a key",
    ]
    assert sorted(fetch_signing_keys(jwks.url, timeout=2)) == ["ec-1", "rsa-1"]


def test_a_key_without_use_or_alg_is_inferred_from_its_type(keys: Keys, jwks: JwksServer) -> None:
    jwks.keys = [{**ECAlgorithm.to_jwk(keys.ec_key.public_key(), as_dict=True), "kid": "bare-1"}]
    assert fetch_signing_keys(jwks.url, timeout=2)["bare-1"].algorithm_name == "ES256"


def test_nothing_is_fetched_before_the_first_asymmetric_token(jwks: JwksServer) -> None:
    verify(issue(USER, SECRET))
    reason_for("garbage")
    assert jwks.hits == 0
