//! Recognising transaction-control statements.
//!
//! The runner wraps each migration in its own transaction, so it must know
//! when a script tries to manage transactions itself.

use crate::lexer::{Lexer, TokenKind};
use crate::Dialect;

/// What kind of transaction control a statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionControl {
    /// `BEGIN ...`, `START TRANSACTION ...`.
    Begin,
    /// `COMMIT ...`, `END ...` (but not `COMMIT PREPARED`).
    Commit,
    /// `ROLLBACK ...`, `ABORT ...` (but not `ROLLBACK ... TO [SAVEPOINT]` or
    /// `ROLLBACK PREPARED`).
    Rollback,
    /// Two-phase commit: `PREPARE TRANSACTION`, `COMMIT PREPARED`,
    /// `ROLLBACK PREPARED`.
    Other,
}

/// How many leading words are enough to decide; `ROLLBACK TRANSACTION TO`
/// is the longest prefix that matters.
const LEADING_WORDS: usize = 3;

/// Classifies a statement by its leading keywords, skipping comments and
/// whitespace, case-insensitively. Savepoint commands (`SAVEPOINT`,
/// `RELEASE`, `ROLLBACK TO`) give `None`: they are legal inside the
/// transaction the runner opens.
pub fn transaction_control(statement_text: &str) -> Option<TransactionControl> {
    // The PostgreSQL lexer is a superset for the purpose of finding leading
    // keywords, so the dialect does not matter here. Lexing stops at the first
    // problem, which is fine since only the first few words are needed. The
    // words are lexed lazily: most statements (CREATE, ALTER, INSERT) are
    // decided by their first word, and `verify` classifies every statement of
    // thousands of files.
    let mut words = Lexer::new(statement_text, Dialect::Postgres)
        .map_while(Result::ok)
        .filter(|t| !t.kind.is_trivia())
        .take(LEADING_WORDS)
        .map_while(|t| (t.kind == TokenKind::Word).then(|| t.text(statement_text)));
    let is =
        |word: Option<&str>, keyword: &str| word.is_some_and(|w| w.eq_ignore_ascii_case(keyword));

    let first = words.next()?;
    let first = |keyword: &str| first.eq_ignore_ascii_case(keyword);
    if first("begin") {
        // SQLite's `BEGIN DEFERRED|IMMEDIATE|EXCLUSIVE` is covered too.
        return Some(TransactionControl::Begin);
    }
    if first("end") || first("abort") {
        return Some(if first("end") {
            TransactionControl::Commit
        } else {
            TransactionControl::Rollback
        });
    }
    if !(first("start") || first("commit") || first("rollback") || first("prepare")) {
        return None;
    }
    let second = words.next();
    if first("start") {
        return is(second, "transaction").then_some(TransactionControl::Begin);
    }
    if first("prepare") {
        return is(second, "transaction").then_some(TransactionControl::Other);
    }
    if is(second, "prepared") {
        return Some(TransactionControl::Other);
    }
    if first("commit") {
        return Some(TransactionControl::Commit);
    }
    // ROLLBACK [WORK | TRANSACTION] [TO ...]: `TO` makes it a savepoint command.
    let next = if is(second, "work") || is(second, "transaction") {
        words.next()
    } else {
        second
    };
    (!is(next, "to")).then_some(TransactionControl::Rollback)
}

#[cfg(test)]
mod tests {
    use super::TransactionControl::*;
    use super::*;

    #[test]
    fn begin_forms() {
        for s in [
            "BEGIN",
            "begin work",
            "Begin Transaction Isolation Level Serializable",
            "START TRANSACTION READ ONLY",
            "BEGIN IMMEDIATE TRANSACTION",
            "begin deferred",
            "-- lead\n/* c */ BEGIN;",
        ] {
            assert_eq!(transaction_control(s), Some(Begin), "{s}");
        }
    }

    #[test]
    fn commit_and_rollback_forms() {
        for s in [
            "COMMIT",
            "commit work",
            "END",
            "end transaction",
            "COMMIT AND CHAIN",
        ] {
            assert_eq!(transaction_control(s), Some(Commit), "{s}");
        }
        for s in [
            "ROLLBACK",
            "rollback work",
            "ABORT",
            "abort transaction",
            "ROLLBACK AND NO CHAIN",
        ] {
            assert_eq!(transaction_control(s), Some(Rollback), "{s}");
        }
    }

    #[test]
    fn two_phase_is_other() {
        for s in [
            "PREPARE TRANSACTION 'x'",
            "COMMIT PREPARED 'x'",
            "rollback prepared 'x'",
        ] {
            assert_eq!(transaction_control(s), Some(Other), "{s}");
        }
    }

    #[test]
    fn not_transaction_control() {
        for s in [
            "SAVEPOINT a",
            "RELEASE SAVEPOINT a",
            "ROLLBACK TO a",
            "rollback to savepoint a",
            "ROLLBACK TRANSACTION TO SAVEPOINT a",
            "rollback work to a",
            "PREPARE q AS SELECT 1",
            "START",
            "select 1",
            "beginning",
            "\"BEGIN\"",
            "'begin'",
            "",
            "-- begin",
            "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END",
        ] {
            assert_eq!(transaction_control(s), None, "{s}");
        }
    }
}
