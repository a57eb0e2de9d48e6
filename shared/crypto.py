"""Secrets at rest: AES-256-GCM under a key id, so keys can rotate without re-encrypting everything at once.

A blob is `nonce (12 bytes) || ciphertext || tag (16 bytes)`; its key id is stored beside it. The
associated data (AAD) names the row the secret belongs to, so a blob copied to another row fails to
decrypt. Keys come from `CREDENTIALS_KEYS` ("kid1:<base64 of 32 bytes>,kid2:...") and new writes use
`CREDENTIALS_ACTIVE_KEY_ID`; retired keys stay listed for as long as rows encrypted under them exist.

Outside production, with no keys configured, a fixed development key (id "dev", derived from a
constant label) is used so `make run` and the tests need no setup. It protects nothing: production
refuses to start without real keys (`Settings.require_production_secrets`), and this module refuses the
fallback there too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.config import Environment, get_settings

NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,50}$")  # stored in a VARCHAR(50) column
DEV_KEY_ID = "dev"
DEV_KEY_LABEL = b"affiliate-platform development credentials key; not a secret"
Aad = bytes | str  # text is UTF-8 encoded, e.g. "advertiser_provider_mappings:42:everflow"


class CredentialsKeyError(RuntimeError):
    """The key configuration is unusable, or names no key for a stored blob."""


class DecryptionFailed(RuntimeError):
    """The blob was altered, or belongs to another row, or was encrypted under another key."""


@dataclass(frozen=True)
class Keyring:
    """The configured keys by id, and the one new writes use."""

    keys: Mapping[str, bytes]
    active_key_id: str

    def __post_init__(self) -> None:
        if self.active_key_id not in self.keys:
            raise CredentialsKeyError(f"the active credentials key id {self.active_key_id!r} is not configured")

    def encrypt(self, plaintext: bytes, *, aad: Aad) -> tuple[str, bytes]:
        """Encrypt under the active key; returns (key id, nonce || ciphertext || tag)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.active_key_id]).encrypt(nonce, plaintext, _bytes(aad))
        return self.active_key_id, nonce + sealed

    def decrypt(self, key_id: str, blob: bytes, *, aad: Aad) -> bytes:
        """Decrypt with the named key, whichever key is active now."""
        key = self.keys.get(key_id)
        if key is None:
            raise CredentialsKeyError(f"credentials key id {key_id!r} is not configured (CREDENTIALS_KEYS)")
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionFailed("the encrypted value is too short")
        try:
            return AESGCM(key).decrypt(bytes(blob[:NONCE_BYTES]), bytes(blob[NONCE_BYTES:]), _bytes(aad))
        except InvalidTag as exc:
            raise DecryptionFailed("the encrypted value failed authentication") from exc

    def needs_rotation(self, key_id: str) -> bool:
        """Whether a blob under `key_id` should be re-encrypted under the active key."""
        return key_id != self.active_key_id


def _bytes(aad: Aad) -> bytes:
    return aad.encode() if isinstance(aad, str) else aad


def parse_keys(spec: str) -> dict[str, bytes]:
    """`kid1:<base64>,kid2:<base64>` -> {kid: 32-byte key}; malformed entries are refused by position."""
    keys: dict[str, bytes] = {}
    for position, entry in enumerate((e.strip() for e in spec.split(",") if e.strip()), start=1):
        key_id, colon, encoded = entry.partition(":")
        key_id = key_id.strip()
        if not colon:
            raise CredentialsKeyError(f"CREDENTIALS_KEYS entry {position} is not of the form <key id>:<base64 key>")
        if not KEY_ID.match(key_id) or key_id in keys:
            raise CredentialsKeyError(f"CREDENTIALS_KEYS entry {position} has a missing, invalid or repeated key id")
        keys[key_id] = _decode_key(encoded.strip(), position)
    return keys


def _decode_key(encoded: str, position: int) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CredentialsKeyError(f"CREDENTIALS_KEYS entry {position} is not base64") from exc
    if len(key) != KEY_BYTES:
        raise CredentialsKeyError(f"CREDENTIALS_KEYS entry {position} must decode to {KEY_BYTES} bytes")
    return key


def development_key() -> bytes:
    """The fixed key used outside production when none is configured (deterministic, so restarts can decrypt)."""
    return hashlib.sha256(DEV_KEY_LABEL).digest()


def build_keyring(spec: str, active_key_id: str, environment: Environment) -> Keyring:
    """The keyring of the settings; the development key only outside production and only when none is set."""
    if spec.strip():
        return Keyring(parse_keys(spec), active_key_id.strip())
    if environment is Environment.PRODUCTION:
        raise CredentialsKeyError("CREDENTIALS_KEYS is required in production")
    return Keyring({DEV_KEY_ID: development_key()}, active_key_id.strip() or DEV_KEY_ID)


@lru_cache(maxsize=4)
def _cached_keyring(spec: str, active_key_id: str, environment: Environment) -> Keyring:
    return build_keyring(spec, active_key_id, environment)


def get_keyring() -> Keyring:
    """The keyring of the current settings, built once per distinct configuration."""
    settings = get_settings()
    return _cached_keyring(settings.credentials_keys, settings.credentials_active_key_id, settings.environment)


def encrypt(plaintext: bytes, *, aad: Aad) -> tuple[str, bytes]:
    """Encrypt under the active key: (key id, nonce || ciphertext || tag)."""
    return get_keyring().encrypt(plaintext, aad=aad)


def decrypt(key_id: str, blob: bytes, *, aad: Aad) -> bytes:
    """Decrypt a blob with the key it names; retired keys keep decrypting while they stay configured."""
    return get_keyring().decrypt(key_id, blob, aad=aad)
