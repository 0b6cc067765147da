//! `--format json`: one document for the whole run, for scripts and dashboards.
//!
//! ```json
//! {
//!   "ok": false,
//!   "summary": { "errors": 1, "warnings": 0, "files": 3 },
//!   "diagnostics": [
//!     { "rule": "concurrently-in-transaction", "severity": "error",
//!       "file": "migrations/0003_index.sql", "line": 2, "column": 1,
//!       "end_line": 2, "end_column": 45, "message": "...", "help": "..." }
//!   ]
//! }
//! ```
//!
//! Lines and columns are 1-based; columns count Unicode code points. `ok` is false when any
//! finding is an error, which is also when `ratchet lint` exits 1.

use ratchet_lint::{Diagnostic, LintInput};
use serde::Serialize;

/// The document. Fields serialise in declaration order, so `ok` and the summary come first
/// for a human skimming the output.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub ok: bool,
    pub summary: Summary,
    pub diagnostics: Vec<Finding<'a>>,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    /// How many files were linted.
    pub files: usize,
}

#[derive(Debug, Serialize)]
pub struct Finding<'a> {
    pub rule: &'a str,
    pub severity: &'a str,
    /// The path as given, with forward slashes.
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: &'a str,
    pub help: Option<&'a str>,
}

/// The document for `diagnostics` found in `inputs`.
pub fn document<'a>(diagnostics: &'a [Diagnostic], inputs: &[LintInput]) -> Report<'a> {
    let (errors, warnings) = crate::counts(diagnostics);
    Report {
        ok: errors == 0,
        summary: Summary {
            errors,
            warnings,
            files: inputs.len(),
        },
        diagnostics: diagnostics.iter().map(finding).collect(),
    }
}

/// The document as pretty-printed text, ending in a newline.
pub fn render(diagnostics: &[Diagnostic], inputs: &[LintInput]) -> String {
    let mut text = serde_json::to_string_pretty(&document(diagnostics, inputs))
        .expect("plain structs always serialise");
    text.push('\n');
    text
}

fn finding(d: &Diagnostic) -> Finding<'_> {
    Finding {
        rule: d.rule,
        severity: d.severity.as_str(),
        file: crate::slash_path(&d.path),
        line: d.line,
        column: d.column,
        end_line: d.end_line,
        end_column: d.end_column,
        message: &d.message,
        help: d.help.as_deref(),
    }
}
