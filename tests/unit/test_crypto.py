"""AES-256-GCM envelopes under key ids: round trips, rotation, tampering, misplaced blobs, bad configuration."""

from __future__ import annotations

import base64
import os

import pytest

from shared import crypto
from shared.config import Environment, Settings, SettingsError, get_settings
from shared.crypto import CredentialsKeyError, DecryptionFailed, Keyring, build_keyring, parse_keys

AAD = "advertiser_provider_mappings:7:everflow"


def key_spec(**keys: bytes) -> str:
    return ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in keys.items())


@pytest.fixture
def keys() -> dict[str, bytes]:
    return {"kid1": os.urandom(32), "kid2": os.urandom(32)}


def test_a_secret_round_trips_and_the_blob_is_nonce_ciphertext_and_tag(keys) -> None:
    ring = Keyring(keys, "kid1")
    key_id, blob = ring.encrypt(b'{"api_key":"s3cret"}', aad=AAD)
    assert key_id == "kid1"
    assert len(blob) == 12 + len(b'{"api_key":"s3cret"}') + 16
    assert b"s3cret" not in blob
    assert ring.decrypt(key_id, blob, aad=AAD) == b'{"api_key":"s3cret"}'


def test_each_encryption_uses_a_fresh_nonce(keys) -> None:
    ring = Keyring(keys, "kid1")
    assert ring.encrypt(b"same", aad=AAD)[1] != ring.encrypt(b"same", aad=AAD)[1]


def test_after_rotation_old_blobs_still_decrypt_and_new_writes_use_the_new_key(keys) -> None:
    before = Keyring(keys, "kid1")
    old_id, old_blob = before.encrypt(b"old secret", aad=AAD)
    after = Keyring(keys, "kid2")
    assert after.decrypt(old_id, old_blob, aad=AAD) == b"old secret"
    new_id, new_blob = after.encrypt(b"new secret", aad=AAD)
    assert new_id == "kid2"
    assert after.decrypt(new_id, new_blob, aad=AAD) == b"new secret"
    assert after.needs_rotation(old_id) and not after.needs_rotation(new_id)


@pytest.mark.parametrize("position", [0, 11, 12, -1])  # nonce, nonce end, ciphertext, tag
def test_a_flipped_bit_anywhere_is_detected(keys, position: int) -> None:
    ring = Keyring(keys, "kid1")
    key_id, blob = ring.encrypt(b"secret", aad=AAD)
    tampered = bytearray(blob)
    tampered[position] ^= 0x01
    with pytest.raises(DecryptionFailed):
        ring.decrypt(key_id, bytes(tampered), aad=AAD)


def test_a_blob_copied_to_another_row_fails_to_decrypt(keys) -> None:
    ring = Keyring(keys, "kid1")
    key_id, blob = ring.encrypt(b"secret", aad=AAD)
    with pytest.raises(DecryptionFailed):
        ring.decrypt(key_id, blob, aad="advertiser_provider_mappings:8:everflow")


def test_a_blob_under_one_key_does_not_decrypt_under_another(keys) -> None:
    ring = Keyring(keys, "kid1")
    _, blob = ring.encrypt(b"secret", aad=AAD)
    with pytest.raises(DecryptionFailed):
        ring.decrypt("kid2", blob, aad=AAD)


def test_a_truncated_blob_is_refused(keys) -> None:
    with pytest.raises(DecryptionFailed):
        Keyring(keys, "kid1").decrypt("kid1", b"short", aad=AAD)


def test_an_unknown_key_id_names_itself_and_the_setting(keys) -> None:
    ring = Keyring(keys, "kid1")
    _, blob = ring.encrypt(b"secret", aad=AAD)
    with pytest.raises(CredentialsKeyError, match=r"'retired'.*CREDENTIALS_KEYS"):
        ring.decrypt("retired", blob, aad=AAD)


def test_the_active_key_must_be_configured(keys) -> None:
    with pytest.raises(CredentialsKeyError, match="kid3"):
        Keyring(keys, "kid3")


@pytest.mark.parametrize(("spec", "problem"), [
    ("kid1", "form <key id>:<base64 key>"),
    ("kid1:not base64!", "base64"),
    ("kid1:" + base64.b64encode(b"x" * 16).decode(), "32 bytes"),
    (":" + base64.b64encode(b"x" * 32).decode(), "key id"),
    ("bad id:" + base64.b64encode(b"x" * 32).decode(), "key id"),
    (key_spec(a=b"x" * 32) + "," + key_spec(a=b"y" * 32), "repeated"),
])
def test_malformed_key_settings_are_refused_without_echoing_the_key(spec: str, problem: str) -> None:
    with pytest.raises(CredentialsKeyError, match=problem) as error:
        parse_keys(spec)
    assert "eHh4" not in str(error.value)  # base64 of "xxx": no key material in the message


def test_several_keys_parse_with_spaces_around_entries(keys) -> None:
    spec = " , ".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in keys.items())
    assert parse_keys(spec) == keys


def test_the_development_key_is_used_only_outside_production_and_only_without_keys(keys) -> None:
    dev = build_keyring("", "", Environment.TEST)
    assert dev.active_key_id == "dev"
    assert dev.keys["dev"] == build_keyring("", "", Environment.DEVELOPMENT).keys["dev"]  # deterministic
    with pytest.raises(CredentialsKeyError, match="required in production"):
        build_keyring("", "", Environment.PRODUCTION)
    configured = build_keyring(key_spec(**keys), "kid2", Environment.PRODUCTION)
    assert configured.active_key_id == "kid2"
    assert "dev" not in configured.keys


def test_production_start_up_requires_the_credentials_keys() -> None:
    settings = Settings(APP_ENV="production", database_url="postgresql://db/app", redis_url="redis://r",
                        supabase_jwt_secret="s" * 32, supabase_webhook_secret="w" * 32,
                        required_secrets="DATABASE_URL,CREDENTIALS_KEYS,CREDENTIALS_ACTIVE_KEY_ID")
    with pytest.raises(SettingsError) as error:
        settings.require_production_secrets()
    assert "CREDENTIALS_KEYS" in str(error.value)
    assert "CREDENTIALS_ACTIVE_KEY_ID" in str(error.value)


def test_the_module_functions_follow_the_settings_when_they_change(monkeypatch, keys) -> None:
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("CREDENTIALS_KEYS", key_spec(**keys))
    monkeypatch.setenv("CREDENTIALS_ACTIVE_KEY_ID", "kid1")
    get_settings.cache_clear()
    try:
        old_id, old_blob = crypto.encrypt(b"secret", aad=AAD)
        monkeypatch.setenv("CREDENTIALS_ACTIVE_KEY_ID", "kid2")
        get_settings.cache_clear()
        assert crypto.decrypt(old_id, old_blob, aad=AAD) == b"secret"
        assert crypto.encrypt(b"secret", aad=AAD)[0] == "kid2"
    finally:
        get_settings.cache_clear()
