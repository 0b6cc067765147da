use std::process::ExitCode;

use ratchet::{MigrationState, Migrator, Plan};
use serde_json::json;

use crate::failure::{blocker_json, Failure};
use crate::output::{table, timestamp, Output, Tone};

pub fn run(migrator: &Migrator, out: &Output) -> Result<ExitCode, Failure> {
    let set = migrator.load()?;
    let mut session = super::connect(migrator, out)?;
    let plan = session.plan(&set, None)?;
    let code = if plan.blockers.is_empty() { 0 } else { 1 };
    if out.json() {
        out.document(&json!({
            "ok": code == 0,
            "database": super::database_label(migrator),
            "migrations": plan.entries,
            "pending": plan.steps,
            "blockers": blocker_json(&plan.blockers),
        }));
    } else {
        render(migrator, &plan, out);
    }
    Ok(ExitCode::from(code))
}

pub fn state_label(out: &Output, state: MigrationState) -> String {
    let tone = match state {
        MigrationState::Applied => Tone::Green,
        MigrationState::Pending | MigrationState::Retired => Tone::Dim,
        MigrationState::OutOfOrder => Tone::Yellow,
        MigrationState::Modified | MigrationState::Missing | MigrationState::Failed => Tone::Red,
    };
    out.paint(tone, state.as_str())
}

fn render(migrator: &Migrator, plan: &Plan, out: &Output) {
    out.line(&format!("database: {}", super::database_label(migrator)));
    let mut rows = vec![vec![
        "MIGRATION".to_owned(),
        "STATE".to_owned(),
        "APPLIED AT (UTC)".to_owned(),
        "BY".to_owned(),
    ]];
    for e in &plan.entries {
        rows.push(vec![
            e.name.clone(),
            state_label(out, e.state),
            e.applied_at.as_ref().map(timestamp).unwrap_or_default(),
            e.applied_by.clone().unwrap_or_default(),
        ]);
    }
    if plan.entries.is_empty() {
        out.line("no migrations yet: create one with `ratchet new NAME`");
    } else {
        out.lines(&table(&rows));
    }
    let counts: Vec<String> = [
        MigrationState::Applied,
        MigrationState::Pending,
        MigrationState::Modified,
        MigrationState::Missing,
        MigrationState::Failed,
        MigrationState::OutOfOrder,
        MigrationState::Retired,
    ]
    .into_iter()
    .filter_map(|s| {
        let n = plan.count(s);
        (n > 0).then(|| format!("{n} {}", s.as_str()))
    })
    .collect();
    if !counts.is_empty() {
        out.line(&counts.join(", "));
    }
    for blocker in &plan.blockers {
        out.line(&format!(
            "{} {}",
            out.paint(Tone::Red, "problem:"),
            blocker.message()
        ));
    }
    for entry in plan
        .entries
        .iter()
        .filter(|e| e.state == MigrationState::Pending)
    {
        if let Some(error) = &entry.last_error {
            out.line(&format!(
                "{} last attempt of {} was rolled back: {error}",
                out.paint(Tone::Yellow, "note:"),
                entry.name
            ));
        }
    }
}
