//! Splitting a script into statements.

use std::ops::Range;

use crate::lexer::{Lexer, SplitError, Token, TokenKind, Unterminated};
use crate::Dialect;

/// One statement of a script.
///
/// `range` is the byte range in the original source from the first byte of the
/// statement's first token up to and including its terminating `;`, if any.
/// Whitespace and comments before the statement are not included; comments
/// inside it are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 0-based position of the statement in the script.
    pub index: usize,
    /// Byte range in the source.
    pub range: Range<usize>,
}

impl Statement {
    /// The SQL to send to the server: the statement without its terminating
    /// `;` and without trailing whitespace.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        let raw = &source[self.range.clone()];
        raw.strip_suffix(';').unwrap_or(raw).trim_end()
    }
}

/// A piece of a script as returned by [`segments`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Byte range in the source.
    pub range: Range<usize>,
    /// `true` for a statement, `false` for whitespace/comments (and stray `;`)
    /// between statements.
    pub is_statement: bool,
}

/// Splits a script into statements.
///
/// Stretches holding only whitespace, comments or empty statements (a lone
/// `;`) are not statements. The last statement may lack its `;`.
pub fn split(source: &str, dialect: Dialect) -> Result<Vec<Statement>, SplitError> {
    let mut splitter = Splitter::new(source, dialect);
    for token in Lexer::new(source, dialect) {
        splitter.push(token?);
    }
    splitter.finish()
}

/// Lossless segmentation: consecutive, non-empty pieces covering the whole
/// input, each either a statement (with the same range [`split`] gives) or the
/// trivia between statements.
pub fn segments(source: &str, dialect: Dialect) -> Result<Vec<Segment>, SplitError> {
    let statements = split(source, dialect)?;
    let mut out = Vec::with_capacity(statements.len() * 2 + 1);
    let mut cursor = 0;
    for stmt in statements {
        if stmt.range.start > cursor {
            out.push(Segment {
                range: cursor..stmt.range.start,
                is_statement: false,
            });
        }
        cursor = stmt.range.end;
        out.push(Segment {
            range: stmt.range,
            is_statement: true,
        });
    }
    if cursor < source.len() {
        out.push(Segment {
            range: cursor..source.len(),
            is_statement: false,
        });
    }
    Ok(out)
}

/// Token-at-a-time statement boundary detection.
///
/// The only state beyond "where did this statement start" is the depth of
/// `BEGIN ... END` bodies, since those are the one place a top-level `;` does
/// not end a statement.
struct Splitter<'a> {
    source: &'a str,
    dialect: Dialect,
    statements: Vec<Statement>,
    /// Start of the current statement, once it has a significant token.
    start: Option<usize>,
    /// End of the last significant token, for a final statement without `;`.
    last_end: usize,
    /// Number of significant tokens seen in the current statement.
    count: usize,
    /// PostgreSQL: a `BEGIN` waiting to learn whether `ATOMIC` follows.
    pending_begin: Option<usize>,
    /// SQLite: whether the statement so far reads `CREATE [TEMP] TRIGGER`.
    trigger: TriggerHead,
    /// Nesting of the body (`BEGIN`) plus `CASE` expressions inside it, which
    /// also close with `END`.
    depth: usize,
    /// Where the outermost body opened, for the error message.
    body_start: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TriggerHead {
    Undecided,
    AfterCreate,
    AfterTemp,
    Yes,
    No,
}

impl<'a> Splitter<'a> {
    fn new(source: &'a str, dialect: Dialect) -> Self {
        Splitter {
            source,
            dialect,
            statements: Vec::new(),
            start: None,
            last_end: 0,
            count: 0,
            pending_begin: None,
            trigger: TriggerHead::Undecided,
            depth: 0,
            body_start: 0,
        }
    }

    fn push(&mut self, token: Token) {
        if token.kind.is_trivia() {
            return;
        }
        if token.kind == TokenKind::Semicolon && self.depth == 0 {
            if let Some(start) = self.start {
                self.end_statement(start..token.range.end);
            }
            return;
        }
        self.start.get_or_insert(token.range.start);
        match self.dialect {
            Dialect::Postgres => self.track_atomic(&token),
            Dialect::Sqlite => self.track_trigger(&token),
        }
        self.count += 1;
        self.last_end = token.range.end;
    }

    fn track_atomic(&mut self, token: &Token) {
        let src = self.source;
        if let Some(begin) = self.pending_begin.take() {
            if token.is_keyword(src, "atomic") {
                self.open_body(begin);
                return;
            }
        }
        // A statement that *starts* with BEGIN is a transaction start, never
        // a function body, so only a later BEGIN can open one.
        if self.count > 0 && token.is_keyword(src, "begin") {
            self.pending_begin = Some(token.range.start);
        } else {
            self.track_case_end(token);
        }
    }

    fn track_trigger(&mut self, token: &Token) {
        let src = self.source;
        let kw = |k: &str| token.is_keyword(src, k);
        self.trigger = match self.trigger {
            TriggerHead::Undecided if kw("create") => TriggerHead::AfterCreate,
            TriggerHead::AfterCreate if kw("temp") || kw("temporary") => TriggerHead::AfterTemp,
            TriggerHead::AfterCreate | TriggerHead::AfterTemp if kw("trigger") => TriggerHead::Yes,
            TriggerHead::Yes => TriggerHead::Yes,
            _ => TriggerHead::No,
        };
        if self.trigger != TriggerHead::Yes {
            return;
        }
        if self.depth == 0 && kw("begin") {
            self.open_body(token.range.start);
        } else {
            self.track_case_end(token);
        }
    }

    fn open_body(&mut self, at: usize) {
        if self.depth == 0 {
            self.body_start = at;
        }
        self.depth += 1;
    }

    fn track_case_end(&mut self, token: &Token) {
        if self.depth == 0 {
            return;
        }
        if token.is_keyword(self.source, "case") {
            self.depth += 1;
        } else if token.is_keyword(self.source, "end") {
            self.depth -= 1;
        }
    }

    fn end_statement(&mut self, range: Range<usize>) {
        self.statements.push(Statement {
            index: self.statements.len(),
            range,
        });
        self.start = None;
        self.count = 0;
        self.pending_begin = None;
        self.trigger = TriggerHead::Undecided;
    }

    fn finish(mut self) -> Result<Vec<Statement>, SplitError> {
        if self.depth > 0 {
            return Err(SplitError {
                kind: match self.dialect {
                    Dialect::Postgres => Unterminated::AtomicBody,
                    Dialect::Sqlite => Unterminated::TriggerBody,
                },
                offset: self.body_start,
            });
        }
        if let Some(start) = self.start {
            let end = self.last_end;
            self.end_statement(start..end);
        }
        Ok(self.statements)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str, dialect: Dialect) -> Vec<&str> {
        split(src, dialect)
            .unwrap()
            .iter()
            .map(|s| s.text(src))
            .collect()
    }

    fn pg(src: &str) -> Vec<&str> {
        texts(src, Dialect::Postgres)
    }

    fn lite(src: &str) -> Vec<&str> {
        texts(src, Dialect::Sqlite)
    }

    fn err(src: &str, dialect: Dialect) -> SplitError {
        split(src, dialect).unwrap_err()
    }

    #[test]
    fn simple_statements() {
        assert_eq!(
            pg("create table a (x int);\ninsert into a values (1);\n"),
            ["create table a (x int)", "insert into a values (1)"]
        );
    }

    #[test]
    fn ranges_exclude_leading_trivia_and_include_semicolon() {
        let src = "  -- c\nselect 1 /* in */ ;  \n/* x */ select 2";
        let stmts = split(src, Dialect::Postgres).unwrap();
        assert_eq!(stmts.len(), 2);
        assert_eq!(&src[stmts[0].range.clone()], "select 1 /* in */ ;");
        assert_eq!(stmts[0].text(src), "select 1 /* in */");
        assert_eq!(&src[stmts[1].range.clone()], "select 2");
        assert_eq!(stmts[1].index, 1);
    }

    #[test]
    fn missing_trailing_semicolon() {
        assert_eq!(
            pg("select 1;\nselect 2\n-- tail\n"),
            ["select 1", "select 2"]
        );
    }

    #[test]
    fn only_comments_and_whitespace() {
        assert!(split("", Dialect::Postgres).unwrap().is_empty());
        assert!(split("  \n-- a;\n/* b; */\n", Dialect::Postgres)
            .unwrap()
            .is_empty());
        assert!(split(";; ;\n", Dialect::Sqlite).unwrap().is_empty());
    }

    #[test]
    fn semicolons_in_strings() {
        assert_eq!(
            pg("select 'a;b', 'it''s;';select E'it\\'s;'; select 2"),
            ["select 'a;b', 'it''s;'", "select E'it\\'s;'", "select 2"]
        );
    }

    #[test]
    fn semicolons_in_quoted_identifiers() {
        assert_eq!(
            pg("select 1 as \"semi;colon\"; select 2 as U&\"a;\""),
            ["select 1 as \"semi;colon\"", "select 2 as U&\"a;\""]
        );
    }

    #[test]
    fn dollar_quotes() {
        let src = "create function f() returns int as $body$ select 1; select 2; $body$ language sql; select 3";
        assert_eq!(
            pg(src),
            [
                "create function f() returns int as $body$ select 1; select 2; $body$ language sql",
                "select 3"
            ]
        );
        assert_eq!(
            pg("do $$ x $x$ ; $x$ ; $$; select 1"),
            ["do $$ x $x$ ; $x$ ; $$", "select 1"]
        );
    }

    #[test]
    fn dollar_in_identifier_and_parameters() {
        assert_eq!(
            pg("select foo$bar; select 1"),
            ["select foo$bar", "select 1"]
        );
        assert_eq!(
            pg("prepare p as select $1; execute p(1)"),
            ["prepare p as select $1", "execute p(1)"]
        );
    }

    #[test]
    fn nested_block_comments() {
        assert_eq!(
            pg("select 1 /* /* */ ; */; select 2"),
            ["select 1 /* /* */ ; */", "select 2"]
        );
    }

    #[test]
    fn sqlite_block_comments_do_not_nest() {
        assert_eq!(
            lite("select 1 /* /* */ ; select 2"),
            ["select 1 /* /* */", "select 2"]
        );
    }

    #[test]
    fn begin_atomic_body() {
        let src = "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 1 ELSE 2 END;\nEND;\nSELECT f();";
        let got = pg(src);
        assert_eq!(got.len(), 2);
        assert!(got[0].ends_with("END"), "{got:?}");
        assert_eq!(got[1], "SELECT f()");
    }

    #[test]
    fn begin_atomic_with_comment_between_keywords() {
        let src = "create procedure p() begin /* c */ -- d\n atomic insert into t values (1); end; select 1";
        assert_eq!(pg(src).len(), 2);
    }

    #[test]
    fn begin_alone_is_transaction_control() {
        assert_eq!(
            pg("BEGIN; create table t (x int); COMMIT;"),
            ["BEGIN", "create table t (x int)", "COMMIT"]
        );
        // `BEGIN ATOMIC` at statement start is not a body opener either.
        assert_eq!(pg("begin atomic; select 1"), ["begin atomic", "select 1"]);
    }

    #[test]
    fn begin_in_identifiers_is_not_a_keyword() {
        assert_eq!(
            pg("select beginning, \"BEGIN\" atomic from t; select 2"),
            ["select beginning, \"BEGIN\" atomic from t", "select 2"]
        );
        assert_eq!(pg("select 'begin' atomic; select 2").len(), 2);
    }

    #[test]
    fn unterminated_atomic_body() {
        let src = "create function f() returns int begin atomic select 1;";
        assert_eq!(
            err(src, Dialect::Postgres),
            SplitError {
                kind: Unterminated::AtomicBody,
                offset: src.find("begin").unwrap()
            }
        );
    }

    #[test]
    fn sqlite_trigger() {
        let src = "CREATE TEMP TRIGGER trg AFTER INSERT ON t\nBEGIN\n  UPDATE t SET x = CASE WHEN new.x > 0 THEN 1 ELSE 0 END;\n  INSERT INTO log VALUES (new.id);\nEND;\nINSERT INTO t VALUES (1);";
        let got = lite(src);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("CREATE TEMP TRIGGER") && got[0].ends_with("END"));
        assert_eq!(got[1], "INSERT INTO t VALUES (1)");
    }

    #[test]
    fn sqlite_begin_outside_trigger() {
        assert_eq!(
            lite("BEGIN TRANSACTION; CREATE TABLE t (x); END TRANSACTION;"),
            ["BEGIN TRANSACTION", "CREATE TABLE t (x)", "END TRANSACTION"]
        );
    }

    #[test]
    fn sqlite_unterminated_trigger() {
        let src = "create trigger t after insert on x begin select 1;";
        assert_eq!(
            err(src, Dialect::Sqlite),
            SplitError {
                kind: Unterminated::TriggerBody,
                offset: src.find("begin").unwrap()
            }
        );
    }

    #[test]
    fn sqlite_quoting() {
        assert_eq!(
            lite("select [a;b], `c;d` from t; select 'x\\'; select 2"),
            ["select [a;b], `c;d` from t", "select 'x\\'", "select 2"]
        );
    }

    #[test]
    fn crlf_line_endings() {
        let src = "select 1;\r\n-- c;\r\nselect 2 \r\n;\r\n";
        assert_eq!(pg(src), ["select 1", "select 2"]);
    }

    #[test]
    fn bom_is_skipped() {
        let src = "\u{feff}select 1;";
        let stmts = split(src, Dialect::Postgres).unwrap();
        assert_eq!(stmts[0].range, 3..src.len());
        assert_eq!(stmts[0].text(src), "select 1");
    }

    #[test]
    fn unterminated_constructs_report_their_start() {
        let src = "select 1;\nselect 'abc;\n";
        assert_eq!(
            err(src, Dialect::Postgres),
            SplitError {
                kind: Unterminated::SingleQuote,
                offset: 17
            }
        );
        let src = "select 1; /* a /* b */";
        assert_eq!(err(src, Dialect::Postgres).offset, 10);
        assert!(split(src, Dialect::Sqlite).is_ok());
        let src = "select $f$ a; $g$";
        assert_eq!(
            err(src, Dialect::Postgres),
            SplitError {
                kind: Unterminated::DollarQuote,
                offset: 7
            }
        );
    }

    #[test]
    fn segments_cover_input() {
        let src = "\n-- a\nselect 1; ; select 2 -- t\n";
        let segs = segments(src, Dialect::Postgres).unwrap();
        let joined: String = segs.iter().map(|s| &src[s.range.clone()]).collect();
        assert_eq!(joined, src);
        let kinds: Vec<bool> = segs.iter().map(|s| s.is_statement).collect();
        assert_eq!(kinds, [false, true, false, true, false]);
        assert!(segments("", Dialect::Postgres).unwrap().is_empty());
    }
}
