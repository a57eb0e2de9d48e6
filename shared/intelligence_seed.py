"""Generated intelligence data: advertiser and publisher records made up here, deterministic per seed.

Used by `make run`'s demo seed and by the search benchmark. Nothing is copied from a vendor: domains
are built from word lists, and countries, verticals, partner networks, partners (advertiser
domains), scores and keywords are drawn from a seeded generator, skewed the way such data is (a few
large publishers, many small ones; most traffic from a handful of countries).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

from shared.db.uow import UnitOfWork
from shared.domain.intelligence import advertiser_columns, publisher_columns
from shared.domain.principal import TenantScope

SEED = 20_251_126
BATCH = 2_000
WORDS = ("acorn", "amber", "arrow", "atlas", "aurora", "basil", "beacon", "birch", "bloom", "bold", "breeze",
         "brook", "canyon", "cedar", "cinder", "clover", "cobalt", "comet", "coral", "crest", "daisy", "delta",
         "dune", "echo", "ember", "fable", "fern", "finch", "fjord", "flint", "frost", "gale", "garnet", "glade",
         "granite", "grove", "harbor", "hazel", "heron", "indigo", "iris", "ivory", "jade", "juniper", "kestrel",
         "lagoon", "lark", "lumen", "maple", "meadow", "mesa", "mint", "moss", "nectar", "nimbus", "north",
         "oak", "onyx", "orchid", "pebble", "pine", "pixel", "plume", "prairie", "quartz", "quill", "raven",
         "reef", "ridge", "river", "saffron", "sage", "sierra", "slate", "sparrow", "spruce", "summit", "tide",
         "timber", "topaz", "tundra", "umber", "valley", "velvet", "willow", "wren", "zephyr", "zinc")
TOPICS = ("deals", "coupons", "reviews", "guide", "daily", "hub", "lab", "times", "picks", "journal", "world",
          "insider", "central", "digest", "corner", "finder", "today", "zone", "life", "post")
BRANDS = ("goods", "store", "shop", "wear", "home", "labs", "co", "supply", "market", "outfitters", "works")
TLDS = ("com", "com", "com", "com", "net", "org", "co.uk", "de", "com.au", "fr", "ca", "io", "nl", "es")
COUNTRIES = ("us", "us", "us", "us", "gb", "gb", "de", "de", "fr", "ca", "au", "nl", "es", "it", "se", "in",
             "br", "mx", "jp", "pl", "ie", "nz", "za", "sg", "ch", "at", "be", "dk", "no", "fi")
VERTICALS = ("Technology / Software", "Technology / Consumer Electronics", "Finance / Banking",
             "Finance / Insurance", "Fashion / Apparel", "Fashion / Accessories", "Health / Fitness",
             "Health / Supplements", "Home / Furniture", "Home / Garden", "Travel / Hotels", "Travel / Flights",
             "Food / Grocery", "Food / Restaurants", "Beauty / Skincare", "Sports / Outdoor", "Gaming",
             "Education / Online Courses", "Pets", "Automotive")
NETWORKS = ("Northwind Partners", "Bluepeak Network", "Lighthouse Affiliates", "Copperline", "Meridian Links",
            "Orbit Referrals", "Tidewater Media", "Keystone Commerce", "Sunline Partners", "Harborview Network",
            "Quarry Affiliates", "Pinecrest Links", "Vantage Referrals", "Driftwood Partners", "Summit Exchange")
PROMOTYPES = ("blog", "coupon", "cashback", "content", "review", "comparison", "news", "social", "loyalty")
KEYWORDS = ("best", "cheap", "discount", "sale", "review", "guide", "top", "compare", "deal", "offer", "buy",
            "free shipping", "promo code", "new", "premium", "budget", "how to", "tips", "vs", "rated")


def advertiser_domains(count: int, seed: int = SEED) -> list[str]:
    """`count` distinct brand-like domains (the partners publishers are linked to)."""
    rng = _rng(f"advertisers:{seed}")
    return _distinct(count, lambda: f"{rng.choice(WORDS)}{rng.choice(BRANDS)}.{rng.choice(TLDS)}")


def publisher_domains(count: int, seed: int = SEED) -> list[str]:
    rng = _rng(f"publishers:{seed}")

    def make() -> str:
        name = f"{rng.choice(WORDS)}{rng.choice(TOPICS)}"
        if rng.random() < 0.5:
            name = f"{rng.choice(WORDS)}{name}"
        return f"{name}.{rng.choice(TLDS)}"

    return _distinct(count, make)


def advertiser_document(domain: str, rng: random.Random) -> dict[str, Any]:
    verticals = rng.sample(VERTICALS, rng.randint(1, 2))
    networks = rng.sample(NETWORKS, rng.randint(1, 4))
    return {
        "domain": domain,
        "metaData": _meta(domain, f"{domain} sells {verticals[0].lower()} products online."),
        "affiliateNetworks": {"count": len(networks), "value": networks},
        "contactEmails": {"count": 1, "value": [f"partners@{domain}"]},
        "keywords": _keywords(rng),
        "verticals": {"count": len(verticals), "value": verticals},
        "socialMedia": {"count": 0, "value": None},
    }


def publisher_document(domain: str, rng: random.Random, partners: list[str]) -> dict[str, Any]:
    """A publisher: 1-4 countries, 1-3 verticals, 1-6 networks, 0-60 partners (few have many)."""
    size = rng.paretovariate(1.2)  # 1 = small; a long tail of large publishers
    countries = list(dict.fromkeys(rng.choice(COUNTRIES) for _ in range(rng.randint(1, 4))))
    verticals = rng.sample(VERTICALS, rng.randint(1, 3))
    networks = rng.sample(NETWORKS, rng.randint(1, 6))
    linked = rng.sample(partners, min(len(partners), 60, int(size * 3) - 3 + rng.randint(0, 3)))
    return {
        "domain": domain,
        "metaData": _meta(domain, f"{domain}: {rng.choice(PROMOTYPES)} site about {verticals[0].lower()}."),
        "relevance": round(min(99.99, rng.random() * 20 * size), 2),
        "trafficScore": round(min(99_999.0, rng.lognormvariate(3, 1.5)), 2),
        "known": {"value": rng.random() < 0.1},
        "promotype": {"value": rng.choice(PROMOTYPES)},
        "affiliateNetworks": {"count": len(networks), "value": networks},
        "countryRankings": {"count": len(countries), "value": [
            {"countryCode": code, "score": round(1 / (rank + 1), 2)} for rank, code in enumerate(countries)]},
        "keywords": _keywords(rng),
        "verticals": {"count": len(verticals), "value": verticals},
        "verticalsV2": {"count": len(verticals), "value": [
            {"name": name, "rank": rank + 1, "score": 90 - 20 * rank} for rank, name in enumerate(verticals)]},
        "partners": {"count": len(linked), "value": linked},
        "liveUrls": {"count": 2, "value": [f"https://{domain}/", f"https://www.{domain}/"]},
        "socialMedia": {"count": 0, "value": None},
    }


def advertisers(count: int, seed: int = SEED) -> Iterator[tuple[str, dict[str, Any]]]:
    rng = _rng(f"advertiser-records:{seed}")
    for domain in advertiser_domains(count, seed):
        yield domain, advertiser_document(domain, rng)


def publishers(count: int, partners: list[str], seed: int = SEED) -> Iterator[tuple[str, dict[str, Any]]]:
    rng = _rng(f"publisher-records:{seed}")
    for domain in publisher_domains(count, seed):
        yield domain, publisher_document(domain, rng, partners)


def seed_intelligence(publisher_count: int, advertiser_count: int, *, seed: int = SEED) -> int:
    """Insert the generated records (known domains are skipped, so seeding twice adds nothing)."""
    brands = advertiser_domains(advertiser_count, seed)
    added = _insert("advertisers", ((d, advertiser_columns(doc)) for d, doc in advertisers(advertiser_count, seed)))
    rows = ((d, publisher_columns(doc)) for d, doc in publishers(publisher_count, brands, seed))
    return added + _insert("publishers", rows)


def _insert(kind: str, rows: Iterator[tuple[str, dict[str, Any]]]) -> int:
    added, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            added += _write(kind, batch)
            batch = []
    return added + (_write(kind, batch) if batch else 0)


def _write(kind: str, batch: list[tuple[str, dict[str, Any]]]) -> int:
    with UnitOfWork(TenantScope.everything()) as uow:
        add = uow.intelligence.add_publishers if kind == "publishers" else uow.intelligence.add_advertisers
        added = add(batch)
        uow.commit()
    return added


def _rng(name: str) -> random.Random:
    """A generator of made-up data, the same for the same name: reproducible, never for secrets."""
    return random.Random(name)  # noqa: S311


def _meta(domain: str, description: str) -> dict[str, Any]:
    return {"description": description, "faviconImageUrl": f"https://static.example.net/favicons/{domain}.png",
            "screenshotImageUrl": None}


def _keywords(rng: random.Random) -> dict[str, Any]:
    words = rng.sample(KEYWORDS, rng.randint(3, 8))
    return {"count": len(words), "value": [{"value": w, "score": round(1 - i / 10, 2)} for i, w in enumerate(words)]}


def _distinct(count: int, make: Callable[[], str]) -> list[str]:
    seen: dict[str, None] = {}
    attempts = 0
    while len(seen) < count:
        domain = make()
        attempts += 1
        if domain in seen:
            domain = f"{domain.split('.', 1)[0]}{attempts}.{domain.split('.', 1)[1]}"
        seen.setdefault(domain, None)
    return list(seen)
