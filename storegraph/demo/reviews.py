"""Drawing the demo store's reviews of its delivered orders, from a generator of their own: the rest of the demo
data is the same as it was before stores had reviews."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from storegraph.demo.records import BASE_DATE, DELIVERED, _Order, _Review

REVIEWED_SHARE = 0.3
RATING_WEIGHTS = {5: 45, 4: 30, 3: 12, 2: 7, 1: 6}
COMMENTS = {
    5: ("Très satisfaite, merci !", "Qualité au top, livraison rapide", "Conforme à la photo, je recommande"),
    4: ("Bon produit, livraison un peu lente", "Bien emballé, taille correcte", "Rapport qualité-prix correct"),
    3: ("Correct sans plus", "La couleur est un peu différente de la photo", "Livreur en retard de deux jours"),
    2: ("Tissu de moins bonne qualité que prévu", "Colis abîmé à l'arrivée"),
    1: ("Produit non conforme", "Taille beaucoup trop petite, très déçu"),
}
RESPONSES = {
    "good": ("Merci pour votre confiance !", "Merci, à bientôt dans notre boutique"),
    "bad": ("Désolés, notre service client vous appelle pour un échange", "Merci du retour, nous corrigeons cela"),
}


def draw_reviews(rng: random.Random, orders: Sequence[_Order]) -> list[_Review]:
    """Reviews of about a third of the delivered orders, written within a week of delivery, most approved, some
    answered (the unhappy ones more often), in the order they were written."""
    reviews = [
        _draw_review(rng, order, delivered_at)
        for order in orders
        if (delivered_at := _delivered_at(order)) is not None and rng.random() < REVIEWED_SHARE
    ]
    reviews.sort(key=lambda review: review.created_at)
    return reviews


def _delivered_at(order: _Order) -> datetime | None:
    if order.status is not DELIVERED:
        return None
    return next(step.at for step in reversed(order.steps) if step.to_status == DELIVERED.value)


def _draw_review(rng: random.Random, order: _Order, delivered_at: datetime) -> _Review:
    rating = rng.choices(list(RATING_WEIGHTS), weights=list(RATING_WEIGHTS.values()))[0]
    created_at = min(delivered_at + timedelta(minutes=rng.randint(60, 7 * 24 * 60)), BASE_DATE)
    approved = rng.random() < 0.7
    answered = rng.random() < (0.6 if rating <= 2 else 0.25)
    responded_at = min(created_at + timedelta(minutes=rng.randint(30, 3 * 24 * 60)), BASE_DATE) if answered else None
    return _Review(
        order=order,
        rating=rating,
        product_rating=_detail(rng, rating),
        delivery_rating=_detail(rng, rating),
        packaging_rating=_detail(rng, rating),
        comment=rng.choice(COMMENTS[rating]) if rng.random() < 0.7 else None,
        is_approved=approved,
        is_public=rng.random() < 0.9,
        is_featured=approved and rating == 5 and rng.random() < 0.15,
        response=rng.choice(RESPONSES["good" if rating >= 4 else "bad"]) if answered else None,
        created_at=created_at,
        responded_at=responded_at,
    )


def _detail(rng: random.Random, rating: int) -> int | None:
    """A detailed rating near the overall one, left out by some reviewers."""
    if rng.random() < 0.4:
        return None
    return max(1, min(5, rating + rng.choice((-1, 0, 0, 0, 1))))
