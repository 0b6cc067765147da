//! Times `Driver::introspect` against an existing database:
//!
//! ```text
//! cargo run --release -p ratchet-driver --example introspect_bench -- DATABASE_URL [RUNS] [--fresh]
//! ```
//!
//! Without `--fresh`: the first run (a new backend, cold catalog caches), then the fastest
//! and the median of the others, all on one connection. With `--fresh`: every run on a new
//! connection, so every run pays the cold caches, as `ratchet diff` does (issue 3); the
//! time includes connecting. The test `a_large_schema_introspects_in_well_under_a_second`
//! builds a 2,000-table schema and checks the first run; this is for measuring by hand.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ratchet_driver::{ConnectOptions, DatabaseUrl, TableName};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut fresh = false;
    let mut positional = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "--fresh" {
            fresh = true;
        } else {
            positional.push(arg);
        }
    }
    let mut positional = positional.into_iter();
    let url = positional
        .next()
        .ok_or("usage: introspect_bench DATABASE_URL [RUNS] [--fresh]")?;
    let runs: usize = positional
        .next()
        .map(|r| r.parse())
        .transpose()?
        .unwrap_or(10);
    let options = ConnectOptions {
        url: DatabaseUrl::parse(&url)?,
        history_table: TableName::parse("ratchet_history")?,
        application_name: "ratchet-introspect-bench".into(),
        notices: Arc::new(|_| {}),
        connect_timeout: Duration::from_secs(10),
        lock_wait: Duration::from_secs(10),
    };
    let mut driver = ratchet_driver::connect(&options)?;
    let mut timings = Vec::new();
    // Kept until the end: dropping a schema is not part of reading one.
    let mut schemas = Vec::new();
    for _ in 0..runs.max(2) {
        let started = Instant::now();
        if fresh {
            driver = ratchet_driver::connect(&options)?;
        }
        schemas.push(driver.introspect()?);
        timings.push(started.elapsed());
    }
    let schema = schemas.last().expect("ran at least once");
    let columns: usize = schema.tables.values().map(|t| t.columns.len()).sum();
    let indexes: usize = schema.tables.values().map(|t| t.indexes.len()).sum();
    let constraints: usize = schema.tables.values().map(|t| t.constraints.len()).sum();
    println!(
        "{} tables, {columns} columns, {indexes} indexes, {constraints} constraints",
        schema.tables.len()
    );
    let all: Vec<u128> = timings.iter().map(Duration::as_millis).collect();
    if fresh {
        timings.sort();
        println!(
            "new connection each run: fastest {:?}, median {:?} ({} runs, ms: {all:?})",
            timings[0],
            timings[timings.len() / 2],
            timings.len()
        );
    } else {
        let first = timings.remove(0);
        timings.sort();
        println!(
            "first {first:?}, fastest {:?}, median {:?} ({} runs)",
            timings[0],
            timings[timings.len() / 2],
            timings.len() + 1
        );
    }
    Ok(())
}
