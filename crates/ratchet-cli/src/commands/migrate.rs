use std::process::ExitCode;

use ratchet::{Event, MigrateOptions, Migrator, TransactionMode, Version};
use serde_json::json;

use crate::cli::MigrateArgs;
use crate::failure::{blocker_json, Failure};
use crate::output::{Output, Tone};

pub fn run(migrator: &Migrator, args: &MigrateArgs, out: &Output) -> Result<ExitCode, Failure> {
    let set = migrator.load()?;
    let expectations = migrator.load_expectations()?;
    let target = args.target.map(Version);
    let mut session = super::connect(migrator, out)?;
    if args.dry_run {
        return dry_run(migrator, &set, session.plan(&set, target)?, out);
    }
    let label = super::database_label(migrator);
    let mut on_event = |event: Event<'_>| match event {
        Event::WaitingForLock { holder, wait } => out.progress(&format!(
            "waiting up to {} for the migration lock, held by {holder}",
            humantime::format_duration(wait)
        )),
        Event::Applying { migration } => {
            let mode = match migration.transaction {
                TransactionMode::PerMigration => "",
                TransactionMode::None => " (no transaction)",
            };
            out.progress(&format!("applying {}{mode} ...", migration.name));
        }
        Event::Applied { migration, row } => out.progress(&format!(
            "{} {} ({} ms)",
            out.paint_err(Tone::Green, "applied"),
            migration.name,
            row.execution_ms.unwrap_or(0)
        )),
        Event::AlreadyApplied { migration } => out.progress(&format!(
            "{} was applied by another runner meanwhile; skipped",
            migration.name
        )),
        _ => {}
    };
    let options = MigrateOptions {
        target,
        expectations: expectations.as_ref(),
        ..MigrateOptions::default()
    };
    let report = session.migrate(&set, &options, &mut on_event)?;
    if out.json() {
        out.document(&json!({
            "ok": true,
            "database": label,
            "applied": report.applied,
            "blockers": blocker_json(&report.plan.blockers),
        }));
    } else if report.applied.is_empty() {
        out.line(&format!("nothing to apply: {label} is up to date"));
    } else {
        // Each one was already named on stderr as it was applied; a fresh database with a
        // thousand migrations should not end with a thousand names on one line.
        let names: Vec<&str> = report.applied.iter().map(|r| r.name.as_str()).collect();
        let list = match names.as_slice() {
            [first, .., last] if names.len() > 5 => format!("{first} ... {last}"),
            _ => names.join(", "),
        };
        out.line(&format!(
            "applied {} migration(s) to {label}: {list}",
            names.len()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints what `migrate` would do — the same plan value `migrate` executes — and the SQL of
/// every step. Reads the history; writes nothing, creates nothing, takes no lock.
fn dry_run(
    migrator: &Migrator,
    set: &ratchet::MigrationSet,
    plan: ratchet::Plan,
    out: &Output,
) -> Result<ExitCode, Failure> {
    let blocked = !plan.blockers.is_empty();
    if out.json() {
        let steps: Vec<_> = plan
            .steps
            .iter()
            .filter_map(|v| set.get(*v))
            .map(|m| {
                json!({
                    "version": m.version,
                    "name": m.name,
                    "transaction": m.transaction,
                    "statements": (0..m.statements.len()).map(|i| m.statement_text(i)).collect::<Vec<_>>(),
                })
            })
            .collect();
        out.document(&json!({
            "ok": !blocked,
            "dry_run": true,
            "database": super::database_label(migrator),
            "steps": steps,
            "blockers": blocker_json(&plan.blockers),
        }));
    } else {
        out.line(&format!(
            "-- dry run against {}: {} migration(s) would be applied; nothing was changed",
            super::database_label(migrator),
            plan.steps.len()
        ));
        for blocker in &plan.blockers {
            out.line(&format!("-- BLOCKED: {}", blocker.message()));
        }
        for version in &plan.steps {
            let Some(m) = set.get(*version) else { continue };
            let mode = match m.transaction {
                TransactionMode::PerMigration => "in one transaction",
                TransactionMode::None => "outside a transaction, statement by statement",
            };
            out.line(&format!("\n-- {} ({mode})", m.name));
            for i in 0..m.statements.len() {
                out.line(&format!("{};", m.statement_text(i)));
            }
        }
    }
    Ok(ExitCode::from(if blocked { 1 } else { 0 }))
}
