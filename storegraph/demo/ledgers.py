"""The demo customers' ledgers, drawn from a random stream of their own after everything else, so the same seed
gives the same customers and orders as before the ledgers existed.

Loyalty: the demo store earns ``EARNING_RATE`` point per 100 of a delivered order, as the status machine would
have credited it; some customers got a welcome gift, some redeemed points, a few turned loyalty off (they earned
nothing since). House accounts: a few customers with orders buy on account, their orders charged in time order
within their limit, and most delivered ones paid off some days later."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from storegraph.demo.records import BASE_DATE, CANCELLED, _Customer, _Entry, _Order
from storegraph.rules.statuses import HouseAccountTransactionKind, LoyaltyTransactionKind

EARNING_RATE = 1
WELCOME_POINTS = 100
REDEEMED_POINTS = 200
HOUSE_ACCOUNT_LIMITS = (30_000, 50_000, 100_000, None)


def draw_ledgers(rng: random.Random, people: Sequence[_Customer]) -> None:
    for person in people:
        person.is_loyalty_enabled = rng.random() >= 0.02
        if person.is_loyalty_enabled:
            person.loyalty = _loyalty(rng, person)
        if person.counted_orders and rng.random() < 0.04:
            person.is_house_account_enabled = True
            person.house_account_limit = rng.choice(HOUSE_ACCOUNT_LIMITS)
            person.house_account = _house_account(rng, person)


def _running(events: list[tuple[datetime, str, int, str, _Order | None]]) -> list[_Entry]:
    entries, balance = [], 0
    for at, kind, amount, reason, order in sorted(events, key=lambda event: event[0]):
        balance += amount
        entries.append(_Entry(kind, amount, reason, balance, at, order))
    return entries


def _loyalty(rng: random.Random, person: _Customer) -> list[_Entry]:
    adjustment, earning = LoyaltyTransactionKind.ADJUSTMENT.value, LoyaltyTransactionKind.EARNING.value
    events: list[tuple[datetime, str, int, str, _Order | None]] = []
    if rng.random() < 0.15:
        events.append((person.created_at, adjustment, WELCOME_POINTS, "Bienvenue", None))
    for order in person.orders:
        points = (order.total // 100) * EARNING_RATE
        if order.delivered_at is not None and points > 0:
            events.append((order.delivered_at, earning, points, "Commande livrée", order))
    entries = _running(events)
    if entries and entries[-1].balance_after >= REDEEMED_POINTS and rng.random() < 0.3:
        at = min(entries[-1].at + timedelta(days=rng.randint(1, 20)), BASE_DATE)
        balance = entries[-1].balance_after - REDEEMED_POINTS
        entries.append(_Entry(adjustment, -REDEEMED_POINTS, "Bon d'achat utilisé", balance, at))
    return entries


def _house_account(rng: random.Random, person: _Customer) -> list[_Entry]:
    charge, payment = HouseAccountTransactionKind.CHARGE.value, HouseAccountTransactionKind.PAYMENT.value
    entries: list[_Entry] = []
    balance = 0
    pending_payments: list[tuple[datetime, _Order]] = []
    for order in sorted(person.orders, key=lambda order: order.placed_at):
        # Payments due before this order come first: the limit is checked against what is owed at the time.
        for at, paid in sorted(pending_payments, key=lambda pending: pending[0]):
            if at <= order.placed_at:
                balance -= paid.total
                entries.append(_Entry(payment, -paid.total, "Paiement en espèces", balance, at))
        pending_payments = [pending for pending in pending_payments if pending[0] > order.placed_at]
        limit = person.house_account_limit
        if order.status is CANCELLED or (limit is not None and balance + order.total > limit):
            continue
        order.on_account = True
        balance += order.total
        entries.append(_Entry(charge, order.total, f"Commande {order.number_suffix}", balance, order.placed_at, order))
        if order.delivered_at is not None and rng.random() < 0.7:
            due = order.delivered_at + timedelta(days=rng.randint(1, 15))
            if due <= BASE_DATE:
                pending_payments.append((due, order))
    for at, paid in sorted(pending_payments, key=lambda pending: pending[0]):
        balance -= paid.total
        entries.append(_Entry(payment, -paid.total, "Paiement en espèces", balance, at))
    return entries
