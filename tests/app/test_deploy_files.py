"""deploy/ holds what runs storegraph scaled out (docs/deploy.md): a compose file, its nginx config and the image's
Dockerfile. No container engine runs here, so these tests check what can be checked without one: the files parse,
every file they name exists, every command is one the CLI takes, every variable is a setting with a valid value,
and the proxy, the API and PostgreSQL agree on ports, limits and connections."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import typer.main
import yaml

from storegraph.cli import app as cli_app
from storegraph.settings import Settings
from tests.support.paths import REPO

DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "compose.yaml"
NGINX_FILE = DEPLOY / "nginx.conf"
DOCKERFILE = DEPLOY / "Dockerfile"
# What `${NAME:?...}` variables stand for when the file is read here (compose refuses to start without them).
REQUIRED_VARIABLES = {"SECRET_KEY": "a-long-random-secret-shared-by-every-process"}
STOREGRAPH_SERVICES = ("migrate", "api", "worker")
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z_]+)(?:(?P<op>:-|:\?)(?P<rest>[^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return loaded


def services() -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"]
    return found


def interpolate(value: str) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?error}`, with only REQUIRED_VARIABLES set."""

    def replace(match: re.Match[str]) -> str:
        name, op, rest = match["name"], match["op"], match["rest"]
        if name in REQUIRED_VARIABLES:
            return REQUIRED_VARIABLES[name]
        assert op != ":?", f"{name} is required by compose.yaml: add it to REQUIRED_VARIABLES"
        return rest if op == ":-" else ""

    return _VARIABLE.sub(replace, value)


def environment(service: str) -> dict[str, str]:
    return {name: interpolate(str(value)) for name, value in services()[service].get("environment", {}).items()}


def service_settings(service: str) -> Settings:
    """The settings a service's processes read: its environment only (no .env file of this checkout)."""
    values: dict[str, Any] = {name.lower(): value for name, value in environment(service).items()}
    return Settings(_env_file=None, **values)


def command(service: str) -> list[str]:
    raw = services()[service]["command"]
    return shlex.split(raw) if isinstance(raw, str) else [str(part) for part in raw]


def cli_context(args: list[str]) -> Any:
    """Parses ``storegraph <command> [<subcommand>] <options>`` as the CLI would (the commands, their options, the
    options' types and ranges) without running it; an unknown command or option fails."""
    command: Any = typer.main.get_command(cli_app)
    name = "storegraph"
    while hasattr(command, "commands"):  # a group: the next word names one of its commands
        assert args, f"{name} needs a command"
        name, *args = args
        assert name in command.commands, f"no command {name!r}"
        command = command.commands[name]
    return command.make_context(name, args)


def documented_commands() -> list[list[str]]:
    """The arguments of every ``storegraph ...`` command in docs/deploy.md's shell examples."""
    text = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            words = shlex.split(line.split("#", 1)[0])
            if "storegraph" in words:
                commands.append(words[words.index("storegraph") + 1 :])
    return commands


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def nginx() -> str:
    text = NGINX_FILE.read_text(encoding="utf-8")
    return re.sub(r"#[^\n]*", "", text)  # directives only


def nginx_directive(name: str) -> list[str]:
    """The arguments of the first ``name ...;`` directive of the nginx config."""
    found = re.search(rf"(?m)^\s*{name}\s+([^;{{}}]+);", nginx())
    assert found is not None, name
    return found[1].split()


def nginx_size(value: str) -> int:
    units = {"k": 1024, "m": 1024 * 1024}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].lower() in units else int(value)


def seconds(value: str) -> float:
    return float(value.removesuffix("s"))


def test_the_compose_file_has_the_database_redis_a_migration_the_api_its_proxy_and_workers():
    assert set(services()) == {"postgres", "redis", "migrate", "api", "worker", "proxy"}


@pytest.mark.parametrize("service", STOREGRAPH_SERVICES)
def test_each_storegraph_service_runs_a_command_the_cli_takes(service: str):
    args = command(service)

    assert args[0] == "storegraph"  # pyproject's console script
    context = cli_context(args[1:])

    assert context.info_name == args[1]


def test_every_command_the_deployment_guide_shows_is_one_the_cli_takes():
    commands = documented_commands()

    assert {args[0] for args in commands} >= {"serve", "worker", "migrate", "stores", "keys"}
    for args in commands:
        cli_context(args)


def test_the_migration_is_the_clis_migrate_command_and_runs_once():
    assert command("migrate") == ["storegraph", "migrate"]
    assert services()["migrate"]["restart"] == "no"


def test_api_replicas_and_workers_start_only_after_the_migration_succeeded():
    for service in ("api", "worker"):
        assert services()[service]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_the_api_runs_without_the_embedded_worker_since_workers_run_apart():
    context = cli_context(command("api")[1:])

    assert context.params["job_worker"] is False
    assert services()["worker"]["deploy"]["replicas"] >= 1


def test_the_api_and_the_workers_run_more_than_one_replica():
    assert services()["api"]["deploy"]["replicas"] >= 2
    assert services()["worker"]["deploy"]["replicas"] >= 2


@pytest.mark.parametrize("service", STOREGRAPH_SERVICES)
def test_each_storegraph_variable_is_a_setting_and_its_value_valid(service: str):
    env = environment(service)
    fields = {name.upper() for name in Settings.model_fields}

    assert set(env) <= fields, set(env) - fields
    settings = service_settings(service)
    assert not settings.is_sqlite
    assert settings.redis_url
    assert settings.uses_redis_queue
    assert settings.secret_key != Settings.model_fields["secret_key"].default


def test_every_storegraph_process_shares_the_database_redis_prefix_queue_and_secret():
    shared = ("DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "JOB_QUEUE", "SECRET_KEY")
    values = {service: {name: environment(service).get(name) for name in shared} for service in STOREGRAPH_SERVICES}

    assert len({tuple(value.items()) for value in values.values()}) == 1, values


def test_the_storegraph_services_reach_the_compose_files_postgres_and_redis():
    env = environment("api")
    postgres = services()["postgres"]["environment"]
    url = env["DATABASE_URL"]

    assert url.startswith("postgresql+asyncpg://")
    assert url.endswith(f"@postgres:5432/{postgres['POSTGRES_DB']}")
    assert f"//{postgres['POSTGRES_USER']}:" in url
    assert env["REDIS_URL"].startswith("redis://redis:6379/")


def test_every_file_the_compose_file_names_exists():
    for service in STOREGRAPH_SERVICES:
        build = services()[service]["build"]
        context = (DEPLOY / build["context"]).resolve()
        assert context == REPO
        assert (context / build["dockerfile"]).is_file()
    for service, definition in services().items():
        for volume in definition.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), (service, volume)


def test_the_dockerfile_copies_every_package_the_distribution_has_and_runs_the_cli():
    text = DOCKERFILE.read_text(encoding="utf-8")
    copied = {line.split()[1] for line in text.splitlines() if line.startswith("COPY ")}
    packages = {"storegraph", "db", "schema", "resolvers", "rest_compat"}

    assert packages | {"pyproject.toml"} <= copied
    assert all((REPO / path).exists() for path in copied)
    cmd = re.search(r"^CMD (\[.+\])$", text, re.M)
    assert cmd is not None
    args = yaml.safe_load(cmd[1])  # a JSON array
    assert args[0] == "storegraph"
    cli_context(args[1:])
    assert re.search(r"^EXPOSE (\d+)$", text, re.M)[1] == option(command("api"), "--port")  # type: ignore[index]


def test_the_proxy_sends_to_the_port_the_api_listens_on():
    upstream = nginx_directive("server")
    host, _, port = upstream[0].partition(":")

    assert host == "api"
    assert port == option(command("api"), "--port")
    assert option(command("api"), "--host") == "0.0.0.0"  # reached from the proxy's container


def test_the_proxy_listens_on_the_port_the_compose_file_publishes():
    published = services()["proxy"]["ports"]
    listen = nginx_directive("listen")[0]

    assert [mapping.rsplit(":", 1)[1] for mapping in published] == [listen]


def test_the_proxy_refuses_bodies_and_headers_past_the_apis_own_limits():
    settings = service_settings("api")
    count, size = nginx_directive("large_client_header_buffers")

    assert nginx_size(nginx_directive("client_max_body_size")[0]) == settings.max_body_bytes
    assert int(count) * nginx_size(size) == settings.max_header_bytes


def test_the_proxy_closes_idle_upstream_connections_before_the_api_does():
    settings = service_settings("api")
    upstream = nginx().split("upstream storegraph", 1)[1].split("}", 1)[0]
    timeout = re.search(r"keepalive_timeout\s+(\S+);", upstream)

    assert timeout is not None
    assert seconds(timeout[1]) < settings.keep_alive_seconds


def test_the_proxy_buffers_request_bodies_and_forwards_the_client_address():
    assert nginx_directive("proxy_request_buffering") == ["on"]
    assert nginx_directive("proxy_http_version") == ["1.1"]
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in nginx()


def test_postgres_max_connections_covers_every_pool_at_its_largest():
    postgres = command("postgres")
    max_connections = int(next(arg for arg in postgres if arg.startswith("max_connections=")).split("=")[1])
    largest = 0
    for service in ("api", "worker"):
        settings = service_settings(service)
        # db/session.py: pool_size connections plus as many in overflow, per process.
        largest += services()[service]["deploy"]["replicas"] * 2 * settings.db_pool_size

    assert largest <= max_connections * 3 // 4, "leave a quarter for a rollout's extra replicas and operators"


def test_redis_persists_and_never_evicts_the_queue_or_idempotency_records():
    redis = command("redis")

    assert option(redis, "--appendonly") == "yes"
    assert option(redis, "--maxmemory-policy") == "noeviction"
