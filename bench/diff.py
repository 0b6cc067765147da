#!/usr/bin/env python3
"""ratchet diff live live against pg_dump --schema-only on a large schema (issue 3).

A database is loaded with a deterministic generated schema: 2,000 tables in five schemas, ~10
typed columns each with defaults, NOT NULL, CHECK and UNIQUE, ~3 indexes per table (plain,
unique, partial, expression, multi-column, GIN), ~2,000 foreign keys, and views, materialized
views, enums, sequences, functions and triggers. The counts are checked with catalog queries.
Then, interleaved A B A B ... after a warm-up:

  A  ratchet --database-url URL --quiet diff live live      (stdout to /dev/null, exit 0)
  B  pg_dump --schema-only -d URL -f /dev/null              (the real binary next to initdb)

Reported: median wall time and client CPU time (user+sys, getrusage(RUSAGE_CHILDREN) deltas)
of each, the median of the per-round paired ratios B/A, and the targets: A's median under
1 s, and B/A at least 5.

See bench/README.md. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.dont_write_bytecode = True  # keep bench/ free of __pycache__

from gen import NOUNS  # noqa: E402
from harness import (  # noqa: E402
    ENV, Sample, Server, environment, exit_cleanly_on_signals, find_client, fmt, log, median, ms,
    output, paired, prepare_ratchet, timed,
)
from pgcluster import Cluster  # noqa: E402

TARGET_A_MS = 1000.0  # ratchet diff live live, median wall
TARGET_RATIO = 5.0    # pg_dump / ratchet, median of the paired wall ratios

SCHEMAS = ("app", "billing", "catalog", "crm", "ops")

# A table's optional columns: (name, type and column constraints, CHECK constraints, UNIQUE
# constraints, index candidates as (name suffix, definition after ON <table>, unique)).
# `{enum}`, `{label0}`, `{label1}` and `{seq}` are filled in per table.
EXTRAS = (
    ("amount", "numeric(12, 2) NOT NULL DEFAULT 0 CHECK (amount >= 0)", 1, 0,
     [("tenant_amount_idx", "(tenant_id, amount DESC)", False)]),
    ("quantity", "integer NOT NULL DEFAULT 1 CHECK (quantity > 0)", 1, 0, []),
    ("is_active", "boolean NOT NULL DEFAULT true", 0, 0,
     [("active_created_idx", "(created_at) WHERE is_active", False)]),
    ("payload", "jsonb NOT NULL DEFAULT '{{}}'::jsonb", 0, 0,
     [("payload_gin", "USING gin (payload jsonb_path_ops)", False),
      ("payload_kind_idx", "((payload ->> 'kind'))", False)]),
    ("tags", "text[] NOT NULL DEFAULT '{{}}'", 0, 0, [("tags_gin", "USING gin (tags)", False)]),
    ("email", "varchar(254) CHECK (email LIKE '%@%')", 1, 0,
     [("lower_email_key", "(tenant_id, lower(email::text))", True)]),
    ("score", "double precision CHECK (score BETWEEN 0 AND 1)", 1, 0,
     [("score_idx", "(score) WHERE score IS NOT NULL", False)]),
    ("external_id", "uuid UNIQUE", 0, 1, []),
    ("ref_no", "bigint NOT NULL DEFAULT nextval('{seq}'::regclass)", 0, 0,
     [("ref_no_key", "(ref_no)", True)]),
    ("note", "text", 0, 0, []),
    ("region", "char(2) NOT NULL DEFAULT 'EU' CHECK (region ~ '^[A-Z]{{2}}$')", 1, 0,
     [("region_tenant_idx", "(region, tenant_id)", False)]),
    ("status", "{enum} NOT NULL DEFAULT '{label0}'", 0, 0,
     [("open_idx", "(tenant_id, updated_at) WHERE status = '{label1}'", False)]),
    ("client_ip", "inet", 0, 0, []),
    ("retention", "interval NOT NULL DEFAULT '30 days'", 0, 0, []),
    ("version", "integer NOT NULL DEFAULT 0 CHECK (version >= 0)", 1, 0, []),
    ("title", "varchar(200) NOT NULL DEFAULT ''", 0, 0,
     [("lower_title_idx", "(lower(title::text))", False)]),
    ("valid_until", "date", 0, 0, [("valid_until_idx", "(valid_until) WHERE valid_until IS NOT NULL", False)]),
)

# Index candidates every table has (its columns are always there).
BASE_INDEXES = (
    ("tenant_created_idx", "(tenant_id, created_at DESC)", False),
    ("name_idx", "(name)", False),
    ("lower_name_key", "(tenant_id, lower(name))", True),
    ("recently_updated_idx", "(updated_at) WHERE updated_at > created_at", False),
)

ENUM_LABELS = ("new", "open", "pending", "approved", "rejected", "archived", "on_hold", "in_review")
FK_ACTIONS = ("", " ON DELETE CASCADE", " ON DELETE RESTRICT", " ON DELETE SET NULL")


# ---------------------------------------------------------------------------------------------
# The schema


@dataclass
class GenTable:
    schema: str
    name: str

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class Counts:
    """What the generator wrote, to compare with what the catalog holds afterwards."""
    schemas: int = 0
    tables: int = 0
    columns: int = 0
    indexes: int = 0           # CREATE INDEX on tables (not the ones backing a constraint)
    primary_keys: int = 0
    unique_constraints: int = 0
    check_constraints: int = 0
    foreign_keys: int = 0
    views: int = 0
    materialized_views: int = 0
    matview_indexes: int = 0
    enums: int = 0
    sequences: int = 0         # standalone, not identity
    functions: int = 0
    triggers: int = 0


@dataclass
class SchemaGen:
    """Writes the schema as one SQL script, in transactions of `chunk` tables (one transaction
    for everything would need more lock slots than a default server has: every table, index
    and sequence created holds one until commit)."""

    tables: int
    seed: int
    chunk: int = 100
    rng: random.Random = field(init=False)
    counts: Counts = field(default_factory=Counts)
    made: list[GenTable] = field(default_factory=list)
    enums: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)
    sequences: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def schema_of(self, i: int) -> str:
        return SCHEMAS[i * len(SCHEMAS) // self.tables]

    def preamble(self, schema: str, share: int) -> list[str]:
        """A schema, its enums and sequences (one of each per 20 and 25 of its tables), and its
        trigger function."""
        rng = self.rng
        out = [f"CREATE SCHEMA {schema};"]
        self.counts.schemas += 1
        self.enums[schema] = []
        for k in range(max(1, share // 20)):
            name = f"{schema}.{rng.choice(NOUNS)}_state_{k}"
            labels = tuple(rng.sample(ENUM_LABELS, k=rng.randint(3, 6)))
            out.append(f"CREATE TYPE {name} AS ENUM ({', '.join(repr(x) for x in labels)});")
            self.enums[schema].append((name, labels))
            self.counts.enums += 1
        self.sequences[schema] = []
        for k in range(max(1, share // 25)):
            name = f"{schema}.{rng.choice(NOUNS)}_number_seq_{k}"
            start = rng.choice((1, 1000, 100000))
            cache = rng.choice((1, 1, 20))
            out.append(f"CREATE SEQUENCE {name} AS bigint START WITH {start} INCREMENT BY 1 CACHE {cache};")
            self.sequences[schema].append(name)
            self.counts.sequences += 1
        out.append(f"""CREATE FUNCTION {schema}.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();  -- only on a real change; a no-op UPDATE keeps it
    END IF;
    RETURN NEW;
END;
$$;""")
        self.counts.functions += 1
        return out

    def table(self, i: int) -> list[str]:
        rng = self.rng
        c = self.counts
        schema = self.schema_of(i)
        t = GenTable(schema, f"{rng.choice(NOUNS)}_{i:04d}")
        q = t.qualified
        enum, labels = rng.choice(self.enums[schema])
        fill = {"enum": enum, "label0": labels[0], "label1": labels[1], "seq": rng.choice(self.sequences[schema])}

        cols = [
            "id bigint GENERATED BY DEFAULT AS IDENTITY",
            "tenant_id bigint NOT NULL",
            "code varchar(32) NOT NULL CHECK (code = upper(code))",
            "name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200)",
        ]
        c.check_constraints += 2
        candidates = list(BASE_INDEXES)
        for name, decl, checks, uniques, indexes in rng.sample(EXTRAS, k=rng.choice((2, 3, 3, 4))):
            cols.append(f"{name} {decl.format(**fill)}")
            c.check_constraints += checks
            c.unique_constraints += uniques
            candidates += [(s, d.format(**fill), u) for s, d, u in indexes]
        cols += [
            "created_at timestamptz NOT NULL DEFAULT now()",
            "updated_at timestamptz NOT NULL DEFAULT now()",
        ]
        constraints = [
            f"CONSTRAINT {t.name}_pkey PRIMARY KEY (id)",
            f"CONSTRAINT {t.name}_tenant_code_key UNIQUE (tenant_id, code)",
            f"CONSTRAINT {t.name}_dates_check CHECK (updated_at >= created_at)",
        ]
        c.primary_keys += 1
        c.unique_constraints += 1
        c.check_constraints += 1

        # Foreign keys to earlier tables, mostly in the same schema: about one per table.
        fk_indexes = []
        later = []
        nfk = rng.choices((0, 1, 2), weights=(15, 70, 15))[0] if self.made else 0
        same = [p for p in self.made if p.schema == schema]
        pool = same if same and rng.random() < 0.8 else self.made
        for p in rng.sample(pool, k=min(nfk, len(pool))):
            action = rng.choice(FK_ACTIONS)
            deferrable = " DEFERRABLE INITIALLY DEFERRED" if rng.random() < 0.05 else ""
            if rng.random() < 0.1:
                # Composite, to the parent's UNIQUE (tenant_id, code).
                col = f"{p.name}_code"
                cols.insert(-2, f"{col} varchar(32)")
                fk = (f"CONSTRAINT {t.name}_{col}_fkey FOREIGN KEY (tenant_id, {col}) "
                      f"REFERENCES {p.qualified} (tenant_id, code){deferrable}")
                key = f"(tenant_id, {col})"
            else:
                col = f"{p.name}_id"
                null = "" if action == " ON DELETE SET NULL" or rng.random() < 0.5 else " NOT NULL"
                cols.insert(-2, f"{col} bigint{null}")
                fk = (f"CONSTRAINT {t.name}_{col}_fkey FOREIGN KEY ({col}) "
                      f"REFERENCES {p.qualified} (id){action}{deferrable}")
                key = f"({col})"
            if rng.random() < 0.1:
                # Added afterwards as a dump or a careful migration would: NOT VALID.
                later.append(f"ALTER TABLE ONLY {q}\n    ADD {fk} NOT VALID;")
            else:
                constraints.append(fk)
            fk_indexes.append((f"{col}_idx", key, False))
            c.foreign_keys += 1
        if rng.random() < 0.03:
            cols.insert(-2, "parent_id bigint")
            constraints.append(f"CONSTRAINT {t.name}_parent_id_fkey FOREIGN KEY (parent_id) "
                               f"REFERENCES {q} (id) ON DELETE CASCADE")
            fk_indexes.append(("parent_id_idx", "(parent_id)", False))
            c.foreign_keys += 1
        c.columns += len(cols)

        out = [f"CREATE TABLE {q} (\n    " + ",\n    ".join(cols + constraints) + "\n);"]
        out += later

        # About three indexes: one per foreign key first (as most schemas do), then others.
        want = rng.choice((2, 3, 3, 4))
        chosen = fk_indexes[:want]
        chosen += rng.sample(candidates, k=min(len(candidates), want - len(chosen)))
        for suffix, definition, unique in chosen:
            out.append(f"CREATE {'UNIQUE ' if unique else ''}INDEX {t.name}_{suffix} ON {q} {definition};")
            c.indexes += 1

        if rng.random() < 0.25:
            out.append(f"CREATE TRIGGER {t.name}_touch BEFORE UPDATE ON {q}\n"
                       f"    FOR EACH ROW EXECUTE FUNCTION {schema}.touch_updated_at();")
            c.triggers += 1
        if i % 20 == 10:
            parent = next((p for p in reversed(self.made) if p.schema == schema), None)
            join = select = ""
            if parent is not None:
                select = ", p.name AS previous_name"
                join = f"\n    LEFT JOIN {parent.qualified} p ON p.tenant_id = x.tenant_id AND p.code = x.code"
            out.append(f"CREATE VIEW {q}_recent AS\n    SELECT x.id, x.tenant_id, x.code, x.name, x.created_at{select}\n"
                       f"    FROM {q} x{join}\n    WHERE x.created_at > now() - interval '7 days';")
            c.views += 1
        if i % 200 == 100:
            out.append(f"CREATE MATERIALIZED VIEW {q}_daily AS\n"
                       f"    SELECT tenant_id, (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n\n"
                       f"    FROM {q} GROUP BY 1, 2\n    WITH NO DATA;")
            out.append(f"CREATE UNIQUE INDEX {t.name}_daily_key ON {q}_daily (tenant_id, day);")
            c.materialized_views += 1
            c.matview_indexes += 1
        if i % 20 == 5:
            out.append(f"""CREATE FUNCTION {q}_count(p_tenant bigint) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT count(*) FROM {q} WHERE tenant_id = p_tenant $$;""")
            c.functions += 1
        if i % 40 == 15:
            out.append(f"""CREATE FUNCTION {q}_rename(p_id bigint, p_name text) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    n integer;
BEGIN
    UPDATE {q} SET name = p_name WHERE id = p_id;  -- the trigger, if any, sets updated_at
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n = 1;
END;
$$;""")
            c.functions += 1
        self.made.append(t)
        c.tables += 1
        return out

    def write(self, path: Path) -> Path:
        shares = {s: sum(1 for i in range(self.tables) if self.schema_of(i) == s) for s in SCHEMAS}
        parts = ["-- Generated by bench/diff.py: a large application schema.\n",
                 "SET client_min_messages = warning;\n",
                 "SET synchronous_commit = off;  -- loading is not what is measured\n"]
        done: set[str] = set()
        for i in range(self.tables):
            if i % self.chunk == 0:
                parts.append("\nBEGIN;\n")
            schema = self.schema_of(i)
            if schema not in done:
                done.add(schema)
                parts.append("\n" + "\n".join(self.preamble(schema, shares[schema])) + "\n")
            parts.append("\n" + "\n".join(self.table(i)) + "\n")
            if i % self.chunk == self.chunk - 1 or i == self.tables - 1:
                parts.append("\nCOMMIT;\n")
        path.write_text("".join(parts))
        return path


# What the catalog holds in the generated schemas; the keys are Counts' fields plus a few
# that only the catalog knows (all indexes, identity sequences).
CATALOG_COUNTS = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = ANY (%(schemas)s)),
rel AS (SELECT c.oid, c.relkind FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns)),
con AS (SELECT k.contype FROM pg_constraint k JOIN rel ON rel.oid = k.conrelid)
SELECT json_build_object(
  'schemas', (SELECT count(*) FROM ns),
  'tables', (SELECT count(*) FROM rel WHERE relkind = 'r'),
  'columns', (SELECT count(*) FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid AND rel.relkind = 'r'
              WHERE a.attnum > 0 AND NOT a.attisdropped),
  'indexes', (SELECT count(*) FROM pg_index x JOIN rel ON rel.oid = x.indrelid AND rel.relkind = 'r'
              WHERE NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid)),
  'indexes_all', (SELECT count(*) FROM pg_index x JOIN rel ON rel.oid = x.indrelid AND rel.relkind = 'r'),
  'primary_keys', (SELECT count(*) FROM con WHERE contype = 'p'),
  'unique_constraints', (SELECT count(*) FROM con WHERE contype = 'u'),
  'check_constraints', (SELECT count(*) FROM con WHERE contype = 'c'),
  'foreign_keys', (SELECT count(*) FROM con WHERE contype = 'f'),
  'views', (SELECT count(*) FROM rel WHERE relkind = 'v'),
  'materialized_views', (SELECT count(*) FROM rel WHERE relkind = 'm'),
  'matview_indexes', (SELECT count(*) FROM pg_index x JOIN rel ON rel.oid = x.indrelid AND rel.relkind = 'm'),
  'enums', (SELECT count(*) FROM pg_type t WHERE t.typtype = 'e' AND t.typnamespace IN (SELECT oid FROM ns)),
  'sequences', (SELECT count(*) FROM rel WHERE relkind = 'S' AND NOT EXISTS (SELECT FROM pg_depend d
                WHERE d.classid = 'pg_class'::regclass AND d.objid = rel.oid AND d.deptype = 'i')),
  'identity_sequences', (SELECT count(*) FROM rel WHERE relkind = 'S' AND EXISTS (SELECT FROM pg_depend d
                WHERE d.classid = 'pg_class'::regclass AND d.objid = rel.oid AND d.deptype = 'i')),
  'functions', (SELECT count(*) FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ns)),
  'triggers', (SELECT count(*) FROM pg_trigger g JOIN rel ON rel.oid = g.tgrelid WHERE NOT g.tgisinternal)
)
"""


def catalog_counts(server: Server, db: str) -> dict[str, int]:
    schemas = "ARRAY[" + ", ".join(f"'{s}'" for s in SCHEMAS) + "]::name[]"
    return json.loads(server.sql(CATALOG_COUNTS % {"schemas": schemas}, db=db))


# ---------------------------------------------------------------------------------------------
# Runs


def shell_line(cmd: list[str], display: dict[str, str]) -> str:
    return " ".join(shlex.quote(display.get(w, w)) for w in cmd)


def load(args, server: Server, psql: str, workdir: Path) -> tuple[str, dict]:
    """A new database with the generated schema, its catalogs vacuumed and analyzed as on a
    database that has been up for a while (autovacuum would have done them by now, and doing it
    here keeps autovacuum from starting in the middle of the timed runs)."""
    t0 = time.perf_counter()
    g = SchemaGen(args.tables, args.seed)
    script = g.write(workdir / "schema.sql")
    expected = vars(g.counts)
    log(f"generated {script} ({script.stat().st_size / 1048576:.1f} MiB) in {time.perf_counter() - t0:.1f} s")
    db = server.fresh()
    t0 = time.perf_counter()
    proc = subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script), "-d", server.url(db)],
                          env=ENV, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=workdir)
    if proc.returncode != 0:
        raise RuntimeError(f"loading the schema failed:\n{proc.stderr.strip()[-4000:]}")
    loaded = time.perf_counter() - t0
    # Only the catalogs: the generated tables are empty, and vacuuming their 12,000 relations
    # one by one takes longer than loading them.
    t0 = time.perf_counter()
    catalogs = server.sql("SELECT string_agg(format('%I.%I', schemaname, relname), ', ' ORDER BY relname) "
                          "FROM pg_stat_sys_tables WHERE schemaname = 'pg_catalog'", db=db)
    server.sql(f"VACUUM (ANALYZE) {catalogs}", db=db)
    if server.can_checkpoint:
        server.sql("CHECKPOINT")
    log(f"loaded into {db} in {loaded:.1f} s; VACUUM ANALYZE of the catalogs + CHECKPOINT in "
        f"{time.perf_counter() - t0:.1f} s")
    found = catalog_counts(server, db)
    mismatched = {k: (v, found.get(k)) for k, v in expected.items() if found.get(k) != v}
    if mismatched:
        raise RuntimeError(f"the catalog does not hold what was generated (generated, found): {mismatched}")
    log("catalog: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in found.items()))
    return db, {"generated": expected, "catalog": found, "script_bytes": script.stat().st_size,
                "load_s": round(loaded, 3)}


class RunFailed(Exception):
    pass


def measure(args, cmds: dict[str, list[str]], workdir: Path, failures: list[dict],
            lines: dict[str, str]) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {k: [] for k in cmds}
    log(f"\n{args.warmup} warm-up + {args.rounds} timed rounds, interleaved A B A B ...")
    for rnd in range(-args.warmup, args.rounds):
        row = []
        for name, cmd in cmds.items():
            s = timed(cmd, cwd=workdir)
            if s.rc != 0:
                failures.append({"where": f"{name}, {'warm-up' if rnd < 0 else f'round {rnd + 1}'}",
                                 "command": lines[name], "exit_code": s.rc, "stderr": s.stderr})
                log(f"!! {name} failed (exit {s.rc}): {lines[name]}\n{s.stderr.rstrip()}")
                raise RunFailed(name)
            if rnd >= 0:
                samples[name].append(s)
            row.append(f"{name} {s.wall * 1000:8.1f} ms (cpu {s.cpu * 1000:6.1f})")
        label = "warm-up" if rnd < 0 else f"round {rnd + 1}/{args.rounds}"
        log(f"  {label:>12}: " + "  ".join(row))
    return samples


def summarize(samples: dict[str, list[Sample]]) -> dict:
    wall = {k: [s.wall for s in v] for k, v in samples.items()}
    cpu = {k: [s.cpu for s in v] for k, v in samples.items()}
    ratio_wall = paired(wall["B"], wall["A"])
    ratio_cpu = paired(cpu["B"], cpu["A"])
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "median_wall_ms": {k: ms(median(v)) for k, v in wall.items()},
        "min_wall_ms": {k: ms(min(v)) if v else None for k, v in wall.items()},
        "max_wall_ms": {k: ms(max(v)) if v else None for k, v in wall.items()},
        "median_cpu_ms": {k: ms(median(v)) for k, v in cpu.items()},
        "paired_ratio_wall_B/A": ratio_wall,
        "paired_ratio_cpu_B/A": ratio_cpu,
        "median_ratio_wall_B/A": median(ratio_wall),
        "median_ratio_cpu_B/A": median(ratio_cpu),
    }


def targets(summary: dict) -> list[dict]:
    a = summary["median_wall_ms"]["A"]
    r = summary["median_ratio_wall_B/A"]
    return [
        {"name": f"A ratchet diff live live, median wall ms < {TARGET_A_MS:g}", "value": a,
         "pass": None if a is None else a < TARGET_A_MS},
        {"name": f"B/A pg_dump / ratchet, median paired wall ratio >= {TARGET_RATIO:g}", "value": r,
         "pass": None if r is None else r >= TARGET_RATIO},
    ]


def table(results: dict) -> str:
    out = []
    counts = results.get("schema", {}).get("catalog")
    if counts:
        out.append(f"schema ({results['args']['tables']:,} tables requested; counts from the catalog)")
        for k, v in counts.items():
            out.append(f"  {k.replace('_', ' '):<22} {v:>8,}")
        out.append("")
    s = results.get("summary")
    if s and s["wall_s"]["A"]:
        n = len(s["wall_s"]["A"])
        out.append(f"timings ({n} rounds after {results['args']['warmup']} warm-up; wall and client CPU in ms)")
        out.append(f"  {'':<26} {'median':>9} {'min':>9} {'max':>9} {'cpu':>9}")
        for k, label in (("A", "A ratchet diff live live"), ("B", "B pg_dump --schema-only")):
            out.append(f"  {label:<26} {fmt(s['median_wall_ms'][k], '9.1f')} {fmt(s['min_wall_ms'][k], '9.1f')} "
                       f"{fmt(s['max_wall_ms'][k], '9.1f')} {fmt(s['median_cpu_ms'][k], '9.1f')}")
        rw = s["paired_ratio_wall_B/A"]
        out.append(f"  B/A wall, median of the paired ratios: {fmt(s['median_ratio_wall_B/A'], '.2f')} "
                   f"(per round {min(rw):.2f} .. {max(rw):.2f})")
        out.append(f"  B/A client CPU, median of the paired ratios: {fmt(s['median_ratio_cpu_B/A'], '.2f')}")
        out.append("")
    if results["targets"]:
        out.append("targets")
        for t in results["targets"]:
            verdict = "n/a" if t["value"] is None else ("PASS" if t["pass"] else "FAIL")
            out.append(f"  {t['name']:<62} {fmt(t['value'], '8.2f')}  {verdict}")
    if results["failures"]:
        out.append("")
        out.append("failures (verbatim stderr):")
        for f in results["failures"]:
            out.append(f"  {f['where']}: exit {f['exit_code']}: {f['command']}")
            out.extend("    " + line for line in f["stderr"].rstrip().splitlines())
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str] | None = None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--tables", type=int, default=2000, help="tables to generate (a smaller number for a smoke run)")
    p.add_argument("--rounds", type=int, default=7, help="timed rounds of A B")
    p.add_argument("--warmup", type=int, default=1, help="untimed warm-up rounds")
    p.add_argument("--seed", type=int, default=3, help="seed for the generated schema")
    p.add_argument("--url", help="use this existing PostgreSQL server (a URL to a database that may "
                                 "CREATE DATABASE) instead of starting a throwaway cluster")
    p.add_argument("--ratchet", type=Path, default=REPO / "target" / "release" / "ratchet",
                   help="ratchet binary")
    p.add_argument("--psql", help="psql binary (default: next to initdb, else PATH)")
    p.add_argument("--pg-dump", help="pg_dump binary (default: next to initdb, else PATH); "
                                     "it must be at least the server's major version")
    p.add_argument("--out", type=Path, default=BENCH_DIR / "out", help="where diff-<timestamp>.json goes")
    p.add_argument("--keep", action="store_true",
                   help="keep the generated schema.sql and, with --url, the database (printed at the end)")
    args = p.parse_args(argv)
    if args.tables < 1:
        p.error("--tables must be at least 1")
    if args.rounds < 1:
        p.error("--rounds must be at least 1")
    if args.warmup < 0:
        p.error("--warmup must be at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exit_cleanly_on_signals()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    workdir = Path(tempfile.mkdtemp(prefix="ratchet-diffbench-"))
    psql = find_client("psql", args.psql)
    pg_dump = find_client("pg_dump", args.pg_dump)
    cluster: Cluster | None = None
    server: Server | None = None
    db: str | None = None
    results: dict = {
        "timestamp": stamp,
        "command": [sys.executable, *sys.argv],
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
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
        server = Server(base_url, psql, workdir, prefix="ratchet_diffbench")
        results["environment"] = env = environment(server, psql, external=bool(args.url))
        env["pg_dump"] = pg_dump
        env["pg_dump_version"] = output([pg_dump, "--version"])
        log(f"ratchet: {results['ratchet']['version']} ({args.ratchet}, sha256 {results['ratchet']['sha256'][:12]})")
        log(f"pg_dump: {env['pg_dump_version']} ({pg_dump})")
        log(f"server: PostgreSQL {env['server_version']}; {env['server_settings']}")

        db, results["schema"] = load(args, server, psql, workdir)
        url = server.url(db)
        cmds = {
            "A": [str(ratchet), "--database-url", url, "--quiet", "diff", "live", "live"],
            "B": [pg_dump, "--schema-only", "-d", url, "-f", "/dev/null"],
        }
        display = {str(ratchet): "target/release/ratchet" if args.ratchet.resolve() ==
                   (REPO / "target/release/ratchet").resolve() else str(args.ratchet)}
        lines = {k: shell_line(v, display) for k, v in cmds.items()}
        results["commands"] = lines
        log(f"\ncommands (cwd {workdir}, which holds no ratchet.toml; stdout to /dev/null):")
        for k, v in lines.items():
            log(f"  {k}  {v}")

        # Once, untimed: what each side prints, so the timed runs are known to do the work.
        check = subprocess.run([c for c in cmds["A"] if c != "--quiet"], cwd=workdir, env=ENV,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True)
        results["ratchet_output"] = {"exit_code": check.returncode, "stdout": check.stdout[-2000:],
                                     "stderr": check.stderr[-2000:]}
        log(f"\nratchet diff live live (without --quiet): exit {check.returncode}: "
            f"{(check.stdout.strip() or check.stderr.strip())[:300]}")
        dump = workdir / "dump.sql"
        dumped = subprocess.run(cmds["B"][:-1] + [str(dump)], cwd=workdir, env=ENV,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if dumped.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {dumped.stderr.strip()}")
        text = dump.read_text()
        results["pg_dump_output"] = {"bytes": len(text.encode()), "lines": text.count("\n")}
        log(f"pg_dump --schema-only writes {len(text.encode()) / 1048576:.1f} MiB, {text.count(chr(10)):,} lines")
        if not args.keep:
            dump.unlink()
        if check.returncode != 0:
            results["failures"].append({"where": "check run", "command": lines["A"],
                                        "exit_code": check.returncode, "stderr": check.stderr})
        else:
            try:
                samples = measure(args, cmds, workdir, results["failures"], lines)
                results["summary"] = summarize(samples)
            except RunFailed:
                pass
        env["loadavg_end"] = os.getloadavg()
    finally:
        # No Ctrl-C in the middle of cleaning up; a second one would leave a server running.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if server is not None:
                if args.keep and args.url and db is not None:
                    server.created.discard(db)
                    log(f"database kept: {server.url(db)}")
                server.drop_all()
            if cluster is not None:
                cluster.stop()
            if args.keep:
                log(f"generated files kept in {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        finally:
            signal.signal(signal.SIGINT, previous)

    if "summary" in results:
        results["targets"] = targets(results["summary"])
    print()
    print(table(results))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"diff-{stamp}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nresults: {path}")
    return 1 if results["failures"] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; the cluster and temp files were cleaned up", file=sys.stderr)
        sys.exit(130)
