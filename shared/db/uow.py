"""The unit of work: one transaction and the repositories that share it."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from types import TracebackType

from shared.db.pool import Pool, get_pool
from shared.db.session import Session
from shared.repositories.organizations import OrganizationRepository
from shared.repositories.profiles import ProfileRepository


class UnitOfWork:
    """`with uow:` opens a transaction; `uow.commit()` keeps its writes, otherwise they are rolled back."""

    session: Session
    organizations: OrganizationRepository
    profiles: ProfileRepository

    def __init__(self, pool: Pool | None = None) -> None:
        self._pool = pool
        self._stack = ExitStack()
        self._open = False

    def __enter__(self) -> UnitOfWork:
        con = self._stack.enter_context((self._pool or get_pool()).connection())
        self.session = Session(con)
        self.session.execute("START TRANSACTION")
        self._open = True
        self.organizations = OrganizationRepository(self.session)
        self.profiles = ProfileRepository(self.session)
        return self

    def commit(self) -> None:
        """Make the writes durable; this ends the unit of work's transaction."""
        self.session.execute("COMMIT")
        self._open = False

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._open:
                self.session.rollback()
        except BaseException:
            self._stack.__exit__(*sys.exc_info())
            raise
        self._stack.__exit__(exc_type, exc, tb)
