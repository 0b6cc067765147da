use std::path::PathBuf;

use serde::Serialize;

/// How much a finding matters. `Error` findings make `ratchet lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding. A value, not an error: renderers turn a list of these into text, JSON, SARIF
/// or GitHub annotations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable kebab-case rule id, e.g. `require-concurrent-index-creation`.
    pub rule: &'static str,
    pub severity: Severity,
    pub path: PathBuf,
    /// Byte range in the file.
    pub start: usize,
    pub end: usize,
    /// 1-based position of `start`.
    pub line: usize,
    pub column: usize,
    /// 1-based position of `end` (for SARIF regions and GitHub annotations).
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    /// What to do instead.
    pub help: Option<String>,
}
