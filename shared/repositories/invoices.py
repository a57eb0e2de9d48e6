"""SQL for monthly invoices, mirrored from Stripe."""

from __future__ import annotations

from shared.db.session import Session


class InvoiceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
