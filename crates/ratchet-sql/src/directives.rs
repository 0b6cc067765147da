//! Directives: instructions to ratchet carried in `--` comments of a migration.
//!
//! Most directives describe how the whole file runs, so they belong in the
//! leading comment block where a reader looks first; only `ratchet:allow`,
//! which suppresses a lint finding for the statement it sits next to, may
//! appear anywhere. Comments are found with the lexer, so text that merely
//! looks like a directive inside a string or dollar quote is never one.

use std::ops::Range;
use std::time::Duration;

use crate::lexer::{Lexer, TokenKind};
use crate::position::LineIndex;
use crate::Dialect;

/// Everything the directives of one file say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directives {
    /// `ratchet:no-transaction`: run the file outside a transaction.
    pub no_transaction: bool,
    /// `ratchet:depends` / `DEPENDS:` targets, in the order written.
    pub depends: Vec<DependencyRef>,
    /// `ratchet:lock-timeout`; `Some(Duration::ZERO)` means "no timeout".
    pub lock_timeout: Option<Duration>,
    /// `ratchet:statement-timeout`; `Some(Duration::ZERO)` means "no timeout".
    pub statement_timeout: Option<Duration>,
    /// `ratchet:allow-file <rule> -- reason` (leading comment block only).
    pub allow_file: Vec<Suppression>,
    /// `ratchet:allow <rule> -- reason` (anywhere in the file).
    pub allow: Vec<Suppression>,
}

/// A migration another one depends on, as written in the directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyRef {
    /// `"0001_core_tables.sql"` or `"0001"`, exactly as written.
    pub target: String,
    /// Byte offset of the target text in the source.
    pub offset: usize,
}

/// A lint suppression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The rule id, as written.
    pub rule: String,
    /// The text after `--`, trimmed; `None` when absent or empty.
    pub reason: Option<String>,
    /// 1-based line of the directive comment.
    pub line: usize,
    /// Byte offset of the rule id in the source.
    pub offset: usize,
}

/// A problem with one directive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DirectiveError {
    /// Byte offset in the source of the problem.
    pub offset: usize,
    /// Human-readable description.
    pub message: String,
}

const PREFIX: &str = "ratchet:";
const LEGACY_DEPENDS: &str = "depends:";
const KNOWN: &str = "no-transaction, depends, lock-timeout, statement-timeout, allow, allow-file";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NoTransaction,
    Depends,
    LockTimeout,
    StatementTimeout,
    Allow,
    AllowFile,
}

impl Kind {
    fn from_name(name: &str) -> Option<Self> {
        const NAMES: [(&str, Kind); 6] = [
            ("no-transaction", Kind::NoTransaction),
            ("depends", Kind::Depends),
            ("lock-timeout", Kind::LockTimeout),
            ("statement-timeout", Kind::StatementTimeout),
            ("allow", Kind::Allow),
            ("allow-file", Kind::AllowFile),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, k)| k)
    }
}

/// A word of a comment, with its byte offset in the source.
#[derive(Debug, Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    offset: usize,
}

/// A `--` comment broken into words, plus whatever follows a `--` inside it.
#[derive(Debug)]
struct CommentWords<'a> {
    words: Vec<Word<'a>>,
    /// Text after an inner `--`, trimmed; the reason of an `allow`.
    remark: Option<&'a str>,
}

/// Splits the body of a line comment (the text after its `--`) into words
/// separated by whitespace and commas. A word starting with `--` ends the
/// words; the rest of the line is the remark.
fn comment_words(body: &str, base: usize) -> CommentWords<'_> {
    let mut words = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut remark = None;
    for (i, c) in body.char_indices() {
        let separator = c.is_whitespace() || c == ',';
        match word_start {
            None if separator => {}
            None if body[i..].starts_with("--") => {
                remark = Some(body[i + 2..].trim());
                break;
            }
            None => word_start = Some(i),
            Some(start) if separator => {
                words.push(Word {
                    text: &body[start..i],
                    offset: base + start,
                });
                word_start = None;
            }
            Some(_) => {}
        }
    }
    if let (Some(start), None) = (word_start, remark) {
        words.push(Word {
            text: &body[start..],
            offset: base + start,
        });
    }
    CommentWords { words, remark }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Accumulates directives and errors over the comments of one file.
struct Parser<'a> {
    source: &'a str,
    /// Built on first use: most files have no directive that needs a line number.
    lines: Option<LineIndex>,
    out: Directives,
    errors: Vec<DirectiveError>,
    /// Line of the first lock-/statement-timeout, for duplicate messages.
    lock_timeout_line: usize,
    statement_timeout_line: usize,
}

impl Parser<'_> {
    fn error(&mut self, offset: usize, message: String) {
        self.errors.push(DirectiveError { offset, message });
    }

    /// Handles the line comment at `range` (which starts with its `--`).
    fn comment(&mut self, source: &str, range: Range<usize>, in_header: bool) {
        let comment_start = range.start;
        let body_start = comment_start + 2;
        let cw = comment_words(&source[body_start..range.end], body_start);
        let Some((&first, rest)) = cw.words.split_first() else {
            return;
        };

        let (kind, label, mut args) = if let Some(name) = strip_prefix_ci(first.text, PREFIX) {
            let Some(kind) = Kind::from_name(name) else {
                self.error(
                    first.offset,
                    format!(
                        "unknown directive \"{}\"; expected one of: {KNOWN}",
                        first.text
                    ),
                );
                return;
            };
            (kind, first.text, Vec::new())
        } else if let Some(inline) = strip_prefix_ci(first.text, LEGACY_DEPENDS) {
            let label = &first.text[..LEGACY_DEPENDS.len()];
            // `DEPENDS:0001` without a space still names a target.
            let args = if inline.is_empty() {
                Vec::new()
            } else {
                vec![Word {
                    text: inline,
                    offset: first.offset + LEGACY_DEPENDS.len(),
                }]
            };
            (Kind::Depends, label, args)
        } else {
            return;
        };
        args.extend_from_slice(rest);

        if !in_header && kind != Kind::Allow {
            self.error(
                first.offset,
                format!(
                    "directive \"{label}\" must be in the leading comment block, before the first statement"
                ),
            );
            return;
        }

        let source = self.source;
        let line = self
            .lines
            .get_or_insert_with(|| LineIndex::new(source))
            .line_col(comment_start)
            .0;
        let missing = |what: &str| format!("directive \"{label}\" needs {what}");
        match kind {
            Kind::NoTransaction => {
                if let Some(extra) = args.first() {
                    self.error(
                        extra.offset,
                        format!(
                            "directive \"{label}\" takes no arguments, found \"{}\"",
                            extra.text
                        ),
                    );
                } else {
                    self.out.no_transaction = true;
                }
            }
            Kind::Depends => {
                if args.is_empty() {
                    self.error(first.offset, missing("at least one migration to depend on"));
                }
                self.out.depends.extend(args.iter().map(|w| DependencyRef {
                    target: w.text.to_owned(),
                    offset: w.offset,
                }));
            }
            Kind::LockTimeout | Kind::StatementTimeout => {
                let (Some(head), Some(tail)) = (args.first(), args.last()) else {
                    self.error(
                        first.offset,
                        missing("a duration such as 5s, 500ms or 10min"),
                    );
                    return;
                };
                // Re-join from the source so `1h 30m` reaches humantime intact.
                let text = &source[head.offset..tail.offset + tail.text.len()];
                self.timeout(kind, label, line, text, head.offset);
            }
            Kind::Allow | Kind::AllowFile => {
                let Some(rule) = args.first() else {
                    self.error(
                        first.offset,
                        missing("a rule id, e.g. \"-- ratchet:allow <rule-id> -- reason\""),
                    );
                    return;
                };
                if let Some(extra) = args.get(1) {
                    self.error(
                        extra.offset,
                        format!(
                            "unexpected \"{}\" after the rule id in \"{label}\"; write the reason after \"--\"",
                            extra.text
                        ),
                    );
                    return;
                }
                let suppression = Suppression {
                    rule: rule.text.to_owned(),
                    reason: cw.remark.filter(|r| !r.is_empty()).map(str::to_owned),
                    line,
                    offset: rule.offset,
                };
                if kind == Kind::Allow {
                    self.out.allow.push(suppression);
                } else {
                    self.out.allow_file.push(suppression);
                }
            }
        }
    }

    fn timeout(&mut self, kind: Kind, label: &str, line: usize, text: &str, offset: usize) {
        let (slot, first_line) = if kind == Kind::LockTimeout {
            (&mut self.out.lock_timeout, &mut self.lock_timeout_line)
        } else {
            (
                &mut self.out.statement_timeout,
                &mut self.statement_timeout_line,
            )
        };
        if slot.is_some() {
            let message = format!(
                "duplicate directive \"{label}\" (already given on line {})",
                *first_line
            );
            self.error(offset, message);
            return;
        }
        // humantime already accepts a bare `0`, but being explicit keeps that
        // documented meaning ("no timeout") independent of the library.
        let parsed = if text == "0" {
            Ok(Duration::ZERO)
        } else {
            humantime::parse_duration(text)
        };
        match parsed {
            Ok(d) => {
                *slot = Some(d);
                *first_line = line;
            }
            Err(e) => self.error(
                offset,
                format!(
                    "invalid duration \"{text}\" in \"{label}\": {e}; expected e.g. 5s, 500ms, 10min, 1h 30m, or 0 for no timeout"
                ),
            ),
        }
    }
}

/// Parses every directive of a migration file, returning all problems at once.
///
/// Only `--` comments carry directives; block comments are skipped. A file
/// that is empty or holds only comments parses fine. If the script contains an
/// unterminated construct, scanning stops there: the splitter reports that
/// error, and nothing after it could be a comment anyway.
/// Whether `text` contains `ratchet:` or `depends:` in any letter case: a superset of the
/// comments [`parse_directives`] acts on outside the header.
fn mentions_directive(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b':'
            && i >= 7
            && (bytes[i - 7..i].eq_ignore_ascii_case(b"ratchet")
                || bytes[i - 7..i].eq_ignore_ascii_case(b"depends"))
    })
}

pub fn parse_directives(source: &str, dialect: Dialect) -> Result<Directives, Vec<DirectiveError>> {
    let mut parser = Parser {
        source,
        lines: None,
        out: Directives::default(),
        errors: Vec::new(),
        lock_timeout_line: 0,
        statement_timeout_line: 0,
    };
    let mut in_header = true;
    for token in Lexer::new(source, dialect).map_while(Result::ok) {
        match token.kind {
            TokenKind::LineComment => parser.comment(source, token.range, in_header),
            kind if kind.is_trivia() => {}
            _ if in_header => {
                in_header = false;
                // Past the header only comments naming a directive matter. Lexing the body
                // just to find none costs more than everything else `verify` does per file,
                // so look for the words first.
                if !mentions_directive(&source[token.range.start..]) {
                    break;
                }
            }
            _ => {}
        }
    }
    if parser.errors.is_empty() {
        Ok(parser.out)
    } else {
        Err(parser.errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> Directives {
        parse_directives(src, Dialect::Postgres).unwrap()
    }

    fn errs(src: &str) -> Vec<DirectiveError> {
        parse_directives(src, Dialect::Postgres).unwrap_err()
    }

    #[test]
    fn no_transaction() {
        assert!(
            ok("-- ratchet:no-transaction\ncreate index concurrently i on t (x);").no_transaction
        );
        assert!(ok("--ratchet:no-transaction").no_transaction);
        assert!(ok("-- RATCHET:No-Transaction -- because").no_transaction);
        assert!(!ok("create table t (x int);").no_transaction);
    }

    #[test]
    fn depends_lists() {
        let src = "-- ratchet:depends 0001_core_tables.sql, 0002\n-- DEPENDS: 0003,0004\n-- depends:0005\nselect 1;";
        let d = ok(src);
        let targets: Vec<&str> = d.depends.iter().map(|r| r.target.as_str()).collect();
        assert_eq!(
            targets,
            ["0001_core_tables.sql", "0002", "0003", "0004", "0005"]
        );
        for r in &d.depends {
            assert_eq!(&src[r.offset..r.offset + r.target.len()], r.target);
        }
    }

    #[test]
    fn timeouts() {
        let d = ok("-- ratchet:lock-timeout 5s\n-- ratchet:statement-timeout 1h 30m\n");
        assert_eq!(d.lock_timeout, Some(Duration::from_secs(5)));
        assert_eq!(d.statement_timeout, Some(Duration::from_secs(5400)));
        let d = ok("-- ratchet:lock-timeout 0\n-- ratchet:statement-timeout 10min\n");
        assert_eq!(d.lock_timeout, Some(Duration::ZERO));
        assert_eq!(d.statement_timeout, Some(Duration::from_secs(600)));
        assert_eq!(
            ok("-- ratchet:lock-timeout 500ms").lock_timeout,
            Some(Duration::from_millis(500))
        );
    }

    #[test]
    fn bad_and_duplicate_timeouts() {
        let src = "-- ratchet:lock-timeout 5 parsecs\n-- ratchet:statement-timeout 1s\n-- ratchet:statement-timeout 2s\n-- ratchet:lock-timeout\n";
        let e = errs(src);
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[0].message.contains("\"5 parsecs\""), "{}", e[0].message);
        assert_eq!(e[0].offset, src.find("5 parsecs").unwrap());
        assert!(e[1].message.contains("duplicate"), "{}", e[1].message);
        assert!(e[1].message.contains("line 2"), "{}", e[1].message);
        assert!(
            e[2].message.contains("needs a duration"),
            "{}",
            e[2].message
        );
    }

    #[test]
    fn allow_and_allow_file() {
        let src = "-- ratchet:allow-file no-drop-table -- legacy cleanup\n-- ratchet:allow-file other\ndrop table a;\n-- ratchet:allow add-column-default --\nalter table b add column c int default 1; -- ratchet:allow r2 -- inline";
        let d = ok(src);
        assert_eq!(
            d.allow_file,
            vec![
                Suppression {
                    rule: "no-drop-table".into(),
                    reason: Some("legacy cleanup".into()),
                    line: 1,
                    offset: src.find("no-drop-table").unwrap(),
                },
                Suppression {
                    rule: "other".into(),
                    reason: None,
                    line: 2,
                    offset: src.find("other").unwrap(),
                },
            ]
        );
        assert_eq!(d.allow.len(), 2);
        assert_eq!(d.allow[0].rule, "add-column-default");
        assert_eq!(d.allow[0].reason, None);
        assert_eq!(d.allow[0].line, 4);
        assert_eq!(d.allow[1].rule, "r2");
        assert_eq!(d.allow[1].reason.as_deref(), Some("inline"));
        assert_eq!(d.allow[1].line, 5);
    }

    #[test]
    fn allow_argument_errors() {
        let e = errs("-- ratchet:allow\n-- ratchet:allow a b -- r\n");
        assert_eq!(e.len(), 2);
        assert!(e[0].message.contains("needs a rule id"), "{}", e[0].message);
        assert!(
            e[1].message.contains("unexpected \"b\""),
            "{}",
            e[1].message
        );
    }

    #[test]
    fn unknown_directive() {
        let src = "-- ratchet:foo\n-- ratchet:depends\n";
        let e = errs(src);
        assert_eq!(e.len(), 2);
        assert_eq!(
            e[0],
            DirectiveError {
                offset: 3,
                message: "unknown directive \"ratchet:foo\"; expected one of: no-transaction, depends, lock-timeout, statement-timeout, allow, allow-file".into(),
            }
        );
        assert!(
            e[1].message.contains("needs at least one"),
            "{}",
            e[1].message
        );
    }

    #[test]
    fn directive_after_first_statement() {
        let src = "select 1;\n-- ratchet:no-transaction\n-- DEPENDS: 0001\n-- ratchet:allow-file x\n-- ratchet:allow y -- fine\n";
        let e = errs(src);
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e
            .iter()
            .all(|e| e.message.contains("must be in the leading comment block")));
        assert_eq!(e[0].offset, src.find("ratchet:no").unwrap());
        assert!(e[1].message.contains("\"DEPENDS:\""), "{}", e[1].message);
    }

    #[test]
    fn trailing_comment_on_first_statement_line_is_not_header() {
        let e = errs("select 1; -- ratchet:no-transaction\n");
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn directives_in_strings_are_ignored() {
        let src = "select '\n-- ratchet:foo\n';\ndo $$\n-- ratchet:no-transaction\n$$;\nselect \"-- ratchet:bar\";";
        assert_eq!(ok(src), Directives::default());
    }

    #[test]
    fn block_comments_are_skipped() {
        let d = ok("/* ratchet:foo\n -- ratchet:bar */\n-- ratchet:no-transaction\nselect 1;");
        assert!(d.no_transaction);
    }

    #[test]
    fn bom_and_crlf() {
        let src = "\u{feff}-- ratchet:depends 0001\r\n-- ratchet:allow-file r -- why\r\n\r\nselect 1;\r\n";
        let d = ok(src);
        assert_eq!(d.depends[0].target, "0001");
        assert_eq!(d.depends[0].offset, src.find("0001").unwrap());
        assert_eq!(d.allow_file[0].reason.as_deref(), Some("why"));
        assert_eq!(d.allow_file[0].line, 2);
    }

    #[test]
    fn prose_comments_are_not_directives() {
        let d = ok("-- This migration uses ratchet:no-transaction semantics\n-- - depends: nothing\n---\n--\nselect 1;");
        assert_eq!(d, Directives::default());
    }

    #[test]
    fn empty_and_comment_only_files() {
        assert_eq!(ok(""), Directives::default());
        assert_eq!(ok("-- just a note\n/* and */\n"), Directives::default());
    }

    #[test]
    fn sqlite_dialect() {
        let d = parse_directives(
            "-- ratchet:no-transaction\nselect [--x], `--y`;",
            Dialect::Sqlite,
        )
        .unwrap();
        assert!(d.no_transaction);
    }

    #[test]
    fn stops_at_lexing_error_without_panicking() {
        let d = ok("-- ratchet:no-transaction\nselect 'unterminated\n-- ratchet:foo\n");
        assert!(d.no_transaction);
    }
}
