"""The Everflow client against a scripted local HTTP server: retries, backoff, typed errors, report slots."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared.adapters.everflow.client import EverflowClient, RetryPolicy, get_everflow_client
from shared.adapters.everflow.errors import (
    EverflowAuthError,
    EverflowBudgetExhaustedError,
    EverflowConnectionError,
    EverflowError,
    EverflowNotFoundError,
    EverflowRateLimitedError,
    EverflowServerError,
    EverflowTimeoutError,
    EverflowValidationError,
    retry_after_s,
)
from shared.cache import reset_redis
from shared.config import get_settings

KEY = "test-network-key-5f1c"
ADVERTISER = {"name": "Acme", "account_status": "active", "network_employee_id": 1, "default_currency_id": "USD"}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})  # JSON unless a str
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class ScriptedEverflow:
    """A local HTTP server answering with scripted replies, then the default; it records every request."""

    def __init__(self) -> None:
        self.replies: deque[Reply] = deque()
        self.default = Reply()
        self.seen: list[Seen] = []
        self.active = self.peak = 0
        self._lock = threading.Lock()
        self._server = _Server(self)
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def take(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            self.active += 1
            self.peak = max(self.peak, self.active)
            return self.replies.popleft() if self.replies else self.default

    def done(self) -> None:
        with self._lock:
            self.active -= 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, everflow: ScriptedEverflow) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.everflow = everflow


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests inspect `seen` instead."""

    def _answer(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        everflow = self.server.everflow
        reply = everflow.take(Seen(self.command, self.path, dict(self.headers.items()),
                                   json.loads(raw) if raw else None))
        try:
            time.sleep(reply.delay_s)
            self._write(reply)
        except OSError:
            pass  # the client gave up waiting
        finally:
            everflow.done()

    def _write(self, reply: Reply) -> None:
        data = (reply.body if isinstance(reply.body, str) else json.dumps(reply.body)).encode()
        self.send_response(reply.status)
        for name, value in {"Content-Type": "application/json", **reply.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class CountingBudget:
    """A request budget that always grants, or never, and counts the grants."""

    def __init__(self, *, exhausted: bool = False) -> None:
        self.exhausted = exhausted
        self.granted = 0

    def acquire(self, timeout_s: float) -> None:
        if self.exhausted:
            raise EverflowBudgetExhaustedError(f"nothing within {timeout_s}s")
        self.granted += 1


@pytest.fixture
def everflow() -> Iterator[ScriptedEverflow]:
    server = ScriptedEverflow()
    yield server
    server.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


MakeClient = Callable[..., EverflowClient]


@pytest.fixture
def make_client(everflow: ScriptedEverflow, sleeps: list[float]) -> Iterator[MakeClient]:
    clients: list[EverflowClient] = []

    def make(**options: Any) -> EverflowClient:
        options = {"sleep": sleeps.append, "read_timeout_s": 5.0, **options}
        client = EverflowClient(options.pop("base_url", everflow.url), KEY, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_every_method_calls_its_endpoint_with_the_api_key(everflow: ScriptedEverflow, make_client: MakeClient) -> None:
    everflow.default = Reply(body={"url": "https://trk.example.com/2LQC3F/8FJ2K/"})
    client = make_client()
    client.create_advertiser(ADVERTISER)
    client.get_affiliate(7)
    client.update_offer(9, {"name": "Offer"})
    client.search_offers([{"search_type": "name", "value": "Off"}], {"offer_status": "active"}, page=2)
    assert client.generate_tracking_link({"network_offer_id": 9, "network_affiliate_id": 7}).startswith("https://")
    client.entity_report({"columns": [{"column": "offer"}]})
    client.conversions({"show_conversions": True}, page_size=2000)
    client.clicks({"from": "2026-01-01 00:00:00"})
    assert [(seen.method, seen.path) for seen in everflow.seen] == [
        ("POST", "/v1/networks/advertisers"),
        ("GET", "/v1/networks/affiliates/7"),
        ("PUT", "/v1/networks/offers/9"),
        ("POST", "/v1/networks/offerstable?page=2&page_size=50"),
        ("POST", "/v1/networks/tracking/offers/clicks"),
        ("POST", "/v1/networks/reporting/entity"),
        ("POST", "/v1/networks/reporting/conversions?page=1&page_size=2000"),
        ("POST", "/v1/networks/reporting/clicks/stream"),
    ]
    assert {seen.headers["X-Eflow-API-Key"] for seen in everflow.seen} == {KEY}
    assert everflow.seen[0].body == ADVERTISER
    assert everflow.seen[3].body == {"search_terms": [{"search_type": "name", "value": "Off"}],
                                     "filters": {"offer_status": "active"}}


def test_relationships_are_sent_as_repeated_parameters(everflow: ScriptedEverflow, make_client: MakeClient) -> None:
    make_client().get_advertiser(3, relationships=("labels", "billing"))
    make_client().create_affiliate({"name": "Partner"}, notification=False)
    assert [seen.path for seen in everflow.seen] == [
        "/v1/networks/advertisers/3?relationship=labels&relationship=billing",
        "/v1/networks/affiliates?notification=false",
    ]


def test_a_429_is_retried_after_the_wait_everflow_names(everflow: ScriptedEverflow, make_client: MakeClient,
                                                         sleeps: list[float]) -> None:
    everflow.script(Reply(429, {"Error": "rate limit exceeded"}, {"Retry-After": "7"}), Reply(body={"id": 1}))
    assert make_client().get_offer(1) == {"id": 1}
    assert sleeps == [7.0]
    assert len(everflow.seen) == 2


def test_a_429_storm_ends_in_a_typed_transient_error(everflow: ScriptedEverflow, make_client: MakeClient) -> None:
    everflow.default = Reply(429, {"Error": "rate limit exceeded"}, {"Retry-After": "2"})
    with pytest.raises(EverflowRateLimitedError) as raised:
        make_client(retry=RetryPolicy(max_retries=2)).search_advertisers()
    error = raised.value
    assert (error.status, error.transient, error.retry_after, len(everflow.seen)) == (429, True, 2.0, 3)


def test_a_rate_limit_reset_header_is_honoured(everflow: ScriptedEverflow, make_client: MakeClient,
                                               sleeps: list[float]) -> None:
    everflow.script(Reply(429, {"Error": "slow down"}, {"X-RateLimit-Reset": "3"}))
    make_client().get_offer(1)
    assert sleeps == [3.0]


def test_server_errors_are_retried_with_exponential_backoff_then_succeed(
        everflow: ScriptedEverflow, make_client: MakeClient, sleeps: list[float]) -> None:
    everflow.script(*[Reply(500, {"Error": "internal"})] * 3, Reply(body={"network_offer_id": 5}))
    client = make_client(rng=lambda: 1.0)  # the top of each full-jitter range
    assert client.update_offer(5, {"name": "x"}) == {"network_offer_id": 5}
    assert sleeps == [0.5, 1.0, 2.0]


def test_retries_are_bounded_and_every_pause_stays_under_its_ceiling(
        everflow: ScriptedEverflow, make_client: MakeClient, sleeps: list[float]) -> None:
    everflow.default = Reply(503, {"error": "unavailable"})
    client = make_client(retry=RetryPolicy(max_retries=6, base_delay_s=0.5, max_delay_s=4.0))
    with pytest.raises(EverflowServerError) as raised:
        client.get_advertiser(1)
    assert (raised.value.status, raised.value.transient, len(everflow.seen)) == (503, True, 7)
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(sleeps) == 6
    assert all(0 <= pause <= ceiling for pause, ceiling in zip(sleeps, ceilings, strict=True))


def test_a_long_retry_after_is_capped(everflow: ScriptedEverflow, make_client: MakeClient,
                                      sleeps: list[float]) -> None:
    everflow.script(Reply(429, {"Error": "later"}, {"Retry-After": "3600"}))
    make_client(retry=RetryPolicy(max_delay_s=20.0)).get_offer(1)
    assert sleeps == [20.0]


def test_a_hang_longer_than_the_read_timeout_is_retried_then_raised(
        everflow: ScriptedEverflow, make_client: MakeClient, sleeps: list[float]) -> None:
    everflow.default = Reply(delay_s=1.0)
    client = make_client(read_timeout_s=0.2, retry=RetryPolicy(max_retries=1))
    started = time.perf_counter()
    with pytest.raises(EverflowTimeoutError) as raised:
        client.search_affiliates()
    assert time.perf_counter() - started < 1.0
    assert raised.value.transient
    assert (len(everflow.seen), len(sleeps)) == (2, 1)


def test_a_client_told_not_to_retry_read_timeouts_raises_after_one_attempt(
        everflow: ScriptedEverflow, make_client: MakeClient, sleeps: list[float]) -> None:
    everflow.default = Reply(delay_s=1.0)
    client = make_client(read_timeout_s=0.2, retry=RetryPolicy(max_retries=3), retry_read_timeouts=False)
    with pytest.raises(EverflowTimeoutError):
        client.entity_report({"columns": [{"column": "date"}]})
    assert (len(everflow.seen), sleeps) == (1, [])


def test_a_create_that_may_have_happened_is_not_repeated(everflow: ScriptedEverflow,
                                                         make_client: MakeClient) -> None:
    client = make_client(read_timeout_s=0.2)
    everflow.script(Reply(delay_s=1.0))
    with pytest.raises(EverflowTimeoutError):
        client.create_offer({"name": "Offer"})
    everflow.script(Reply(500, {"Error": "boom"}))
    with pytest.raises(EverflowServerError):
        client.create_advertiser(ADVERTISER)
    assert len(everflow.seen) == 2  # each tried once: the caller looks it up before creating again


def test_a_rate_limited_create_is_repeated(everflow: ScriptedEverflow, make_client: MakeClient) -> None:
    everflow.script(Reply(429, {"Error": "too many"}), Reply(body={"network_affiliate_id": 4}))
    assert make_client().create_affiliate({"name": "Partner"}) == {"network_affiliate_id": 4}


def test_a_refused_connection_is_retried_even_for_a_create(make_client: MakeClient, sleeps: list[float]) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}", retry=RetryPolicy(max_retries=2))
    with pytest.raises(EverflowConnectionError) as raised:
        client.create_advertiser(ADVERTISER)
    assert raised.value.unprocessed
    assert len(sleeps) == 2


def test_a_400_is_never_retried(everflow: ScriptedEverflow, make_client: MakeClient, sleeps: list[float]) -> None:
    everflow.default = Reply(400, {"Error": "network_employee_id is required"})
    with pytest.raises(EverflowValidationError) as raised:
        make_client().create_advertiser({"name": "Acme"})
    error = raised.value
    assert (error.status, error.message, error.transient) == (400, "network_employee_id is required", False)
    assert (len(everflow.seen), sleeps) == (1, [])


@pytest.mark.parametrize(("status", "body", "expected", "message"), [
    (404, {"Error": "not found"}, EverflowNotFoundError, "not found"),
    (404, {"error": "Offer 9 not found"}, EverflowNotFoundError, "Offer 9 not found"),
    (401, {"error": "No Authentication Method Found"}, EverflowAuthError, "No Authentication Method Found"),
    (403, {"Error": "Out of realm"}, EverflowAuthError, "Out of realm"),
    (422, {"ERROR": {"name": "too long"}}, EverflowValidationError, '{"name": "too long"}'),
    (409, {"message": "conflict"}, EverflowError, '{"message": "conflict"}'),
    (405, "", EverflowError, "HTTP 405"),
])
def test_error_bodies_are_typed_whatever_their_key(everflow: ScriptedEverflow, make_client: MakeClient,
                                                   status: int, body: Any, expected: type[EverflowError],
                                                   message: str) -> None:
    everflow.default = Reply(status, body)
    with pytest.raises(EverflowError) as raised:
        make_client().get_offer(9)
    assert type(raised.value) is expected
    assert (raised.value.status, raised.value.message, raised.value.transient) == (status, message, False)
    assert len(everflow.seen) == 1


def test_a_non_json_gateway_error_keeps_its_text(everflow: ScriptedEverflow, make_client: MakeClient) -> None:
    everflow.default = Reply(502, "<html>Bad Gateway</html>")
    with pytest.raises(EverflowServerError, match="Bad Gateway"):
        make_client(retry=RetryPolicy(max_retries=0)).get_offer(1)


def test_a_tracking_link_answer_without_url_is_an_error(everflow: ScriptedEverflow, make_client: MakeClient) -> None:
    everflow.default = Reply(body={"tracking_url": "https://old.example.com/"})
    with pytest.raises(EverflowError, match="url"):
        make_client().generate_tracking_link({"network_offer_id": 1, "network_affiliate_id": 2})


def test_thirty_parallel_reports_run_at_most_ten_at_a_time(everflow: ScriptedEverflow,
                                                           make_client: MakeClient) -> None:
    everflow.default = Reply(body={"table": []}, delay_s=0.5)  # long enough for ten to overlap on a busy machine
    client = make_client()
    start = threading.Barrier(30)
    results: list[dict[str, Any]] = []
    errors: list[Exception] = []

    def report() -> None:
        start.wait()
        try:
            results.append(client.entity_report({"columns": [{"column": "date"}]}))
        except Exception as exc:  # shown by the assertion below instead of dying silently in its thread
            errors.append(exc)

    threads = [threading.Thread(target=report) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(results), errors) == (30, [])
    assert everflow.peak == 10


def test_every_attempt_spends_from_the_budget(everflow: ScriptedEverflow, make_client: MakeClient) -> None:
    budget = CountingBudget()
    everflow.script(Reply(500, {"Error": "x"}))
    make_client(budget=budget).get_advertiser(1)
    assert budget.granted == 2


def test_an_exhausted_budget_sends_nothing_and_is_not_retried(everflow: ScriptedEverflow, make_client: MakeClient,
                                                              sleeps: list[float]) -> None:
    with pytest.raises(EverflowBudgetExhaustedError) as raised:
        make_client(budget=CountingBudget(exhausted=True)).get_advertiser(1)
    assert raised.value.transient
    assert (everflow.seen, sleeps) == ([], [])


def test_retries_are_logged_with_the_endpoint_and_attempt_but_not_the_key(
        everflow: ScriptedEverflow, make_client: MakeClient, caplog: pytest.LogCaptureFixture) -> None:
    everflow.script(Reply(429, {"Error": "slow"}, {"Retry-After": "1"}))
    with caplog.at_level("WARNING", logger="shared.adapters.everflow.client"):
        make_client().get_offer(12)
    [record] = caplog.records
    assert "/v1/networks/offers/12" in record.getMessage()
    assert "retry 1 of 4" in record.getMessage()
    assert record.fields["attempt"] == 2  # type: ignore[attr-defined]
    assert KEY not in caplog.text


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Retry-After": "12"}, 12.0),
    ({"Retry-After": "Thu, 01 Jan 2026 00:00:30 GMT"}, 30.0),
    ({"X-RateLimit-Reset": "1767225610"}, 10.0),
    ({"X-RateLimit-Reset": "nan"}, None),
    ({"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0"}, None),
])
def test_the_wait_is_read_from_retry_after_or_a_reset_header(headers: dict[str, str],
                                                             expected: float | None) -> None:
    assert retry_after_s(headers, now=lambda: 1_767_225_600.0) == expected


def test_the_factory_builds_one_client_from_settings(everflow: ScriptedEverflow,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVERFLOW_BASE_URL", everflow.url + "/v1/")
    monkeypatch.setenv("EVERFLOW_API_KEY", KEY)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # no Redis: the budget falls back per instance
    with _fresh_factory():
        client = get_everflow_client()
        assert get_everflow_client() is client
        assert client.get_advertiser(1) == {"ok": True}
    assert everflow.seen[0].path == "/v1/networks/advertisers/1"
    assert everflow.seen[0].headers["X-Eflow-API-Key"] == KEY


@contextlib.contextmanager
def _fresh_factory() -> Iterator[None]:
    def forget() -> None:
        if get_everflow_client.cache_info().currsize:
            get_everflow_client().close()
        get_everflow_client.cache_clear()
        reset_redis()
        get_settings.cache_clear()

    forget()
    try:
        yield
    finally:
        forget()
