"""The ``storegraph`` command: migrate, serve, worker, stores, keys, demo data and the generated schema exports."""

from __future__ import annotations

import asyncio
import logging.config
import os
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer
import uvicorn
from prometheus_client import start_http_server
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.migrate import upgrade_to_head
from db.queries.stores import create_store, get_store
from db.session import begin_write, create_engine, create_sessionmaker
from rest_compat.docs_markdown import BEGIN, ERRORS_BEGIN, StaleMarkers, render, replace_generated
from rest_compat.openapi.document import build_document, compiled_table, document_bytes
from schema.core.build import build_schema
from storegraph.demo import build_demo
from storegraph.graphiql_page import graphiql_url
from storegraph.job_registry import all_handlers, all_periodic
from storegraph.platform.auth.key_format import KeyEnv
from storegraph.platform.auth.scopes import ALL_SCOPES, DEFAULT_PLATFORM_SCOPES
from storegraph.platform.error_codes import markdown_table
from storegraph.platform.errors import ValidationFailed
from storegraph.platform.jobs.worker import StopSignals, Worker
from storegraph.platform.observability.logs import logging_config
from storegraph.platform.observability.metrics import AppMetrics
from storegraph.rules.keys import PlatformKeyRequest, PublicKeyRequest, create_platform_key, create_public_key
from storegraph.services import build_job_context, start_counting
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


class TypeChoice(StrEnum):
    platform = "platform"
    public = "public"


class HttpChoice(StrEnum):
    h11 = "h11"
    httptools = "httptools"


# The request line (method, path, query string) comes on top of the headers: GraphQL over GET carries its document
# there.
REQUEST_LINE_BYTES = 16_384


def server_options(settings: Settings, http: HttpChoice) -> dict[str, Any]:
    """What uvicorn enforces before the app sees a request (the app checks the header limits again, whichever
    server runs it; the body's limits are the app's alone)."""
    return {
        "http": http.value,
        # h11 answers 400 and closes the connection when a request's head is still incomplete past this many bytes,
        # so a client cannot make the process buffer megabytes of headers; httptools has no such limit.
        "h11_max_incomplete_event_size": settings.max_header_bytes + REQUEST_LINE_BYTES,
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.limit_concurrency,
        # On SIGTERM: stop accepting, let the requests in flight finish for up to this long, then run the lifespan's
        # shutdown (the embedded worker's jobs finish or go back to the queue).
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
    }


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
    job_worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Run background jobs in each API process too (off: run `storegraph worker` separately).",
        ),
    ] = True,
    http: Annotated[
        HttpChoice,
        typer.Option(
            help="HTTP/1.1 parser: h11 caps a request head's size as it arrives (MAX_HEADER_BYTES); httptools is "
            "faster and caps nothing, for a deployment whose proxy caps headers (docs/running.md)."
        ),
    ] = HttpChoice.h11,
) -> None:
    """Serve the API (migrating the database first), with a job worker in each process unless --no-worker."""
    if workers > 1 and not Settings().redis_url:
        # Rate limits, idempotency, cost buckets and key revocation are shared between processes through Redis;
        # without it each worker would keep its own and a client could get each limit once per worker.
        raise typer.BadParameter("more than one worker needs REDIS_URL", param_hint="--workers")
    # The app factory reads its settings from the environment, in this process and in every --workers child.
    os.environ["EMBEDDED_WORKER"] = "true" if job_worker else "false"
    migrate()
    settings = Settings()
    uvicorn.run(
        "storegraph.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        # One configuration for storegraph's loggers and uvicorn's (LOG_FORMAT, LOG_LEVEL); storegraph writes its
        # own access line per request (the route template, never the path and query string, which can hold a phone).
        log_config=logging_config(settings.log_format, settings.log_level),
        access_log=False,
        **server_options(settings, http),
    )


@app.command("worker")
def worker_command(
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=1000, help="Jobs run at once (default JOB_CONCURRENCY).")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, max=1000, help="Most jobs claimed at a time (default JOB_BATCH_SIZE).")
    ] = None,
) -> None:
    """Run background jobs (webhook deliveries, tracked signups and events) until SIGTERM or SIGINT, migrating the
    database first. Any number may run at once, on either queue backend."""
    settings = Settings()
    logging.config.dictConfig(logging_config(settings.log_format, settings.log_level))
    migrate()
    asyncio.run(_work(settings, concurrency=concurrency, batch_size=batch_size))


async def _work(settings: Settings, *, concurrency: int | None, batch_size: int | None) -> None:
    metrics = AppMetrics()
    context, cleanup = build_job_context(settings, metrics)
    exposed = None
    with StopSignals() as signals:
        if settings.worker_metrics_port is not None:
            # A thread of prometheus-client's own; the counters it reads are thread-safe.
            exposed, _thread = start_http_server(
                settings.worker_metrics_port, addr=settings.worker_metrics_host, registry=metrics.registry
            )
        try:
            await start_counting(context.limiter)
            worker = Worker.from_settings(
                context, all_handlers(), all_periodic(), concurrency=concurrency, batch_size=batch_size
            )
            await signals.run(worker)
        finally:
            if exposed is not None:
                exposed.shutdown()
            await cleanup()


@app.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL.")] = Path("schema.graphql"),
) -> None:
    """Write the GraphQL schema's SDL (the checked-in schema.graphql; a test keeps it current)."""
    output.write_text(build_schema().as_str() + "\n", encoding="utf-8")
    typer.echo(f"wrote {output}")


@app.command("export-openapi")
def export_openapi(
    output: Annotated[Path, typer.Option(help="Where to write the OpenAPI document.")] = Path("openapi.json"),
    guide: Annotated[Path, typer.Option(help="The REST guide whose generated part to rewrite.")] = Path("docs/rest.md"),
    errors_guide: Annotated[Path, typer.Option(help="The error reference whose code table to rewrite.")] = Path(
        "docs/errors.md"
    ),
) -> None:
    """Write the /v1 OpenAPI document (the checked-in openapi.json), the endpoint part of docs/rest.md (both
    generated from the endpoint table) and the code table of docs/errors.md (from the one table of error codes);
    tests keep all three current."""
    schema, endpoints = compiled_table()
    document = build_document(schema, endpoints)
    output.write_bytes(document_bytes(document))
    typer.echo(f"wrote {output}")
    _rewrite_generated(guide, render(document, endpoints), BEGIN)
    _rewrite_generated(errors_guide, markdown_table(), ERRORS_BEGIN)


def _rewrite_generated(guide: Path, generated: str, begin: str) -> None:
    try:
        updated = replace_generated(guide.read_text(encoding="utf-8"), generated, begin)
    except (OSError, StaleMarkers) as error:
        typer.echo(f"cannot update {guide}: {error}", err=True)
        raise typer.Exit(code=1) from None
    guide.write_text(updated, encoding="utf-8")
    typer.echo(f"wrote {guide}")


def _option_of(error: ValidationFailed) -> str:
    fields = {detail.field for detail in error.details}
    return "--allowed-origins" if fields == {"allowedOrigins"} else "--scopes" if fields == {"scopes"} else "--env"


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
        str | None, typer.Option(help="Comma-separated scopes; default: the documented platform scopes.")
    ] = None,
    env: Annotated[EnvChoice, typer.Option(help="live or test.")] = EnvChoice.live,
    name: Annotated[str | None, typer.Option(help="A label for the key.")] = None,
    key_type: Annotated[
        TypeChoice,
        typer.Option("--type", help="platform (Bearer, server-to-server) or public (signs the tracking endpoints)."),
    ] = TypeChoice.platform,
    allowed_origins: Annotated[
        str | None,
        typer.Option(help="Public keys: comma-separated origins whose pages may use the key; default: any."),
    ] = None,
) -> None:
    """Create a key and print it as JSON. A platform key's full key, and a public key's signing secret, are shown
    only this once."""
    public = key_type is TypeChoice.public
    # The operator creates keys through the same rules as the API, holding every scope of a live key.
    requested_scopes = [part for part in (scopes or "").split(",") if part.strip()]
    origins = [part for part in (allowed_origins or "").split(",") if part.strip()]
    key_env = KeyEnv(env.value)
    if public:
        request: PlatformKeyRequest | PublicKeyRequest = PublicKeyRequest(
            name=name, env=key_env, allowed_origins=origins, scopes=requested_scopes if scopes is not None else None
        )
    else:
        chosen = requested_scopes if scopes is not None else [scope.value for scope in DEFAULT_PLATFORM_SCOPES]
        request = PlatformKeyRequest(
            scopes=chosen, name=name, env=key_env, allowed_origins=origins if allowed_origins is not None else None
        )

    async def work(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any] | None:
        async with sessionmaker() as session, session.begin():
            await begin_write(session)
            if await get_store(session, store) is None:
                return None
            if isinstance(request, PublicKeyRequest):
                key, token = await create_public_key(session, store, request, caller_env=KeyEnv.LIVE)
            else:
                key, token = await create_platform_key(
                    session, store, request, caller_scopes=[scope.value for scope in ALL_SCOPES], caller_env=KeyEnv.LIVE
                )
            created: dict[str, Any] = {
                "id": key.id,
                "key_id": key.key_id,
                "key": token,
                "type": key.type,
                "env": key.env,
                "scopes": key.scopes,
                "store_id": store,
            }
            if public:
                # Readable in the database (it verifies signatures), but never shown by the API again.
                created.update(signing_secret=key.signing_secret, allowed_origins=key.allowed_origins)
            return created

    try:
        result = _run_with_db(work)
    except ValidationFailed as error:
        problems = "; ".join(detail.message for detail in error.details) or error.message
        raise typer.BadParameter(problems, param_hint=_option_of(error)) from None
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
    reset: Annotated[
        bool,
        typer.Option("--reset", help="First drop the demo stores earlier runs made, with all their data and keys."),
    ] = False,
    then_serve: Annotated[bool, typer.Option("--serve", help="Serve the API right after.")] = False,
    host: Annotated[str, typer.Option(help="With --serve: interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="With --serve: port.")] = 8000,
) -> None:
    """Create a demo store with deterministic synthetic data and print its id and a full-scope key.

    Every run adds another demo store (with a new key) beside those of earlier runs; --reset drops those first.
    """

    async def work(sessionmaker: async_sessionmaker[AsyncSession]) -> Any:
        return await build_demo(
            sessionmaker, customers=customers, orders=orders, products=products, seed=seed, reset=reset
        )

    created = _run_with_db(work)
    if created.dropped:
        typer.echo(f"dropped the earlier demo stores {', '.join(map(str, created.dropped))}", err=True)
    graphiql = graphiql_url(f"http://{host}:{port}", created.key)
    _print_json({"store_id": created.store_id, "key": created.key, "graphiql": graphiql})
    typer.echo(
        f"\nOpen {graphiql} : GraphiQL opens with this key in its Authorization header.\n"
        f"The REST API's docs are at http://{host}:{port}/docs (Authorize with the same key).",
        err=True,
    )
    if then_serve:
        serve(host=host, port=port, workers=1)


if __name__ == "__main__":  # python -m storegraph.cli
    app()
