//! Renderers: findings in, text out. One module per format; none decides anything.

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
