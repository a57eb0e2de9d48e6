"""Paging and tenant scope, shared by every list query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
# A list's total is exact up to this many matches, and past it a lower bound: counting stops at
# TOTAL_CAP + 1 rows, so a page costs the same whatever the table's size (docs/decisions.md).
TOTAL_CAP = 10_000


def capped_total(matched: int) -> tuple[int, bool]:
    """(total, whether it is a lower bound) from a count that stopped at TOTAL_CAP + 1 rows."""
    return (TOTAL_CAP, True) if matched > TOTAL_CAP else (matched, False)


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    page_size: int = 10

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True)
class PageResult(Generic[T]):
    items: list[T]
    total: int
    page: PageRequest
    total_is_lower_bound: bool = False

    @classmethod
    def counted(cls, items: list[T], matched: int, page: PageRequest) -> PageResult[T]:
        """A page whose total comes from a count that stopped at TOTAL_CAP + 1 rows."""
        total, lower_bound = capped_total(matched)
        return cls(items, total, page, lower_bound)

    @property
    def total_pages(self) -> int:
        return -(-self.total // self.page.page_size)
