"""Demo outreach for `make run`: the advertiser's shortlist of generated publishers and a first conversation."""

from __future__ import annotations

import json

from shared.db.uow import UnitOfWork
from shared.domain.favourite_lists import ItemStatus
from shared.domain.principal import Actor
from shared.intelligence_seed import publisher_domains
from shared.schemas.favourite_lists import FavouriteListCreate, ListItemCreate
from shared.schemas.publisher_messaging import ConversationCreate
from shared.services import favourite_lists, publisher_messaging


def seed_outreach(uow: UnitOfWork, manager: Actor, publisher_count: int) -> None:
    """Three publishers of the intelligence seed in a list, the first contacted through a conversation (id 1)."""
    domains = publisher_domains(publisher_count)[:3]
    shortlist = favourite_lists.create_list(None, FavouriteListCreate(
        name="Outdoor publishers", description="Blogs to approach this season"), uow=uow, actor=manager)
    for domain in domains:
        favourite_lists.add_publisher(shortlist.list_id, ListItemCreate(publisher_domain=domain), uow=uow,
                                      actor=manager)
    favourite_lists.change_status(shortlist.list_id, domains[0], ItemStatus.CONTACTED, uow=uow, actor=manager)
    # Validated as a client's JSON would be: the schemas are strict about Python-side types.
    publisher_messaging.start_conversation(None, ConversationCreate.model_validate_json(json.dumps({
        "publisher_domain": domains[0], "list_id": shortlist.list_id, "subject": "Summer Tents partnership",
        "initial_message": "Hello! Would you feature our summer tents? We pay CPA 12.50."})), uow=uow, actor=manager)
