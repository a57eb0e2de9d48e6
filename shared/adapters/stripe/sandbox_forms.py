"""Stripe's request encoding: form fields with bracket nesting (`metadata[k]=v`, `expand[0]=x`, `expand[]=x`).

Also the small readers every handler needs (integers, booleans, metadata updates), `expand` and list
objects, all answering Stripe's own 400s.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from shared.adapters.stripe.sandbox_state import Json, Store, StripeError, missing

_PART = re.compile(r"\[([^\]]*)\]")


def parse_form(pairs: Iterable[tuple[str, str]]) -> Json:
    """Nest `a[b][c]=v` into {"a": {"b": {"c": "v"}}}; numeric or empty brackets make lists."""
    root: Json = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        path = [head, *_PART.findall(key[len(head):])]
        _assign(root, path, value)
    return {k: _listify(v) for k, v in root.items()}


def _assign(node: Json, path: list[str], value: str) -> None:
    for i, raw in enumerate(path[:-1]):
        part = raw or str(len(node))  # `expand[]=a&expand[]=b`: each occurrence is the next index
        nxt = node.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise StripeError(400, f"Invalid value for {'.'.join(path[:i + 1])}.", param=path[0])
        node = nxt
    last = path[-1] if path[-1] != "" else str(len(node))
    node[last] = value


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    items = {k: _listify(v) for k, v in value.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def integer(params: Json, name: str, *, required: bool = False, minimum: int | None = None) -> int | None:
    """An integer parameter (Stripe refuses decimals, as `amount=10.5` shows)."""
    raw = params.get(name)
    if raw in (None, ""):
        if required:
            raise missing(name)
        return None
    if not isinstance(raw, str) or not re.fullmatch(r"-?\d+", raw):
        raise StripeError(400, f"Invalid integer: {raw}", param=name)
    number = int(raw)
    if minimum is not None and number < minimum:
        raise StripeError(400, f"This value must be greater than or equal to {minimum}.", param=name,
                          code="parameter_invalid_integer")
    return number


def boolean(params: Json, name: str, default: bool = False) -> bool:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if raw not in ("true", "false"):
        raise StripeError(400, f"Invalid boolean: {raw}", param=name)
    return bool(raw == "true")


def text(params: Json, name: str, *, required: bool = False) -> str | None:
    raw = params.get(name)
    if raw is None or (raw == "" and required):
        if required:
            raise missing(name)
        return None
    if not isinstance(raw, str):
        raise StripeError(400, f"Invalid string: {name}", param=name)
    return raw or None


def currency(params: Json) -> str:
    value = text(params, "currency", required=True) or ""
    if not re.fullmatch(r"[A-Za-z]{3}", value):
        raise StripeError(400, f"Invalid currency: {value}.", param="currency")
    return value.lower()


def merge_metadata(current: Mapping[str, str], update: Any) -> dict[str, str]:
    """Stripe's metadata update: keys merge, an empty value deletes a key, `metadata=""` clears all."""
    if update is None:
        return dict(current)
    if update == "":
        return {}
    if not isinstance(update, dict):
        raise StripeError(400, "Invalid metadata: must be a hash.", param="metadata")
    merged = dict(current)
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged


def list_object(url: str, items: list[Json], params: Json) -> Json:
    """Stripe's list: newest first, `limit` (1..100, default 10), `starting_after`, `has_more`."""
    limit = integer(params, "limit", minimum=1) or 10
    after = params.get("starting_after")
    if after:
        ids = [o["id"] for o in items]
        items = items[ids.index(after) + 1:] if after in ids else []
    page = items[:min(limit, 100)]
    return {"object": "list", "data": page, "has_more": len(items) > len(page), "url": url}


def expand(obj: Json, paths: Any, store: Store) -> Json:
    """A copy of `obj` with each `expand[]` path's id replaced by the stored object (dotted, `data.` for lists)."""
    result = copy.deepcopy(obj)
    for path in paths if isinstance(paths, list) else []:
        _expand_path(result, str(path).split("."), store)
    return result


def _expand_path(node: Any, parts: list[str], store: Store) -> None:
    if not parts or not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    if head == "data" and isinstance(node.get("data"), list):
        for item in node["data"]:
            _expand_path(item, rest, store)
        return
    value = node.get(head)
    if not rest:
        if isinstance(value, str) and value in store.objects:
            node[head] = copy.deepcopy(store.objects[value])
        return
    _expand_path(value, rest, store)
