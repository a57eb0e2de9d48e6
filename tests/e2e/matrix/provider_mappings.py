"""Matrix cases of the provider-mapping routes: every mapping belongs to an entity of the target organization."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.matrix import Case, Context, Request, tenant

Build = Callable[[Context], Request]

ADV_MAPPINGS = "/api/v1/advertiser-provider-mappings"
AFF_MAPPINGS = "/api/v1/affiliate-provider-mappings"


def _entity(ctx: Context, table: str) -> int:
    sql = ctx.fixture("sql")
    key = f"{table[:-1]}_id"
    return int(sql(f"INSERT INTO {table} (organization_id, name) VALUES (:org, 'Matrix') RETURNING {key}",
                   org=ctx.target_org)[0][key])


def _campaign(ctx: Context) -> int:
    adv = _entity(ctx, "advertisers")
    return int(ctx.fixture("sql")(
        "INSERT INTO campaigns (organization_id, advertiser_id, name) VALUES (:org, :adv, 'Matrix')"
        " RETURNING campaign_id", org=ctx.target_org, adv=adv)[0]["campaign_id"])


def _mapping(ctx: Context, kind: str, entity_id: int) -> int:
    return int(ctx.fixture("sql")(
        f"INSERT INTO {kind}_provider_mappings ({kind}_id, organization_id) VALUES (:id, :org) RETURNING mapping_id",
        id=entity_id, org=ctx.target_org)[0]["mapping_id"])


def _read(kind: str) -> Build:
    def build(ctx: Context) -> Request:
        entity_id = _campaign(ctx) if kind == "campaign" else _entity(ctx, f"{kind}s")
        _mapping(ctx, kind, entity_id)
        return f"/api/v1/{kind}s/{entity_id}/provider-mappings/everflow", None
    return build


def _existing(kind: str, base: str, body: dict[str, object] | None) -> Build:
    def build(ctx: Context) -> Request:
        return f"{base}/{_mapping(ctx, kind, _entity(ctx, f'{kind}s'))}", body
    return build


def _create(kind: str) -> Build:
    def build(ctx: Context) -> Request:
        base = ADV_MAPPINGS if kind == "advertiser" else AFF_MAPPINGS
        return base, {"provider_mapping": {f"{kind}_id": _entity(ctx, f"{kind}s"), "provider_type": "everflow",
                                           "api_credentials": {"api_key": "matrix"}}}
    return build


UPDATE = {"provider_mapping": {"provider_data": {"matrix": True}}}

CASES: dict[tuple[str, str], Case] = {
    ("GET", "/api/v1/advertisers/{advertiser_id}/provider-mappings/{provider_type}"): (
        _read("advertiser"), tenant(200)),
    ("POST", ADV_MAPPINGS): (_create("advertiser"), tenant(201)),
    ("PUT", ADV_MAPPINGS + "/{mapping_id}"): (_existing("advertiser", ADV_MAPPINGS, UPDATE), tenant(200)),
    ("DELETE", ADV_MAPPINGS + "/{mapping_id}"): (_existing("advertiser", ADV_MAPPINGS, None), tenant(204)),
    ("GET", "/api/v1/affiliates/{affiliate_id}/provider-mappings/{provider_type}"): (
        _read("affiliate"), tenant(200)),
    ("POST", AFF_MAPPINGS): (_create("affiliate"), tenant(201)),
    ("PUT", AFF_MAPPINGS + "/{mapping_id}"): (_existing("affiliate", AFF_MAPPINGS, UPDATE), tenant(200)),
    ("DELETE", AFF_MAPPINGS + "/{mapping_id}"): (_existing("affiliate", AFF_MAPPINGS, None), tenant(204)),
    ("GET", "/api/v1/campaigns/{campaign_id}/provider-mappings/{provider_type}"): (_read("campaign"), tenant(200)),
}
