from __future__ import annotations

import strawberry

from schema.core.enums import KeyEnv, KeyType
from schema.core.scalars import DateTime
from storegraph.platform.auth.key_format import key_prefix


@strawberry.type(description="An API key of the store. Its secret is shown once, when it is created, and never again.")
class ApiKey:
    id: strawberry.ID
    key_id: str = strawberry.field(description="The public part of the key string.")
    type: KeyType
    env: KeyEnv
    name: str | None
    scopes: list[str] = strawberry.field(description="A public key holds `tracking:write` only.")
    allowed_origins: list[str] = strawberry.field(
        description="A public key's browser origins (`https://shop.example`); empty: any origin. Always empty for a "
        "platform key."
    )
    created_at: DateTime
    last_used_at: DateTime | None = strawberry.field(description="Updated at most once a minute.")
    revoked_at: DateTime | None = strawberry.field(description="Set once the key is revoked; it no longer works.")

    @strawberry.field(description="How the key string starts (`dzpk_live_<keyId>`): enough to recognise it.")
    def prefix(self) -> str:
        return key_prefix(self.type, self.env, self.key_id)
