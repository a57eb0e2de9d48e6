"""The Redis client: lazy, shared, with short timeouts so an outage degrades instead of hanging."""

from __future__ import annotations

import socket
import ssl
from functools import cache
from typing import Any

import redis

from shared.config import get_settings


class PinnedCAConnection(redis.SSLConnection):
    """TLS that trusts exactly the configured CA (Memorystore's per-instance server CA), nothing else.

    The instance's CA signs only that instance's server certificates, so the chain is the server's
    identity. The host name is not checked: Memorystore's certificate is reported to name the IP only
    in its subject CN, which Python's TLS never matches. The system roots are left out, or any
    publicly trusted certificate would pass once the name is not checked.
    """

    def _wrap_socket_with_ssl(self, sock: socket.socket) -> ssl.SSLSocket:
        # Replaces redis-py's (8.1) context: it always loads the system roots next to ours.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = False
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cadata=self.ca_data)
        return context.wrap_socket(sock, server_hostname=self.host)


@cache
def get_redis() -> redis.Redis:
    settings = get_settings()
    url = settings.redis_url or "redis://127.0.0.1:6379/0"
    timeout = settings.redis_timeout_s
    tls: dict[str, Any] = {}
    if settings.redis_ca_cert.strip() and url.startswith("rediss://"):
        tls = {"connection_class": PinnedCAConnection, "ssl_ca_data": settings.redis_ca_cert}
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        socket_keepalive=True,
        **tls,
    )


def reset_redis() -> None:
    if get_redis.cache_info().currsize:
        get_redis().close()
    get_redis.cache_clear()
