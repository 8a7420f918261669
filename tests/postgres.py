"""A real PostgreSQL for the tests, never a mock: the server at TEST_POSTGRES_URL when that is set,
else one started here from Debian's packages (initdb in a temporary directory, listening on
127.0.0.1 only, stopped at the end). Where neither is possible the tests that need it are skipped
with the reason, unless REQUIRE_POSTGRES is set: .ci/run sets it, so in CI they run or fail.

PostgreSQL refuses to run as root, and CI runs as root: the server then runs as the `postgres` user."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL can be had here; the message says why."""


def skip_or_fail(reason: str) -> None:
    """For a test: skipped with the reason, or failed where PostgreSQL is required (REQUIRE_POSTGRES)."""
    import pytest  # the benchmark starts a server too, without pytest

    if os.environ.get("REQUIRE_POSTGRES"):
        pytest.fail(f"PostgreSQL is required here (REQUIRE_POSTGRES) but {reason}")
    pytest.skip(f"no PostgreSQL: {reason} (install Debian's postgresql, or set TEST_POSTGRES_URL)")


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextlib.contextmanager
def postgres_server(*, durable: bool = False) -> Iterator[str]:
    """The address of a PostgreSQL server's `postgres` database, as a superuser."""
    if os.environ.get("TEST_POSTGRES_URL"):
        yield os.environ["TEST_POSTGRES_URL"]
        return
    binaries = _binaries()
    if binaries is None:
        raise PostgresUnavailable("there is no /usr/lib/postgresql/*/bin/initdb")
    scratch = Path(tempfile.mkdtemp(prefix="bot-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(scratch, "postgres", "postgres")
    data = scratch / "data"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    initdb = [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]
    # The tests' server skips fsync (their data is thrown away); the benchmark's is durable, as SQLite is.
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {scratch}" + ("" if durable else " -c fsync=off")
    start = [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(scratch / "log"), "-w", "start"]
    try:
        subprocess.run(_as_server_user(initdb), check=True, capture_output=True)
        subprocess.run(_as_server_user(start), check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as error:
        shutil.rmtree(scratch, ignore_errors=True)
        raise PostgresUnavailable(f"PostgreSQL did not start here ({error})") from None
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop = [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
        subprocess.run(_as_server_user(stop), capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


BACKENDS = ("sqlite", "postgresql")


@contextlib.contextmanager
def postgres_database(server: str, template: str | None = None) -> Iterator[str]:
    """A database of its own on the server at `server` (a copy of `template`, else empty): its address.
    Dropped afterwards, whoever is still connected."""
    import secrets

    import psycopg

    name = f"test_{secrets.token_hex(6)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
