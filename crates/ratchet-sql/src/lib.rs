//! SQL handling for ratchet migration files: lexing, statement splitting,
//! directive parsing, source positions and statement classification.
//!
//! None of this is a SQL parser. The lexer knows just enough about quoting,
//! comments and a few block constructs (`BEGIN ATOMIC ... END` in PostgreSQL,
//! trigger bodies in SQLite) to find the `;` that really end statements, so a
//! migration can be sent to the server one statement at a time and errors can
//! be reported against the line the author wrote.

mod classify;
mod directives;
pub mod lexer;
mod position;
mod split;

pub use classify::{transaction_control, TransactionControl};
pub use directives::{parse_directives, DependencyRef, DirectiveError, Directives, Suppression};
pub use lexer::{SplitError, Unterminated};
pub use position::{char_position_to_byte, LineIndex};
pub use split::{segments, split, Segment, Statement};

/// The SQL dialect a script is written in; it decides the lexical rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: dollar quotes, `E'...'` strings, nesting block comments,
    /// `BEGIN ATOMIC` function bodies.
    Postgres,
    /// SQLite: `[...]` and `` `...` `` identifiers, non-nesting block
    /// comments, `CREATE TRIGGER ... BEGIN ... END` bodies.
    Sqlite,
}
