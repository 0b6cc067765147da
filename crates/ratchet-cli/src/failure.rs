//! Everything that makes a command fail, its exit code (SPEC), and how it is shown.

use std::process::ExitCode;

use ratchet::{ApplyError, Blocker, Error, Outcome, StatementError};
use serde_json::{json, Value};

use crate::output::{Output, Tone};

#[derive(Debug)]
pub enum Failure {
    /// Bad configuration or invocation found by the CLI itself.
    Usage(String),
    Lib(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Lib(e)
    }
}

impl From<crate::config::ConfigError> for Failure {
    fn from(e: crate::config::ConfigError) -> Self {
        Failure::Usage(e.0)
    }
}

impl Failure {
    /// 0 ok; 1 problems found or a migration failed; 2 bad invocation, configuration or
    /// migration set; 3 database unreachable or lock not released in time.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Lib(e) => match e {
                Error::Config { .. }
                | Error::ExpectationsFile { .. }
                | Error::Load(_)
                | Error::UnknownTarget(_)
                | Error::Repair { .. } => 2,
                Error::Connect(_) | Error::LockTimeout(_) | Error::Scratch { .. } => 3,
                _ => 1,
            },
        }
    }

    pub fn report(&self, out: &Output) -> ExitCode {
        let code = self.exit_code();
        if out.json() {
            out.document(&json!({ "ok": false, "exit_code": code, "error": self.to_json() }));
        } else {
            for line in self.to_text(out) {
                out.diagnostic(&line);
            }
        }
        ExitCode::from(code)
    }

    fn to_json(&self) -> Value {
        match self {
            Failure::Usage(message) => json!({ "kind": "usage", "message": message }),
            Failure::Lib(e) => match e {
                Error::Load(problems) => json!({
                    "kind": "migration-set",
                    "message": e.to_string(),
                    "problems": problems.problems,
                }),
                Error::Blocked { plan } => json!({
                    "kind": "blocked",
                    "message": e.to_string(),
                    "blockers": blocker_json(&plan.blockers),
                }),
                Error::Migration { source, applied } => json!({
                    "kind": "migration-failed",
                    "message": e.to_string(),
                    "applied": applied,
                    "failure": apply_error_json(source),
                }),
                Error::Expectations { violations } => json!({
                    "kind": "expectations",
                    "message": e.to_string(),
                    "violations": violations,
                }),
                Error::ExpectationsFile { path, message } => json!({
                    "kind": "schema-toml",
                    "file": path,
                    "message": message,
                }),
                Error::Connect(_) => json!({ "kind": "connect", "message": e.to_string() }),
                Error::LockTimeout(_) => {
                    json!({ "kind": "lock-timeout", "message": e.to_string() })
                }
                _ => json!({ "kind": "error", "message": e.to_string() }),
            },
        }
    }

    fn to_text(&self, out: &Output) -> Vec<String> {
        let error = out.paint_err(Tone::Red, "error");
        match self {
            Failure::Usage(message) => vec![format!("{error}: {message}")],
            Failure::Lib(e) => match e {
                Error::Load(problems) => {
                    let mut lines = vec![format!("{error}: {} — nothing was run", problems)];
                    lines.extend(problems.problems.iter().map(|p| format!("  {p}")));
                    lines
                }
                Error::Blocked { plan } => {
                    let mut lines = vec![format!("{error}: {e}; nothing was applied")];
                    lines.extend(plan.blockers.iter().map(|b| format!("  - {}", b.message())));
                    lines
                }
                Error::Migration { source, applied } => {
                    let mut lines = apply_error_text(out, source);
                    if !applied.is_empty() {
                        lines.push(format!(
                            "  {} migration(s) applied before it remain applied: {}",
                            applied.len(),
                            applied
                                .iter()
                                .map(|r| r.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    lines
                }
                Error::Expectations { violations } => {
                    let mut lines = vec![format!("{error}: {e}")];
                    lines.extend(violations.iter().map(|v| format!("  - {v}")));
                    lines
                }
                other => vec![format!("{error}: {other}")],
            },
        }
    }
}

pub fn blocker_json(blockers: &[Blocker]) -> Value {
    Value::Array(
        blockers
            .iter()
            .map(|b| {
                let mut v = serde_json::to_value(b).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut v {
                    map.insert("message".into(), Value::String(b.message()));
                }
                v
            })
            .collect(),
    )
}

fn apply_error_json(e: &ApplyError) -> Value {
    match e {
        ApplyError::Statement {
            error,
            outcome,
            invalid_indexes,
            not_recorded,
        } => json!({
            "migration": error.migration,
            "file": error.path,
            "statement": error.statement,
            "line": error.line,
            "column": error.column,
            "sqlstate": error.sqlstate,
            "message": error.message,
            "detail": error.detail,
            "hint": error.hint,
            "context": error.context,
            "outcome": outcome.as_str(),
            "invalid_indexes": invalid_indexes,
            "not_recorded": not_recorded,
        }),
        ApplyError::Rejected {
            migration,
            reasons,
            outcome,
            not_recorded,
        } => json!({
            "migration": migration,
            "rejected": reasons,
            "outcome": outcome.as_str(),
            "not_recorded": not_recorded,
        }),
        ApplyError::Driver(d) => json!({ "message": d.to_string() }),
    }
}

/// A migration that ran but left declared expectations broken.
fn rejection_text(
    out: &Output,
    migration: &str,
    reasons: &[String],
    outcome: Outcome,
    not_recorded: Option<&str>,
) -> Vec<String> {
    let what = match outcome {
        Outcome::Failed => format!(
            "it ran outside a transaction, so its statements stay applied, and the migration is              marked failed until `ratchet repair --failed {} --reason ...`",
            version_of(migration)
        ),
        _ => "rolled back: nothing of it remains in the database".to_owned(),
    };
    let mut lines = vec![format!(
        "{}: migration {} broke declared expectations; {what}",
        out.paint_err(Tone::Red, "error"),
        out.paint_err(Tone::Bold, migration)
    )];
    lines.extend(reasons.iter().map(|r| format!("  - {r}")));
    if let Some(why) = not_recorded {
        lines.push(format!(
            "  warning: the rejection could not be recorded in the history: {why}"
        ));
    }
    lines
}

/// The compiler-style report of a failed statement: where, the line with a caret, and what
/// the database said.
fn apply_error_text(out: &Output, e: &ApplyError) -> Vec<String> {
    let ApplyError::Statement {
        error,
        outcome,
        invalid_indexes,
        not_recorded,
    } = e
    else {
        if let ApplyError::Rejected {
            migration,
            reasons,
            outcome,
            not_recorded,
        } = e
        {
            return rejection_text(out, migration, reasons, *outcome, not_recorded.as_deref());
        }
        return vec![format!("{}: {e}", out.paint_err(Tone::Red, "error"))];
    };
    let what = match outcome {
        Outcome::Failed => format!(
            "it ran outside a transaction and stopped at statement {}: statements before it stay applied, \
             and the migration is marked failed until `ratchet repair --failed {} --reason ...`",
            error.statement,
            version_of(&error.migration)
        ),
        _ => "rolled back: nothing of it remains in the database".to_owned(),
    };
    let mut lines = vec![format!(
        "{}: migration {} failed; {what}",
        out.paint_err(Tone::Red, "error"),
        out.paint_err(Tone::Bold, &error.migration)
    )];
    lines.extend(snippet(out, error));
    // Notes line up with the snippet's `|`, as in rustc's diagnostics.
    let pad = " ".repeat(error.line.to_string().len());
    if let Some(code) = &error.sqlstate {
        lines.push(format!("{pad} = {code}: {}", error.message));
    } else {
        lines.push(format!("{pad} = {}", error.message));
    }
    if let Some(detail) = &error.detail {
        lines.push(format!("{pad} = detail: {detail}"));
    }
    if let Some(hint) = &error.hint {
        lines.push(format!("{pad} = hint: {hint}"));
    }
    if let Some(context) = &error.context {
        lines.push(format!(
            "{pad} = context: {}",
            context.replace('\n', &format!("\n{pad}   "))
        ));
    }
    if error.sqlstate.as_deref() == Some("25001") {
        lines.push(format!(
            "{pad} = help: this statement cannot run inside a transaction; put it in its own migration \
             whose header says `-- ratchet:no-transaction`"
        ));
    }
    for index in invalid_indexes {
        lines.push(format!(
            "{pad} = note: the failed CREATE INDEX CONCURRENTLY left the INVALID index {index} behind; \
             drop it (DROP INDEX CONCURRENTLY {index}) before retrying"
        ));
    }
    if let Some(why) = not_recorded {
        lines.push(format!(
            "{pad} = warning: the failure could not be recorded in the history: {why}"
        ));
    }
    lines
}

fn snippet(out: &Output, e: &StatementError) -> Vec<String> {
    let number = e.line.to_string();
    let gutter = " ".repeat(number.len());
    let shown = e.source_line.replace('\t', " ");
    let caret_at = e.column.saturating_sub(1);
    vec![
        format!("{gutter}--> {}:{}:{}", e.path.display(), e.line, e.column),
        format!("{gutter} |"),
        format!("{} | {shown}", out.paint_err(Tone::Dim, &number)),
        format!(
            "{gutter} | {}{}",
            " ".repeat(caret_at),
            out.paint_err(Tone::Red, "^")
        ),
    ]
}

fn version_of(name: &str) -> &str {
    name.split('_').next().unwrap_or(name)
}
