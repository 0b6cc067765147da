//! What a rule sees: one parsed statement, where it is, and what the file did before it.

use std::collections::HashSet;
use std::path::Path;

use pg_query::NodeEnum;
use ratchet_sql::LineIndex;

use crate::{Diagnostic, Severity};

/// Facts about the file that rules need, accumulated statement by statement.
#[derive(Debug, Default)]
pub struct FileState {
    /// Tables created earlier in this file (lowercase, unqualified and `schema.table`):
    /// locking them is harmless because nobody else can see them yet.
    pub created_tables: HashSet<String>,
    /// Enum labels added earlier in this file: `(type name, label)`, lowercase type name.
    pub added_enum_values: Vec<(String, String)>,
    /// Whether a statement earlier in the file set `lock_timeout`.
    pub lock_timeout_set: bool,
}

/// One statement under inspection.
#[derive(Debug)]
pub struct StatementContext<'a> {
    pub path: &'a Path,
    pub source: &'a str,
    /// Byte offset of the statement's text in `source`.
    pub offset: usize,
    /// The statement's text (what was parsed); node locations are byte offsets into it.
    pub text: &'a str,
    /// 0-based index of the statement in the file.
    pub index: usize,
    pub node: &'a NodeEnum,
    /// The whole parse of the statement's text (`node` is one of its statements).
    pub parsed: &'a pg_query::protobuf::ParseResult,
    /// Whether the runner wraps this file in a transaction.
    pub transactional: bool,
    pub state: &'a FileState,
    pub(crate) lines: &'a LineIndex,
}

impl StatementContext<'_> {
    /// The byte range in the file of a node whose `location` pg_query reported (a byte
    /// offset into the statement, or -1 when unknown), or of the whole statement.
    pub fn span_at(&self, location: i32) -> (usize, usize) {
        match usize::try_from(location) {
            Ok(at) if at < self.text.len() => {
                let start = self.offset + at;
                let word = self.text[at..]
                    .find(|c: char| c.is_whitespace() || c == '(' || c == ';')
                    .unwrap_or(self.text.len() - at);
                (start, start + word.max(1))
            }
            _ => self.statement_span(),
        }
    }

    /// The whole statement.
    pub fn statement_span(&self) -> (usize, usize) {
        (self.offset, self.offset + self.text.len())
    }

    /// Builds a finding of `rule` at `span`.
    pub fn diagnostic(
        &self,
        rule: &'static str,
        severity: Severity,
        span: (usize, usize),
        message: impl Into<String>,
        help: Option<&str>,
    ) -> Diagnostic {
        make(
            self.path,
            self.lines,
            rule,
            severity,
            span,
            message.into(),
            help.map(str::to_owned),
        )
    }
}

pub(crate) fn make(
    path: &Path,
    lines: &LineIndex,
    rule: &'static str,
    severity: Severity,
    (start, end): (usize, usize),
    message: String,
    help: Option<String>,
) -> Diagnostic {
    let (line, column) = lines.line_col(start);
    let (end_line, end_column) = lines.line_col(end);
    Diagnostic {
        rule,
        severity,
        path: path.to_owned(),
        start,
        end,
        line,
        column,
        end_line,
        end_column,
        message,
        help,
    }
}

/// `schema.name` or `name`, lowercased, from a pg_query `RangeVar`.
pub fn relation_name(relation: &pg_query::protobuf::RangeVar) -> String {
    if relation.schemaname.is_empty() {
        relation.relname.to_lowercase()
    } else {
        format!("{}.{}", relation.schemaname, relation.relname).to_lowercase()
    }
}
