"""A throwaway PostgreSQL cluster for the benchmark, started from the installed server binaries.

The cluster keeps PostgreSQL's default durability settings (fsync, synchronous_commit,
full_page_writes all on): the comparison is meant to look like a production server, where each
commit waits for its WAL flush.

initdb and postgres refuse to run as root, so as root they run as the `postgres` OS user via
`runuser`, in a temp directory under /tmp owned by that user. Clients (ratchet, psql) always run
as the invoking user and connect over TCP, so both sides of a comparison pay the same
connection cost.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "postgres"


class ClusterError(RuntimeError):
    pass


def find_bin_dir(prefer_major: str = "15") -> Path:
    """The directory holding initdb and pg_ctl: $RATCHET_PG_BIN, PATH, then Debian's layout."""
    env = os.environ.get("RATCHET_PG_BIN")
    if env:
        return Path(env)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (Path(p).parent.parent.name != prefer_major, -_major(p)),
    )
    if candidates:
        return Path(candidates[0]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(os.path.realpath(on_path)).parent
    raise ClusterError(
        "PostgreSQL server binaries not found (no initdb under /usr/lib/postgresql/*/bin or on PATH); "
        "install the postgresql package or pass --url"
    )


def _major(initdb_path: str) -> int:
    try:
        return int(Path(initdb_path).parent.parent.name)
    except ValueError:
        return 0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """Use as a context manager; the cluster is stopped and its directory removed on exit,
    including on KeyboardInterrupt and other exceptions."""

    def __init__(self, bin_dir: Path | None = None, log=print) -> None:
        self.bin_dir = bin_dir or find_bin_dir()
        self.log = log
        self.root: Path | None = None
        self.data: Path | None = None
        self.port: int | None = None
        self.started = False
        self.as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgres://{SERVER_USER}@127.0.0.1:{self.port}/postgres"

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_root:
            return ["runuser", "-u", SERVER_USER, "--", *cmd]
        return cmd

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        # A new session keeps Ctrl-C away from the server: the harness stops it itself, in order.
        return subprocess.run(
            self._cmd(*args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            cwd="/",
        )

    def __enter__(self) -> "Cluster":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ratchet-bench-pg-", dir="/tmp"))
        if self.as_root:
            try:
                pw = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise ClusterError(
                    f"running as root and there is no '{SERVER_USER}' OS user to run PostgreSQL as "
                    f"(useradd --system --no-create-home {SERVER_USER})"
                ) from None
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o700)
        self.data = self.root / "data"
        init = self._run(
            "initdb", "-D", str(self.data), "-U", SERVER_USER, "-A", "trust",
            "-E", "UTF8", "--locale=C",
        )
        if init.returncode != 0:
            raise ClusterError(f"initdb failed:\n{init.stdout}")
        logfile = self.root / "server.log"
        for _attempt in range(5):
            self.port = free_port()
            opts = f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
            started = self._run("pg_ctl", "-D", str(self.data), "-l", str(logfile), "-w", "-t", "60",
                                "-o", opts, "start")
            if started.returncode == 0:
                self.started = True
                self.log(f"postgres: started {self.bin_dir} on 127.0.0.1:{self.port} (data in {self.data})")
                return
            tail = _tail(logfile)
            if "could not bind" not in tail and "Address already in use" not in tail:
                raise ClusterError(f"pg_ctl start failed:\n{started.stdout}\n--- server log ---\n{tail}")
        raise ClusterError("pg_ctl start failed: no free port after 5 attempts")

    def stop(self) -> None:
        if self.started and self.data is not None:
            stopped = self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
            if stopped.returncode != 0:
                # Last resort, so no server outlives the harness.
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.started = False
            self.log("postgres: stopped")
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
