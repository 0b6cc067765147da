//! `ratchet diff [LEFT] [RIGHT]`: compares two schema sources (default: `replay` with `live`,
//! which is drift detection). The comparison is the library's (`Migrator::diff`); this only
//! picks the sides and renders.

use std::process::ExitCode;

use ratchet::{DiffOptions, DiffOutcome, Migrator, Source};
use ratchet_report::schema_text::Sides;
use ratchet_report::text::Color;
use serde_json::json;

use crate::cli::DiffArgs;
use crate::failure::Failure;
use crate::output::{Output, Tone};

pub fn run(migrator: &Migrator, args: &DiffArgs, out: &Output) -> Result<ExitCode, Failure> {
    let side = |given: Option<&String>, default: Source| match given {
        Some(text) => Source::parse(text).map_err(Failure::Usage),
        None => Ok(default),
    };
    let left = side(args.left.as_ref(), Source::Replay)?;
    let right = side(args.right.as_ref(), Source::Live)?;
    let notices = super::notice_sink(out);
    let progress = |line: &str| out.progress(line);
    let options = DiffOptions {
        dev_url: args.dev_url.as_deref(),
        progress: &progress,
        notices: &notices,
    };
    let report = migrator.diff(&left, &right, &options)?;
    let orphans = report.orphans();
    let sides = Sides {
        left: &report.left,
        right: &report.right,
    };
    if out.json() {
        let mut document = match &report.outcome {
            DiffOutcome::Changes(changes) => {
                serde_json::to_value(ratchet_report::schema_json::diff_document(changes, sides))
                    .unwrap_or_default()
            }
            DiffOutcome::Violations(violations) => json!({
                "ok": violations.is_empty(),
                "left": report.left,
                "right": report.right,
                "violations": violations,
            }),
        };
        document["orphans"] = json!(orphans
            .iter()
            .map(|o| {
                let mut value = serde_json::to_value(o).unwrap_or_default();
                value["message"] = json!(o.message());
                value
            })
            .collect::<Vec<_>>());
        out.document(&document);
    } else {
        let color = if out.color() {
            Color::Always
        } else {
            Color::Never
        };
        match &report.outcome {
            DiffOutcome::Changes(changes) => {
                out.text(&ratchet_report::schema_text::diff(changes, sides, color));
            }
            DiffOutcome::Violations(violations) if violations.is_empty() => out.line(&format!(
                "{}: {} holds every expectation of {}",
                out.paint(Tone::Green, "ok"),
                expectations_target(&report.left, &report.right).1,
                expectations_target(&report.left, &report.right).0,
            )),
            DiffOutcome::Violations(violations) => {
                let (file, target) = expectations_target(&report.left, &report.right);
                out.line(&format!(
                    "{}: {} expectation(s) of {file} do not hold on {target}",
                    out.paint(Tone::Red, "FAILED"),
                    violations.len()
                ));
                for violation in violations {
                    out.line(&format!("  - {violation}"));
                }
            }
        }
        for orphan in &orphans {
            out.line(&format!(
                "{}: {}",
                out.paint(Tone::Yellow, "note"),
                orphan.message()
            ));
        }
    }
    let code = ExitCode::from(u8::from(!report.is_clean()));
    // The schemas of a large database are hundreds of thousands of small allocations, and the
    // process ends right after this: freeing them one by one would only delay the exit (tens of
    // milliseconds for 2,000 tables).
    std::mem::forget(report);
    Ok(code)
}

/// (the expectations file, the side it was checked against).
fn expectations_target<'a>(left: &'a str, right: &'a str) -> (&'a str, &'a str) {
    if left.to_ascii_lowercase().ends_with(".toml") {
        (left, right)
    } else {
        (right, left)
    }
}
