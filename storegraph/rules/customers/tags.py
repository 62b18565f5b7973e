"""Customer tags: a merchant's labels (``vip``, ``wholesale``), unique per customer ignoring case.

A tag is trimmed and then 1 to 40 characters, without control characters or commas (the ``/v1`` list takes several
tags as one comma-separated ``tag`` parameter, as Shopify writes tags); a customer has at most 50. The spelling
first given is kept; the lowercased name (its key) is what makes two spellings one tag.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Customer
from db.queries.customer_tags import customer_tag_keys, delete_customer_tags, insert_customer_tags
from storegraph.platform.timestamps import utcnow
from storegraph.platform.validation import Problems, has_control_characters
from storegraph.rules.customers.owned import owned_customer

MAX_TAG = 40
MAX_TAGS = 50


def tag_key(name: str) -> str:
    return name.lower()


def normalize_tags(problems: Problems, field: str, raw: Sequence[str]) -> dict[str, str]:
    """The tags ``raw`` names, key → name (the first spelling of each key); records each bad one at its index."""
    if len(raw) > MAX_TAGS:
        problems.add(field, "too_many", f"{field} must hold at most {MAX_TAGS} tags")
        return {}
    tags: dict[str, str] = {}
    for index, value in enumerate(raw):
        path = f"{field}[{index}]"
        name = value.strip()
        if not name:
            problems.add(path, "blank", f"{path} must not be blank")
        elif len(name) > MAX_TAG:
            problems.add(path, "too_long", f"{path} must be at most {MAX_TAG} characters")
        elif has_control_characters(name) or "," in name:
            problems.add(path, "invalid", f"{path} must not hold a comma or control characters")
        else:
            tags.setdefault(tag_key(name), name)
    return tags


def check_tag_count(problems: Problems, field: str, count: int) -> None:
    if count > MAX_TAGS:
        problems.add(field, "too_many", f"a customer has at most {MAX_TAGS} tags")


async def replace_customer_tags(session: AsyncSession, customer: Customer, tags: dict[str, str]) -> None:
    """The customer's tags become exactly ``tags`` (already normalised), each in the spelling given now."""
    current = await customer_tag_keys(session, customer.id)
    await delete_customer_tags(session, customer.id, current)
    await insert_customer_tags(session, customer.store_id, customer.id, tags, utcnow())


async def add_customer_tags(session: AsyncSession, store_id: int, customer_id: int, raw: Sequence[str]) -> Customer:
    """Adds the tags the customer does not have yet (in any case); the ones it has keep their spelling."""
    problems = Problems()
    tags = normalize_tags(problems, "tags", raw)
    problems.raise_if_any()
    customer = await _locked(session, store_id, customer_id)
    current = await customer_tag_keys(session, customer.id)
    new = {key: name for key, name in tags.items() if key not in current}
    check_tag_count(problems, "tags", len(current) + len(new))
    problems.raise_if_any()
    if new:
        now = utcnow()
        await insert_customer_tags(session, store_id, customer.id, new, now)
        customer.updated_at = now
        await session.flush()
    return customer


async def remove_customer_tags(session: AsyncSession, store_id: int, customer_id: int, raw: Sequence[str]) -> Customer:
    """Removes the given tags in any case; a tag the customer does not have is no error."""
    problems = Problems()
    tags = normalize_tags(problems, "tags", raw)
    problems.raise_if_any()
    customer = await _locked(session, store_id, customer_id)
    current = await customer_tag_keys(session, customer.id)
    gone = [key for key in tags if key in current]
    if gone:
        await delete_customer_tags(session, customer.id, gone)
        customer.updated_at = utcnow()
        await session.flush()
    return customer


async def _locked(session: AsyncSession, store_id: int, customer_id: int) -> Customer:
    # The lock serialises tag changes of one customer, so two concurrent additions cannot pass 50 together.
    return await owned_customer(session, store_id, customer_id)
