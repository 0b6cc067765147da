//! `--format github`: GitHub Actions workflow commands, one per finding, so each shows as an
//! annotation on the pull request's diff.
//!
//! ```text
//! ::error file=migrations/0003_index.sql,line=2,col=1,endLine=2,endColumn=45,title=concurrently-in-transaction::CREATE INDEX CONCURRENTLY cannot run inside a transaction...
//! ```
//!
//! The runner reads these from the step's stdout. Values are escaped as the runner expects
//! (`%`, CR and LF in the message; also `,` and `:` in properties), so a message cannot end
//! the command early or inject another one.

use std::fmt::Write as _;

use ratchet_lint::{Diagnostic, Severity};

/// One workflow command per finding, each on its own line.
pub fn render(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // The help goes on the annotation's second line: the runner turns %0A back into a
        // line break.
        let message = match &d.help {
            Some(help) => format!("{}\nhelp: {help}", d.message),
            None => d.message.clone(),
        };
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&crate::slash_path(&d.path)),
            d.line,
            d.column,
            d.end_line,
            d.end_column,
            escape_property(d.rule),
            escape_data(&message),
        );
    }
    out
}

/// The message after `::`.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A `key=value` property: also `:` (which would end the properties) and `,` (which would
/// start the next one).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("100% a\r\nb"), "100%25 a%0D%0Ab");
        assert_eq!(escape_property("a,b:c%"), "a%2Cb%3Ac%25");
    }
}
