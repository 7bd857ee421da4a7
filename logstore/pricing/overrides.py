"""Operators' prices (`ModelPrice`), matched to a log's workspace, provider, model and time.

Overrides are few and read on every ingest, so each process keeps them all in memory for
`CACHE_SECONDS`; saving or deleting one here clears that copy at once, other processes
follow within the TTL.
"""

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from logstore.models import ModelPrice

CACHE_SECONDS = 30
MTOK = Decimal(1_000_000)

_cache: tuple[float, list[ModelPrice]] | None = None


@dataclass(frozen=True)
class OverridePrice:
    cost_usd: Decimal
    price: ModelPrice


def forget():
    global _cache
    _cache = None


@receiver(post_save, sender=ModelPrice)
@receiver(post_delete, sender=ModelPrice)
def _price_changed(**kwargs):
    forget()


def _all_prices() -> list[ModelPrice]:
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        _cache = (now, list(ModelPrice.objects.order_by("-valid_from", "-id")))
    return _cache[1]


def _rank(price: ModelPrice):
    """Most specific first: own workspace, then exact name, then named provider, then the
    longest prefix; among equals the latest `valid_from` (the list is already in that order)."""
    return (
        price.workspace_id is None,
        price.match != ModelPrice.Match.EXACT,
        not price.provider,
        -len(price.model),
    )


def matching_price(workspace_id, provider, model, at: datetime) -> ModelPrice | None:
    if not model:
        return None
    candidates = [
        p
        for p in _all_prices()
        if p.workspace_id in (None, workspace_id)
        and p.provider.lower() in ("", provider)
        and p.valid_from <= at
        and (model == p.model if p.match == ModelPrice.Match.EXACT else model.startswith(p.model))
    ]
    return min(candidates, key=_rank, default=None)


def cost_at(price: ModelPrice, usage) -> Decimal:
    """Cache reads at the cached-input price when one is set; cache writes at the input price."""
    cached = min(usage.cached or 0, usage.input or 0)
    cached_rate = price.cached_input_per_mtok
    if cached_rate is None:
        cached_rate = price.input_per_mtok
    total = (
        ((usage.input or 0) - cached) * price.input_per_mtok
        + cached * cached_rate
        + (usage.output or 0) * price.output_per_mtok
    )
    return total / MTOK


def lookup(workspace_id, provider, model, usage, at: datetime) -> OverridePrice | None:
    price = matching_price(workspace_id, provider, model, at)
    if price is None:
        return None
    return OverridePrice(cost_at(price, usage), price)


def ref(price: ModelPrice) -> str:
    return f"override {price.pk}"


def price_by_ref(text: str) -> ModelPrice | None:
    _, _, pk = text.partition(" ")
    return ModelPrice.objects.filter(pk=int(pk)).first() if pk.isdigit() else None


def describe(price: ModelPrice) -> str:
    cached = price.cached_input_per_mtok
    parts = [
        f"{price}",
        f"${price.input_per_mtok.normalize():f}/input MTok",
        f"${price.output_per_mtok.normalize():f}/output MTok",
    ]
    if cached is not None:
        parts.append(f"${cached.normalize():f}/cached input MTok")
    return ", ".join(parts)
