#!/usr/bin/env python3
"""ratchet lint against squawk: which one lints migrations faster?

Two inputs, generated deterministically from the seed into a temp directory:

  small   1,000 small migration files NNNN_name.sql, a few statements each: CREATE TABLE,
          CREATE INDEX (CONCURRENTLY in files marked `-- ratchet:no-transaction`), ALTER TABLE
          ADD COLUMN, plpgsql functions with a `$$` body, INSERTs, ...
  big     one ~5 MB file of realistic DDL, like a squashed baseline or a schema dump: enums,
          tables with constraints, indexes of every kind, foreign keys, comments, functions,
          triggers, views

Both tools lint with JSON output, timed interleaved A B A B ... after a warm-up:

  A  ratchet lint --format json small/          ratchet lint --format json big/0001_....sql
  B  squawk --reporter json 'small/*.sql'       squawk --reporter json big/0001_....sql

squawk does not take a directory ("Failed to find files for provided patterns"), so it gets the
glob as one argument and expands it itself (no shell involved). Reported per input: median wall
time and client CPU time (user+sys, from getrusage(RUSAGE_CHILDREN) deltas) of each tool and
the medians of the per-round paired ratios squawk/ratchet, the speed-up (target: >= 2).

Exit status 0 or 1 of either tool is normal (1: findings); anything else, or a stdout that is
not JSON, is a failure. See bench/README.md. Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.dont_write_bytecode = True  # keep bench/ free of __pycache__

from harness import median, paired  # noqa: E402

TARGET_SPEEDUP = 2.0  # squawk wall / ratchet wall, both inputs


def log(msg: str = "") -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------------
# Inputs

NOUNS = (
    "account", "invoice", "order", "product", "customer", "shipment", "payment", "ticket",
    "session", "warehouse", "supplier", "coupon", "review", "address", "refund", "plan",
    "subscription", "device", "audit", "team", "employee", "contract", "vendor", "ledger",
    "booking", "message", "report", "project", "task", "asset",
)
STATUSES = ("draft", "active", "suspended", "closed")

# (name, type and constraints, a literal for INSERTs or None, indexable)
SMALL_EXTRA_COLUMNS = (
    ("note", "text", "'n/a'", False),
    ("priority", "smallint NOT NULL DEFAULT 0", "1", True),
    ("external_ref", "varchar(64)", "'EXT-1'", True),
    ("is_archived", "boolean NOT NULL DEFAULT false", "false", True),
    ("score", "double precision", "0.5", False),
    ("tags", "text[] NOT NULL DEFAULT '{}'", "'{a,b}'", False),
    ("payload", "jsonb NOT NULL DEFAULT '{}'::jsonb", "'{\"k\": 1}'", False),
    ("valid_until", "date", "'2030-01-01'", True),
    ("retries", "integer NOT NULL DEFAULT 0 CHECK (retries >= 0)", "0", False),
    ("region", "char(2)", "'EU'", True),
    ("updated_at", "timestamptz", "now()", True),
)


@dataclass
class SmallTable:
    name: str
    columns: list[str] = field(default_factory=lambda: ["name", "email", "status", "amount"])
    added: list[str] = field(default_factory=list)


class SmallGen:
    """1,000 files of what a real project's history looks like. Every statement refers only to
    objects created by earlier files, so the set applies in order to an empty database."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tables: list[SmallTable] = []
        self.enums: list[tuple[str, list[str]]] = []
        self.rows = 0

    def create_table(self, v: int) -> tuple[str, list[str], bool]:
        rng = self.rng
        noun = rng.choice(NOUNS)
        name = f"{noun}_{v}"
        parent = rng.choice(self.tables) if self.tables and rng.random() < 0.6 else None
        ine = "IF NOT EXISTS " if rng.random() < 0.3 else ""
        cols = [
            "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            "    name text NOT NULL",
            "    email text UNIQUE",
            f"    status text NOT NULL DEFAULT 'draft' CHECK (status IN ({', '.join(repr(s) for s in STATUSES)}))",
            "    amount numeric(12, 2) NOT NULL DEFAULT 0 CHECK (amount >= 0)",
            "    created_at timestamptz NOT NULL DEFAULT now()",
        ]
        if parent is not None:
            cols.append(f"    parent_id bigint REFERENCES {parent.name} (id) ON DELETE CASCADE")
        stmts = [f"CREATE TABLE {ine}{name} (\n" + ",\n".join(cols) + "\n);"]
        col = "parent_id" if parent is not None else rng.choice(("created_at", "status", "name"))
        stmts.append(f"CREATE INDEX {ine}{name}_{col}_idx ON {name} ({col});")
        if rng.random() < 0.4:
            stmts.append(f"CREATE INDEX {name}_active_idx ON {name} (created_at DESC) WHERE status = 'active';")
        stmts.append(f"COMMENT ON TABLE {name} IS 'One row per {noun}; created by migration {v}.';")
        self.tables.append(SmallTable(name))
        return f"create_{noun}", stmts, False

    def add_column(self, v: int) -> tuple[str, list[str], bool]:
        rng = self.rng
        table = rng.choice(self.tables)
        free = [c for c in SMALL_EXTRA_COLUMNS if c[0] not in table.added]
        if not free:
            return self.create_table(v)
        picks = rng.sample(free, k=min(len(free), rng.choice((1, 1, 2))))
        stmts = []
        for col, ty, _, _ in picks:
            stmts.append(f"ALTER TABLE {table.name} ADD COLUMN {col} {ty};")
            table.added.append(col)
        col = picks[0][0]
        stmts.append(f"COMMENT ON COLUMN {table.name}.{col} IS 'Added in {v}; see ticket OPS-{v * 7 % 1000}.';")
        return f"add_{col}_to_{table.name}", stmts, False

    def concurrent_index(self, v: int) -> tuple[str, list[str], bool]:
        rng = self.rng
        table = rng.choice(self.tables)
        cols = ["status", "created_at", "name"] + [c[0] for c in SMALL_EXTRA_COLUMNS if c[0] in table.added and c[3]]
        stmts = []
        for col in rng.sample(cols, k=rng.choice((1, 1, 2))):
            unique = "UNIQUE " if col == "name" and rng.random() < 0.3 else ""
            where = " WHERE status <> 'closed'" if rng.random() < 0.3 else ""
            stmts.append(
                f"CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {table.name}_{col}_{v}_idx "
                f"ON {table.name} ({col}){where};"
            )
        if rng.random() < 0.2:
            stmts.append(f"DROP INDEX CONCURRENTLY IF EXISTS {table.name}_status_{v - 1}_idx;")
        return f"index_{table.name}_concurrently", stmts, True

    def function(self, v: int) -> tuple[str, list[str], bool]:
        rng = self.rng
        table = rng.choice(self.tables)
        fn = f"count_{table.name}_{v}"
        threshold = rng.randint(2, 50)
        stmts = [
            f"""CREATE OR REPLACE FUNCTION {fn}(p_status text DEFAULT 'active')
RETURNS integer
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    n integer := 0;
    label text := 'count; by status';  -- a semicolon in a string in the body
BEGIN
    SELECT count(*) INTO n FROM {table.name} WHERE status = p_status;
    IF n > {threshold} THEN
        RAISE NOTICE '%: % rows; more than {threshold}', label, n;
        RETURN n - {threshold};
    END IF;
    RETURN n;
END;
$$;""",
            f"COMMENT ON FUNCTION {fn}(text) IS 'Counts {table.name} rows by status.';",
        ]
        if rng.random() < 0.3:
            stmts.append(f"REVOKE ALL ON FUNCTION {fn}(text) FROM PUBLIC;")
        return f"add_function_{fn}", stmts, False

    def trigger(self, v: int) -> tuple[str, list[str], bool]:
        table = self.rng.choice(self.tables)
        if "updated_at" not in table.added:
            return self.add_column(v)
        fn = f"touch_{table.name}"
        stmts = [
            f"""CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;""",
            f"CREATE TRIGGER {fn}_{v} BEFORE UPDATE ON {table.name}\n"
            f"    FOR EACH ROW EXECUTE FUNCTION {fn}();",
        ]
        return f"touch_{table.name}_trigger", stmts, False

    def insert_rows(self, v: int) -> tuple[str, list[str], bool]:
        rng = self.rng
        table = rng.choice(self.tables)
        extra = [c for c in SMALL_EXTRA_COLUMNS if c[0] in table.added and rng.random() < 0.5]
        names = table.columns + [c[0] for c in extra]
        values = []
        for _ in range(rng.randint(2, 6)):
            self.rows += 1
            lits = [
                f"'{rng.choice(NOUNS)} {self.rows}'", f"'user{self.rows}@example.com'",
                f"'{rng.choice(STATUSES)}'", f"{rng.randint(0, 99999) / 100:.2f}",
            ] + [c[2] for c in extra]
            values.append("    (" + ", ".join(lits) + ")")
        stmts = [f"INSERT INTO {table.name} ({', '.join(names)}) VALUES\n" + ",\n".join(values) + ";"]
        if rng.random() < 0.4:
            stmts.append(f"UPDATE {table.name} SET status = 'active' WHERE status = 'draft' AND amount > 500;")
        return f"seed_{table.name}", stmts, False

    def enum(self, v: int) -> tuple[str, list[str], bool]:
        rng = self.rng
        name = f"{rng.choice(NOUNS)}_kind_{v}"
        labels = rng.sample(("basic", "pro", "enterprise", "trial", "legacy", "internal"), k=3)
        table = rng.choice(self.tables)
        stmts = [
            f"CREATE TYPE {name} AS ENUM ({', '.join(repr(x) for x in labels)});",
            f"ALTER TABLE {table.name} ADD COLUMN kind_{v} {name};",
        ]
        self.enums.append((name, labels))
        return f"add_{name}", stmts, False

    def foreign_key(self, v: int) -> tuple[str, list[str], bool]:
        rng = self.rng
        if len(self.tables) < 2:
            return self.create_table(v)
        child, parent = rng.sample(self.tables, k=2)
        col = f"{parent.name}_id"
        stmts = [
            f"ALTER TABLE {child.name} ADD COLUMN IF NOT EXISTS {col} bigint;",
            f"ALTER TABLE {child.name} ADD CONSTRAINT {child.name}_fkey_{v}\n"
            f"    FOREIGN KEY ({col}) REFERENCES {parent.name} (id) NOT VALID;",
            f"ALTER TABLE {child.name} VALIDATE CONSTRAINT {child.name}_fkey_{v};",
        ]
        return f"link_{child.name}_{parent.name}", stmts, False

    KINDS = (
        ("create_table", 26), ("add_column", 18), ("concurrent_index", 12), ("function", 10),
        ("trigger", 4), ("insert_rows", 18), ("enum", 4), ("foreign_key", 8),
    )

    def migration(self, v: int) -> tuple[str, str]:
        if len(self.tables) < 3:
            slug, stmts, no_tx = self.create_table(v)
        else:
            kind = self.rng.choices([k for k, _ in self.KINDS], weights=[w for _, w in self.KINDS])[0]
            slug, stmts, no_tx = getattr(self, kind)(v)
        header = f"-- Migration {v}: {slug.replace('_', ' ')}.\n"
        if no_tx:
            header += "-- ratchet:no-transaction\n"
        return slug[:60].rstrip("_"), header + "\n" + "\n\n".join(stmts) + "\n"


def gen_small(directory: Path, n: int, seed: int) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    g = SmallGen(seed)
    files = []
    width = max(4, len(str(n)))
    for v in range(1, n + 1):
        slug, text = g.migration(v)
        path = directory / f"{v:0{width}d}_{slug}.sql"
        path.write_text(text)
        files.append(path)
    return files


BIG_TYPES = (
    ("bigint", "0"), ("integer", "0"), ("smallint", "0"), ("text", "''"), ("varchar(120)", "''"),
    ("varchar(32)", "'none'"), ("numeric(14, 4)", "0"), ("boolean", "false"),
    ("timestamptz", "now()"), ("date", "CURRENT_DATE"), ("jsonb", "'{}'::jsonb"),
    ("uuid", "gen_random_uuid()"), ("text[]", "'{}'"), ("inet", None), ("interval", "'1 day'"),
    ("double precision", "0"), ("bytea", None),
)
ADJ = ("primary", "billing", "shipping", "legal", "display", "internal", "public", "last",
       "first", "default", "external", "parent", "source", "target", "max", "min")
FIELD = ("name", "code", "label", "amount", "count", "total", "ref", "flag", "note", "value",
         "state", "kind", "score", "rate", "limit", "region", "owner", "version")


class BigGen:
    """One large transactional file: a squashed baseline / schema dump of a big application."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tables: list[tuple[str, list[tuple[str, str]]]] = []
        self.enums: list[str] = []
        self.schema = "app"
        self.n = 0

    def column(self, used: set[str]) -> tuple[str, str]:
        rng = self.rng
        while True:
            name = f"{rng.choice(ADJ)}_{rng.choice(FIELD)}"
            if name not in used:
                used.add(name)
                break
        if self.enums and rng.random() < 0.08:
            ty, default = rng.choice(self.enums), None
        else:
            ty, default = rng.choice(BIG_TYPES)
        decl = f"{name} {ty}"
        r = rng.random()
        if default is not None and r < 0.35:
            decl += f" NOT NULL DEFAULT {default}"
        elif r < 0.5:
            decl += " NOT NULL"
        if ty in ("integer", "bigint", "numeric(14, 4)") and rng.random() < 0.2:
            decl += f" CHECK ({name} >= 0)"
        return name, decl

    def block(self) -> list[str]:
        rng = self.rng
        self.n += 1
        n = self.n
        out: list[str] = []
        if n % 400 == 1:
            self.schema = f"app{n // 400}" if n > 1 else "app"
            out.append(f"CREATE SCHEMA IF NOT EXISTS {self.schema};")
        s = self.schema
        if n % 12 == 1:
            e = f"{s}.{rng.choice(NOUNS)}_state_{n}"
            labels = rng.sample(("new", "open", "pending", "approved", "rejected", "archived",
                                 "deleted", "on_hold", "in_review"), k=rng.randint(3, 6))
            out.append(f"CREATE TYPE {e} AS ENUM (\n    " + ",\n    ".join(repr(x) for x in labels) + "\n);")
            self.enums.append(e)
        noun = rng.choice(NOUNS)
        t = f"{s}.{noun}_{n}"
        used = {"id", "created_at", "updated_at", "tenant_id"}
        cols = [self.column(used) for _ in range(rng.randint(5, 16))]
        lines = [
            "    id bigint GENERATED BY DEFAULT AS IDENTITY",
            "    tenant_id bigint NOT NULL",
        ] + [f"    {d}" for _, d in cols] + [
            "    created_at timestamptz NOT NULL DEFAULT now()",
            "    updated_at timestamptz NOT NULL DEFAULT now()",
            f"    CONSTRAINT {noun}_{n}_pkey PRIMARY KEY (id)",
        ]
        if rng.random() < 0.4:
            a, b = rng.sample([c for c, _ in cols], k=2) if len(cols) >= 2 else (cols[0][0], "tenant_id")
            lines.append(f"    CONSTRAINT {noun}_{n}_{a}_{b}_key UNIQUE (tenant_id, {a}, {b})")
        if rng.random() < 0.2:
            lines.append(f"    CONSTRAINT {noun}_{n}_dates_check CHECK (updated_at >= created_at)")
        out.append(f"CREATE TABLE {t} (\n" + ",\n".join(lines) + "\n);")
        out.append(f"COMMENT ON TABLE {t} IS 'One row per {noun} of a tenant (module {s}, #{n}). "
                   f"Owned by the {rng.choice(NOUNS)} team; see the runbook before changing it.';")
        for c, _ in rng.sample(cols, k=min(len(cols), rng.randint(0, 3))):
            out.append(f"COMMENT ON COLUMN {t}.{c} IS 'The {c.replace('_', ' ')} of the {noun}; "
                       f"it''s set by the API, never by hand.';")
        # indexes
        out.append(f"CREATE INDEX {noun}_{n}_tenant_created_idx ON {t} USING btree (tenant_id, created_at DESC);")
        for c, d in rng.sample(cols, k=min(len(cols), rng.randint(1, 3))):
            ty = d.split()[1]
            if ty == "jsonb":
                out.append(f"CREATE INDEX {noun}_{n}_{c}_gin ON {t} USING gin ({c} jsonb_path_ops);")
            elif ty == "text[]":
                out.append(f"CREATE INDEX {noun}_{n}_{c}_gin ON {t} USING gin ({c});")
            elif ty in ("text", "varchar(120)", "varchar(32)"):
                out.append(f"CREATE INDEX {noun}_{n}_lower_{c}_idx ON {t} USING btree (lower({c}::text));")
            elif ty == "boolean":
                out.append(f"CREATE INDEX {noun}_{n}_{c}_true_idx ON {t} (tenant_id) WHERE {c};")
            elif ty in ("bytea", "inet", "interval", "double precision"):
                out.append(f"CREATE INDEX {noun}_{n}_{c}_idx ON {t} ({c}) WHERE {c} IS NOT NULL;")
            else:
                inc = f" INCLUDE (id)" if rng.random() < 0.3 else ""
                uq = "UNIQUE " if rng.random() < 0.15 else ""
                where = f" WHERE {c} IS NOT NULL" if uq else ""
                out.append(f"CREATE {uq}INDEX {noun}_{n}_{c}_idx ON {t} ({'tenant_id, ' if uq else ''}{c}){inc}{where};")
        # foreign keys to earlier tables, dump style
        if self.tables and rng.random() < 0.7:
            for pt, _ in rng.sample(self.tables[-300:], k=min(len(self.tables), rng.randint(1, 2))):
                short = pt.split(".")[1]
                col = f"{short}_id"
                out.append(f"ALTER TABLE {t} ADD COLUMN {col} bigint;")
                action = rng.choice(("ON DELETE CASCADE", "ON DELETE SET NULL", "ON DELETE RESTRICT", ""))
                out.append(
                    f"ALTER TABLE ONLY {t}\n    ADD CONSTRAINT {noun}_{n}_{col}_fkey FOREIGN KEY ({col}) "
                    f"REFERENCES {pt}(id){(' ' + action) if action else ''};"
                )
                out.append(f"CREATE INDEX {noun}_{n}_{col}_idx ON {t} ({col});")
        # trigger + function
        if rng.random() < 0.3:
            fn = f"{s}.{noun}_{n}_touch"
            out.append(f"""CREATE FUNCTION {fn}() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();  -- keep it monotonic; see incident 42
    END IF;
    RETURN NEW;
END;
$$;""")
            out.append(f"CREATE TRIGGER {noun}_{n}_touch BEFORE UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {fn}();")
        if rng.random() < 0.15:
            fn = f"{s}.{noun}_{n}_stats"
            out.append(f"""CREATE OR REPLACE FUNCTION {fn}(p_tenant bigint, p_since timestamptz DEFAULT now() - interval '30 days')
RETURNS TABLE (day date, n bigint)
LANGUAGE sql STABLE
AS $$
    SELECT created_at::date AS day, count(*) AS n
    FROM {t}
    WHERE tenant_id = p_tenant AND created_at >= p_since
    GROUP BY 1
    ORDER BY 1;
$$;""")
        if self.tables and rng.random() < 0.12:
            pt, pcols = rng.choice(self.tables)
            pc = rng.choice(pcols) if pcols else "id"
            out.append(
                f"CREATE VIEW {t}_recent AS\n    SELECT x.id, x.tenant_id, x.created_at, p.{pc} AS parent_{pc}\n"
                f"    FROM {t} x\n    LEFT JOIN {pt} p ON p.id = x.id AND p.tenant_id = x.tenant_id\n"
                f"    WHERE x.created_at > now() - interval '7 days';"
            )
        if rng.random() < 0.2:
            extra_used = set(used)
            c, d = self.column(extra_used)
            if " NOT NULL" in d and " DEFAULT " not in d:
                d = d.replace(" NOT NULL", "")
            out.append(f"ALTER TABLE {t} ADD COLUMN {d};")
        if rng.random() < 0.1:
            out.append(f"INSERT INTO {t} (tenant_id) VALUES (1), (2), (3);" if all(
                " NOT NULL" not in d or " DEFAULT " in d for _, d in cols) else f"ANALYZE {t};")
        self.tables.append((t, [c for c, _ in cols]))
        return out


def gen_big(path: Path, target_bytes: int, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    g = BigGen(seed)
    parts = ["-- Baseline schema: every table of the application as of the squash.\n"
             "-- Generated by bench/lint.py.\n\n"]
    size = len(parts[0])
    while size < target_bytes:
        chunk = "\n\n".join(g.block()) + "\n\n"
        parts.append(chunk)
        size += len(chunk.encode())
    path.write_text("".join(parts))
    return path


def digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Tools


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def find_squawk(given: str | None) -> tuple[Path | None, str]:
    """The squawk binary. npm's `squawk` is a Node script that spawns the platform package's
    native binary; time the native binary itself, or Node's start-up is billed to squawk."""
    cand = given or os.environ.get("SQUAWK") or shutil.which("squawk")
    if not cand:
        return None, "not found (give --squawk PATH or set $SQUAWK)"
    p = Path(cand).resolve()
    with open(p, "rb") as f:
        head = f.read(64)
    if head.startswith(b"\x7fELF") or head.startswith(b"\xcf\xfa\xed\xfe"):
        return p, ""
    if b"node" in head:
        machine = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
            platform.machine().lower(), platform.machine().lower())
        plat = f"{sys.platform}-{machine}"
        # .../node_modules/squawk-cli/js/bin/squawk
        pkg = p.parents[2]
        for nm in (pkg / "node_modules", pkg.parent):
            native = nm / "@squawk-cli" / plat / "bin" / "squawk"
            if native.exists():
                return native.resolve(), f"using the native binary behind npm's Node wrapper {p}"
        return p, "warning: npm's Node wrapper, native binary not found: Node start-up is included"
    return p, "warning: not an ELF binary (a wrapper script?): its start-up is included"


def version_of(exe: Path) -> str:
    try:
        r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=30)
        return (r.stdout.strip() or r.stderr.strip()).splitlines()[0] if (r.stdout or r.stderr) else "?"
    except Exception as e:  # noqa: BLE001
        return f"? ({e})"


def client_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RATCHET_", "SQUAWK_", "RUST_LOG", "RUST_BACKTRACE"))}
    env.setdefault("LC_ALL", "C.UTF-8")
    env["NO_COLOR"] = "1"
    return env


ENV = client_env()


@dataclass
class Sample:
    wall: float
    cpu: float
    rc: int
    out_bytes: int
    findings: int | None
    error: str | None


def count_findings(doc) -> int | None:
    """Findings in a JSON document: a top-level list, or the first list-valued key among the
    usual names (ratchet's exact shape was not settled when this was written)."""
    if isinstance(doc, list):
        return len(doc)
    if isinstance(doc, dict):
        for k in ("diagnostics", "findings", "violations", "results", "problems", "files"):
            v = doc.get(k)
            if isinstance(v, list):
                if k == "files":
                    return sum(len(f.get("diagnostics", f.get("findings", [])))
                               for f in v if isinstance(f, dict))
                return len(v)
    return None


def rule_of(item) -> str | None:
    if isinstance(item, dict):
        for k in ("rule", "rule_id", "rule_name", "code", "id"):
            if isinstance(item.get(k), str):
                return item[k]
    return None


def rules_histogram(doc) -> dict[str, int]:
    items = doc if isinstance(doc, list) else next(
        (doc[k] for k in ("diagnostics", "findings", "violations", "results", "problems")
         if isinstance(doc, dict) and isinstance(doc.get(k), list)), [])
    c = Counter(rule_of(i) or "?" for i in items)
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def run_timed(cmd: list[str], cwd: Path, out: Path, err: Path) -> tuple[Sample, object]:
    """One blocking run: wall time, the child's CPU time (RUSAGE_CHILDREN delta: only waited-for
    children count, so it is exactly this child and its own children). No peak RSS: on Linux
    a child's ru_maxrss includes the RSS of this Python process it was forked from.
    stdout goes to a file, so no pipe-reading by this process overlaps the measurement."""
    with open(out, "wb") as fo, open(err, "wb") as fe:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe)
        _, status, _ = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    p.returncode = rc = os.waitstatus_to_exitcode(status)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    data = out.read_bytes()
    error, doc, findings = None, None, None
    if rc not in (0, 1):
        error = f"exit status {rc}"
    try:
        doc = json.loads(data)
        findings = count_findings(doc)
    except ValueError as e:
        error = (error + "; " if error else "") + f"stdout is not JSON ({e}; {len(data)} bytes)"
    if error:
        tail = err.read_text(errors="replace").strip()
        if tail:
            error += ": " + tail[-2000:]
    return Sample(t1 - t0, cpu, rc, len(data), findings, error), doc


# ---------------------------------------------------------------------------------------------
# Statistics and output


def fmt_ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1000:,.1f}"


def fmt_x(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def shell_line(cmd: list[str], cwd: Path, display: dict[str, str]) -> str:
    """The command as one could paste it into a shell from `cwd` (display names for the tool
    binaries; the squawk glob quoted so the shell leaves it to squawk)."""
    words = [display.get(w, w) for w in cmd]
    return f"(cd {shlex.quote(str(cwd))} && {' '.join(shlex.quote(w) for w in words)})"


# ---------------------------------------------------------------------------------------------
# Main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ratchet", default=str(REPO / "target" / "release" / "ratchet"),
                    help="ratchet binary [default: target/release/ratchet]")
    ap.add_argument("--squawk", help="squawk binary [default: $SQUAWK, then squawk on PATH; "
                                     "npm's Node wrapper is resolved to its native binary]")
    ap.add_argument("--rounds", type=int, help="timed rounds per input [default: 7; --quick: 2]")
    ap.add_argument("--warmup", type=int, default=1, help="untimed warm-up rounds [default: 1]")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 100 files, a 0.5 MB file, 2 rounds (not for reporting)")
    ap.add_argument("--files", type=int, help="number of small files [default: 1000]")
    ap.add_argument("--size-mb", type=float, help="size of the big file in MiB [default: 5]")
    ap.add_argument("--seed", type=int, default=4, help="generator seed [default: 4]")
    ap.add_argument("--only", choices=("both", "ratchet", "squawk"), default="both",
                    help="time only one tool (no ratios) [default: both]")
    ap.add_argument("--squawk-args", default="",
                    help="extra squawk arguments, shell-split, e.g. '--assume-in-transaction'")
    ap.add_argument("--ratchet-args", default="", help="extra ratchet lint arguments, shell-split")
    ap.add_argument("--squawk-file-list", action="store_true",
                    help="pass squawk the 1,000 paths as arguments instead of the glob")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory")
    ap.add_argument("--out", default=str(BENCH_DIR / "out"), help="where the JSON goes")
    args = ap.parse_args()

    rounds = args.rounds if args.rounds is not None else (2 if args.quick else 7)
    n_files = args.files if args.files is not None else (100 if args.quick else 1000)
    size_mb = args.size_mb if args.size_mb is not None else (0.5 if args.quick else 5.0)
    tools = ("ratchet", "squawk") if args.only == "both" else (args.only,)

    work = Path(tempfile.mkdtemp(prefix="ratchet-lint-bench-"))
    status = 0
    try:
        # -- tools ------------------------------------------------------------------------
        bins: dict[str, Path] = {}
        info: dict[str, dict] = {}
        display: dict[str, str] = {}
        if "ratchet" in tools:
            src = Path(args.ratchet).resolve()
            if not src.exists():
                log(f"error: ratchet binary not found at {src} (cargo build --release -p ratchet-cli)")
                return 2
            dst = work / "bin" / "ratchet"
            dst.parent.mkdir(parents=True)
            shutil.copy2(src, dst)  # a rebuild during the run does not change what is measured
            bins["ratchet"] = dst
            info["ratchet"] = {"path": str(src), "sha256": sha256(dst), "version": version_of(dst)}
            display[str(dst)] = "target/release/ratchet" if src == (REPO / "target/release/ratchet").resolve() else str(src)
        if "squawk" in tools:
            sq, note = find_squawk(args.squawk)
            if sq is None:
                log(f"error: squawk {note}")
                return 2
            if note:
                log(f"squawk: {note}")
            bins["squawk"] = sq
            info["squawk"] = {"path": str(sq), "sha256": sha256(sq), "version": version_of(sq), "note": note}
            display[str(sq)] = "squawk"
        for t in tools:
            log(f"{t}: {info[t]['version']}  ({info[t]['path']})")

        # -- inputs -----------------------------------------------------------------------
        t0 = time.perf_counter()
        small_dir = work / "small"
        small = gen_small(small_dir, n_files, args.seed)
        big = gen_big(work / "big" / "0001_baseline_schema.sql", int(size_mb * 1024 * 1024), args.seed)
        small_bytes = sum(p.stat().st_size for p in small)
        inputs = {
            "small": {"files": len(small), "bytes": small_bytes, "sha256": digest(small),
                      "no_transaction_files": sum("ratchet:no-transaction" in p.read_text() for p in small)},
            "big": {"files": 1, "bytes": big.stat().st_size, "sha256": digest([big]),
                    "lines": big.read_text().count("\n"), "statements_approx": big.read_text().count(";\n")},
        }
        log(f"inputs in {work} ({time.perf_counter() - t0:.1f}s): "
            f"small = {len(small)} files, {small_bytes / 1024:,.0f} KiB "
            f"({inputs['small']['no_transaction_files']} no-transaction); "
            f"big = {inputs['big']['bytes'] / 1048576:.2f} MiB, {inputs['big']['lines']:,} lines, "
            f"~{inputs['big']['statements_approx']:,} statements")

        rx = shlex.split(args.ratchet_args)
        sx = shlex.split(args.squawk_args)
        squawk_small = [str(p.relative_to(work)) for p in small] if args.squawk_file_list else ["small/*.sql"]
        cmds = {
            "small": {
                "ratchet": [str(bins.get("ratchet", "ratchet")), "lint", "--format", "json", *rx, "small"],
                "squawk": [str(bins.get("squawk", "squawk")), "--reporter", "json", *sx, *squawk_small],
            },
            "big": {
                "ratchet": [str(bins.get("ratchet", "ratchet")), "lint", "--format", "json", *rx,
                            str(big.relative_to(work))],
                "squawk": [str(bins.get("squawk", "squawk")), "--reporter", "json", *sx,
                           str(big.relative_to(work))],
            },
        }
        lines = {}
        for case in cmds:
            for t in tools:
                c = cmds[case][t]
                if t == "squawk" and args.squawk_file_list and case == "small":
                    text = shell_line(c[:len(c) - len(small)], work, display) [:-1] + \
                        f" small/*.sql)   # the shell expands it: {len(small)} paths as arguments"
                else:
                    text = shell_line(c, work, display)
                lines[f"{case}/{t}"] = text
        log("\ncommands (cwd is the temp dir; nothing else there, so no ratchet.toml/.squawk.toml is picked up):")
        for k, v in lines.items():
            log(f"  {k:14} {v}")

        # -- runs -------------------------------------------------------------------------
        samples: dict[str, dict[str, list[Sample]]] = {c: {t: [] for t in tools} for c in cmds}
        failures: list[dict] = []
        histos: dict[str, dict[str, dict[str, int]]] = {c: {} for c in cmds}
        outdir = work / "out"
        outdir.mkdir()
        for case in cmds:
            log(f"\n{case}: {args.warmup} warm-up + {rounds} rounds, interleaved {' '.join(tools)} ...")
            for rnd in range(-args.warmup, rounds):
                row = []
                for t in tools:
                    s, doc = run_timed(cmds[case][t], work, outdir / f"{case}-{t}.json",
                                       outdir / f"{case}-{t}.stderr")
                    if rnd < 0 and doc is not None:
                        histos[case][t] = rules_histogram(doc)
                    if s.error:
                        failures.append({"case": case, "tool": t, "round": rnd, "command": lines[f'{case}/{t}'],
                                         "error": s.error})
                        log(f"  {t} FAILED: {s.error}")
                    if rnd >= 0:
                        samples[case][t].append(s)
                    row.append(f"{t} {fmt_ms(s.wall)} ms (cpu {fmt_ms(s.cpu)}, rc {s.rc}, "
                               f"{s.findings if s.findings is not None else '?'} findings)")
                log(f"  {'warm-up' if rnd < 0 else f'round {rnd + 1}/{rounds}'}: " + "; ".join(row))

        # -- summary ----------------------------------------------------------------------
        results: dict[str, dict] = {}
        for case in cmds:
            r: dict = {}
            for t in tools:
                ss = samples[case][t]
                r[t] = {
                    "wall_ms": [round(s.wall * 1000, 3) for s in ss],
                    "cpu_ms": [round(s.cpu * 1000, 3) for s in ss],
                    "exit_codes": sorted({s.rc for s in ss}),
                    "stdout_bytes": ss[-1].out_bytes if ss else None,
                    "findings": ss[-1].findings if ss else None,
                    "median_wall_ms": round(median([s.wall for s in ss]) * 1000, 3) if ss else None,
                    "median_cpu_ms": round(median([s.cpu for s in ss]) * 1000, 3) if ss else None,
                    "findings_by_rule": histos[case].get(t, {}),
                }
            if len(tools) == 2:
                ok = [i for i in range(rounds)
                      if not samples[case]["ratchet"][i].error and not samples[case]["squawk"][i].error]
                w = paired([samples[case]["squawk"][i].wall for i in ok], [samples[case]["ratchet"][i].wall for i in ok])
                c = paired([samples[case]["squawk"][i].cpu for i in ok], [samples[case]["ratchet"][i].cpu for i in ok])
                r["speedup_wall"] = {"paired": [round(x, 4) for x in w], "median": median(w)}
                r["speedup_cpu"] = {"paired": [round(x, 4) for x in c], "median": median(c)}
                r["target"] = TARGET_SPEEDUP
                r["pass"] = bool(w) and median(w) >= TARGET_SPEEDUP and len(ok) == rounds
            results[case] = r

        log("\n| input | tool | median wall ms | median CPU ms | findings | JSON MiB | speed-up wall (squawk/ratchet) | speed-up CPU | target ≥ 2 |")
        log("|---|---|---:|---:|---:|---:|---:|---:|---|")
        for case in cmds:
            r = results[case]
            label = (f"{inputs['small']['files']:,} small files" if case == "small"
                     else f"1 file, {inputs['big']['bytes'] / 1048576:.1f} MiB")
            for i, t in enumerate(tools):
                x = r[t]
                size = x["stdout_bytes"]
                cells = [label if i == 0 else "", t,
                         fmt_ms(x["median_wall_ms"] / 1000 if x["median_wall_ms"] is not None else None),
                         fmt_ms(x["median_cpu_ms"] / 1000 if x["median_cpu_ms"] is not None else None),
                         str(x["findings"]) if x["findings"] is not None else "-", f"{size / 1048576:.2f}" if size is not None else "-"]
                if len(tools) == 2 and i == 0:
                    cells += [fmt_x(r["speedup_wall"]["median"]), fmt_x(r["speedup_cpu"]["median"]),
                              "PASS" if r["pass"] else "FAIL"]
                else:
                    cells += ["", "", ""]
                log("| " + " | ".join(cells) + " |")
        for case in cmds:
            for t in tools:
                h = results[case][t]["findings_by_rule"]
                if h:
                    top = ", ".join(f"{k} {v}" for k, v in list(h.items())[:8])
                    log(f"  {case}/{t} findings by rule: {top}{' ...' if len(h) > 8 else ''}")

        if failures:
            status = 1
            log(f"\n{len(failures)} failed run(s); first: {failures[0]}")

        # -- JSON -------------------------------------------------------------------------
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        out_path = out_dir / f"lint-{stamp}.json"
        doc = {
            "timestamp": stamp,
            "tools": info,
            "inputs": inputs,
            "settings": {"rounds": rounds, "warmup": args.warmup, "seed": args.seed, "files": n_files,
                         "size_mb": size_mb, "quick": args.quick, "only": args.only,
                         "squawk_args": sx, "ratchet_args": rx, "squawk_file_list": args.squawk_file_list},
            "commands": lines,
            "results": results,
            "failures": failures,
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                        "loadavg": os.getloadavg(), "python": platform.python_version()},
            "workdir": str(work) if args.keep else None,
        }
        out_path.write_text(json.dumps(doc, indent=2) + "\n")
        log(f"\nwrote {out_path.relative_to(REPO) if out_path.is_relative_to(REPO) else out_path}")
        if args.keep:
            log(f"kept {work}")
        return status
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
