//! `ratchet lint`: finds unsafe and broken migrations before they reach a database.
//!
//! Files are split into statements with byte ranges (ratchet-sql), each statement is parsed
//! with PostgreSQL's own grammar (libpg_query), and every enabled rule looks at every
//! statement. A syntax error yields one finding and the rest of the file is still linted.
//! Findings are values ([`Diagnostic`]); the CLI renders them.

mod config;
pub mod context;
mod diagnostic;
mod engine;
mod objects;
mod parse;
mod pipeline;
pub mod rules;

pub use config::{LintConfig, RuleSetting, UnknownRule};
pub use diagnostic::{Diagnostic, Severity};
pub use engine::{
    lint, LintInput, INVALID_DIRECTIVE, SUPPRESSION_WITHOUT_REASON, SYNTAX_ERROR,
    UNUSED_SUPPRESSION,
};
pub use parse::{parse, SyntaxError};
