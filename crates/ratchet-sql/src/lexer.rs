//! A deliberately shallow SQL lexer.
//!
//! It only knows enough to tell where strings, quoted identifiers, comments and
//! keywords begin and end, because that is all the splitter and the directive
//! parser need. Everything it does not understand becomes a one-character
//! [`TokenKind::Other`] token, so it never rejects SQL that the server would
//! accept; it only fails on constructs that are opened and never closed.

use std::fmt;
use std::ops::Range;

use crate::Dialect;

/// What a [`Token`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Whitespace, including a byte-order mark.
    Whitespace,
    /// `-- ...` up to (not including) the end of the line.
    LineComment,
    /// `/* ... */`, nested in PostgreSQL.
    BlockComment,
    /// An unquoted identifier or keyword.
    Word,
    /// `"..."`, `U&"..."`, and in SQLite also `[...]` and `` `...` ``.
    QuotedIdent,
    /// `'...'`, `E'...'`, `U&'...'`.
    String,
    /// `$$...$$` or `$tag$...$tag$`.
    DollarString,
    /// `;`.
    Semicolon,
    /// Anything else: numbers, parameters, operators, punctuation.
    Other,
}

impl TokenKind {
    /// Whitespace and comments, which never change the meaning of a statement.
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment
        )
    }
}

/// One lexical token; `range` is a byte range into the source that was lexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token's kind.
    pub kind: TokenKind,
    /// Byte range in the source; always on `char` boundaries.
    pub range: Range<usize>,
}

impl Token {
    /// The token's text within `source`.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.range.clone()]
    }

    /// Whether this is the unquoted keyword `keyword` (ASCII case-insensitive).
    pub fn is_keyword(&self, source: &str, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.text(source).eq_ignore_ascii_case(keyword)
    }
}

/// A construct that was opened but never closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unterminated {
    /// `'...`
    SingleQuote,
    /// `E'...`
    EscapeString,
    /// `"...`
    QuotedIdent,
    /// SQLite `[...`
    BracketIdent,
    /// SQLite `` `... ``
    BacktickIdent,
    /// `$$...` or `$tag$...`; the error offset points at the opening delimiter,
    /// which is where the tag can be read from.
    DollarQuote,
    /// `/* ...`
    BlockComment,
    /// PostgreSQL `BEGIN ATOMIC ...` without its `END`.
    AtomicBody,
    /// SQLite `CREATE TRIGGER ... BEGIN ...` without its `END`.
    TriggerBody,
}

impl fmt::Display for Unterminated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unterminated::SingleQuote => "string literal",
            Unterminated::EscapeString => "escape string literal",
            Unterminated::QuotedIdent => "quoted identifier",
            Unterminated::BracketIdent => "bracket-quoted identifier",
            Unterminated::BacktickIdent => "backtick-quoted identifier",
            Unterminated::DollarQuote => "dollar-quoted string",
            Unterminated::BlockComment => "block comment",
            Unterminated::AtomicBody => "BEGIN ATOMIC body",
            Unterminated::TriggerBody => "CREATE TRIGGER body",
        })
    }
}

/// The error returned when a script contains an unterminated construct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} starting at byte {offset} is never closed")]
pub struct SplitError {
    /// What was left open.
    pub kind: Unterminated,
    /// Byte offset in the source where it was opened.
    pub offset: usize,
}

/// Lexes the whole of `source`.
pub fn tokenize(source: &str, dialect: Dialect) -> Result<Vec<Token>, SplitError> {
    Lexer::new(source, dialect).collect()
}

/// Streaming form of [`tokenize`]: yields tokens until the first error, then stops.
///
/// Callers that only care about a prefix (leading keywords, the header
/// comments) use this so that a problem later in the file does not stop them.
#[derive(Debug, Clone)]
pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    dialect: Dialect,
    failed: bool,
}

impl<'a> Lexer<'a> {
    /// Starts lexing `source` from its first byte.
    pub fn new(source: &'a str, dialect: Dialect) -> Self {
        Lexer {
            src: source,
            pos: 0,
            dialect,
            failed: false,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    fn byte_at(&self, i: usize) -> Option<u8> {
        self.bytes().get(i).copied()
    }

    fn lex_one(&mut self) -> Result<Token, SplitError> {
        let start = self.pos;
        let rest = &self.src[start..];
        let c = rest.chars().next().expect("caller checks for end of input");
        let pg = self.dialect == Dialect::Postgres;
        let next = self.byte_at(start + 1);

        let (kind, end) = match c {
            c if is_space(c) => (TokenKind::Whitespace, self.scan_while(start, is_space)),
            '-' if next == Some(b'-') => {
                let end = rest.find('\n').map_or(self.src.len(), |i| start + i);
                (TokenKind::LineComment, end)
            }
            '/' if next == Some(b'*') => (TokenKind::BlockComment, self.block_comment(start)?),
            '\'' => (
                TokenKind::String,
                self.quoted(start, start + 1, b'\'', Unterminated::SingleQuote)?,
            ),
            '"' => (
                TokenKind::QuotedIdent,
                self.quoted(start, start + 1, b'"', Unterminated::QuotedIdent)?,
            ),
            'e' | 'E' if pg && next == Some(b'\'') => {
                (TokenKind::String, self.escape_string(start)?)
            }
            'u' | 'U' if pg && next == Some(b'&') && self.byte_at(start + 2) == Some(b'\'') => (
                TokenKind::String,
                self.quoted(start, start + 3, b'\'', Unterminated::SingleQuote)?,
            ),
            'u' | 'U' if pg && next == Some(b'&') && self.byte_at(start + 2) == Some(b'"') => (
                TokenKind::QuotedIdent,
                self.quoted(start, start + 3, b'"', Unterminated::QuotedIdent)?,
            ),
            '$' if pg => match self.dollar_delimiter(start) {
                Some(delim_end) => (TokenKind::DollarString, self.dollar_body(start, delim_end)?),
                // `$1` is a positional parameter; keep its digits in one token
                // so that nothing downstream mistakes them for anything else.
                None => (
                    TokenKind::Other,
                    self.scan_while(start + 1, |c| c.is_ascii_digit()),
                ),
            },
            '[' if !pg => (TokenKind::QuotedIdent, self.bracket_ident(start)?),
            '`' if !pg => (
                TokenKind::QuotedIdent,
                self.quoted(start, start + 1, b'`', Unterminated::BacktickIdent)?,
            ),
            ';' => (TokenKind::Semicolon, start + 1),
            c if is_ident_start(c) => (TokenKind::Word, self.scan_while(start, is_ident_continue)),
            // Numbers swallow trailing identifier characters (`1e5`, `0x1F`)
            // so that a following `$` is not taken for a dollar quote opener,
            // matching how the server tokenises them.
            c if c.is_ascii_digit() => {
                (TokenKind::Other, self.scan_while(start, is_ident_continue))
            }
            c => (TokenKind::Other, start + c.len_utf8()),
        };
        self.pos = end;
        Ok(Token {
            kind,
            range: start..end,
        })
    }

    fn scan_while(&self, from: usize, pred: impl Fn(char) -> bool) -> usize {
        // Byte by byte while the text is ASCII, as nearly all SQL is: decoding characters was
        // the lexer's largest cost when `verify` reads thousands of files.
        let bytes = self.bytes();
        let mut i = from;
        while let Some(&b) = bytes.get(i) {
            if !b.is_ascii() {
                return self.src[i..]
                    .char_indices()
                    .find(|&(_, c)| !pred(c))
                    .map_or(self.src.len(), |(j, _)| i + j);
            }
            if !pred(char::from(b)) {
                return i;
            }
            i += 1;
        }
        bytes.len()
    }

    /// Scans a body closed by `quote`, where a doubled quote stands for itself.
    fn quoted(
        &self,
        start: usize,
        body: usize,
        quote: u8,
        kind: Unterminated,
    ) -> Result<usize, SplitError> {
        let bytes = self.bytes();
        let mut i = body;
        while i < bytes.len() {
            if bytes[i] == quote {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                    continue;
                }
                return Ok(i + 1);
            }
            i += 1;
        }
        Err(SplitError {
            kind,
            offset: start,
        })
    }

    fn escape_string(&self, start: usize) -> Result<usize, SplitError> {
        let bytes = self.bytes();
        let mut i = start + 2;
        while i < bytes.len() {
            match bytes[i] {
                // Skipping a single byte is enough even before a multi-byte
                // character: its continuation bytes are never ASCII, so they
                // cannot be mistaken for a quote or a backslash.
                b'\\' => i += 2,
                b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                b'\'' => return Ok(i + 1),
                _ => i += 1,
            }
        }
        Err(SplitError {
            kind: Unterminated::EscapeString,
            offset: start,
        })
    }

    fn bracket_ident(&self, start: usize) -> Result<usize, SplitError> {
        // SQLite has no escape for `]` inside brackets.
        self.src[start..]
            .find(']')
            .map(|i| start + i + 1)
            .ok_or(SplitError {
                kind: Unterminated::BracketIdent,
                offset: start,
            })
    }

    fn block_comment(&self, start: usize) -> Result<usize, SplitError> {
        let err = SplitError {
            kind: Unterminated::BlockComment,
            offset: start,
        };
        if self.dialect == Dialect::Sqlite {
            return self.src[start + 2..]
                .find("*/")
                .map(|i| start + 2 + i + 2)
                .ok_or(err);
        }
        let bytes = self.bytes();
        let mut depth = 1usize;
        let mut i = start + 2;
        while i + 1 < bytes.len() {
            match (bytes[i], bytes[i + 1]) {
                (b'/', b'*') => {
                    depth += 1;
                    i += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                _ => i += 1,
            }
        }
        Err(err)
    }

    /// If a dollar-quote delimiter (`$$` or `$tag$`) starts at `start`,
    /// returns the offset just past it.
    fn dollar_delimiter(&self, start: usize) -> Option<usize> {
        let after = start + 1;
        let mut chars = self.src[after..].char_indices();
        match chars.next() {
            Some((_, '$')) => return Some(after + 1),
            Some((_, c)) if is_tag_start(c) => {}
            _ => return None,
        }
        for (i, c) in chars {
            if c == '$' {
                return Some(after + i + 1);
            }
            if !is_tag_continue(c) {
                return None;
            }
        }
        None
    }

    fn dollar_body(&self, start: usize, delim_end: usize) -> Result<usize, SplitError> {
        let delim = &self.src[start..delim_end];
        self.src[delim_end..]
            .find(delim)
            .map(|i| delim_end + i + delim.len())
            .ok_or(SplitError {
                kind: Unterminated::DollarQuote,
                offset: start,
            })
    }
}

impl Iterator for Lexer<'_> {
    type Item = Result<Token, SplitError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.src.len() {
            return None;
        }
        let token = self.lex_one();
        self.failed = token.is_err();
        Some(token)
    }
}

fn is_space(c: char) -> bool {
    // A BOM only legitimately appears at the very start, but treating it as
    // whitespace anywhere keeps the rule simple and can never split a token.
    c.is_whitespace() || c == '\u{feff}'
}

/// PostgreSQL treats every non-ASCII character as an identifier letter; so do we,
/// in both dialects, minus the ones that are whitespace to us.
fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && !is_space(c))
}

fn is_ident_continue(c: char) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == '$'
}

fn is_tag_start(c: char) -> bool {
    is_ident_start(c)
}

/// Like an identifier character but without `$`, which ends the tag.
fn is_tag_continue(c: char) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str, dialect: Dialect) -> Vec<(TokenKind, &str)> {
        tokenize(src, dialect)
            .unwrap()
            .into_iter()
            .map(|t| (t.kind, &src[t.range]))
            .collect()
    }

    fn significant(src: &str, dialect: Dialect) -> Vec<(TokenKind, &str)> {
        kinds(src, dialect)
            .into_iter()
            .filter(|(k, _)| !k.is_trivia())
            .collect()
    }

    #[test]
    fn strings_and_escapes() {
        use TokenKind::*;
        assert_eq!(
            significant("'it''s;' E'it\\'s;' e'a''b' U&'x;'", Dialect::Postgres),
            vec![
                (String, "'it''s;'"),
                (String, "E'it\\'s;'"),
                (String, "e'a''b'"),
                (String, "U&'x;'"),
            ]
        );
    }

    #[test]
    fn escape_string_only_in_postgres() {
        // In SQLite a backslash is ordinary, so `'a\'` is a complete string.
        let toks = significant("x'a\\' ;", Dialect::Sqlite);
        assert_eq!(toks[1], (TokenKind::String, "'a\\'"));
        assert_eq!(toks[2], (TokenKind::Semicolon, ";"));
    }

    #[test]
    fn dollar_quotes_and_parameters() {
        use TokenKind::*;
        assert_eq!(
            significant(
                "$1 $$a;$x$b$$ $body$ ; $$ $body$ foo$bar $12a",
                Dialect::Postgres
            ),
            vec![
                (Other, "$1"),
                (DollarString, "$$a;$x$b$$"),
                (DollarString, "$body$ ; $$ $body$"),
                (Word, "foo$bar"),
                (Other, "$12"),
                (Word, "a"),
            ]
        );
    }

    #[test]
    fn dollar_tag_cannot_start_with_digit() {
        let toks = significant("$1a$", Dialect::Postgres);
        assert_eq!(toks[0], (TokenKind::Other, "$1"));
    }

    #[test]
    fn nested_block_comments() {
        let src = "/* a /* b */ ; */x";
        assert_eq!(
            kinds(src, Dialect::Postgres),
            vec![
                (TokenKind::BlockComment, "/* a /* b */ ; */"),
                (TokenKind::Word, "x")
            ]
        );
        let toks = kinds(src, Dialect::Sqlite);
        assert_eq!(toks[0], (TokenKind::BlockComment, "/* a /* b */"));
    }

    #[test]
    fn sqlite_identifier_quotes() {
        use TokenKind::*;
        assert_eq!(
            significant("[a;b] `c``;d` \"e\"\"f\"", Dialect::Sqlite),
            vec![
                (QuotedIdent, "[a;b]"),
                (QuotedIdent, "`c``;d`"),
                (QuotedIdent, "\"e\"\"f\"")
            ]
        );
    }

    #[test]
    fn line_comment_stops_before_newline() {
        let toks = kinds("-- hi;\r\nx", Dialect::Postgres);
        assert_eq!(toks[0], (TokenKind::LineComment, "-- hi;\r"));
        assert_eq!(toks[1], (TokenKind::Whitespace, "\n"));
    }

    #[test]
    fn bom_is_whitespace() {
        let toks = kinds("\u{feff}select", Dialect::Postgres);
        assert_eq!(toks[0], (TokenKind::Whitespace, "\u{feff}"));
        assert_eq!(toks[1], (TokenKind::Word, "select"));
    }

    #[test]
    fn unterminated_offsets() {
        let cases: &[(&str, Dialect, Unterminated, usize)] = &[
            ("x 'abc", Dialect::Postgres, Unterminated::SingleQuote, 2),
            (
                "x E'ab\\'",
                Dialect::Postgres,
                Unterminated::EscapeString,
                2,
            ),
            ("x E'ab\\", Dialect::Postgres, Unterminated::EscapeString, 2),
            ("x \"ab", Dialect::Postgres, Unterminated::QuotedIdent, 2),
            (
                "x $a$ b $b$",
                Dialect::Postgres,
                Unterminated::DollarQuote,
                2,
            ),
            (
                "x /* /* */",
                Dialect::Postgres,
                Unterminated::BlockComment,
                2,
            ),
            ("x /* ", Dialect::Sqlite, Unterminated::BlockComment, 2),
            ("x [ab", Dialect::Sqlite, Unterminated::BracketIdent, 2),
            ("x `ab", Dialect::Sqlite, Unterminated::BacktickIdent, 2),
        ];
        for &(src, dialect, kind, offset) in cases {
            assert_eq!(
                tokenize(src, dialect),
                Err(SplitError { kind, offset }),
                "{src:?}"
            );
        }
    }

    #[test]
    fn lexer_stops_after_error() {
        let items: Vec<_> = Lexer::new("a 'b", Dialect::Postgres).collect();
        assert_eq!(items.len(), 3);
        assert!(items[2].is_err());
    }

    #[test]
    fn error_display() {
        let err = SplitError {
            kind: Unterminated::AtomicBody,
            offset: 7,
        };
        assert_eq!(
            err.to_string(),
            "BEGIN ATOMIC body starting at byte 7 is never closed"
        );
    }
}
