"""The Everflow Network API client: a shared request budget, bounded retries with jitter, typed errors.

Every attempt spends one token of the network-wide budget; reporting calls also take one of at most
`report_concurrency` slots in this instance. 429, 5xx, timeouts and dropped connections are retried
with full-jitter exponential backoff (or the wait Everflow names), other 4xx never. Creates are not
idempotent, so they are repeated only when Everflow surely did not act on them (a 429, a connection
never made); otherwise the transient error reaches the caller, who can look before creating again.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from shared.adapters.everflow.budget import SharedBudget
from shared.adapters.everflow.errors import (
    EverflowBudgetExhaustedError,
    EverflowConnectionError,
    EverflowError,
    EverflowTimeoutError,
    error_from_response,
    retry_after_s,
)
from shared.cache import get_redis
from shared.config import get_settings

log = logging.getLogger(__name__)
Json = dict[str, Any]
Payload = Mapping[str, Any]
API_KEY_HEADER = "X-Eflow-API-Key"
NETWORK = "/v1/networks"
REPORTING = f"{NETWORK}/reporting/"


class Budget(Protocol):
    """Permission to send one request; blocks until it is granted or raises when it will not be in time."""

    def acquire(self, timeout_s: float) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to back off: full jitter over an exponential ceiling, capped."""

    max_retries: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def delay(self, retry: int, hint_s: float | None, rng: Callable[[], float]) -> float:
        """Seconds before retry number `retry` (1-based); Everflow's own hint wins, within the cap."""
        if hint_s is not None:
            return min(max(hint_s, 0.0), self.max_delay_s)
        return rng() * min(self.max_delay_s, self.base_delay_s * 2.0 ** (retry - 1))


class EverflowClient:
    """Everflow's Network API over one pooled session; share one per process between threads."""

    def __init__(self, base_url: str, api_key: str, *, budget: Budget | None = None,
                 connect_timeout_s: float = 3.05, read_timeout_s: float = 30.0, retry: RetryPolicy | None = None,
                 report_concurrency: int = 10, budget_wait_s: float = 30.0, pool_size: int = 20,
                 retry_read_timeouts: bool = True, sleep: Callable[[float], None] = time.sleep,
                 rng: Callable[[], float] = random.random) -> None:
        # Paths carry /v1, so a base URL configured as ".../v1" (as some clients do) is accepted too.
        self._base_url = base_url.rstrip("/").removesuffix("/v1")
        self._budget = budget
        self._timeout = (connect_timeout_s, read_timeout_s)
        self._retry = retry or RetryPolicy()
        self._reports = threading.BoundedSemaphore(report_concurrency)
        self._budget_wait_s = budget_wait_s
        self._retry_read_timeouts = retry_read_timeouts
        self._sleep, self._rng = sleep, rng
        self._session = _session(api_key, max(pool_size, report_concurrency))

    def close(self) -> None:
        """Release the pooled connections."""
        self._session.close()

    def create_advertiser(self, payload: Payload, *, notification: bool | None = None) -> Json:
        """POST /v1/networks/advertisers; `notification` controls Everflow's welcome e-mail."""
        return self._create("advertisers", payload, notification)

    def get_advertiser(self, advertiser_id: int, relationships: Iterable[str] = ()) -> Json:
        """GET one advertiser, with the named relationships."""
        return self._get("advertisers", advertiser_id, relationships)

    def update_advertiser(self, advertiser_id: int, payload: Payload) -> Json:
        """PUT (full replacement: omitted fields are reset) one advertiser."""
        return self._update("advertisers", advertiser_id, payload)

    def search_advertisers(self, search_terms: Sequence[Payload] = (), filters: Payload | None = None, *,
                           page: int = 1, page_size: int = 50) -> Json:
        """POST /v1/networks/advertiserstable: `{"advertisers": [...], "paging": {...}}`."""
        return self._search("advertiserstable", search_terms, filters, page, page_size)

    def create_affiliate(self, payload: Payload, *, notification: bool | None = None) -> Json:
        """POST /v1/networks/affiliates; `notification` controls Everflow's welcome e-mail."""
        return self._create("affiliates", payload, notification)

    def get_affiliate(self, affiliate_id: int, relationships: Iterable[str] = ()) -> Json:
        """GET one affiliate, with the named relationships."""
        return self._get("affiliates", affiliate_id, relationships)

    def update_affiliate(self, affiliate_id: int, payload: Payload) -> Json:
        """PUT (full replacement; users cannot change here) one affiliate."""
        return self._update("affiliates", affiliate_id, payload)

    def search_affiliates(self, search_terms: Sequence[Payload] = (), filters: Payload | None = None, *,
                          page: int = 1, page_size: int = 50) -> Json:
        """POST /v1/networks/affiliatestable: `{"affiliates": [...], "paging": {...}}`."""
        return self._search("affiliatestable", search_terms, filters, page, page_size)

    def create_offer(self, payload: Payload) -> Json:
        """POST /v1/networks/offers."""
        return self._create("offers", payload, None)

    def get_offer(self, offer_id: int, relationships: Iterable[str] = ()) -> Json:
        """GET one offer, with the named relationships (payouts come under `payout_revenue`)."""
        return self._get("offers", offer_id, relationships)

    def update_offer(self, offer_id: int, payload: Payload) -> Json:
        """PUT (full replacement) one offer."""
        return self._update("offers", offer_id, payload)

    def search_offers(self, search_terms: Sequence[Payload] = (), filters: Payload | None = None, *,
                      page: int = 1, page_size: int = 50) -> Json:
        """POST /v1/networks/offerstable: `{"offers": [...], "paging": {...}}`."""
        return self._search("offerstable", search_terms, filters, page, page_size)

    def generate_tracking_link(self, payload: Payload) -> str:
        """POST /v1/networks/tracking/offers/clicks and return the link (`url`)."""
        body = self._call("POST", f"{NETWORK}/tracking/offers/clicks", body=payload)
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise EverflowError("Everflow answered a tracking link request without a `url`", status=200)
        return url

    def entity_report(self, payload: Payload) -> Json:
        """POST /v1/networks/reporting/entity: aggregated stats by the requested columns."""
        return self._call("POST", f"{REPORTING}entity", body=payload)

    def conversions(self, payload: Payload, *, page: int = 1, page_size: int = 50) -> Json:
        """POST /v1/networks/reporting/conversions: one page of `{"conversions": [...], "paging": {...}}`."""
        params = {"page": page, "page_size": page_size}
        return self._call("POST", f"{REPORTING}conversions", body=payload, params=params)

    def clicks(self, payload: Payload) -> Json:
        """POST /v1/networks/reporting/clicks/stream: up to 10,000 raw clicks of a ≤ 14-day window."""
        return self._call("POST", f"{REPORTING}clicks/stream", body=payload)

    def timezones(self) -> Json:
        """GET /v1/meta/timezones: `{"timezones": [{"timezone_id", "timezone", "timezone_name"}, ...]}`."""
        return self._call("GET", "/v1/meta/timezones")

    def _create(self, kind: str, payload: Payload, notification: bool | None) -> Json:
        params = None if notification is None else {"notification": str(notification).lower()}
        return self._call("POST", f"{NETWORK}/{kind}", body=payload, params=params, idempotent=False)

    def _get(self, kind: str, entity_id: int, relationships: Iterable[str]) -> Json:
        params = [("relationship", name) for name in relationships]  # repeated, as Everflow documents
        return self._call("GET", f"{NETWORK}/{kind}/{int(entity_id)}", params=params)

    def _update(self, kind: str, entity_id: int, payload: Payload) -> Json:
        return self._call("PUT", f"{NETWORK}/{kind}/{int(entity_id)}", body=payload)

    def _search(self, table: str, search_terms: Sequence[Payload], filters: Payload | None,
                page: int, page_size: int) -> Json:
        body = {"search_terms": list(search_terms), "filters": dict(filters or {})}
        params = {"page": page, "page_size": page_size}
        return self._call("POST", f"{NETWORK}/{table}", body=body, params=params)

    def _call(self, method: str, path: str, *, body: Payload | None = None, params: Any = None,
              idempotent: bool = True) -> Json:
        """One logical call: attempts until success, a permanent error, or the retries run out."""
        retry = 0
        while True:
            try:
                return self._attempt(method, path, body, params)
            except EverflowError as exc:
                retry += 1
                if not self._may_retry(exc, retry, idempotent):
                    raise
                self._back_off(exc, method, path, retry)

    def _may_retry(self, exc: EverflowError, retry: int, idempotent: bool) -> bool:
        if retry > self._retry.max_retries or not exc.transient:
            return False
        if isinstance(exc, EverflowBudgetExhaustedError):  # we already know no token is coming in time
            return False
        if isinstance(exc, EverflowTimeoutError) and not exc.unprocessed and not self._retry_read_timeouts:
            return False
        return idempotent or exc.unprocessed

    def _back_off(self, exc: EverflowError, method: str, path: str, retry: int) -> None:
        delay = self._retry.delay(retry, exc.retry_after, self._rng)
        log.warning("Everflow %s %s failed (%s), retry %d of %d in %.2fs", method, path, type(exc).__name__,
                    retry, self._retry.max_retries, delay,
                    extra={"fields": {"endpoint": path, "method": method, "attempt": retry + 1,
                                      "status": exc.status, "delay_s": round(delay, 3)}})
        self._sleep(delay)

    def _attempt(self, method: str, path: str, body: Payload | None, params: Any) -> Json:
        with self._reports if path.startswith(REPORTING) else contextlib.nullcontext():
            if self._budget is not None:
                self._budget.acquire(self._budget_wait_s)
            response = self._send(method, path, body, params)
        if response.status_code >= 400:
            hint = retry_after_s(response.headers)
            raise error_from_response(response.status_code, response.text, retry_after=hint)
        return _json_object(response)

    def _send(self, method: str, path: str, body: Payload | None, params: Any) -> requests.Response:
        try:
            payload = None if body is None else dict(body)
            return self._session.request(method, self._base_url + path, json=payload, params=params,
                                         timeout=self._timeout)
        except requests.RequestException as exc:
            raise _transport_error(exc, f"{method} {path}") from exc


def _session(api_key: str, pool_size: int) -> requests.Session:
    session = requests.Session()
    session.headers.update({API_KEY_HEADER: api_key, "Accept": "application/json"})
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _transport_error(exc: requests.RequestException, call: str) -> EverflowError:
    """A failure without a response: typed, and marked unprocessed when no connection was made."""
    never_connected = isinstance(exc, requests.ConnectTimeout) or _refused(exc)
    if isinstance(exc, requests.Timeout):
        return EverflowTimeoutError(f"{call} timed out", unprocessed=never_connected)
    if isinstance(exc, requests.ConnectionError):
        return EverflowConnectionError(f"{call}: connection failed", unprocessed=never_connected)
    return EverflowError(f"{call}: {type(exc).__name__}")


def _refused(exc: requests.RequestException) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _json_object(response: requests.Response) -> Json:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise EverflowError("Everflow answered with something other than a JSON object",
                            status=response.status_code)
    return body


@cache
def get_everflow_client() -> EverflowClient:
    """The process's Everflow client, built from settings on first use and shared afterwards."""
    settings = get_settings()
    return _client(settings.everflow_read_timeout_s, RetryPolicy(max_retries=settings.everflow_max_retries),
                   budget_wait_s=30.0)


@cache
def get_reporting_client() -> EverflowClient:
    """For reports someone is waiting on: a shorter read timeout and one quick retry, since the
    report cache answers with its last numbers (flagged stale) when Everflow does not."""
    settings = get_settings()
    # A report that timed out may still be running at Everflow, holding one of its 10 reporting slots:
    # asking again would only add load. Behind a sync-all holding the budget, stale numbers beat a long wait.
    return _client(settings.everflow_report_timeout_s,
                   RetryPolicy(max_retries=settings.everflow_report_max_retries, max_delay_s=1.0),
                   budget_wait_s=5.0, retry_read_timeouts=False)


def _client(read_timeout_s: float, retry: RetryPolicy, *, budget_wait_s: float,
            retry_read_timeouts: bool = True) -> EverflowClient:
    settings = get_settings()
    budget = SharedBudget(get_redis(), rate=settings.everflow_requests_per_second)
    return EverflowClient(
        settings.everflow_base_url,
        settings.everflow_api_key,
        budget=budget,
        connect_timeout_s=settings.everflow_connect_timeout_s,
        read_timeout_s=read_timeout_s,
        retry=retry,
        report_concurrency=settings.everflow_report_concurrency,
        budget_wait_s=budget_wait_s,
        retry_read_timeouts=retry_read_timeouts,
    )
