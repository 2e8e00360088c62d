"""A real streaming read replica of the test PostgreSQL, on loopback.

``pg_basebackup -R`` copies the running primary (TEST_DATABASE_URL's server) into a temporary
directory and writes the standby settings; the copy starts with ``pg_ctl`` on a free port, its
socket in that directory, and streams from the primary. Databases created on the primary later
(each test makes its own) replicate too. Stopped and deleted afterwards.

What the primary must allow (a fresh Debian cluster allows all but the first):
- ``host replication all 127.0.0.1/32 trust`` in pg_hba.conf (then ``SELECT pg_reload_conf()``);
- ``wal_level`` ``replica`` or ``logical`` and ``max_wal_senders`` > 0 (the defaults).
Missing binaries skip the tests; a primary that refuses replication skips them, with what to
change, except under CI=true (.ci/run allows it), where it fails.

PostgreSQL's tools refuse to run as root: as root, they run as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
START_DEADLINE = 60.0
HBA_LINE = "host    replication     all             127.0.0.1/32            trust"


@dataclass
class Replica:
    port: int
    datadir: Path
    bindir: Path
    primary: URL
    log: Path

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on the replica (same user as the primary's)."""
        return self.primary.set(port=self.port, database=database).render_as_string(hide_password=False)

    def value(self, sql: str) -> str | None:
        """``sql``'s single value on the replica (None when it does not answer)."""
        return _psql_value(self.bindir, self.primary.set(port=self.port), sql)

    def caught_up(self) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        lsn = _psql_value(self.bindir, self.primary, "select pg_current_wal_lsn()")
        assert lsn is not None, "the primary does not answer"
        deadline = time.monotonic() + START_DEADLINE
        while self.value(f"select pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") != "t":
            if time.monotonic() > deadline:
                raise AssertionError(f"replica behind {lsn} after {START_DEADLINE}s\n{_tail(self.log)}")
            time.sleep(0.02)

    def pause_replay(self) -> None:
        """Writes on the primary stop showing on the replica until ``resume_replay``."""
        assert self.value("select pg_wal_replay_pause()") is not None
        deadline = time.monotonic() + START_DEADLINE
        while self.value("select pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise AssertionError("replica replay did not pause")
            time.sleep(0.02)

    def resume_replay(self) -> None:
        assert self.value("select pg_wal_replay_resume()") is not None

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            _run_as_owner(
                [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"]
            )


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"streaming replica required under CI: {reason}")
    pytest.skip(reason)


def _primary_url() -> URL:
    return make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_URL))


def _psql_value(bindir: Path, primary: URL, sql: str) -> str | None:
    done = subprocess.run(
        [
            str(bindir / "psql"),
            "-h",
            primary.host or "127.0.0.1",
            "-p",
            str(primary.port or 5432),
            "-U",
            primary.username or "postgres",
            "-d",
            "postgres",
            "-Atc",
            sql,
        ],
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
        env=_env(primary),
    )
    return done.stdout.strip() if done.returncode == 0 else None


def _env(primary: URL) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "LANG", "LC_ALL", "TMPDIR"}}
    if primary.password:
        env["PGPASSWORD"] = primary.password
    return env


def _bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup"), reverse=True)
    if found:
        return found[0].parent
    on_path = shutil.which("pg_basebackup")
    if on_path is None:
        pytest.skip("streaming replica needs PostgreSQL's server binaries (pg_basebackup, pg_ctl)")
    return Path(on_path).parent


def _matching_bindir(primary: URL) -> Path:
    bindir = _bindir()
    version = _psql_value(bindir, primary, "show server_version_num")
    if version is None:
        _unavailable(f"PostgreSQL unreachable at {primary.host}:{primary.port}")
    major = str(int(version or "0") // 10000)
    exact = Path(f"/usr/lib/postgresql/{major}/bin")
    if (exact / "pg_ctl").exists():
        return exact
    if not (bindir / "pg_ctl").exists():
        pytest.skip(f"streaming replica needs pg_ctl of PostgreSQL {major}")
    return bindir


def _owner() -> pwd.struct_passwd | None:
    """The user the server runs as: ourselves, or ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root without a postgres user: pg_ctl refuses root")
    return None


def _run_as_owner(command: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    owner = _owner()
    if owner is not None:
        command = ["runuser", "-u", owner.pw_name, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check_primary(bindir: Path, primary: URL) -> None:
    wal_level = _psql_value(bindir, primary, "show wal_level")
    senders = _psql_value(bindir, primary, "show max_wal_senders")
    if wal_level not in {"replica", "logical"} or not senders or int(senders) < 1:
        _unavailable(
            f"the primary does not stream WAL (wal_level={wal_level}, max_wal_senders={senders}): "
            "set wal_level=replica and max_wal_senders=10, then restart it"
        )
    allowed = _psql_value(
        bindir,
        primary,
        "select count(*) from pg_hba_file_rules where 'replication' = any(database) and error is null",
    )
    if allowed == "0":
        _unavailable(
            f"the primary refuses replication connections: add '{HBA_LINE}' to its pg_hba.conf "
            "and run SELECT pg_reload_conf()"
        )


@contextlib.contextmanager
def streaming_replica() -> Iterator[Replica]:
    primary = _primary_url()
    bindir = _matching_bindir(primary)
    _check_primary(bindir, primary)
    owner = _owner()
    root = Path(tempfile.mkdtemp(prefix="pg-replica-"))
    datadir, log = root / "data", root / "replica.log"
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    port = _free_port()
    replica = Replica(port=port, datadir=datadir, bindir=bindir, primary=primary, log=log)
    try:
        copied = _run_as_owner(
            [
                str(bindir / "pg_basebackup"),
                "-h",
                primary.host or "127.0.0.1",
                "-p",
                str(primary.port or 5432),
                "-U",
                primary.username or "postgres",
                "-D",
                str(datadir),
                "-X",
                "stream",  # the WAL of the copy comes with it
                "-R",  # standby.signal and primary_conninfo: start as a streaming replica
                "-c",
                "fast",  # a checkpoint now, not at the next scheduled one
                "--no-sync",
            ]
        )
        if copied.returncode != 0:
            if "pg_hba.conf" in copied.stderr:
                _unavailable(
                    f"the primary refuses replication connections: add '{HBA_LINE}' to its "
                    f"pg_hba.conf and run SELECT pg_reload_conf() ({copied.stderr.strip()})"
                )
            raise AssertionError(f"pg_basebackup failed: {copied.stderr}")
        _write_config(datadir, port, owner)
        started = _run_as_owner(
            [str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(log), "-w", "-t", "60", "start"]
        )
        if started.returncode != 0:
            raise AssertionError(f"replica did not start: {started.stderr}\n{_tail(log)}")
        _wait_in_recovery(bindir, replica)
        yield replica
    finally:
        replica.stop()
        shutil.rmtree(root, ignore_errors=True)


def _write_config(datadir: Path, port: int, owner: pwd.struct_passwd | None) -> None:
    """A Debian primary keeps its configuration in /etc, so the copy has none: give it one."""
    files = {
        "postgresql.conf": "\n".join(
            [
                f"port = {port}",
                "listen_addresses = '127.0.0.1'",
                f"unix_socket_directories = '{datadir}'",
                "hot_standby = on",
                "hot_standby_feedback = on",
                "shared_buffers = 32MB",
                "max_connections = 100",
                "fsync = off",
                "",
            ]
        ),
        "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        "pg_ident.conf": "",
    }
    for name, text in files.items():
        path = datadir / name
        path.write_text(text, encoding="utf-8")
        if owner is not None:
            os.chown(path, owner.pw_uid, owner.pw_gid)
        path.chmod(0o600)


def _wait_in_recovery(bindir: Path, replica: Replica) -> None:
    at = replica.primary.set(port=replica.port)
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if _psql_value(bindir, at, "select pg_is_in_recovery()") == "t":
            streaming = _psql_value(bindir, at, "select status from pg_stat_wal_receiver")
            if streaming == "streaming":
                return
        time.sleep(0.1)
    raise AssertionError(f"replica not streaming after {START_DEADLINE}s\n{_tail(replica.log)}")


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-3000:]
    except OSError:
        return ""
