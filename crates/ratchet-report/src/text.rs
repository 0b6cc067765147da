//! The human format: compiler-style, with the source line and a caret under the span.
//!
//! ```text
//! error[require-concurrent-index-creation]: CREATE INDEX without CONCURRENTLY locks writes to users
//!  --> migrations/0003_index.sql:2:1
//!   |
//! 2 | CREATE INDEX users_email_idx ON users (email);
//!   | ^^^^^^^^^^^^
//!   = help: ...
//! ```

use ratchet_lint::{Diagnostic, Severity};
use ratchet_sql::LineIndex;

use ratchet_lint::LintInput;

/// Whether to colour the output (callers decide: a terminal, and no NO_COLOR).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Always,
    Never,
}

/// Renders `diagnostics`, then a one-line summary.
pub fn render(diagnostics: &[Diagnostic], sources: &[LintInput], color: Color) -> String {
    let mut out = String::new();
    for d in diagnostics {
        render_one(&mut out, d, sources, color);
        out.push('\n');
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    out.push_str(&format!("{} error(s), {} warning(s)\n", errors, warnings));
    out
}

fn paint(color: Color, code: &str, text: &str) -> String {
    match color {
        Color::Always => format!("\x1b[{code}m{text}\x1b[0m"),
        Color::Never => text.to_owned(),
    }
}

fn render_one(out: &mut String, d: &Diagnostic, sources: &[LintInput], color: Color) {
    let (label, code) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    out.push_str(&format!(
        "{}: {}\n",
        paint(color, code, &format!("{label}[{}]", d.rule)),
        d.message
    ));
    let number = d.line.to_string();
    let pad = " ".repeat(number.len());
    out.push_str(&format!(
        "{pad}--> {}:{}:{}\n",
        d.path.display(),
        d.line,
        d.column
    ));
    if let Some(source) = crate::source_of(sources, &d.path) {
        let lines = LineIndex::new(source);
        let text = lines.line_text(source, d.line).replace('\t', " ");
        // Underline to the end of the span on its first line.
        let width = if d.end_line == d.line {
            d.end_column.saturating_sub(d.column).max(1)
        } else {
            text.chars().count().saturating_sub(d.column - 1).max(1)
        };
        out.push_str(&format!("{pad} |\n"));
        out.push_str(&format!("{number} | {text}\n"));
        out.push_str(&format!(
            "{pad} | {}{}\n",
            " ".repeat(d.column.saturating_sub(1)),
            paint(color, code, &"^".repeat(width))
        ));
    }
    if let Some(help) = &d.help {
        out.push_str(&format!("{pad} = help: {help}\n"));
    }
}
