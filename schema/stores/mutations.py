from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from db.queries.stores import get_store
from resolvers.core.context import Info
from schema.core.payloads import UserError, given, payload, run_mutation
from schema.stores.types import Store
from storegraph.rules.stores import StoreChanges, update_store


@strawberry.input(
    description="Fields left out stay as they are. `settings` and `metadata` are merged into the stored objects "
    "key by key: a key set to null is deleted, keys not mentioned stay."
)
class UpdateStoreInput:
    name: str | None = strawberry.UNSET
    settings: JSON | None = strawberry.UNSET
    metadata: JSON | None = strawberry.UNSET


@strawberry.type
class StorePayload:
    store: Store | None
    user_errors: list[UserError]


@strawberry.type
class StoreMutations:
    @strawberry.mutation(
        description="Renames the store and/or merges keys into its settings and metadata (each at most 16 KB)."
    )
    async def update_store(self, info: Info, input: UpdateStoreInput) -> StorePayload | None:
        store_id = info.context.store_id
        changes = StoreChanges(name=given(input.name), settings=given(input.settings), metadata=given(input.metadata))
        store, errors = await run_mutation(info, lambda s: update_store(s, store_id, changes))
        revocations = info.context.key_revocations
        if store is not None and revocations is not None:
            # Cached keys carry the store's name and plan.
            info.context.db.after_commit(lambda: revocations.store_changed(store_id))
        row = await get_store(info.context.db, store_id) if store is not None else None
        return cast("StorePayload", payload(store=row, user_errors=errors))
