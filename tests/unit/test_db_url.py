from __future__ import annotations

import pytest

from shared.db.url import database_url, parse_database_url


def test_tcp_url() -> None:
    params = parse_database_url("postgresql://app:s%40cret@db.internal:6543/platform")
    assert (params.user, params.password, params.host, params.port, params.database) == (
        "app", "s@cret", "db.internal", 6543, "platform")
    assert params.unix_sock is None


def test_socket_directory_in_the_query_selects_a_unix_socket() -> None:
    params = parse_database_url("postgresql://postgres:@/postgres?host=/tmp/pg")
    assert params.unix_sock == "/tmp/pg/.s.PGSQL.5432"
    assert parse_database_url(database_url(params)) == params


def test_other_schemes_are_refused() -> None:
    with pytest.raises(ValueError):
        parse_database_url("mysql://root@localhost/app")
