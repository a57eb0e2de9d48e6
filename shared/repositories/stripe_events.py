"""Every Stripe event we received, claimed by id in the transaction that applies it."""

from __future__ import annotations

from shared.db.session import Session


class StripeEventRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
