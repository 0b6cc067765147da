//! Renderers: findings in, text out. One module per format; none decides anything.
//! Lint findings: `text`, `json`, `github`, `sarif`. Schemas and their differences:
//! `schema_text`, `schema_json`.

pub mod github;
pub mod json;
pub mod sarif;
pub mod schema_json;
pub mod schema_text;
pub mod text;

/// The text of the linted file `path`, to quote its lines.
pub(crate) fn source_of<'a>(
    inputs: &'a [ratchet_lint::LintInput],
    path: &std::path::Path,
) -> Option<&'a str> {
    inputs
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.source.as_str())
}

/// `path` as machine formats show it: forward slashes on every platform, so a SARIF upload or
/// a GitHub annotation made on Windows points at the same file as one made on Linux.
pub(crate) fn slash_path(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

/// (errors, warnings) among `diagnostics`.
pub(crate) fn counts(diagnostics: &[ratchet_lint::Diagnostic]) -> (usize, usize) {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == ratchet_lint::Severity::Error)
        .count();
    (errors, diagnostics.len() - errors)
}
