"""The ``storegraph`` command: migrate, serve, stores, keys and demo data."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.migrate import upgrade_to_head
from db.queries.api_keys import create_api_key
from db.queries.stores import create_store, get_store
from db.session import begin_write, create_engine, create_sessionmaker
from domain.api_keys import KeyEnv, KeyType
from domain.scopes import DEFAULT_PLATFORM_SCOPES, parse_scopes
from schema.build import build_schema
from storegraph.demo import build_demo
from storegraph.settings import Settings

app = typer.Typer(help="storegraph: a GraphQL-first commerce API with a REST /v1 compatibility layer.")
stores_app = typer.Typer(help="Manage stores.")
keys_app = typer.Typer(help="Manage API keys.")
app.add_typer(stores_app, name="stores")
app.add_typer(keys_app, name="keys")

T = TypeVar("T")


class EnvChoice(StrEnum):
    live = "live"
    test = "test"


def _run_with_db(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]], *, migrate: bool = True) -> T:
    """Runs ``work`` against the configured database (migrated first), disposing of the engine afterwards."""

    async def main() -> T:
        settings = Settings()
        engine = create_engine(settings.database_url, pool_size=5)
        try:
            if migrate:
                await upgrade_to_head(engine)
            return await work(create_sessionmaker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(main())


def _print_json(payload: dict[str, Any]) -> None:
    sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (Alembic)."""

    async def noop(_sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        return None

    _run_with_db(noop)
    typer.echo("database schema is up to date")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (migrating the database first)."""
    if workers > 1 and not Settings().redis_url:
        # Rate limits, idempotency, cost buckets and key revocation are shared between processes through Redis;
        # without it each worker would keep its own and a client could get each limit once per worker.
        raise typer.BadParameter("more than one worker needs REDIS_URL", param_hint="--workers")
    migrate()
    uvicorn.run(
        "storegraph.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=Settings().log_level,
        access_log=False,
    )


@app.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path("schema.graphql"),
) -> None:
    """Write the GraphQL schema's SDL (the checked-in schema.graphql; a test keeps it current)."""
    output.write_text(build_schema().as_str() + "\n", encoding="utf-8")
    typer.echo(f"wrote {output}")


@stores_app.command("create")
def stores_create(
    name: Annotated[str, typer.Option(help="Store name (1–100 characters).")],
    plan: Annotated[str, typer.Option(help="Plan: free, pro, pro_api, enterprise or an operator's plan.")] = "free",
) -> None:
    """Create a store and print it as JSON."""
    settings = Settings()
    if plan not in settings.plans:
        raise typer.BadParameter(f"unknown plan {plan!r}; known: {', '.join(settings.plans)}", param_hint="--plan")
    if not 1 <= len(name.strip()) <= 100:
        raise typer.BadParameter("name must be 1–100 characters", param_hint="--name")

    async def work(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        async with sessionmaker() as session, session.begin():
            await begin_write(session)  # SQLite: queue behind other writers instead of failing "locked"
            store = await create_store(session, name=name.strip(), plan=plan)
            return {"id": store.id, "name": store.name, "slug": store.slug, "plan": store.plan}

    _print_json(_run_with_db(work))


@keys_app.command("create")
def keys_create(
    store: Annotated[int, typer.Option(help="Store id.")],
    scopes: Annotated[
        str | None, typer.Option(help="Comma-separated scopes; default: the seed's platform scopes.")
    ] = None,
    env: Annotated[EnvChoice, typer.Option(help="live or test.")] = EnvChoice.live,
    name: Annotated[str | None, typer.Option(help="A label for the key.")] = None,
) -> None:
    """Create a platform key and print it as JSON. The full key is shown only this once."""
    try:
        chosen = parse_scopes(scopes) if scopes is not None else DEFAULT_PLATFORM_SCOPES
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--scopes") from None

    async def work(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any] | None:
        async with sessionmaker() as session, session.begin():
            await begin_write(session)
            if await get_store(session, store) is None:
                return None
            key, token = await create_api_key(
                session,
                store_id=store,
                key_type=KeyType.PLATFORM,
                env=KeyEnv(env.value),
                scopes=chosen,
                name=name,
            )
            return {
                "id": key.id,
                "key_id": key.key_id,
                "key": token,
                "type": key.type,
                "env": key.env,
                "scopes": key.scopes,
                "store_id": store,
            }

    result = _run_with_db(work)
    if result is None:
        typer.echo(f"no store with id {store}", err=True)
        raise typer.Exit(code=1)
    _print_json(result)


@app.command()
def demo(
    customers: Annotated[int, typer.Option(min=0, help="Customers to create.")] = 5000,
    orders: Annotated[int, typer.Option(min=0, help="Orders to create.")] = 15000,
    products: Annotated[int, typer.Option(min=1, help="Products to create.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 2026,
    then_serve: Annotated[bool, typer.Option("--serve", help="Serve the API right after.")] = False,
    host: Annotated[str, typer.Option(help="With --serve: interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="With --serve: port.")] = 8000,
) -> None:
    """Create a demo store with deterministic synthetic data and print its id and a full-scope key."""

    async def work(sessionmaker: async_sessionmaker[AsyncSession]) -> Any:
        return await build_demo(sessionmaker, customers=customers, orders=orders, products=products, seed=seed)

    created = _run_with_db(work)
    graphiql = f"http://{host}:{port}/graphql"
    _print_json({"store_id": created.store_id, "key": created.key, "graphiql": graphiql})
    typer.echo(
        f"\nOpen {graphiql} and add this header in GraphiQL's Headers tab:\n"
        f'  {{"Authorization": "Bearer {created.key}"}}',
        err=True,
    )
    if then_serve:
        serve(host=host, port=port, workers=1)
