"""What the benchmark scripts share: running and timing a client, psql against the server,
a private copy of the ratchet binary, the statistics, and clean exits on signals.

Used by bench/run.py and bench/diff.py (bench/lint.py needs no database and times its tools
its own way, with stdout to a file it parses; it shares only the statistics). Standard library
only.
"""

from __future__ import annotations

import hashlib
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pgcluster import ClusterError, find_bin_dir

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent


def log(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------
# Processes


@dataclass
class Sample:
    wall: float  # seconds
    cpu: float   # seconds, user + sys of the child
    rc: int
    stderr: str


def client_env() -> dict[str, str]:
    """The environment for ratchet and psql: nothing that could redirect or reconfigure a
    connection behind the harness's back (PGOPTIONS, PGHOST, a DATABASE_URL, ...)."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith("PG") and k not in ("RATCHET_DATABASE_URL", "DATABASE_URL")
    }
    env.setdefault("LC_ALL", "C.UTF-8")
    return env


ENV = client_env()


def timed(cmd: list[str], cwd: Path) -> Sample:
    """Wall time and the child's CPU time around one blocking run. RUSAGE_CHILDREN only counts
    children that have been waited for, so the delta is exactly this child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t1 = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(t1 - t0, cpu, proc.returncode, proc.stderr.decode(errors="replace"))


class Server:
    """Creates and drops the per-run databases on a cluster we started or on --url."""

    def __init__(self, base_url: str, psql: str, workdir: Path, prefix: str = "ratchet_bench") -> None:
        self.base_url = base_url
        self.prefix = prefix
        self.psql = psql
        self.workdir = workdir
        self.created: set[str] = set()
        self.counter = 0
        self.can_checkpoint = True

    def url(self, db: str) -> str:
        parts = urllib.parse.urlsplit(self.base_url)
        return urllib.parse.urlunsplit(parts._replace(path="/" + db))

    def sql(self, statement: str, db: str | None = None, check: bool = True) -> str:
        url = self.url(db) if db else self.base_url
        proc = subprocess.run(
            [self.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", statement],
            env=ENV, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=self.workdir,
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"psql failed ({statement!r}): {proc.stderr.strip()}")
        return proc.stdout.strip()

    def fresh(self) -> str:
        """A new empty database from template0, after a CHECKPOINT so the timed command does
        not pay for flushing what CREATE DATABASE wrote."""
        self.counter += 1
        db = f"{self.prefix}_{os.getpid()}_{self.counter}"
        self.sql(f'DROP DATABASE IF EXISTS "{db}"')
        self.sql(f'CREATE DATABASE "{db}" TEMPLATE template0')
        self.created.add(db)
        if self.can_checkpoint:
            try:
                self.sql("CHECKPOINT")
            except RuntimeError as e:
                log(f"note: CHECKPOINT not allowed, continuing without it ({e})")
                self.can_checkpoint = False
        return db

    def drop(self, db: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        self.created.discard(db)

    def drop_all(self) -> None:
        for db in sorted(self.created):
            try:
                self.drop(db)
            except Exception as e:  # cleanup must not hide the original error
                log(f"warning: could not drop {db}: {e}")


# ---------------------------------------------------------------------------------------------
# Statistics


def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def paired(num: list[float], den: list[float]) -> list[float]:
    return [a / b for a, b in zip(num, den) if b > 0]


def ms(x: float | None) -> float | None:
    return None if x is None else round(x * 1000, 3)


def fmt(x: float | None, spec: str) -> str:
    if x is None:
        return "-".rjust(int(spec.split(".")[0]))
    return format(x, spec)


# ---------------------------------------------------------------------------------------------
# Setup


def output(cmd: list[str], cwd: Path = REPO) -> str | None:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=ENV)
        return proc.stdout.strip() if proc.returncode == 0 else None
    except OSError:
        return None


def environment(server: Server, psql: str, external: bool) -> dict:
    """What a result depends on besides the code: the server, its durability settings, the
    client, the commit measured, the machine and how busy it was."""
    settings = server.sql(
        "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN "
        "('fsync','synchronous_commit','full_page_writes','wal_sync_method','shared_buffers','max_wal_size')"
    )
    return {
        "server_version": server.sql("SHOW server_version"),
        "server_settings": settings,
        "external_server": external,
        "psql": psql,
        "psql_version": output([psql, "--version"]),
        "git_head": output(["git", "rev-parse", "HEAD"]),
        "git_dirty_files": len((output(["git", "status", "--porcelain"]) or "").splitlines()),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def prepare_ratchet(path: Path, workdir: Path) -> tuple[Path, dict]:
    """Benchmarks a private copy: other people rebuilding target/release during a long run
    must not change the binary between rounds."""
    if not path.is_file():
        raise SystemExit(f"ratchet binary not found at {path}; build it with "
                         f"`cargo build --release -p ratchet-cli` or pass --ratchet")
    copy = workdir / "bin" / "ratchet"
    copy.parent.mkdir()
    shutil.copy2(path, copy)
    digest = hashlib.sha256(copy.read_bytes()).hexdigest()
    info = {
        "source": str(path),
        "sha256": digest,
        "mtime": datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).isoformat(),
        "version": output([str(copy), "--version"]),
    }
    return copy, info


def find_client(name: str, explicit: str | None = None) -> str:
    """A PostgreSQL client program (psql, pg_dump): `explicit`, else the real binary next to
    initdb, else PATH. Debian's /usr/bin/psql and /usr/bin/pg_dump are one Perl wrapper
    (pg_wrapper), whose start-up would be billed to the client, so they come last."""
    if explicit:
        return explicit
    try:
        beside = find_bin_dir() / name
        if beside.is_file():
            return str(beside)
    except ClusterError:
        pass
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found; pass --{name.replace('_', '-')}")
    return found


def find_psql(explicit: str | None) -> str:
    return find_client("psql", explicit)


def _terminate(signum, _frame):
    # SIGTERM/SIGHUP become SystemExit so every `finally` (cluster stop, drops) runs.
    raise SystemExit(128 + signum)


def exit_cleanly_on_signals() -> None:
    """Ctrl-C raises KeyboardInterrupt (set explicitly: a shell's background job inherits
    SIGINT ignored); SIGTERM and SIGHUP become SystemExit. Either way every `finally` runs."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
