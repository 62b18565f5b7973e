"""The one settings object. Every knob comes from the environment (prefix-free names, as docs/running.md lists them)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storegraph.platform.limits.plans import DEFAULT_PLANS, Plan

REDIS_RESERVED_CONNECTIONS = 2
DEFAULT_UI_ASSETS_DIR = Path(__file__).resolve().parents[1] / "ui" / "node_modules"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./storegraph.db"
    redis_url: str | None = None
    # Signs pagination cursors and seals the answers kept for Idempotency-Key replays. Any process of one deployment
    # must share it; the default suits one machine only. Changing it makes the answers kept until then unreadable.
    secret_key: str = "storegraph-development-secret-change-me"  # noqa: S105  (documented: set it in production)
    public_base_url: str = "http://127.0.0.1:8000"
    # Where GraphiQL's and Swagger UI's files are read from: the node_modules that `npm ci --prefix ui` installs in
    # the repository (docs/running.md#graphiql-and-docs-offline). A deployment that installs them elsewhere says where.
    ui_assets_dir: Path = DEFAULT_UI_ASSETS_DIR
    db_pool_size: int = Field(default=40, ge=1)
    # Redis connections per process; unset: as many as the database pool lends at most (twice DB_POOL_SIZE, its
    # overflow included) and REDIS_RESERVED_CONNECTIONS more for those held for long (see redis_max_connections).
    redis_pool_size: int | None = Field(default=None, ge=1)
    # How long a Redis command waits for a free connection before its request is answered 503 overloaded. A round
    # trip takes well under a millisecond, but a connection comes back only when its holder gets a turn of the
    # event loop, which a burst of requests delays by seconds: a shorter wait refuses requests the process would
    # still serve. Well below clients' and proxies' timeouts, so they get the 503 rather than their own.
    redis_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    db_echo: bool = False
    plans: dict[str, Plan] = Field(default_factory=lambda: dict(DEFAULT_PLANS))
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # An authenticated request's body must have arrived whole this long after its headers were accepted (408
    # request_timeout): at the default size limit that is 35 KB/s, far below any client that is not stalling.
    body_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Request headers past either limit are refused with 431 (Apache's default count; nginx's default total).
    max_header_count: int = Field(default=100, ge=20, le=10_000)
    max_header_bytes: int = Field(default=32_768, ge=4096, le=1_048_576)
    # `storegraph serve` (docs/running.md): idle keep-alive connections are closed after this many seconds (above a
    # proxy's idle timeout for its upstream connections, so that the proxy closes them first), and past this many
    # connections or requests at once a process answers 503 without running them (unset: no limit).
    keep_alive_seconds: int = Field(default=5, ge=1, le=3600)
    limit_concurrency: int | None = Field(default=None, ge=1)
    # GraphQL operations over either limit are refused before they run (docs/cost.md).
    max_query_cost: int = Field(default=1000, ge=1)
    max_query_depth: int = Field(default=12, ge=1)
    # GraphQL documents over these are refused before they are validated (docs/cost.md#document-limits): parsing and
    # validating run on the event loop, and a hostile document would hold every request of the process meanwhile.
    max_query_length: int = Field(default=65_536, ge=1024)
    max_query_tokens: int = Field(default=2000, ge=100)
    max_query_aliases: int = Field(default=50, ge=0)
    # The parsed and validated documents and the cost plans are kept by the text they came from, each cache up to
    # this many bytes of text (a parsed document takes up to about 70 times its text).
    document_cache_bytes: int = Field(default=1_048_576, ge=65_536)
    # Automatic persisted queries (docs/graphql.md#persisted-queries): each process keeps up to this many bytes of
    # documents by their hash, and Redis (when configured) keeps each for this long after it was last used.
    persisted_query_cache_bytes: int = Field(default=4_194_304, ge=65_536)
    persisted_query_ttl_seconds: int = Field(default=86_400, ge=60)
    # Shopify's GraphQL Admin defaults: a 1,000-point bucket per key that refills 50 points a second.
    cost_bucket_size: int = Field(default=1000, ge=1)
    cost_restore_rate: float = Field(default=50.0, ge=0)
    # Every Redis key storegraph writes starts with this, so deployments (and test runs) can share a server.
    redis_prefix: str = "storegraph:"
    # How long a verified key is remembered; revocation evicts it at once in every process (0: look up each time).
    key_cache_seconds: float = Field(default=60.0, ge=0)
    # Idempotency-Key (docs/idempotency.md): how long a response is replayed, and how long a running request holds
    # its key before the claim lapses (so a crashed process cannot block it for a day; longer than any request).
    idempotency_ttl_seconds: float = Field(default=86_400, gt=0)
    idempotency_lease_seconds: float = Field(default=60.0, gt=0)
    # A larger answer is not kept for replays (the key still never runs its request twice; docs/idempotency.md).
    idempotency_max_response_bytes: int = Field(default=262_144, ge=1024)
    # Background work (docs/jobs.md): "auto" keeps jobs in Redis when REDIS_URL is set, else in the database.
    job_queue: Literal["auto", "database", "redis"] = "auto"
    # A claimed job is handed out again if its worker has not finished it within this time (it died).
    job_lease_seconds: float = Field(default=60.0, gt=0)
    job_batch_size: int = Field(default=50, ge=1, le=1000)
    # The worker (docs/jobs.md). An API process runs one in its lifespan only when EMBEDDED_WORKER is true
    # (`storegraph serve` sets it unless --no-worker), so an app built by create_app, as in the tests, never does.
    embedded_worker: bool = False
    # Jobs one worker runs at once (it claims only as many as it has room for, so none waits out its lease).
    job_concurrency: int = Field(default=10, ge=1, le=1000)
    # How long an idle worker sleeps between claims, and how often it runs the periodic tasks.
    job_poll_interval_seconds: float = Field(default=0.5, ge=0.01, le=60)
    # A job runs at most this many times (every delivery counts: failures, RetryLater, leases that ran out), then
    # it becomes a dead letter.
    job_max_attempts: int = Field(default=25, ge=1)
    # After a failure a job waits base * 2^(attempts - 1) seconds, capped, with jitter.
    job_retry_base_seconds: float = Field(default=2.0, gt=0)
    job_retry_max_seconds: float = Field(default=3600.0, gt=0)
    # On SIGTERM a worker stops claiming and waits this long for its running jobs; the rest come back after their
    # lease.
    job_stop_timeout_seconds: float = Field(default=30.0, ge=0)
    # Webhook delivery (docs/webhooks.md): each attempt's timeout, and whether loopback and private addresses may
    # be targets (off: a subscription cannot be used to reach the deployment's own network; tests turn it on).
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_allow_private_targets: bool = False
    # Signed public-key requests (X-DZ-Timestamp) more than this far from the server's clock are refused.
    signature_tolerance_seconds: int = Field(default=300, ge=1)
    log_level: str = "info"
    # Operations (docs/operations.md): log lines as JSON objects or as text, and one access line per request.
    log_format: Literal["json", "text"] = "json"
    access_log: bool = True
    # GET /metrics, with no API key (like /healthz); METRICS_TOKEN requires "Authorization: Bearer <token>" instead.
    metrics_enabled: bool = True
    metrics_token: str | None = None
    # `storegraph worker` has no HTTP server of its own: set this to serve its metrics (jobs and webhook deliveries by
    # outcome, its database pool) on http://WORKER_METRICS_HOST:<port>/metrics.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65_535)
    worker_metrics_host: str = "127.0.0.1"
    # On SIGTERM `storegraph serve` stops accepting connections and gives the requests in flight this long to finish
    # before it closes their connections; then the embedded worker gets JOB_STOP_TIMEOUT_SECONDS for its jobs.
    shutdown_timeout_seconds: float = Field(default=30.0, ge=0, le=3600)
    # Tracing (OpenTelemetry) is on only when an OTLP/HTTP endpoint is set, e.g. http://collector:4318; off, it
    # costs nothing (no middleware, no SQL listeners).
    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str = "storegraph"

    @field_validator("plans", mode="after")
    @classmethod
    def _keep_default_plans(cls, plans: dict[str, Plan]) -> dict[str, Plan]:
        """``PLANS`` changes or adds plans; the ones it does not name keep their defaults."""
        return {**DEFAULT_PLANS, **plans}

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def redis_max_connections(self) -> int:
        """Each request holds a Redis connection only for a round trip, one at a time, so the requests the database
        pool can serve at once need at most as many; the reserve covers the revocation feed's subscription, held for
        the process's lifetime, and the embedded worker's claims."""
        return self.redis_pool_size or 2 * self.db_pool_size + REDIS_RESERVED_CONNECTIONS

    @property
    def tracing_enabled(self) -> bool:
        return bool(self.otel_exporter_otlp_endpoint)

    @property
    def uses_redis_queue(self) -> bool:
        if self.job_queue == "auto":
            return self.redis_url is not None
        return self.job_queue == "redis"
