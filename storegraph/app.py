"""The ASGI application: one object that owns the engine, the schema and the middleware stack."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from db.queries.idempotency import DatabaseIdempotencyStore
from db.queries.keys import KeyDirectory
from db.session import create_sessionmaker, ping, single_statement_reads
from resolvers.core.cursors import CursorCodec
from rest_compat.docs_page import openapi_routes
from rest_compat.handler import RestApi, compile_table
from schema.core.build import StoregraphSchema, build_schema
from schema.core.cost import CostLimits
from schema.core.documents import DocumentLimits
from storegraph.asgi import StoregraphApp
from storegraph.graphql_endpoint import GraphQLEndpoint
from storegraph.observability import add_tracing_middleware, install_metrics, trace_database, tracer_provider
from storegraph.platform.admission import Admission, RedisAdmission, SequentialAdmission
from storegraph.platform.admission.middleware import AdmissionMiddleware
from storegraph.platform.auth.bearer import AuthMiddleware
from storegraph.platform.auth.key_cache import KeyCache, KeyRevocations
from storegraph.platform.auth.public_key import PublicKeyMiddleware
from storegraph.platform.auth.replay import replay_store
from storegraph.platform.errors import ApiError, MethodNotAllowed, NoEndpoint, ValidationFailed
from storegraph.platform.http.body_limit import BodyLimitMiddleware
from storegraph.platform.http.browser_assets import BrowserAssets
from storegraph.platform.http.header_limit import HeaderLimitMiddleware
from storegraph.platform.http.internal_error import InternalErrorMiddleware
from storegraph.platform.http.persisted_queries import PersistedQueries
from storegraph.platform.http.request_id import RequestIdMiddleware
from storegraph.platform.http.responses import GRAPHQL_PATH, error_body
from storegraph.platform.idempotency import (
    AnswerSealer,
    IdempotencyStore,
    RedisIdempotencyStore,
)
from storegraph.platform.jobs.group_commit import GroupCommitQueue
from storegraph.platform.jobs.queue import JobQueue
from storegraph.platform.limits import RateLimiter, RedisRateLimiter
from storegraph.platform.limits.cost_budget import CostBudgets, MemoryCostBudgets, RedisCostBudgets
from storegraph.platform.memory import freeze_startup_heap
from storegraph.platform.observability.metrics import AppMetrics
from storegraph.platform.observability.middleware import ObservabilityMiddleware
from storegraph.routing import GRAPHQL_METHODS, HotRoutes, PrefixRoute, route_check, route_labeller
from storegraph.services import (
    create_database,
    create_queue,
    create_redis,
    start_counting,
    start_embedded_worker,
    stop_counting,
)
from storegraph.services import rate_limiter as _rate_limiter
from storegraph.settings import Settings

REDIS_PROBE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a request may need, owned by the app object (no module-level state)."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    schema: StoregraphSchema
    cursors: CursorCodec
    # Shared by every API process when REDIS_URL is set; None runs everything in this process.
    redis: Redis | None
    cost_budgets: CostBudgets
    key_revocations: KeyRevocations
    rate_limiter: RateLimiter
    idempotency: IdempotencyStore
    # The rate limiter and the idempotency store, decided together for each request.
    admission: Admission
    # Background work (webhook deliveries, tracked signups and events), durable before the API answers.
    job_queue: JobQueue
    # The process's Prometheus registry and its metrics (GET /metrics); the embedded worker counts into it too.
    metrics: AppMetrics
    # Set when tracing is configured (OTEL_EXPORTER_OTLP_ENDPOINT), or handed in by a test; None: no tracing at all.
    tracer_provider: TracerProvider | None


def create_app(settings: Settings | None = None, *, tracing: TracerProvider | None = None) -> FastAPI:
    """The app; ``tracing`` is a tracer provider to use instead of the one OTEL_EXPORTER_OTLP_ENDPOINT configures
    (the tests' in-memory exporter)."""
    settings = settings or Settings()
    engine = create_database(settings)
    provider = tracing or tracer_provider(settings)
    trace_database(engine, provider)
    redis = create_redis(settings)
    limiter = _rate_limiter(settings, redis, engine)
    idempotency = _idempotency_store(settings, redis, engine)
    services = Services(
        settings=settings,
        engine=engine,
        sessionmaker=create_sessionmaker(engine),
        schema=build_schema(CostLimits.from_settings(settings), DocumentLimits.from_settings(settings)),
        cursors=CursorCodec(settings.secret_key),
        redis=redis,
        cost_budgets=_cost_budgets(settings, redis),
        key_revocations=_key_revocations(settings, redis),
        rate_limiter=limiter,
        idempotency=idempotency,
        admission=_admission(limiter, idempotency),
        job_queue=create_queue(settings, engine, redis),
        metrics=AppMetrics(),
        tracer_provider=provider,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await start_counting(services.rate_limiter)  # the embedded default's counts, read back and written out
        feed = asyncio.create_task(services.key_revocations.listen())
        # `storegraph serve` sets EMBEDDED_WORKER (unless --no-worker); other apps, the tests' among them, run none.
        embedded = None
        if settings.embedded_worker:
            embedded = start_embedded_worker(
                settings, engine, services.sessionmaker, services.job_queue, services.rate_limiter, services.metrics
            )
        _app.state.embedded_worker = embedded
        freeze_startup_heap()
        yield
        if embedded is not None:
            await embedded.stop()  # finishes its running jobs while the engine is still open
        await stop_counting(services.rate_limiter)  # after the worker, whose quota takings it writes out too
        feed.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feed
        await services.job_queue.close()  # the SQLite writer's connection and thread, if any
        await engine.dispose()
        if redis is not None:
            await redis.aclose()
        if provider is not None and tracing is None:
            provider.shutdown()  # exports the spans still buffered

    # No redirect of ``/docs/`` to ``/docs``: a path no route serves is a 404 in the envelope, like ``/v1/products/``.
    app = StoregraphApp(
        title="storegraph",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,
    )
    app.state.services = services
    app.add_exception_handler(HTTPException, http_error)
    assets = BrowserAssets(settings.ui_assets_dir)
    graphql = GraphQLEndpoint(
        services.schema,
        services.sessionmaker,
        settings,
        services.cursors,
        assets,
        services.cost_budgets,
        services.key_revocations,
        rate_limiter=services.rate_limiter,
        job_queue=services.job_queue,
        autocommit_reads=None if services.engine.dialect.name == "sqlite" else single_statement_reads(services.engine),
        persisted_queries=PersistedQueries(
            max_bytes=settings.persisted_query_cache_bytes,
            max_length=settings.max_query_length,
            redis=redis,
            prefix=settings.redis_prefix,
            ttl_seconds=settings.persisted_query_ttl_seconds,
        ),
    )
    app.state.graphql_endpoint = graphql
    app.router.routes.append(Route(GRAPHQL_PATH, graphql, methods=list(GRAPHQL_METHODS)))
    # GraphiQL's and Swagger UI's scripts and styles, served from here so that neither page needs the network.
    app.router.routes.extend(assets.routes())
    # Every /v1 request reaches the one REST handler, which answers unknown paths and methods in the envelope.
    # The signed tracking rows queue their jobs directly, concurrent requests sharing one durable write.
    rest = RestApi(
        graphql,
        compile_table(services.schema._schema),
        intake=GroupCommitQueue(services.job_queue),
    )
    app.router.routes.append(PrefixRoute(rest))
    # GET /openapi.json (generated from the same compiled table, once) and GET /docs (Swagger UI); no key needed.
    app.router.routes.extend(openapi_routes(services.schema._schema, rest.endpoints, settings.public_base_url, assets))
    app.router.add_route("/healthz", healthz, methods=["GET"])
    app.router.add_route("/readyz", readyz, methods=["GET"])
    install_metrics(app, settings, services.metrics, engine, services.job_queue)
    # Starlette runs the last added middleware first: the trace's span when tracing is on, the request id, the
    # metrics and access log (storegraph/platform/observability/middleware.py), the last answer to an unexpected
    # error, the header limits, authentication (from the headers alone: a request without a valid key never has its
    # body read), the body's limits in size and time, then admission (the rate limit, the quota and the
    # Idempotency-Key reservation in one step; a refused request never reaches the app), then the app.
    # The innermost: the API's own paths skip the router (their routes above stay for the route check, /docs and
    # anything that lists the app's routes).
    app.add_middleware(HotRoutes, graphql=graphql, rest=rest)
    app.add_middleware(
        AdmissionMiddleware,
        admission=services.admission,
        plans=settings.plans,
        sealer=AnswerSealer.from_secret(settings.secret_key),
        ttl_seconds=settings.idempotency_ttl_seconds,
        lease_seconds=settings.idempotency_lease_seconds,
        max_response_bytes=settings.idempotency_max_response_bytes,
        # A method its path does not take is 405, not a write that needs an Idempotency-Key.
        routed=route_check(app.router.routes, rest.router),
    )
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.max_body_bytes, timeout_seconds=settings.body_timeout_seconds
    )
    directory = KeyDirectory(services.engine)
    app.add_middleware(AuthMiddleware, directory=directory, keys=services.key_revocations.cache)
    # The signed tracking endpoints (POST /v1/signups, /v1/events) authenticate here instead of in AuthMiddleware,
    # which skips them: from their headers first, then from their body, which it reads under the same limits as
    # the body-limit middleware (which then skips them), before admission (which counts them per key like any
    # request). It also answers their CORS preflight.
    app.add_middleware(
        PublicKeyMiddleware,
        directory=directory,
        replays=replay_store(
            redis, tolerance_seconds=settings.signature_tolerance_seconds, prefix=settings.redis_prefix
        ),
        tolerance_seconds=settings.signature_tolerance_seconds,
        max_body_bytes=settings.max_body_bytes,
        body_timeout_seconds=settings.body_timeout_seconds,
        keys=services.key_revocations.cache,
    )
    app.add_middleware(HeaderLimitMiddleware, max_count=settings.max_header_count, max_bytes=settings.max_header_bytes)
    app.add_middleware(InternalErrorMiddleware)
    route_of = route_labeller(app.router.routes, rest.router)
    app.add_middleware(
        ObservabilityMiddleware, metrics=services.metrics, route_of=route_of, access_log=settings.access_log
    )
    app.add_middleware(RequestIdMiddleware)
    add_tracing_middleware(app, route_of, provider)
    return app


async def http_error(request: Request, error: Exception) -> Response:
    """Starlette's own answers, for a path no route serves (``/V1/products``, ``//v1/products``) or a method the
    route does not take, in the REST envelope like every other error (``/graphql`` in GraphQL's shape)."""
    if not isinstance(error, HTTPException):  # registered for HTTPException only
        raise error
    method, path = request.method, request.scope["path"]
    headers = {name: value for name, value in (error.headers or {}).items() if name.lower() == "allow"}
    refusal: ApiError
    if error.status_code == 404:
        refusal = NoEndpoint(method, path)
    elif error.status_code == 405:
        allowed = tuple(method.strip() for method in headers.get("Allow", "").split(",") if method.strip())
        refusal = MethodNotAllowed(method, path, allowed)
    elif error.status_code >= 500:
        refusal = ApiError(str(error.detail))
    else:
        refusal = ValidationFailed(str(error.detail))
    body = error_body(request.scope, refusal)
    return Response(body, status_code=refusal.http_status, headers=headers, media_type="application/json")


def _key_revocations(settings: Settings, redis: Redis | None) -> KeyRevocations:
    # With Redis the cache waits for its revocation feed to be live (see storegraph/platform/auth/key_cache.py).
    cache = KeyCache(settings.key_cache_seconds, enabled=redis is None)
    return KeyRevocations(cache, redis, f"{settings.redis_prefix}keys")


def _idempotency_store(settings: Settings, redis: Redis | None, engine: AsyncEngine) -> IdempotencyStore:
    # Without Redis the records are kept in the database, so that a retry after a restart finds its answer.
    if redis is None:
        return DatabaseIdempotencyStore(engine)
    return RedisIdempotencyStore(redis, prefix=settings.redis_prefix)


def _admission(limiter: RateLimiter, store: IdempotencyStore) -> Admission:
    if isinstance(limiter, RedisRateLimiter) and isinstance(store, RedisIdempotencyStore):
        return RedisAdmission(limiter, store)
    return SequentialAdmission(limiter, store)


def _cost_budgets(settings: Settings, redis: Redis | None) -> CostBudgets:
    # A bucket smaller than the largest allowed query would refuse that query forever.
    maximum = max(settings.cost_bucket_size, settings.max_query_cost)
    if redis is None:
        return MemoryCostBudgets(maximum, settings.cost_restore_rate)
    return RedisCostBudgets(redis, maximum, settings.cost_restore_rate, prefix=settings.redis_prefix)


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    services: Services = request.app.state.services
    checks: dict[str, str] = {}
    try:
        await ping(services.engine)
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unavailable: {type(error).__name__}"
    if services.redis is not None:
        checks["redis"] = await _redis_status(services.redis)
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503)


async def _redis_status(redis: Redis) -> str:
    try:
        # Bounded: a Redis that does not answer must not hold the probe longer than its caller waits.
        await asyncio.wait_for(redis.ping(), REDIS_PROBE_SECONDS)
    except Exception as error:
        return f"unavailable: {type(error).__name__}"
    return "ok"
