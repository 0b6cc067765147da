use std::process::ExitCode;

use ratchet::{MigrationState, Migrator};
use serde_json::json;

use crate::failure::{blocker_json, Failure};
use crate::output::{Output, Tone};

/// The deploy gate: exit 0 only when every file is applied with an equal checksum, the
/// history chain is intact, and nothing is failed, pending or out of order.
pub fn run(migrator: &Migrator, out: &Output) -> Result<ExitCode, Failure> {
    let set = migrator.load()?;
    let expectations = migrator.load_expectations()?;
    let mut session = super::connect(migrator, out)?;
    let report = session.verify(&set, expectations.as_ref())?;
    let plan = &report.plan;
    let not_applied: Vec<_> = plan
        .entries
        .iter()
        .filter(|e| {
            matches!(
                e.state,
                MigrationState::Pending | MigrationState::OutOfOrder
            )
        })
        .collect();
    if out.json() {
        out.document(&json!({
            "ok": report.ok,
            "database": super::database_label(migrator),
            "applied": plan.count(MigrationState::Applied),
            "not_applied": not_applied.iter().map(|e| &e.name).collect::<Vec<_>>(),
            "blockers": blocker_json(&plan.blockers),
            "violations": report.violations,
        }));
    } else if report.ok {
        let expectations = match &expectations {
            Some(e) if !e.is_empty() => ", schema.toml expectations hold",
            _ => "",
        };
        out.line(&format!(
            "{}: {} migration(s) applied, checksums and history chain intact{expectations}",
            out.paint(Tone::Green, "ok"),
            plan.count(MigrationState::Applied)
        ));
    } else {
        out.line(&format!(
            "{}: the database does not match the migrations",
            out.paint(Tone::Red, "FAILED")
        ));
        // Entries a blocker already explains (out of order) are listed once, by the blocker.
        let explained: Vec<&str> = plan
            .blockers
            .iter()
            .filter_map(|b| match b {
                ratchet::Blocker::OutOfOrder { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let mut lines: Vec<String> = not_applied
            .iter()
            .filter(|e| !explained.contains(&e.name.as_str()))
            .map(|e| format!("  - {} is not applied ({})", e.name, e.state.as_str()))
            .collect();
        lines.extend(plan.blockers.iter().map(|b| format!("  - {}", b.message())));
        lines.extend(
            report
                .violations
                .iter()
                .map(|v| format!("  - schema.toml: {v}")),
        );
        out.lines(&lines);
    }
    Ok(ExitCode::from(if report.ok { 0 } else { 1 }))
}
