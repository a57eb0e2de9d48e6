"""Which domain events become activities, in which words and for whom; which ones stale a tenant's dashboards.

`EVENT_RULES` is the whole mapping: an event type's rules are tried in order and the first whose
`when` holds makes the activity. Adding an event is one row. Billing events carry `amount` (a
decimal string in `currency`) in their payload.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from shared.domain.activities import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    ActivitySource,
    EventRecord,
    NewActivity,
)
from shared.domain.activities import ActivityType as T

Facts = Mapping[str, Any]
PARTNERS = ("advertiser_org_id", "affiliate_org_id")
# What an activity keeps of its event's payload: ids and states, never notes, billing or credentials.
METADATA_FIELDS = (
    "name", "status", "previous_status", "campaign_id", "advertiser_id", "affiliate_id", "tracking_link_id",
    "association_id", "association_type", "advertiser_org_id", "affiliate_org_id", "invitation_id", "current_uses",
    "max_uses", "mapping_id", "entity_type", "sync_status", "provider_type", "amount", "currency", "payment_id",
    "invoice_number",
)
# Events that change what a tenant's dashboards show (their report cache is invalidated).
DASHBOARD_AGGREGATES = frozenset({"campaign", "advertiser", "affiliate", "provider_mapping", "tracking_link",
                                  "association"})


def _always(facts: Facts) -> bool:
    return True


@dataclass(frozen=True)
class Rule:
    """One event's activity: `str.format` templates over the payload (plus derived facts and organization names)."""

    activity_type: T
    title: str
    description: str = ""
    when: Callable[[Facts], bool] = _always
    also_for: tuple[str, ...] = ()  # payload fields of the other organizations that see it too
    names: tuple[str, ...] = ()  # payload fields of organization ids whose names the templates use
    derive: Callable[[Facts], dict[str, Any]] | None = None  # more facts, computed from the payload


def _is(name: str, *values: Any) -> Callable[[Facts], bool]:
    return lambda facts: facts.get(name) in values


def _uses(facts: Facts) -> dict[str, Any]:
    limit = facts.get("max_uses")
    return {"uses": f"{facts.get('current_uses')} of {limit}" if limit else f"{facts.get('current_uses')}"}


def _sync_target(facts: Facts) -> dict[str, Any]:
    entity = str(facts.get("entity_type") or "entity")
    error = facts.get("sync_error")
    return {"entity": entity.replace("_", " "), "entity_id": facts.get(f"{entity}_id", "?"),
            "reason": f": {error}" if error else "."}


def _partnership(kind: T, title: str, description: str = "", **options: Any) -> Rule:
    """Both sides see a partnership's activity, named."""
    return Rule(kind, title, description, also_for=("affiliate_org_id",), names=PARTNERS, **options)


SYNC_FAILED = Rule(T.SYNC_FAILED, "Everflow sync failed: {entity} {entity_id}",
                   "The {entity} could not be mirrored to Everflow{reason}", derive=_sync_target)

EVENT_RULES: dict[str, tuple[Rule, ...]] = {
    "campaign.created": (Rule(T.CAMPAIGN_CREATED, "Campaign created: {name}",
                              "“{name}” was created (status: {status})."),),
    "campaign.updated": (Rule(T.CAMPAIGN_UPDATED, "Campaign updated: {name}", "“{name}” was changed."),),
    "campaign.status_changed": (
        Rule(T.CAMPAIGN_LAUNCHED, "Campaign launched: {name}", "“{name}” is live (it was {previous_status}).",
             when=_is("status", "active")),
        Rule(T.CAMPAIGN_UPDATED, "Campaign {status}: {name}", "“{name}” went from {previous_status} to {status}."),
    ),
    "campaign.archived": (Rule(T.CAMPAIGN_UPDATED, "Campaign archived: {name}",
                               "“{name}” was archived (it was {previous_status})."),),
    "tracking_link.created": (Rule(T.LINK_GENERATED, "Tracking link generated: {name}",
                                   "A link for campaign {campaign_id} and affiliate {affiliate_id}.",
                                   also_for=("affiliate_org_id",)),),
    "advertiser.created": (Rule(T.ADVERTISER_CREATED, "Advertiser added: {name}", "“{name}” was added ({status})."),),
    "affiliate.created": (Rule(T.AFFILIATE_CREATED, "Affiliate added: {name}", "“{name}” was added ({status})."),),
    "association.created": (
        _partnership(T.PARTNERSHIP_INVITED, "Partnership invitation: {advertiser_org_name} → {affiliate_org_name}",
                     "{advertiser_org_name} invited {affiliate_org_name} to partner.",
                     when=_is("association_type", "invitation")),
        _partnership(T.PARTNERSHIP_REQUESTED, "Partnership request: {affiliate_org_name} → {advertiser_org_name}",
                     "{affiliate_org_name} asked {advertiser_org_name} to partner."),
    ),
    "association.approved": (_partnership(T.PARTNERSHIP_APPROVED,
                                          "Partnership approved: {advertiser_org_name} and {affiliate_org_name}"),),
    "association.rejected": (_partnership(T.PARTNERSHIP_REJECTED,
                                          "Partnership rejected: {advertiser_org_name} and {affiliate_org_name}"),),
    "association.suspended": (_partnership(T.PARTNERSHIP_SUSPENDED,
                                           "Partnership suspended: {advertiser_org_name} and {affiliate_org_name}"),),
    "association.reactivated": (_partnership(
        T.PARTNERSHIP_REACTIVATED, "Partnership reactivated: {advertiser_org_name} and {affiliate_org_name}"),),
    "association.visibility_changed": (_partnership(
        T.PARTNERSHIP_UPDATED, "Partnership visibility changed: {advertiser_org_name} and {affiliate_org_name}",
        "What each side sees of the other's campaigns and affiliates changed."),),
    "invitation.created": (Rule(T.INVITATION_CREATED, "Invitation link created: {name}"),),
    "invitation.updated": (
        Rule(T.INVITATION_UPDATED, "Invitation link renewed: {name}", "The previous link no longer works.",
             when=_is("token_rotated", True)),
        Rule(T.INVITATION_UPDATED, "Invitation link updated: {name}"),
    ),
    "invitation.disabled": (Rule(T.INVITATION_DISABLED, "Invitation link disabled: {name}"),),
    "invitation.used": (Rule(T.INVITATION_USED, "Invitation link used: {name}", "Uses so far: {uses}.",
                             derive=_uses),),
    # A mapping set to `failed` by hand; the sync itself should emit provider_mapping.sync_failed.
    "provider_mapping.created": (replace(SYNC_FAILED, when=_is("sync_status", "failed")),),
    "provider_mapping.updated": (replace(SYNC_FAILED, when=_is("sync_status", "failed")),),
    "provider_mapping.sync_failed": (SYNC_FAILED,),
    "payment.succeeded": (Rule(T.PAYMENT, "Payment received: {amount} {currency}", "{description}"),),
    "payment.failed": (Rule(T.PAYMENT, "Payment failed: {amount} {currency}", "{failure_message}"),),
    "invoice.paid": (Rule(T.PAYMENT, "Invoice paid: {invoice_number}", "{amount} {currency} received."),),
    "invoice.payment_failed": (Rule(T.SYSTEM_ALERT, "Invoice payment failed: {invoice_number}",
                                    "{amount} {currency} are due: {failure_message}"),),
    "charge.refunded": (Rule(T.PAYMENT, "Refund: {amount} {currency}", "The payment was refunded to the card."),),
    "charge.disputed": (Rule(T.SYSTEM_ALERT, "Payment disputed: {amount} {currency}",
                             "The card holder disputed a payment (reason: {reason})."),),
}


@dataclass(frozen=True)
class Plan:
    """The activity an event makes: its rule, the organizations that see it, those it names."""

    event: EventRecord
    rule: Rule
    audience: tuple[int, ...]

    @property
    def named(self) -> frozenset[int]:
        """Organization ids whose names the templates need (looked up by the caller)."""
        return frozenset(i for i in (_org_id(self.event.payload.get(k)) for k in self.rule.names) if i)

    def activities(self, names: Mapping[int, str]) -> list[NewActivity]:
        facts = self._facts(names)
        title = _clip(_render(self.rule.title, facts), TITLE_MAX)
        description = _clip(_render(self.rule.description, facts), DESCRIPTION_MAX) or None
        metadata = {"event_type": self.event.event_type,
                    **{k: self.event.payload[k] for k in METADATA_FIELDS if k in self.event.payload}}
        return [NewActivity(org, self.rule.activity_type, title, ActivitySource.EVENT, description, metadata,
                            event_id=self.event.event_id, aggregate_type=self.event.aggregate_type,
                            aggregate_id=self.event.aggregate_id, occurred_at=self.event.occurred_at)
                for org in self.audience]

    def _facts(self, names: Mapping[int, str]) -> dict[str, Any]:
        facts: dict[str, Any] = dict(self.event.payload)
        for key in self.rule.names:
            org = _org_id(facts.get(key))
            facts[key.removesuffix("_id") + "_name"] = names.get(org or 0) or f"organization {facts.get(key)}"
        return facts | (self.rule.derive(facts) if self.rule.derive else {})


def plan(event: EventRecord) -> Plan | None:
    """None when the event has no organization or no rule matches it (the recorder acknowledges it)."""
    if event.organization_id is None:
        return None
    rule = next((r for r in EVENT_RULES.get(event.event_type, ()) if r.when(event.payload)), None)
    if rule is None:
        return None
    others = (_org_id(event.payload.get(k)) for k in rule.also_for)
    audience = dict.fromkeys([event.organization_id, *(o for o in others if o)])
    return Plan(event, rule, tuple(audience))


def tenants_to_invalidate(event: EventRecord) -> frozenset[int]:
    """The organizations whose dashboards the event changes: its own and a partnership's or link's other side."""
    if event.organization_id is None or event.event_type.partition(".")[0] not in DASHBOARD_AGGREGATES:
        return frozenset()
    others = (_org_id(event.payload.get(k)) for k in PARTNERS)
    return frozenset({event.organization_id, *(o for o in others if o)})


def _org_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class _Facts(dict[str, Any]):
    """Template values: a missing field reads `?`, an empty one `none`."""

    def __missing__(self, key: str) -> str:
        return "?"

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return "none" if value is None or value == "" else value


def _render(template: str, facts: Mapping[str, Any]) -> str:
    return template.format_map(_Facts(facts)).strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
