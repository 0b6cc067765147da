use ratchet_sql::lexer::{Lexer, TokenKind};
use ratchet_sql::Dialect;

use super::string_constants::string_constants;
use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags a string constant equal to an enum label that an earlier
/// `ALTER TYPE ... ADD VALUE` in the same transactional migration added.
///
/// ## Why is this bad?
/// PostgreSQL does not let a transaction use an enum value it added itself until the
/// transaction commits: the statement fails with `unsafe use of new value "..." of enum type
/// ...`, and since the runner wraps the migration in one transaction, the whole migration
/// fails at deploy time.
///
/// ## Example
/// ```sql
/// ALTER TYPE mood ADD VALUE 'ecstatic';
/// UPDATE people SET current_mood = 'ecstatic' WHERE name = 'Ann';
/// ```
///
/// ## Use instead
/// Add the value in one migration and use it in a later one:
/// ```sql
/// -- 0007_add_mood.sql
/// ALTER TYPE mood ADD VALUE 'ecstatic';
/// -- 0008_use_mood.sql
/// UPDATE people SET current_mood = 'ecstatic' WHERE name = 'Ann';
/// ```
pub struct EnumValueUsedInSameTransaction;

impl Rule for EnumValueUsedInSameTransaction {
    fn id(&self) -> &'static str {
        "enum-value-used-in-same-transaction"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Error)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        if !cx.transactional || cx.state.added_enum_values.is_empty() {
            return;
        }
        for constant in string_constants(cx.node) {
            let Some((type_name, label)) = cx
                .state
                .added_enum_values
                .iter()
                .find(|(_, label)| *label == constant.value)
            else {
                continue;
            };
            out.push(cx.diagnostic(
                self.id(),
                severity,
                literal_span(cx, constant.location),
                format!(
                    "'{label}' was added to enum type {type_name} earlier in this migration, and PostgreSQL rejects its use in the same transaction (\"unsafe use of new value\")"
                ),
                Some("use the new value in a later migration, or move the `ALTER TYPE ... ADD VALUE` to its own earlier migration"),
            ));
        }
    }
}

/// The span of the string literal starting at `location` in the statement (the whole
/// literal, quotes included), or what [`StatementContext::span_at`] gives if there is none.
fn literal_span(cx: &StatementContext<'_>, location: i32) -> (usize, usize) {
    let literal = usize::try_from(location)
        .ok()
        .and_then(|at| cx.text.get(at..).map(|rest| (at, rest)))
        .and_then(|(at, rest)| {
            let token = Lexer::new(rest, Dialect::Postgres).next()?.ok()?;
            matches!(token.kind, TokenKind::String | TokenKind::DollarString)
                .then(|| (cx.offset + at, cx.offset + at + token.range.end))
        });
    literal.unwrap_or_else(|| cx.span_at(location))
}
