//! Every rule, one per file, each documented by its doc comment under the headings
//! "What it does", "Why is this bad?", "Example" and "Use instead".
//!
//! Rules are grouped by category, one folder each; a category's `RULES` lists its rules, and
//! [`ALL`] joins the categories. Adding a rule means adding its file and one line in its
//! category's `mod.rs`.

use crate::context::StatementContext;
use crate::{Diagnostic, Severity};

mod authoring;
mod destructive;
mod locking;
mod transaction;

/// A check of one statement at a time.
pub trait Rule: Sync {
    /// Stable kebab-case id, used in suppressions, configuration and output.
    fn id(&self) -> &'static str;
    /// `None`: off unless enabled in `[lint]`.
    fn default_severity(&self) -> Option<Severity>;
    /// Appends findings for `cx`'s statement, with the given severity.
    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>);
}

/// Every rule, in category order.
pub static ALL: std::sync::LazyLock<Vec<&'static dyn Rule>> = std::sync::LazyLock::new(|| {
    [
        transaction::RULES,
        locking::RULES,
        destructive::RULES,
        authoring::RULES,
    ]
    .concat()
});

/// Looks a rule up by id.
pub fn by_id(id: &str) -> Option<&'static dyn Rule> {
    ALL.iter().copied().find(|r| r.id() == id)
}
