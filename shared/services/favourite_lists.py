"""Favourite publisher list use cases: an organization's shortlists and the contact status of each publisher.

Every list belongs to one organization: the caller's, or for Admin and PlatformOwner the one they name.
Another organization's list is a 404, as is a publisher that is not in the list.
"""

from __future__ import annotations

from typing import Any

from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import NotFound
from shared.domain.favourite_lists import (
    FavouriteList,
    ItemStatus,
    ListItem,
    check_transition,
    is_domain,
    item_fields,
    list_fields,
    normalize_domain,
)
from shared.domain.intelligence import publisher_document
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import Actor
from shared.schemas.favourite_lists import FavouriteListCreate, FavouriteListUpdate, ListItemCreate, ListItemUpdate


def target_organization(uow: UnitOfWork, actor: Actor, organization_id: int | None) -> int:
    """The organization a call acts on: the caller's, or another one an administrator names."""
    user = actor.user
    if organization_id is None or organization_id == user.organization_id:
        if user.organization_id is None:
            raise NotFound("You belong to no organization; administrators pass ?organization_id=.")
        return user.organization_id
    if not user.role.crosses_tenants or uow.organizations.get(organization_id, uow.scope) is None:
        raise NotFound(f"Organization {organization_id} was not found.")
    return organization_id


def create_list(organization_id: int | None, cmd: FavouriteListCreate, *, uow: UnitOfWork,
                actor: Actor) -> FavouriteList:
    with uow:
        org = target_organization(uow, actor, organization_id)
        favourite = uow.favourite_lists.add(org, cmd.name, cmd.description)
        _record_list(uow, actor, "create", None, favourite)
        uow.commit()
    return favourite


def list_lists(organization_id: int | None, page: PageRequest, *, uow: UnitOfWork,
               actor: Actor) -> PageResult[FavouriteList]:
    with uow:
        return uow.favourite_lists.of_organization(target_organization(uow, actor, organization_id), page)


def get_list(list_id: int, *, uow: UnitOfWork, actor: Actor) -> FavouriteList:
    with uow:
        return _visible(uow, list_id)


def update_list(list_id: int, cmd: FavouriteListUpdate, *, uow: UnitOfWork, actor: Actor) -> FavouriteList:
    """Partial update; a change to nothing writes nothing."""
    with uow:
        current = _visible(uow, list_id, for_update=True)
        changes = {k: v for k, v in cmd.model_dump(exclude_unset=True).items() if getattr(current, k) != v}
        if not changes:
            return current
        favourite = uow.favourite_lists.update(list_id, changes)
        _record_list(uow, actor, "update", current, favourite)
        uow.commit()
    return favourite


def delete_list(list_id: int, *, uow: UnitOfWork, actor: Actor) -> None:
    """The list and its items; conversations started from it stay, without the list."""
    with uow:
        current = _visible(uow, list_id, for_update=True)
        uow.favourite_lists.delete(list_id)
        uow.audit.record(actor, AuditEntry("favorite_list.delete", "favorite_publisher_list", str(list_id),
                                           current.organization_id,
                                           {**diff(list_fields(current), {}),
                                            "publisher_count": {"before": current.publisher_count, "after": None}}))
        uow.commit()


def add_publisher(list_id: int, cmd: ListItemCreate, *, uow: UnitOfWork, actor: Actor) -> ListItem:
    """A domain once per list (409 again); it need not be known to the intelligence data yet."""
    with uow:
        favourite = _visible(uow, list_id, for_update=True)
        item = uow.favourite_lists.add_item(favourite, cmd.publisher_domain, cmd.notes, cmd.status)
        _record_item(uow, actor, "add_publisher", None, item)
        uow.commit()
    return item


def list_publishers(list_id: int, page: PageRequest, include_details: bool, *, uow: UnitOfWork,
                    actor: Actor) -> tuple[PageResult[ListItem], dict[str, dict[str, Any]]]:
    """A list's publishers newest first and, when asked, their intelligence records by domain."""
    with uow:
        _visible(uow, list_id)
        items = uow.favourite_lists.items(list_id, page)
        known = uow.intelligence.publishers_by_domain([i.publisher_domain for i in items.items]) \
            if include_details else {}
    return items, {domain: publisher_document(record) for domain, record in known.items()}


def update_notes(list_id: int, domain: str, cmd: ListItemUpdate, *, uow: UnitOfWork, actor: Actor) -> ListItem:
    with uow:
        current = _item(uow, list_id, domain)
        if "notes" not in cmd.model_fields_set or cmd.notes == current.notes:
            return current
        item = uow.favourite_lists.update_item(current.item_id, {"notes": cmd.notes})
        _record_item(uow, actor, "update_publisher", current, item)
        uow.commit()
    return item


def change_status(list_id: int, domain: str, status: ItemStatus, *, uow: UnitOfWork, actor: Actor) -> ListItem:
    """added -> contacted -> accepted, one step back from contacted or accepted; 409 for anything else."""
    with uow:
        current = _item(uow, list_id, domain)
        check_transition(current.status, status)
        if status is current.status:
            return current
        item = uow.favourite_lists.update_item(current.item_id, {"status": status})
        _record_item(uow, actor, "change_status", current, item)
        uow.commit()
    return item


def remove_publisher(list_id: int, domain: str, *, uow: UnitOfWork, actor: Actor) -> None:
    with uow:
        current = _item(uow, list_id, domain)
        uow.favourite_lists.delete_item(current.item_id)
        _record_item(uow, actor, "remove_publisher", current, None)
        uow.commit()


def lists_holding(organization_id: int | None, domain: str, *, uow: UnitOfWork, actor: Actor) -> list[FavouriteList]:
    """The organization's lists that hold the publisher."""
    with uow:
        return uow.favourite_lists.holding(target_organization(uow, actor, organization_id), domain)


def _visible(uow: UnitOfWork, list_id: int, *, for_update: bool = False) -> FavouriteList:
    favourite = uow.favourite_lists.get(list_id, uow.scope, for_update=for_update)
    if favourite is None:
        raise NotFound(f"Favorite publisher list {list_id} was not found.")
    return favourite


def _item(uow: UnitOfWork, list_id: int, domain: str) -> ListItem:
    """The list's item for a domain in a path (any spelling of it), locked for a change."""
    _visible(uow, list_id)
    normalized = normalize_domain(domain)
    item = uow.favourite_lists.item(list_id, normalized, for_update=True) if is_domain(normalized) else None
    if item is None:
        raise NotFound(f"{domain} is not in favorite publisher list {list_id}.")
    return item


def _record_list(uow: UnitOfWork, actor: Actor, action: str, before: FavouriteList | None,
                 after: FavouriteList) -> None:
    changes = diff(list_fields(before) if before else {}, list_fields(after))
    uow.audit.record(actor, AuditEntry(f"favorite_list.{action}", "favorite_publisher_list", str(after.list_id),
                                       after.organization_id, changes))


def _record_item(uow: UnitOfWork, actor: Actor, action: str, before: ListItem | None, after: ListItem | None) -> None:
    item = after or before
    assert item is not None
    changes = diff(item_fields(before) if before else {}, item_fields(after) if after else {})
    uow.audit.record(actor, AuditEntry(f"favorite_list.{action}", "favorite_publisher_list_item", str(item.item_id),
                                       item.organization_id, {"list_id": item.list_id, **changes}))
