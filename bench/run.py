#!/usr/bin/env python3
"""ratchet benchmark harness: how much does ratchet cost over plain psql?

Two measurements, both against PostgreSQL with default (production-like) durability:

1. migrate: N generated migrations applied to a fresh database by
     A  ratchet migrate --quiet
     B  psql -1 -f all.sql             (everything in one transaction: the lower bound)
     C  psql -f driver.sql             (BEGIN; \\i file; COMMIT; per file: same commit count as A)
   interleaved A B C A B C ..., reporting median wall time, the medians of the per-round paired
   ratios A/C and A/B, and the client's CPU time (user+sys) ratio A/C.

2. status/verify floor: with K migrations applied, `ratchet status` and `ratchet verify`
   against `psql -X -c 'select 1'` (connect, one query, disconnect) on the same database.

See bench/README.md. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.dont_write_bytecode = True  # keep bench/ free of __pycache__

import gen  # noqa: E402
from harness import (  # noqa: E402
    Sample, Server, environment, exit_cleanly_on_signals, find_psql, fmt, log, median, ms, paired,
    prepare_ratchet, timed,
)
from pgcluster import Cluster  # noqa: E402

TARGET_MIGRATE_RATIO = 1.05   # A/C wall at N=1000
TARGET_MIGRATE_CPU = 1.5      # A/C client CPU at N=1000
TARGET_VERIFY_RATIO = 1.5     # verify/floor with 1,000 applied
TARGET_VERIFY_ABS_MS = 100.0  # verify with 10,000 applied


# ---------------------------------------------------------------------------------------------
# Benchmarks


def round_name(rnd: int, rounds: int) -> str:
    return "warm-up" if rnd < 0 else f"round {rnd + 1}/{rounds}"


class RatchetFailed(Exception):
    pass


class Bench:
    def __init__(self, args, server: Server, ratchet: Path, psql: str, workdir: Path) -> None:
        self.args = args
        self.server = server
        self.ratchet = ratchet
        self.psql = psql
        self.workdir = workdir
        self.failures: list[dict] = []

    def ratchet_cmd(self, mset: gen.MigrationSet, config: Path | None, db: str, command: str) -> list[str]:
        cmd = [str(self.ratchet)]
        if config is not None:
            cmd += ["--config", str(config)]
        return cmd + ["--database-url", self.server.url(db), "--dir", str(mset.directory), "--quiet", command]

    def write_config(self, root: Path, mset: gen.MigrationSet) -> Path | None:
        if mset.digits == 4:
            return None
        config = root / "ratchet.toml"
        config.write_text(f"name_pattern = '{gen.FIVE_DIGIT_PATTERN}'\n")
        return config

    def fail(self, where: str, cmd: list[str], sample: Sample) -> None:
        entry = {"where": where, "command": cmd, "exit_code": sample.rc, "stderr": sample.stderr}
        self.failures.append(entry)
        log(f"!! ratchet failed in {where} (exit {sample.rc}): {' '.join(cmd)}\n{sample.stderr.rstrip()}")
        raise RatchetFailed(where)

    def count_tables(self, db: str) -> int:
        return int(self.server.sql(
            f"SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '{gen.TABLE_PREFIX}%'",
            db=db,
        ))

    # -- 1. migrate ---------------------------------------------------------------------------

    def migrate(self, n: int, rounds: int) -> dict:
        root = self.workdir / f"migrate-{n}"
        mset = gen.realistic(root / "migrations", n, self.args.seed)
        config = self.write_config(root, mset)
        all_sql = root / "all.sql"
        all_sql.write_text("".join(f.read_text() + "\n" for f in mset.files))
        driver = root / "driver.sql"
        driver.write_text("".join(f"BEGIN;\n\\i '{f}'\nCOMMIT;\n" for f in mset.files))
        psql = [self.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        commands = {
            "A": lambda db: self.ratchet_cmd(mset, config, db, "migrate"),
            "B": lambda db: psql + ["-1", "-f", str(all_sql), "-d", self.server.url(db)],
            "C": lambda db: psql + ["-f", str(driver), "-d", self.server.url(db)],
        }
        size = sum(f.stat().st_size for f in mset.files)
        log(f"\n== migrate N={n}: {n} files, {size / 1024:.0f} KiB, {mset.tables} tables; "
            f"{self.args.warmup} warm-up + {rounds} timed rounds of A B C")
        samples: dict[str, list[Sample]] = {k: [] for k in commands}
        result = {"n": n, "rounds": rounds, "files_bytes": size, "tables": mset.tables, "failed": False}
        try:
            for rnd in range(-self.args.warmup, rounds):
                line = []
                for name, make in commands.items():
                    db = self.server.fresh()
                    try:
                        cmd = make(db)
                        s = timed(cmd, cwd=root)
                        if s.rc != 0:
                            if name == "A":
                                self.fail(f"migrate N={n} {round_name(rnd, rounds)}", cmd, s)
                            raise RuntimeError(f"{name} failed (exit {s.rc}): {' '.join(cmd)}\n{s.stderr}")
                        got = self.count_tables(db)
                        if got != mset.tables:
                            raise RuntimeError(f"{name} left {got} tables, expected {mset.tables}")
                    finally:
                        self.server.drop(db)
                    if rnd >= 0:
                        samples[name].append(s)
                    line.append(f"{name} {s.wall * 1000:8.1f} ms (cpu {s.cpu * 1000:6.1f})")
                log(f"  {round_name(rnd, rounds):>12}: " + "  ".join(line))
        except RatchetFailed:
            result["failed"] = True
        wall = {k: [s.wall for s in v] for k, v in samples.items()}
        cpu = {k: [s.cpu for s in v] for k, v in samples.items()}
        result.update({
            "wall_s": wall,
            "cpu_s": cpu,
            "median_wall_ms": {k: ms(median(v)) for k, v in wall.items()},
            "median_cpu_ms": {k: ms(median(v)) for k, v in cpu.items()},
            "paired_wall_ratio": {
                "A/C": paired(wall["A"], wall["C"]),
                "A/B": paired(wall["A"], wall["B"]),
            },
            "paired_cpu_ratio": {"A/C": paired(cpu["A"], cpu["C"])},
        })
        result["median_ratio"] = {
            "wall A/C": median(result["paired_wall_ratio"]["A/C"]),
            "wall A/B": median(result["paired_wall_ratio"]["A/B"]),
            "cpu A/C": median(result["paired_cpu_ratio"]["A/C"]),
        }
        return result

    # -- 2. status / verify floor ---------------------------------------------------------------

    def verify(self, k: int, rounds: int) -> dict:
        root = self.workdir / f"verify-{k}"
        mset = gen.cheap(root / "migrations", k)
        config = self.write_config(root, mset)
        log(f"\n== status/verify with {k} applied: {self.args.warmup} warm-up + {rounds} timed rounds")
        result = {"applied": k, "rounds": rounds, "failed": False}
        db = self.server.fresh()
        samples: dict[str, list[Sample]] = {"verify": [], "status": [], "floor": []}
        try:
            cmd = self.ratchet_cmd(mset, config, db, "migrate")
            s = timed(cmd, cwd=root)
            if s.rc != 0:
                self.fail(f"verify setup: migrate {k}", cmd, s)
            result["setup_migrate_ms"] = ms(s.wall)
            log(f"  setup: ratchet migrate of {k} applied in {s.wall:.1f} s (not part of the figures)")
            commands = {
                "verify": self.ratchet_cmd(mset, config, db, "verify"),
                "status": self.ratchet_cmd(mset, config, db, "status"),
                "floor": [self.psql, "-X", "-c", "select 1", "-d", self.server.url(db)],
            }
            for rnd in range(-self.args.warmup, rounds):
                line = []
                for name, cmd in commands.items():
                    s = timed(cmd, cwd=root)
                    if s.rc != 0:
                        if name == "floor":
                            raise RuntimeError(f"floor failed: {s.stderr}")
                        self.fail(f"{name} with {k} applied, {round_name(rnd, rounds)}", cmd, s)
                    if rnd >= 0:
                        samples[name].append(s)
                    line.append(f"{name} {s.wall * 1000:7.1f} ms")
                log(f"  {round_name(rnd, rounds):>12}: " + "  ".join(line))
        except RatchetFailed:
            result["failed"] = True
        finally:
            self.server.drop(db)
        wall = {k_: [s.wall for s in v] for k_, v in samples.items()}
        result.update({
            "wall_s": wall,
            "cpu_s": {k_: [s.cpu for s in v] for k_, v in samples.items()},
            "median_wall_ms": {k_: ms(median(v)) for k_, v in wall.items()},
            "paired_ratio": {
                "verify/floor": paired(wall["verify"], wall["floor"]),
                "status/floor": paired(wall["status"], wall["floor"]),
            },
        })
        result["median_ratio"] = {k_: median(v) for k_, v in result["paired_ratio"].items()}
        return result


# ---------------------------------------------------------------------------------------------
# Reporting


def table(results: dict) -> str:
    out = []
    if results["migrate"]:
        out.append("migrate (wall ms: medians; ratios: median of the per-round paired ratios)")
        out.append(f"{'N':>6} {'rounds':>6} {'A ratchet':>10} {'B psql -1':>10} {'C psql/file':>11} "
                   f"{'A/C':>6} {'A/B':>6} {'cpu A':>7} {'cpu C':>7} {'cpu A/C':>7}")
        for r in results["migrate"]:
            w, c, q = r["median_wall_ms"], r["median_cpu_ms"], r["median_ratio"]
            out.append(
                f"{r['n']:>6} {len(r['wall_s']['A']):>6} {fmt(w['A'], '10.1f')} {fmt(w['B'], '10.1f')} "
                f"{fmt(w['C'], '11.1f')} {fmt(q['wall A/C'], '6.3f')} {fmt(q['wall A/B'], '6.2f')} "
                f"{fmt(c['A'], '7.1f')} {fmt(c['C'], '7.1f')} {fmt(q['cpu A/C'], '7.2f')}"
                + ("   FAILED" if r["failed"] else "")
            )
    if results["verify"]:
        out.append("")
        out.append("status/verify (wall ms: medians; ratios: median of the per-round paired ratios)")
        out.append(f"{'applied':>7} {'rounds':>6} {'floor':>7} {'status':>8} {'verify':>8} "
                   f"{'status/floor':>12} {'verify/floor':>12}")
        for r in results["verify"]:
            w, q = r["median_wall_ms"], r["median_ratio"]
            out.append(
                f"{r['applied']:>7} {len(r['wall_s']['floor']):>6} {fmt(w['floor'], '7.1f')} "
                f"{fmt(w['status'], '8.1f')} {fmt(w['verify'], '8.1f')} "
                f"{fmt(q['status/floor'], '12.2f')} {fmt(q['verify/floor'], '12.2f')}"
                + ("   FAILED" if r["failed"] else "")
            )
    if results["targets"]:
        out.append("")
        out.append("targets")
        for t in results["targets"]:
            verdict = "n/a" if t["value"] is None else ("PASS" if t["pass"] else "FAIL")
            out.append(f"  {t['name']:<44} {fmt(t['value'], '8.3f')}  {verdict}")
    if results["failures"]:
        out.append("")
        out.append("ratchet failures (verbatim stderr):")
        for f in results["failures"]:
            out.append(f"  {f['where']}: exit {f['exit_code']}")
            out.extend("    " + line for line in f["stderr"].rstrip().splitlines())
    return "\n".join(out)


def targets(results: dict) -> list[dict]:
    found = []

    def add(name, value, ok):
        found.append({"name": name, "value": value, "pass": None if value is None else ok(value)})

    for r in results["migrate"]:
        if r["n"] == 1000:
            add(f"migrate wall A/C at N=1000 <= {TARGET_MIGRATE_RATIO}", r["median_ratio"]["wall A/C"],
                lambda v: v <= TARGET_MIGRATE_RATIO)
            add(f"migrate cpu A/C at N=1000 <= {TARGET_MIGRATE_CPU}", r["median_ratio"]["cpu A/C"],
                lambda v: v <= TARGET_MIGRATE_CPU)
    for r in results["verify"]:
        if r["applied"] == 1000:
            add(f"verify/floor with 1,000 applied <= {TARGET_VERIFY_RATIO}", r["median_ratio"]["verify/floor"],
                lambda v: v <= TARGET_VERIFY_RATIO)
        if r["applied"] == 10000:
            add(f"verify ms with 10,000 applied < {TARGET_VERIFY_ABS_MS:g}", r["median_wall_ms"]["verify"],
                lambda v: v < TARGET_VERIFY_ABS_MS)
    return found


# ---------------------------------------------------------------------------------------------
# Setup


def parse_args(argv: list[str] | None = None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--n", type=int, nargs="+", help="migration counts to time (default 100 1000)")
    p.add_argument("--rounds-small", type=int, help="timed rounds for N < 1000 (default 5)")
    p.add_argument("--rounds-large", type=int, help="timed rounds for N >= 1000 (default 3)")
    p.add_argument("--verify-sizes", type=int, nargs="*",
                   help="applied counts for the status/verify floor (default 1000 10000; none to skip)")
    p.add_argument("--verify-rounds", type=int, help="timed rounds for status/verify (default 15)")
    p.add_argument("--warmup", type=int, help="untimed warm-up rounds before each measurement (default 1)")
    p.add_argument("--seed", type=int, default=20240521, help="seed for the generated migrations")
    p.add_argument("--url", help="use this existing PostgreSQL server (a URL to a database that may "
                                 "CREATE DATABASE) instead of starting a throwaway cluster")
    p.add_argument("--ratchet", type=Path, default=REPO / "target" / "release" / "ratchet",
                   help="ratchet binary")
    p.add_argument("--psql", default=None, help="psql binary (default: next to initdb, else PATH)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: N=20, 2 rounds, verify size 200, 5 verify rounds")
    p.add_argument("--out", type=Path, default=BENCH_DIR / "out", help="where results-<timestamp>.json goes")
    p.add_argument("--keep", action="store_true", help="keep the generated files (printed at the end)")
    args = p.parse_args(argv)
    quick = args.quick
    defaults = {
        "n": [20] if quick else [100, 1000],
        "rounds_small": 2 if quick else 5,
        "rounds_large": 2 if quick else 3,
        "verify_sizes": [200] if quick else [1000, 10000],
        "verify_rounds": 5 if quick else 15,
        "warmup": 1,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for key in ("rounds_small", "rounds_large", "verify_rounds"):
        if getattr(args, key) < 1:
            p.error(f"--{key.replace('_', '-')} must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exit_cleanly_on_signals()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    workdir = Path(tempfile.mkdtemp(prefix="ratchet-bench-"))
    cluster: Cluster | None = None
    server: Server | None = None
    psql = find_psql(args.psql)
    results: dict = {
        "timestamp": stamp,
        "command": [sys.executable, *sys.argv],
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "migrate": [],
        "verify": [],
        "failures": [],
        "targets": [],
    }
    try:
        ratchet, results["ratchet"] = prepare_ratchet(args.ratchet.resolve(), workdir)
        if args.url:
            base_url = args.url
        else:
            cluster = Cluster(log=log)
            cluster.start()
            base_url = cluster.url
        server = Server(base_url, psql, workdir)
        results["environment"] = environment(server, psql, external=bool(args.url))
        settings = results["environment"]["server_settings"]
        log(f"ratchet: {results['ratchet']['version']} ({args.ratchet}, sha256 {results['ratchet']['sha256'][:12]})")
        log(f"server: PostgreSQL {results['environment']['server_version']}; {settings}")
        bench = Bench(args, server, ratchet, psql, workdir)
        results["failures"] = bench.failures
        for n in args.n:
            rounds = args.rounds_small if n < 1000 else args.rounds_large
            results["migrate"].append(bench.migrate(n, rounds))
        for k in args.verify_sizes:
            results["verify"].append(bench.verify(k, args.verify_rounds))
        results["environment"]["loadavg_end"] = os.getloadavg()
    finally:
        # No Ctrl-C in the middle of cleaning up; a second one would leave a server running.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if server is not None:
                server.drop_all()
            if cluster is not None:
                cluster.stop()
            if args.keep:
                log(f"generated files kept in {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        finally:
            signal.signal(signal.SIGINT, previous)

    results["targets"] = targets(results)
    print()
    print(table(results))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"results-{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults: {path}")
    return 1 if results["failures"] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; the cluster and temp files were cleaned up", file=sys.stderr)
        sys.exit(130)
