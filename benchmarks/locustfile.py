"""The mixed load (issue 10): locust users acting like the platform's users, against one process per function.

Started by `python -m benchmarks load|soak` (benchmarks/mixed/run.py), which arranges the data and
passes the plan's path in MIXED_LOAD_PLAN (see benchmarks/mixed/arrange.py). Each function runs as
its own functions-framework/gunicorn process (its own Cloud Run service), addressed by its port.

The mix, per simulated user (think time 1-5 s between actions, as someone clicking through the app):
- users of the 30 advertiser organizations (weight 30): the dashboard (its five requests) 4, campaign
  list 4, one campaign 3, tracking-link list 2, the QR code of a link 1, a new campaign 1 and a new
  tracking link 1 (a manager of the organization; a quarter of the users are managers);
- users of the 15 affiliate organizations (weight 15): dashboard 4, affiliate list 3, one affiliate 2,
  tracking-link list 3, QR code 2, a new tracking link for a partner's campaign 1;
- agencies and the platform owner (weight 5): dashboard 4, campaign list 2;
- Stripe and Supabase (weight 2): a signed Stripe event 3 (one in ten a redelivery of an earlier
  one, as Stripe retries), a Supabase new-user webhook 1.
Every answer should be a 2xx: anything else is a failure in locust's statistics.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from functools import cache
from typing import Any
from urllib.parse import quote

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

from shared.adapters.stripe.sandbox_webhooks import sign

VIEWS = ("overview", "revenue-chart", "conversion-chart", "performance-chart", "campaigns")
DASHBOARD_PATH = {"advertiser": "advertiser", "affiliate": "affiliate", "agency": "agency",
                  "platform_owner": "platform"}
STRIPE_REDELIVERY = 0.1


@cache
def plan() -> dict[str, Any]:
    with open(os.environ["MIXED_LOAD_PLAN"]) as file:
        loaded: dict[str, Any] = json.load(file)
        return loaded


def url(function: str, path: str) -> str:
    return f"http://127.0.0.1:{plan()['ports'][function]}{path}"


class Session(FastHttpUser):
    """A signed-in user of one organization of `kinds`, chosen at random when the user starts."""

    abstract = True
    wait_time = between(1, 5)
    host = "http://127.0.0.1"
    kinds: tuple[str, ...] = ()

    def on_start(self) -> None:
        self.org = random.choice([org for org in plan()["orgs"] if org["kind"] in self.kinds])
        index = random.randrange(len(self.org["users"]))
        self.token, self.period = self.org["users"][index], self.org["periods"][index]
        self.manager = random.choice(self.org["managers"])

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def get(self, function: str, path: str, name: str) -> None:
        self.client.get(url(function, path), headers=self.headers(), name=name)

    def post(self, function: str, path: str, body: dict[str, Any], name: str) -> None:
        self.client.post(url(function, path), json=body, headers=self.headers(self.manager), name=name)

    @task(4)
    def dashboard(self) -> None:
        """The five requests of one dashboard load, one after another, as the page makes them."""
        base = f"/api/v1/dashboard/{DASHBOARD_PATH[self.org['kind']]}/{self.org['organization_id']}"
        query = f"?period={self.period}&timezone={quote(self.org['zone'], safe='')}"
        for view in VIEWS:
            path = base + ("" if view == "overview" else f"/{view}")
            self.get("dashboard", path + query, f"GET dashboard {view}")

    def org_path(self, what: str) -> str:
        return f"/api/v1/organizations/{self.org['organization_id']}/{what}"

    def list_tracking_links(self) -> None:
        self.get("tracking", self.org_path("tracking-links") + "?page_size=20", "GET tracking links (list)")

    def qr_code(self) -> None:
        link = random.choice(self.org["links"])
        self.get("tracking", self.org_path(f"tracking-links/{link}/qr"), "GET tracking link QR")

    def new_link(self, campaign: int, affiliate: int) -> None:
        """A tracking link of new parameters (a fresh sub1), so every one is generated, not found."""
        body = {"name": f"Load {uuid.uuid4().hex[:8]}", "campaign_id": campaign, "affiliate_id": affiliate,
                "sub1": uuid.uuid4().hex[:12]}
        self.post("tracking", "/api/v1/tracking-links", body, "POST tracking link")


class AdvertiserSession(Session):
    weight = 30
    kinds = ("advertiser",)

    @task(4)
    def list_campaigns(self) -> None:
        self.get("campaigns", self.org_path("campaigns") + "?page_size=20", "GET campaigns (list)")

    @task(3)
    def one_campaign(self) -> None:
        self.get("campaigns", f"/api/v1/campaigns/{random.choice(self.org['campaigns'])}", "GET campaign")

    @task(2)
    def tracking_links(self) -> None:
        self.list_tracking_links()

    @task(1)
    def qr(self) -> None:
        self.qr_code()

    @task(1)
    def create_campaign(self) -> None:
        body = {"organization_id": self.org["organization_id"], "advertiser_id": self.org["advertiser_id"],
                "name": f"Load campaign {uuid.uuid4().hex[:8]}", "destination_url": "https://shop.example/new"}
        self.post("campaigns", "/api/v1/campaigns", body, "POST campaign")

    @task(1)
    def create_link(self) -> None:
        self.new_link(random.choice(self.org["campaigns"]), random.choice(self.org["partner_affiliates"]))


class AffiliateSession(Session):
    weight = 15
    kinds = ("affiliate",)

    @task(3)
    def list_affiliates(self) -> None:
        self.get("affiliates", self.org_path("affiliates"), "GET affiliates (list)")

    @task(2)
    def one_affiliate(self) -> None:
        self.get("affiliates", f"/api/v1/affiliates/{random.choice(self.org['affiliates'])}", "GET affiliate")

    @task(3)
    def tracking_links(self) -> None:
        self.list_tracking_links()

    @task(2)
    def qr(self) -> None:
        self.qr_code()

    @task(1)
    def create_link(self) -> None:
        self.new_link(random.choice(self.org["partner_campaigns"]), random.choice(self.org["affiliates"]))


class AgencySession(Session):
    weight = 5
    kinds = ("agency", "platform_owner")

    @task(2)
    def list_campaigns(self) -> None:
        """As one of the organization's Users: agency managers see campaigns through delegations, not here."""
        self.client.get(url("campaigns", self.org_path("campaigns") + "?page_size=20"), name="GET campaigns (list)",
                        headers=self.headers(random.choice(self.org["readers"])))


class Webhooks(FastHttpUser):
    """Stripe and Supabase calling their webhooks."""

    weight = 2
    wait_time = between(1, 5)
    host = "http://127.0.0.1"

    def on_start(self) -> None:
        self.sent: list[bytes] = []

    @task(3)
    def stripe_event(self) -> None:
        """An event of a type the platform ignores, or now and then an earlier one again (a duplicate)."""
        redeliver = self.sent and random.random() < STRIPE_REDELIVERY
        payload = random.choice(self.sent) if redeliver else self.stripe_payload()
        self.sent = [*self.sent, payload][-50:]
        headers = {"Stripe-Signature": sign(payload, plan()["stripe_secret"]), "Content-Type": "application/json"}
        self.client.post(url("stripe", "/api/v1/public/webhooks/stripe"), data=payload.decode(), headers=headers,
                         name="POST stripe webhook")

    @staticmethod
    def stripe_payload() -> bytes:
        event = {"id": f"evt_load_{uuid.uuid4().hex}", "object": "event", "type": "customer.updated",
                 "created": int(time.time()), "api_version": "2024-06-20", "livemode": False,
                 "data": {"object": {"id": f"cus_load_{uuid.uuid4().hex[:14]}", "object": "customer"}}}
        return json.dumps(event).encode()

    @task(1)
    def supabase_new_user(self) -> None:
        user = str(uuid.uuid4())
        body = {"type": "INSERT", "table": "users", "schema": "auth", "old_record": None,
                "record": {"id": user, "email": f"load-{user[:8]}@load.example", "aud": "authenticated"}}
        self.client.post(url("supabase", "/api/v1/public/webhooks/supabase/new-user"), json=body,
                         headers={"Authorization": f"Bearer {plan()['supabase_secret']}"},
                         name="POST supabase webhook")
