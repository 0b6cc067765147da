//! Every rule, one per file, each documented by its doc comment under the headings
//! "What it does", "Why is this bad?", "Example" and "Use instead".
//!
//! [`ALL`] is the one registry: adding a rule means adding its file and one line here.

use crate::context::StatementContext;
use crate::{Diagnostic, Severity};

mod concurrently_in_transaction;

/// A check of one statement at a time.
pub trait Rule: Sync {
    /// Stable kebab-case id, used in suppressions, configuration and output.
    fn id(&self) -> &'static str;
    /// `None`: off unless enabled in `[lint]`.
    fn default_severity(&self) -> Option<Severity>;
    /// Appends findings for `cx`'s statement, with the given severity.
    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>);
}

/// The registry.
pub static ALL: &[&dyn Rule] = &[&concurrently_in_transaction::ConcurrentlyInTransaction];

/// Looks a rule up by id.
pub fn by_id(id: &str) -> Option<&'static dyn Rule> {
    ALL.iter().copied().find(|r| r.id() == id)
}
