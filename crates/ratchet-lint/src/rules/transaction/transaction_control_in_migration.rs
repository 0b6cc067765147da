use pg_query::protobuf::TransactionStmtKind;
use pg_query::NodeEnum;
use ratchet_sql::{Dialect, TransactionControl};

use crate::context::StatementContext;
use crate::rules::Rule;
use crate::{Diagnostic, Severity};

/// ## What it does
/// Flags `BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`,
/// `PREPARE TRANSACTION`, `COMMIT PREPARED` and `ROLLBACK PREPARED` in a migration that the
/// runner wraps in a transaction. One `BEGIN` as the file's first statement together with one
/// `COMMIT` as its last is accepted: the runner unwraps that pair. Savepoints (`SAVEPOINT`,
/// `RELEASE`, `ROLLBACK TO`) are allowed.
///
/// ## Why is this bad?
/// ratchet already runs each migration in its own transaction. A `COMMIT` in the middle
/// would make the statements before it permanent even if a later one fails, leaving the
/// migration half-applied, and a `ROLLBACK` would silently discard them; so ratchet refuses
/// to load such a file, and the deploy fails.
///
/// ## Example
/// ```sql
/// CREATE TABLE accounts (id bigint PRIMARY KEY);
/// COMMIT;
/// CREATE INDEX accounts_id_idx ON accounts (id);
/// ```
///
/// ## Use instead
/// Remove the transaction control and let ratchet manage the transaction, or split the file
/// into two migrations; a migration that must manage transactions itself says
/// `-- ratchet:no-transaction` in its header.
pub struct TransactionControlInMigration;

impl Rule for TransactionControlInMigration {
    fn id(&self) -> &'static str {
        "transaction-control-in-migration"
    }

    fn default_severity(&self) -> Option<Severity> {
        Some(Severity::Error)
    }

    fn check(&self, cx: &StatementContext<'_>, severity: Severity, out: &mut Vec<Diagnostic>) {
        if !cx.transactional {
            return;
        }
        let NodeEnum::TransactionStmt(stmt) = cx.node else {
            return;
        };
        // Classified as the runner does, so lint and runner agree on what is accepted.
        if ratchet_sql::transaction_control(cx.text).is_none() || whole_file_pair(cx.source) {
            return;
        }
        let what = describe(stmt, cx.text);
        out.push(cx.diagnostic(
            self.id(),
            severity,
            cx.statement_span(),
            format!(
                "{what} inside a migration that ratchet already runs in a transaction"
            ),
            Some("remove it (only one BEGIN/COMMIT pair around the whole file is accepted), or add `-- ratchet:no-transaction` to the header"),
        ));
    }
}

/// Whether the file's only transaction control is a `BEGIN` as its first statement and a
/// `COMMIT` as its last, which the runner unwraps (ratchet-core's migration loader).
fn whole_file_pair(source: &str) -> bool {
    // Only reached for transaction-control statements, so the extra split is rare and cheap.
    let Ok(statements) = ratchet_sql::split(source, Dialect::Postgres) else {
        return false;
    };
    let controls: Vec<(usize, TransactionControl)> = statements
        .iter()
        .enumerate()
        .filter_map(|(i, s)| ratchet_sql::transaction_control(s.text(source)).map(|c| (i, c)))
        .collect();
    let last = statements.len().wrapping_sub(1);
    controls.len() == 2
        && controls[0] == (0, TransactionControl::Begin)
        && controls[1] == (last, TransactionControl::Commit)
}

/// The statement's leading keywords, as written (uppercased): `BEGIN`, `END`, `COMMIT PREPARED`...
fn describe(stmt: &pg_query::protobuf::TransactionStmt, text: &str) -> String {
    let first = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    match TransactionStmtKind::try_from(stmt.kind) {
        Ok(TransactionStmtKind::TransStmtStart) => "START TRANSACTION".to_owned(),
        Ok(TransactionStmtKind::TransStmtPrepare) => "PREPARE TRANSACTION".to_owned(),
        Ok(TransactionStmtKind::TransStmtCommitPrepared) => "COMMIT PREPARED".to_owned(),
        Ok(TransactionStmtKind::TransStmtRollbackPrepared) => "ROLLBACK PREPARED".to_owned(),
        _ => first,
    }
}
