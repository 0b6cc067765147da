use std::process::ExitCode;

use ratchet::Migrator;
use serde_json::json;

use crate::failure::Failure;
use crate::output::{table, timestamp, Output, Tone};

pub fn run(migrator: &Migrator, out: &Output) -> Result<ExitCode, Failure> {
    let mut session = super::connect(migrator, out)?;
    let rows = session.history()?;
    if out.json() {
        out.document(
            &json!({ "ok": true, "database": super::database_label(migrator), "history": rows }),
        );
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        out.line("the history is empty: nothing has been applied yet");
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = vec![vec![
        "ID".to_owned(),
        "STARTED (UTC)".to_owned(),
        "KIND".to_owned(),
        "MIGRATION".to_owned(),
        "OUTCOME".to_owned(),
        "MS".to_owned(),
        "BY".to_owned(),
        "DETAIL".to_owned(),
    ]];
    for r in &rows {
        let tone = if r.success { Tone::Green } else { Tone::Red };
        let by = match (&r.db_user, &r.host) {
            (Some(u), Some(h)) => format!("{u}@{h}"),
            (Some(u), None) => u.clone(),
            (None, Some(h)) => format!("@{h}"),
            (None, None) => String::new(),
        };
        let detail = r
            .error
            .clone()
            .or_else(|| r.reason.as_ref().map(|why| format!("reason: {why}")))
            .unwrap_or_default();
        lines.push(vec![
            r.id.to_string(),
            timestamp(&r.started_at),
            r.kind.as_str().to_owned(),
            r.name.clone(),
            out.paint(tone, r.outcome.as_str()),
            r.execution_ms.map(|ms| ms.to_string()).unwrap_or_default(),
            by,
            detail,
        ]);
    }
    out.lines(&table(&lines));
    Ok(ExitCode::SUCCESS)
}
