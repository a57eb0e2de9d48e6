"""Tracking links as Everflow generates them (contract §2.4): tracking domain + encoded affiliate and offer ids."""

from __future__ import annotations

from urllib.parse import urlencode

from shared.adapters.everflow.sandbox_data import unit
from shared.adapters.everflow.sandbox_fields import Json, SandboxError, bad_request, boolean, integer, text
from shared.adapters.everflow.sandbox_state import Kind, SandboxConfig, SandboxState

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
WIDTH = 6
HALF = len(ALPHABET) ** (WIDTH // 2)  # codes are pairs of halves: a Feistel network permutes them
ROUNDS = 4
LINK_PARAMS = ("source_id", "sub1", "sub2", "sub3", "sub4", "sub5")


def encoded_value(kind: Kind, entity_id: int) -> str:
    """Everflow's short code for an affiliate or offer id, e.g. `2LQC3F`: distinct ids, distinct codes."""
    left, right = divmod(entity_id % HALF**2, HALF)
    for round_number in range(ROUNDS):
        left, right = right, (left + int(unit(kind.value, round_number, right) * HALF)) % HALF
    value = left * HALF + right
    digits = []
    for _ in range(WIDTH):
        value, digit = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def base_link(host: str, affiliate_id: int, offer_id: int) -> str:
    return f"https://{host}/{encoded_value(Kind.AFFILIATES, affiliate_id)}/{encoded_value(Kind.OFFERS, offer_id)}/"


def generate_link(body: Json, *, state: SandboxState, config: SandboxConfig) -> Json:
    """`POST /v1/networks/tracking/offers/clicks` -> `{"url": ...}`."""
    offer = _runnable(state, Kind.OFFERS, integer(body, "network_offer_id", required=True, minimum=1), "offer_status")
    affiliate = _runnable(state, Kind.AFFILIATES, integer(body, "network_affiliate_id", required=True, minimum=1),
                          "account_status")
    domain = integer(body, "network_tracking_domain_id", default=offer["network_tracking_domain_id"])
    if domain not in config.tracking_domains:
        raise bad_request("network_tracking_domain_id is not a tracking domain of this network")
    for name in ("network_offer_url_id", "creative_id"):
        if integer(body, name):  # the sandbox holds no offer URLs or creatives
            raise bad_request(f"{name} does not belong to the offer")
    integer(body, "network_traffic_source_id")
    boolean(body, "is_encrypt_parameters")
    boolean(body, "is_redirect_link")
    params = {name: value for name in LINK_PARAMS if (value := text(body, name))}
    url = base_link(config.tracking_domains[domain], affiliate["network_affiliate_id"], offer["network_offer_id"])
    return {"url": f"{url}?{urlencode(params)}" if params else url}


def _runnable(state: SandboxState, kind: Kind, entity_id: int, status_field: str) -> Json:
    record = state.find(kind, entity_id)
    if record is None:
        raise SandboxError(404, f"{kind.singular.capitalize()} {entity_id} not found")
    if record[status_field] != "active":
        raise bad_request(f"{kind.singular.capitalize()} {entity_id} is not active ({record[status_field]})")
    return record
