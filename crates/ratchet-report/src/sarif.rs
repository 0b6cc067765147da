//! `--format sarif`: SARIF 2.1.0, the format GitHub code scanning (and most CI dashboards)
//! ingest. Upload the file with `github/codeql-action/upload-sarif` and findings appear in the
//! repository's Security tab and on pull requests.
//!
//! The driver lists every rule `ratchet lint` knows (and the engine's own finding ids), so a
//! viewer can show a rule's default level even when it did not fire. Regions are 1-based and
//! columns count Unicode code points, which the run declares with `columnKind`.

use ratchet_lint::{Diagnostic, Severity};
use serde_json::{json, Value};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const VERSION: &str = "2.1.0";

/// Findings the engine itself reports (not rules: they cannot be turned off), with what they
/// mean.
const ENGINE: [(&str, &str, Severity); 4] = [
    (
        ratchet_lint::SYNTAX_ERROR,
        "The statement is not valid PostgreSQL",
        Severity::Error,
    ),
    (
        ratchet_lint::INVALID_DIRECTIVE,
        "A `-- ratchet:` directive in the header is malformed or unknown",
        Severity::Error,
    ),
    (
        ratchet_lint::UNUSED_SUPPRESSION,
        "A `-- ratchet:allow` suppresses nothing, or names no rule",
        Severity::Warning,
    ),
    (
        ratchet_lint::SUPPRESSION_WITHOUT_REASON,
        "A `-- ratchet:allow` does not say why after `--`",
        Severity::Error,
    ),
];

/// The SARIF log for `diagnostics`.
pub fn document(diagnostics: &[Diagnostic]) -> Value {
    let mut rules: Vec<Value> = ENGINE
        .iter()
        .map(|(id, text, severity)| rule(id, text, Some(*severity)))
        .collect();
    rules.extend(
        ratchet_lint::rules::ALL
            .iter()
            .map(|r| rule(r.id(), &describe(r.id()), r.default_severity())),
    );
    json!({
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [{
            "tool": {
                "driver": {
                    "name": "ratchet",
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": diagnostics.iter().map(result).collect::<Vec<_>>(),
        }],
    })
}

/// The log as pretty-printed text, ending in a newline.
pub fn render(diagnostics: &[Diagnostic]) -> String {
    let mut text = serde_json::to_string_pretty(&document(diagnostics))
        .expect("a JSON value always serialises");
    text.push('\n');
    text
}

fn rule(id: &str, description: &str, default: Option<Severity>) -> Value {
    let configuration = match default {
        Some(severity) => json!({ "level": level(severity) }),
        // Off unless enabled in `[lint]`.
        None => json!({ "level": "warning", "enabled": false }),
    };
    json!({
        "id": id,
        "shortDescription": { "text": description },
        "defaultConfiguration": configuration,
    })
}

/// Rules carry their documentation as doc comments, not as data; the id is written to be
/// read (`require-concurrent-index-creation`), so it makes the short description.
fn describe(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A relative path stays relative (code scanning resolves it against the checkout); an
/// absolute one becomes a `file://` URI. Anything but unreserved characters and `/` is
/// percent-encoded, so a space or a `#` in a file name cannot break the URI.
fn uri(path: &std::path::Path) -> String {
    let mut out = String::new();
    for byte in crate::slash_path(path).bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    if path.is_absolute() {
        let slash = if out.starts_with('/') { "" } else { "/" };
        format!("file://{slash}{out}")
    } else {
        out
    }
}

fn result(d: &Diagnostic) -> Value {
    let text = match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    };
    json!({
        "ruleId": d.rule,
        "level": level(d.severity),
        "message": { "text": text },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri(&d.path) },
                "region": {
                    "startLine": d.line,
                    "startColumn": d.column,
                    "endLine": d.end_line,
                    "endColumn": d.end_column,
                },
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn uris() {
        assert_eq!(
            uri(Path::new("migrations/0001_a b.sql")),
            "migrations/0001_a%20b.sql"
        );
        assert_eq!(uri(Path::new("/w/m/0001_a.sql")), "file:///w/m/0001_a.sql");
        assert_eq!(describe("ban-drop-table"), "Ban drop table");
    }
}
