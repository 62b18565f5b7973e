from __future__ import annotations

from typing import cast

import strawberry

from db.queries.api_keys import api_keys_by_ids
from domain.api_keys import KeyEnv, PlatformKeyRequest, create_platform_key, revoke_key
from resolvers.ids import parse_id
from schema.context import Info
from schema.mutations.common import UserError, payload, run_mutation
from schema.types.api_key import ApiKey


@strawberry.input
class CreateApiKeyInput:
    scopes: list[str] = strawberry.field(
        description="Scopes such as `orders:read`; each must be held by the key that makes the request."
    )
    name: str | None = None
    env: KeyEnv | None = strawberry.field(default=None, description="Defaults to the env of the calling key.")


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey | None
    secret: str | None = strawberry.field(
        description="The full key string (`dzpk_<env>_<keyId>.<secret>`). Shown only here: store it now."
    )
    user_errors: list[UserError]


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None
    user_errors: list[UserError]


async def _api_key_row(info: Info, key_pk: int | None) -> object | None:
    rows = await api_keys_by_ids(info.context.db, info.context.store_id, [key_pk]) if key_pk else []
    return rows[0] if rows else None


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(
        description="Creates a platform key of this store. A key cannot grant a scope it does not hold "
        "(`insufficient_scope`, naming the scope)."
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload | None:
        principal = info.context.principal
        request = PlatformKeyRequest(scopes=input.scopes, name=input.name, env=input.env)
        created, errors = await run_mutation(
            info,
            lambda s: create_platform_key(
                s,
                principal.store_id,
                request,
                caller_scopes=principal.scopes,
                caller_env=KeyEnv(principal.env),
            ),
        )
        row, secret = created if created else (None, None)
        api_key = await _api_key_row(info, row.id if row else None)
        return cast("CreateApiKeyPayload", payload(api_key=api_key, secret=secret, user_errors=errors))

    @strawberry.mutation(
        description="Revokes a key of this store: it is refused from its next request on. Revoking a revoked key "
        "changes nothing."
    )
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> RevokeApiKeyPayload | None:
        store_id = info.context.store_id
        row, errors = await run_mutation(info, lambda s: revoke_key(s, store_id, parse_id(id)))
        revocations = info.context.key_revocations
        if row is not None and revocations is not None:
            key_id = row.key_id
            info.context.db.after_commit(lambda: revocations.key_revoked(key_id))
        api_key = await _api_key_row(info, row.id if row else None)
        return cast("RevokeApiKeyPayload", payload(api_key=api_key, user_errors=errors))
