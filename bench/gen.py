"""Deterministic generators for benchmark migration sets.

`realistic(n, seed)` writes what a real project's history looks like: tables with several
columns and constraints, indexes, added columns, plpgsql functions whose dollar-quoted bodies
contain `;`, a few rows of seed data and comments. Every statement only refers to objects that
earlier files created, so the set applies cleanly from an empty database with any runner.

`cheap(n)` writes one small CREATE TABLE per file: used to fill a history table quickly for
the status/verify measurements, where the size of the history matters, not the SQL.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

# ratchet's default name pattern allows 4 digits; above that the harness writes a ratchet.toml
# with this pattern and passes --config.
FIVE_DIGIT_PATTERN = r"^\d{5}_[a-z0-9_]+\.sql$"

# Generated tables are prefixed so a sanity check can count them without catching the
# runner's own history table.
TABLE_PREFIX = "bt_"

STATUSES = ("draft", "active", "suspended", "closed")

NOUNS = (
    "account", "invoice", "order", "product", "customer", "shipment", "payment", "ticket",
    "session", "warehouse", "supplier", "coupon", "review", "address", "refund", "plan",
    "subscription", "device", "audit", "team",
)

EXTRA_COLUMNS = (
    ("note", "text"),
    ("priority", "smallint NOT NULL DEFAULT 0"),
    ("external_ref", "varchar(64)"),
    ("is_archived", "boolean NOT NULL DEFAULT false"),
    ("score", "double precision"),
    ("tags", "text[] NOT NULL DEFAULT '{}'"),
    ("payload", "jsonb NOT NULL DEFAULT '{}'::jsonb"),
    ("valid_until", "date"),
    ("retries", "integer NOT NULL DEFAULT 0 CHECK (retries >= 0)"),
    ("region", "char(2)"),
)


@dataclass
class Table:
    name: str
    has_parent: bool
    added: list[str] = field(default_factory=list)
    rows: int = 0


@dataclass
class MigrationSet:
    directory: Path
    files: list[Path]
    digits: int
    tables: int  # how many TABLE_PREFIX tables the whole set creates


def digits_for(n: int) -> int:
    return 4 if n <= 9999 else 5


def file_name(version: int, slug: str, digits: int) -> str:
    return f"{version:0{digits}d}_{slug}.sql"


class _Realistic:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.tables: list[Table] = []
        self.functions = 0
        self.emails = 0

    # -- statements -----------------------------------------------------------------------

    def create_table(self, version: int) -> tuple[str, list[str]]:
        rng = self.rng
        noun = rng.choice(NOUNS)
        name = f"{TABLE_PREFIX}{noun}_{version}"
        parent = rng.choice(self.tables) if self.tables and rng.random() < 0.6 else None
        cols = [
            "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
            "    name text NOT NULL",
            "    email text UNIQUE",
            f"    status text NOT NULL DEFAULT 'draft' CHECK (status IN ({', '.join(repr(s) for s in STATUSES)}))",
            "    amount numeric(12, 2) NOT NULL DEFAULT 0 CHECK (amount >= 0)",
            "    created_at timestamptz NOT NULL DEFAULT now()",
        ]
        if rng.random() < 0.5:
            cols.append("    updated_at timestamptz")
        if parent is not None:
            cols.append(f"    parent_id bigint REFERENCES {parent.name} (id) ON DELETE CASCADE")
        body = ",\n".join(cols)
        stmts = [f"CREATE TABLE {name} (\n{body}\n);"]
        index_col = "parent_id" if parent is not None else rng.choice(("created_at", "status", "name"))
        stmts.append(f"CREATE INDEX {name}_{index_col}_idx ON {name} ({index_col});")
        if rng.random() < 0.4:
            stmts.append(
                f"CREATE INDEX {name}_active_idx ON {name} (created_at DESC) WHERE status = 'active';"
            )
        stmts.append(f"COMMENT ON TABLE {name} IS 'One row per {noun}; created by migration {version}.';")
        self.tables.append(Table(name=name, has_parent=parent is not None))
        return f"create_{noun}_table", stmts

    def add_column(self, version: int) -> tuple[str, list[str]]:
        rng = self.rng
        table = rng.choice(self.tables)
        free = [c for c in EXTRA_COLUMNS if c[0] not in table.added]
        if not free:
            return self.create_table(version)
        picks = rng.sample(free, k=min(len(free), rng.choice((1, 1, 2))))
        stmts = []
        for col, ty in picks:
            stmts.append(f"ALTER TABLE {table.name} ADD COLUMN {col} {ty};")
            table.added.append(col)
        col = picks[0][0]
        stmts.append(f"COMMENT ON COLUMN {table.name}.{col} IS 'Added in {version}; see ticket OPS-{version * 7 % 1000}.';")
        if picks[0][1].split()[0] in ("smallint", "varchar(64)", "date", "integer", "boolean"):
            stmts.append(f"CREATE INDEX {table.name}_{col}_idx ON {table.name} ({col});")
        return f"add_{col}_to_{table.name.removeprefix(TABLE_PREFIX)}", stmts

    def function(self, version: int) -> tuple[str, list[str]]:
        rng = self.rng
        table = rng.choice(self.tables)
        self.functions += 1
        fn = f"bench_count_{version}"
        threshold = rng.randint(2, 50)
        stmts = [
            f"""CREATE OR REPLACE FUNCTION {fn}(p_status text DEFAULT 'active')
RETURNS integer
LANGUAGE plpgsql STABLE
AS $fn$
DECLARE
    n integer := 0;
    label text := 'count; by status';  -- a semicolon inside a string inside the body
BEGIN
    SELECT count(*) INTO n FROM {table.name} WHERE status = p_status;
    IF n > {threshold} THEN
        RAISE NOTICE '%: % rows; more than {threshold}', label, n;
        RETURN n - {threshold};
    END IF;
    RETURN n;
END;
$fn$;""",
            f"COMMENT ON FUNCTION {fn}(text) IS 'Counts {table.name} rows by status.';",
        ]
        if rng.random() < 0.3:
            stmts.append(f"REVOKE ALL ON FUNCTION {fn}(text) FROM PUBLIC;")
        return f"add_function_{fn}", stmts

    def insert_rows(self, version: int) -> tuple[str, list[str]]:
        rng = self.rng
        table = rng.choice(self.tables)
        values = []
        for _ in range(rng.randint(2, 5)):
            self.emails += 1
            status = rng.choice(STATUSES)
            amount = f"{rng.randint(0, 99999) / 100:.2f}"
            values.append(
                f"    ('{rng.choice(NOUNS)} {self.emails}', 'user{self.emails}@example.com', '{status}', {amount})"
            )
        stmts = [
            f"INSERT INTO {table.name} (name, email, status, amount) VALUES\n" + ",\n".join(values) + ";"
        ]
        table.rows += len(values)
        if rng.random() < 0.5:
            stmts.append(f"UPDATE {table.name} SET status = 'active' WHERE status = 'draft' AND amount > 500;")
        return f"seed_{table.name.removeprefix(TABLE_PREFIX)}", stmts

    def add_index(self, version: int) -> tuple[str, list[str]]:
        rng = self.rng
        table = rng.choice(self.tables)
        kind = rng.randrange(3)
        if kind == 0:
            stmt = f"CREATE INDEX {table.name}_lower_name_{version}_idx ON {table.name} (lower(name));"
        elif kind == 1:
            stmt = f"CREATE INDEX {table.name}_status_amount_{version}_idx ON {table.name} (status, amount DESC);"
        else:
            stmt = f"CREATE UNIQUE INDEX {table.name}_name_email_{version}_idx ON {table.name} (name, email) WHERE email IS NOT NULL;"
        stmts = [stmt, f"ANALYZE {table.name};"]
        return f"index_{table.name.removeprefix(TABLE_PREFIX)}", stmts

    # -- files ----------------------------------------------------------------------------

    def migration(self, version: int) -> tuple[str, str]:
        if not self.tables:
            slug, stmts = self.create_table(version)
        else:
            kinds = (
                (self.create_table, 30),
                (self.add_column, 22),
                (self.function, 14),
                (self.insert_rows, 18),
                (self.add_index, 16),
            )
            pick = self.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
            slug, stmts = pick(version)
        header = f"-- Migration {version}: {slug.replace('_', ' ')}.\n-- Generated by bench/gen.py.\n\n"
        return slug, header + "\n\n".join(stmts) + "\n"


def realistic(directory: Path, n: int, seed: int) -> MigrationSet:
    directory.mkdir(parents=True, exist_ok=True)
    digits = digits_for(n)
    gen = _Realistic(seed)
    files = []
    for version in range(1, n + 1):
        slug, text = gen.migration(version)
        slug = slug[:60]
        path = directory / file_name(version, slug, digits)
        path.write_text(text)
        files.append(path)
    return MigrationSet(directory, files, digits, len(gen.tables))


def cheap(directory: Path, n: int) -> MigrationSet:
    directory.mkdir(parents=True, exist_ok=True)
    digits = digits_for(n)
    files = []
    for version in range(1, n + 1):
        path = directory / file_name(version, f"create_{TABLE_PREFIX}small_{version}", digits)
        path.write_text(
            f"CREATE TABLE {TABLE_PREFIX}small_{version} (id integer PRIMARY KEY, note text);\n"
        )
        files.append(path)
    return MigrationSet(directory, files, digits, n)
