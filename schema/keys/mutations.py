from __future__ import annotations

from typing import cast

import strawberry

from db.queries.keys import api_keys_by_ids
from resolvers.core.context import Info
from schema.core.payloads import UserError, payload, run_mutation, written_row
from schema.keys.types import ApiKey
from storegraph.platform.auth.key_format import KeyEnv, KeyType
from storegraph.platform.ids import parse_id
from storegraph.rules.keys import (
    PlatformKeyRequest,
    PublicKeyRequest,
    create_platform_key,
    create_public_key,
    revoke_key,
)


@strawberry.input
class CreateApiKeyInput:
    scopes: list[str] = strawberry.field(
        default_factory=list,
        description="Scopes such as `orders:read`; each must be held by the key that makes the request. A public "
        "key holds `tracking:write` only: leave it empty.",
    )
    name: str | None = None
    env: KeyEnv | None = strawberry.field(default=None, description="Defaults to the env of the calling key.")
    type: KeyType = strawberry.field(
        default=KeyType.PLATFORM,
        description="`PLATFORM` (server-to-server, Bearer) or `PUBLIC` (browser: signs POST /v1/signups and "
        "POST /v1/events, docs/tracking.md).",
    )
    allowed_origins: list[str] | None = strawberry.field(
        default=None,
        description="Public keys: the http(s) origins (`https://shop.example`, no path) whose pages may use the "
        "key, at most 20; empty or absent: any origin.",
    )


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey | None
    secret: str | None = strawberry.field(
        description="The full key string: `dzpk_<env>_<keyId>.<secret>` (shown only here: store it now), or a "
        "public key's `dzpub_<env>_<keyId>`."
    )
    signing_secret: str | None = strawberry.field(
        description="A public key's HMAC secret for `X-DZ-Signature` (docs/tracking.md). Shown only here: store it "
        "now. Null for a platform key."
    )
    user_errors: list[UserError]


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKey | None
    user_errors: list[UserError]


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(
        description="Creates a platform or public key of this store. A key cannot grant a scope it does not have "
        "(`insufficient_scope`, naming the scope; a write scope includes its read scope); a public key grants none "
        "of the caller's."
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload | None:
        principal = info.context.principal
        caller_env = KeyEnv(principal.env)
        if input.type is KeyType.PUBLIC:
            public = PublicKeyRequest(
                name=input.name, env=input.env, allowed_origins=input.allowed_origins, scopes=input.scopes
            )
            created, errors = await run_mutation(
                info, lambda s: create_public_key(s, principal.store_id, public, caller_env=caller_env)
            )
        else:
            request = PlatformKeyRequest(
                scopes=input.scopes, name=input.name, env=input.env, allowed_origins=input.allowed_origins
            )
            created, errors = await run_mutation(
                info,
                lambda s: create_platform_key(
                    s, principal.store_id, request, caller_scopes=principal.scopes, caller_env=caller_env
                ),
            )
        row, secret = created if created else (None, None)
        signing_secret = row.signing_secret if row is not None else None
        api_key = await written_row(info, api_keys_by_ids, row.id if row else None)
        return cast(
            "CreateApiKeyPayload",
            payload(api_key=api_key, secret=secret, signing_secret=signing_secret, user_errors=errors),
        )

    @strawberry.mutation(
        description="Revokes a key of this store: it is refused from its next request on. Revoking a revoked key "
        "changes nothing. A key may revoke itself, or a key whose every scope it has (`insufficient_scope`, naming "
        "the scopes it lacks)."
    )
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> RevokeApiKeyPayload | None:
        principal = info.context.principal
        row, errors = await run_mutation(
            info,
            lambda s: revoke_key(
                s, principal.store_id, parse_id(id), caller_pk=principal.key_pk, caller_scopes=principal.scopes
            ),
        )
        revocations = info.context.key_revocations
        if row is not None and revocations is not None:
            key_id = row.key_id
            info.context.db.after_commit(lambda: revocations.key_revoked(key_id))
        api_key = await written_row(info, api_keys_by_ids, row.id if row else None)
        return cast("RevokeApiKeyPayload", payload(api_key=api_key, user_errors=errors))
