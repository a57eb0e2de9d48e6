"""SQL for the intelligence data: advertiser and publisher records, autocomplete and publisher search.

Search and autocomplete filter on `analytics_publisher_search` (trigger-maintained arrays under GIN
indexes, see migrations/sql/0016_intelligence.sql) and read the wide records only for the page returned.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from shared.db.session import Row, Session
from shared.domain.intelligence import (
    MIN_QUERY_LENGTH,
    Criteria,
    IntelRecord,
    Kind,
    Suggestion,
    Written,
)
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult

TEXT = ("description", "favicon_image_url", "screenshot_image_url")
ADVERTISER_JSON = ("affiliate_networks", "contact_emails", "keywords", "verticals", "partner_information",
                   "related_advertisers", "social_media", "backlinks", "additional_data")
PUBLISHER_JSON = ("affiliate_networks", "country_rankings", "keywords", "verticals", "verticals_v2",
                  "partner_information", "partners", "related_publishers", "social_media", "live_urls",
                  "additional_data")
PUBLISHER_SCALARS = ("known", "relevance", "traffic_score", "promotype")
ADVERTISERS = ("analytics_advertisers", (*TEXT, *ADVERTISER_JSON))
PUBLISHERS = ("analytics_publishers", (*TEXT, *PUBLISHER_JSON, *PUBLISHER_SCALARS))
SCALAR_TYPES = {"known": "BOOLEAN", "relevance": "NUMERIC", "traffic_score": "NUMERIC", "promotype": "TEXT"}


def grams(text: str, n: int = 3) -> list[str]:
    """The n-character substrings `intel_grams(domain, n)` indexes, for the index lookup of a query text."""
    lowered = text.lower()
    return sorted({lowered[i:i + n] for i in range(len(lowered) - n + 1)})


class IntelligenceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # --- records -------------------------------------------------------------------------------------

    def advertiser(self, record_id: int) -> IntelRecord | None:
        return self._one(ADVERTISERS, "id = :key", key=record_id)

    def publisher(self, record_id: int) -> IntelRecord | None:
        return self._one(PUBLISHERS, "id = :key", key=record_id)

    def publisher_by_domain(self, domain: str) -> IntelRecord | None:
        return self._one(PUBLISHERS, "domain = :key", key=domain)

    def publisher_exists(self, domain: str) -> bool:
        """Whether the intelligence data knows this publisher domain (give it normalized: lower case)."""
        return bool(self._session.fetch_value(
            "SELECT EXISTS (SELECT 1 FROM analytics_publishers WHERE domain = :domain)", domain=domain))

    def publishers_by_domain(self, domains: list[str]) -> dict[str, IntelRecord]:
        """The known publishers among `domains` (normalized), by domain; unknown domains are absent."""
        if not domains:
            return {}
        table, columns = PUBLISHERS
        rows = self._session.fetch_all(
            f"SELECT {_select(columns)} FROM {table} WHERE domain = ANY (CAST(:domains AS TEXT[]))",
            domains=sorted(set(domains)))
        return {row["domain"]: _record(row, columns) for row in rows}

    def save_advertiser(self, domain: str, columns: dict[str, Any]) -> Written:
        return self._save(ADVERTISERS, domain, columns)

    def save_publisher(self, domain: str, columns: dict[str, Any]) -> Written:
        return self._save(PUBLISHERS, domain, columns)

    def add_publishers(self, records: list[tuple[str, dict[str, Any]]]) -> int:
        """Insert many publishers in one statement (seeding, benchmarks); known domains are skipped."""
        return self._add_many(PUBLISHERS, records)

    def add_advertisers(self, records: list[tuple[str, dict[str, Any]]]) -> int:
        return self._add_many(ADVERTISERS, records)

    # --- search --------------------------------------------------------------------------------------

    def autocomplete(self, text: str, kind: Kind, limit: int) -> list[Suggestion]:
        """Domains containing `text` (>= 3 characters): prefix matches first, then shorter, then A-Z."""
        assert len(text) >= MIN_QUERY_LENGTH
        parts = []
        if kind in (Kind.ADVERTISER, Kind.BOTH):
            parts.append(_suggestions("analytics_advertisers", "id", "advertiser"))
        if kind in (Kind.PUBLISHER, Kind.BOTH):
            parts.append(_suggestions("analytics_publisher_search", "publisher_id", "publisher"))
        rows = self._session.fetch_all(
            f"SELECT id, domain, type FROM ({' UNION ALL '.join(parts)}) AS s"
            " ORDER BY domain NOT LIKE :prefix, length(domain), domain, type LIMIT :limit",
            grams=grams(text), pattern=f"%{text}%", prefix=f"{text}%", limit=limit)
        return [Suggestion(int(r["id"]), r["domain"], Kind(r["type"])) for r in rows]

    def search(self, criteria: Criteria, page: PageRequest) -> PageResult[IntelRecord]:
        """One page of matching publishers in ranking order, and their number (exact up to TOTAL_CAP)."""
        partner_ids = self._partner_ids(criteria.partner_domains)
        if criteria.partner_domains and not partner_ids:
            return PageResult.counted([], 0, page)  # no publisher lists any of them
        source, where, params = _filters(criteria, partner_ids)
        keys = _ranking(criteria, partner_ids, params)
        _, columns = PUBLISHERS
        picked = ", ".join(f"{expr} AS k{i}" for i, (expr, _) in enumerate(keys))
        inner = ", ".join(f"{expr} {direction}" for expr, direction in keys)
        outer = ", ".join(f"m.k{i} {direction}" for i, (_, direction) in enumerate(keys))
        rows = self._session.fetch_all(
            f"SELECT {_select(columns, 'p')} FROM (SELECT s.publisher_id, {picked}"
            f" FROM {source} WHERE {where} ORDER BY {inner}"
            " LIMIT :limit OFFSET :offset) AS m JOIN analytics_publishers AS p ON p.id = m.publisher_id"
            f" ORDER BY {outer}",
            limit=page.page_size, offset=page.offset, **params)
        matched = self._session.fetch_value(
            f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where}"
            " LIMIT :cap) AS m", cap=TOTAL_CAP + 1, **params)
        return PageResult.counted([_record(r, columns) for r in rows], int(matched), page)

    # --- helpers -------------------------------------------------------------------------------------

    def _partner_ids(self, domains: tuple[str, ...]) -> list[int]:
        """The numbers of the partner domains any publisher lists (as literals, the planner sees how common)."""
        if not domains:
            return []
        rows = self._session.fetch_all(
            "SELECT partner_id FROM analytics_partner_domains WHERE domain = ANY (CAST(:domains AS TEXT[]))"
            " ORDER BY partner_id", domains=list(domains))
        return [int(row["partner_id"]) for row in rows]

    def _one(self, source: tuple[str, tuple[str, ...]], condition: str, **params: Any) -> IntelRecord | None:
        table, columns = source
        row = self._session.fetch_one(f"SELECT {_select(columns)} FROM {table} WHERE {condition}", **params)
        return _record(row, columns) if row else None

    def _save(self, source: tuple[str, tuple[str, ...]], domain: str, values: dict[str, Any]) -> Written:
        """Insert or replace by domain; the row is locked first, so `before` is what was replaced."""
        table, columns = source
        before = self._one(source, "domain = :key FOR UPDATE", key=domain)
        names = ("domain", *columns)
        row = self._session.fetch_one(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(_placeholder(c) for c in names)})"
            f" ON CONFLICT (domain) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in columns)}"
            f" RETURNING {_select(columns)}",
            domain=domain, **_params(values, columns))
        assert row is not None
        return Written(_record(row, columns), before)

    def _add_many(self, source: tuple[str, tuple[str, ...]], records: list[tuple[str, dict[str, Any]]]) -> int:
        table, columns = source
        names = ("domain", *columns)
        typed = ", ".join(f"{c} {_sql_type(c)}" for c in names)
        rows = [{"domain": domain, **{c: _plain(values.get(c)) for c in columns}} for domain, values in records]
        return self._session.execute(
            f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)}"
            f" FROM jsonb_to_recordset(CAST(:rows AS JSONB)) AS r ({typed}) ON CONFLICT (domain) DO NOTHING",
            rows=json.dumps(rows))


def _suggestions(table: str, key: str, kind: str) -> str:
    return (f"(SELECT {key} AS id, domain, '{kind}' AS type FROM {table}"
            " WHERE intel_grams(domain, 3) @> CAST(:grams AS TEXT[]) AND domain LIKE :pattern"
            " ORDER BY domain NOT LIKE :prefix, length(domain), domain LIMIT :limit)")


def _filters(criteria: Criteria, partner_ids: list[int]) -> tuple[str, str, dict[str, Any]]:
    """(FROM, WHERE, parameters) of the search table for the criteria."""
    clauses: list[str] = ["true"]
    params: dict[str, Any] = {}
    if criteria.domain:
        clauses.append("s.domain LIKE :pattern")
        params |= {"pattern": f"%{criteria.domain}%", "exact": criteria.domain, "prefix": f"{criteria.domain}%"}
        n = min(len(criteria.domain), 3)  # 3-grams, or the 2- or 1-character text itself
        clauses.append(f"intel_grams(s.domain, {n}) @> CAST(:grams AS TEXT[])")
        params["grams"] = grams(criteria.domain, n)
    if criteria.country:
        clauses.append("s.country_codes @> CAST(:countries AS TEXT[])")
        params["countries"] = [criteria.country]
    if partner_ids:
        clauses.append("s.partner_ids && CAST(:partner_ids AS INTEGER[])")
        params["partner_ids"] = partner_ids
    if criteria.verticals:
        clauses.append("s.vertical_names && CAST(:verticals AS TEXT[])")
        params["verticals"] = list(criteria.verticals)
    return "analytics_publisher_search AS s", " AND ".join(clauses), params


def _ranking(criteria: Criteria, partner_ids: list[int], params: dict[str, Any]) -> list[tuple[str, str]]:
    """The ORDER BY keys; tiers that would be equal for every match are left out, so that without
    them the order is the one of `idx_publisher_search_rank` and a page can be read off the index."""
    keys = []
    if criteria.domain:
        keys.append(("CASE WHEN s.domain = :exact THEN 0 WHEN s.domain LIKE :prefix THEN 1 ELSE 2 END", "ASC"))
    if len(partner_ids) > 1 or len(criteria.verticals) > 1:
        matches = [f"(s.partner_ids @> CAST(:{_param(params, [i])} AS INTEGER[]))::INTEGER" for i in partner_ids]
        matches += [f"(s.vertical_names @> CAST(:{_param(params, [v])} AS TEXT[]))::INTEGER"
                    for v in criteria.verticals]
        keys.append((" + ".join(matches), "DESC"))
    return [*keys, ("s.partner_count", "DESC"), ("s.relevance", "DESC"), ("s.traffic_score", "DESC"),
            ("s.domain", "ASC")]


def _param(params: dict[str, Any], value: Any) -> str:
    """Add a numbered parameter and return its name."""
    name = f"p{len(params)}"
    params[name] = value
    return name


def _select(columns: tuple[str, ...], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{c}" for c in ("id", "domain", *columns, "created_at", "updated_at"))


def _placeholder(column: str) -> str:
    if column in ADVERTISER_JSON or column in PUBLISHER_JSON:
        return f"CAST(:{column} AS JSONB)"
    return f":{column}"


def _params(values: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    return {c: json.dumps(values.get(c)) if _placeholder(c).startswith("CAST") else values.get(c)
            for c in columns}


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _sql_type(column: str) -> str:
    if column in ADVERTISER_JSON or column in PUBLISHER_JSON:
        return "JSONB"
    return SCALAR_TYPES.get(column, "TEXT")


def _record(row: Row, columns: tuple[str, ...]) -> IntelRecord:
    return IntelRecord(int(row["id"]), row["domain"], {c: row[c] for c in columns}, row["created_at"],
                       row["updated_at"])
