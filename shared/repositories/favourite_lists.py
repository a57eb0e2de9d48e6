"""SQL for favourite publisher lists and their items."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pg8000.exceptions import DatabaseError

from shared.db.session import Row, Session, sqlstate
from shared.domain.errors import Conflict
from shared.domain.favourite_lists import FavouriteList, ItemStatus, ListItem
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult
from shared.domain.principal import TenantScope

LIST_COLUMNS = "l.list_id, l.organization_id, l.name, l.description, l.created_at, l.updated_at"
PUBLISHER_COUNT = "(SELECT count(*) FROM favorite_publisher_list_items i WHERE i.list_id = l.list_id)"
ITEM_COLUMNS = "item_id, list_id, organization_id, publisher_domain, notes, status, added_at, updated_at"
LIST_EDITABLE = frozenset({"name", "description"})
ITEM_EDITABLE = frozenset({"notes", "status"})


class FavouriteListRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, organization_id: int, name: str, description: str | None) -> FavouriteList:
        with _unique("uq_favorite_lists_name", "Your organization already has a list with this name."):
            row = self._session.fetch_one(
                "INSERT INTO favorite_publisher_lists AS l (organization_id, name, description)"
                f" VALUES (:org, :name, :description) RETURNING {LIST_COLUMNS}, 0 AS publisher_count",
                org=organization_id, name=name, description=description,
            )
        assert row is not None
        return FavouriteList(**row)

    def get(self, list_id: int, scope: TenantScope, *, for_update: bool = False) -> FavouriteList | None:
        clause, params = _scope("l", scope)
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {LIST_COLUMNS}, {PUBLISHER_COUNT} AS publisher_count FROM favorite_publisher_lists l"
            f" WHERE l.list_id = :id AND {clause}{lock}",
            id=list_id, **params,
        )
        return FavouriteList(**row) if row else None

    def of_organization(self, organization_id: int, page: PageRequest) -> PageResult[FavouriteList]:
        """The organization's lists, newest first, each with its number of publishers."""
        rows = self._session.fetch_all(
            f"SELECT {LIST_COLUMNS}, {PUBLISHER_COUNT} AS publisher_count FROM favorite_publisher_lists l"
            " WHERE l.organization_id = :org ORDER BY l.created_at DESC, l.list_id DESC LIMIT :limit OFFSET :offset",
            org=organization_id, limit=page.page_size, offset=page.offset,
        )
        matched = self._count("SELECT 1 FROM favorite_publisher_lists WHERE organization_id = :org",
                              org=organization_id)
        return PageResult.counted([FavouriteList(**r) for r in rows], matched, page)

    def holding(self, organization_id: int, domain: str) -> list[FavouriteList]:
        """The organization's lists that hold `domain`, by name."""
        rows = self._session.fetch_all(
            f"SELECT {LIST_COLUMNS}, {PUBLISHER_COUNT} AS publisher_count FROM favorite_publisher_lists l"
            " WHERE l.organization_id = :org AND EXISTS (SELECT 1 FROM favorite_publisher_list_items i"
            " WHERE i.organization_id = :org AND i.publisher_domain = :domain AND i.list_id = l.list_id)"
            " ORDER BY lower(l.name), l.list_id",
            org=organization_id, domain=domain,
        )
        return [FavouriteList(**r) for r in rows]

    def update(self, list_id: int, changes: dict[str, Any]) -> FavouriteList:
        assert set(changes) <= LIST_EDITABLE
        assignments = ", ".join(f"{column} = :{column}" for column in changes)
        with _unique("uq_favorite_lists_name", "Your organization already has a list with this name."):
            row = self._session.fetch_one(
                f"UPDATE favorite_publisher_lists AS l SET {assignments} WHERE l.list_id = :id"
                f" RETURNING {LIST_COLUMNS}, {PUBLISHER_COUNT} AS publisher_count",
                id=list_id, **changes,
            )
        assert row is not None
        return FavouriteList(**row)

    def delete(self, list_id: int) -> None:
        """Its items go with it; conversations started from it keep going without it (list_id NULL)."""
        self._session.execute("DELETE FROM favorite_publisher_lists WHERE list_id = :id", id=list_id)

    def add_item(self, favourite: FavouriteList, domain: str, notes: str | None, status: ItemStatus) -> ListItem:
        with _unique("uq_favorite_items_domain", f"{domain} is already in this list."):
            row = self._session.fetch_one(
                "INSERT INTO favorite_publisher_list_items (list_id, organization_id, publisher_domain, notes, status)"
                f" VALUES (:list, :org, :domain, :notes, :status) RETURNING {ITEM_COLUMNS}",
                list=favourite.list_id, org=favourite.organization_id, domain=domain, notes=notes,
                status=status.value,
            )
        assert row is not None
        return _item(row)

    def item(self, list_id: int, domain: str, *, for_update: bool = False) -> ListItem | None:
        """An item of a list the caller already reached (the list's scope check covers it)."""
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {ITEM_COLUMNS} FROM favorite_publisher_list_items WHERE list_id = :list"
            f" AND publisher_domain = :domain{lock}",
            list=list_id, domain=domain,
        )
        return _item(row) if row else None

    def items(self, list_id: int, page: PageRequest) -> PageResult[ListItem]:
        """A list's publishers, newest first."""
        rows = self._session.fetch_all(
            f"SELECT {ITEM_COLUMNS} FROM favorite_publisher_list_items WHERE list_id = :list"
            " ORDER BY added_at DESC, item_id DESC LIMIT :limit OFFSET :offset",
            list=list_id, limit=page.page_size, offset=page.offset,
        )
        matched = self._count("SELECT 1 FROM favorite_publisher_list_items WHERE list_id = :list", list=list_id)
        return PageResult.counted([_item(r) for r in rows], matched, page)

    def update_item(self, item_id: int, changes: dict[str, Any]) -> ListItem:
        assert set(changes) <= ITEM_EDITABLE
        values = {k: v.value if isinstance(v, ItemStatus) else v for k, v in changes.items()}
        assignments = ", ".join(f"{column} = :{column}" for column in values)
        row = self._session.fetch_one(
            f"UPDATE favorite_publisher_list_items SET {assignments} WHERE item_id = :id RETURNING {ITEM_COLUMNS}",
            id=item_id, **values,
        )
        assert row is not None
        return _item(row)

    def delete_item(self, item_id: int) -> None:
        self._session.execute("DELETE FROM favorite_publisher_list_items WHERE item_id = :id", id=item_id)

    def _count(self, matching: str, **params: Any) -> int:
        return int(self._session.fetch_value(f"SELECT count(*) FROM ({matching} LIMIT {TOTAL_CAP + 1}) AS m",
                                             **params))


def _scope(alias: str, scope: TenantScope) -> tuple[str, dict[str, Any]]:
    if scope.organization_ids is None:
        return "TRUE", {}
    return f"{alias}.organization_id = ANY(CAST(:scope AS BIGINT[]))", {"scope": sorted(scope.organization_ids)}


@contextmanager
def _unique(constraint: str, message: str) -> Iterator[None]:
    """A unique key decides duplicates, also between concurrent requests: 409."""
    try:
        yield
    except DatabaseError as exc:
        if sqlstate(exc) == "23505" and constraint in str(exc):
            raise Conflict(message) from exc
        raise


def _item(row: Row) -> ListItem:
    return ListItem(**{**row, "status": ItemStatus(row["status"])})
