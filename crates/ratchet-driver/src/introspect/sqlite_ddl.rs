//! The few facts SQLite's pragmas do not report, read from the `CREATE` statements it keeps
//! in `sqlite_schema`: constraint names, CHECK conditions, generated-column expressions,
//! column collations, foreign-key deferrability, index key expressions and partial-index
//! predicates.
//!
//! The statements were accepted by SQLite, so this only has to find clauses, not validate
//! them: it walks the tokens of `ratchet-sql`'s lexer (which knows SQLite's quoting) and
//! tracks parentheses. Anything it does not recognise is ignored, never an error.

use ratchet_schema::Deferrable;
use ratchet_sql::lexer::{tokenize, Token, TokenKind};
use ratchet_sql::Dialect;

/// A constraint or generated expression found in a `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    /// `CONSTRAINT name`, when given.
    pub name: Option<String>,
    /// The column, for a clause in a column definition.
    pub column: Option<String>,
    pub kind: ClauseKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClauseKind {
    PrimaryKey {
        columns: Vec<String>,
    },
    Unique {
        columns: Vec<String>,
    },
    /// The condition, as written, without its parentheses.
    Check {
        expression: String,
    },
    ForeignKey {
        columns: Vec<String>,
        deferrable: Deferrable,
    },
    /// `[GENERATED ALWAYS] AS (expression)`.
    Generated {
        expression: String,
    },
    /// `COLLATE name` in a column definition.
    Collation {
        name: String,
    },
}

/// A lexed statement without its whitespace and comments.
struct Tokens<'a> {
    source: &'a str,
    tokens: Vec<Token>,
}

impl<'a> Tokens<'a> {
    fn new(source: &'a str) -> Option<Tokens<'a>> {
        let tokens = tokenize(source, Dialect::Sqlite)
            .ok()?
            .into_iter()
            .filter(|t| !t.kind.is_trivia())
            .collect();
        Some(Tokens { source, tokens })
    }

    fn text(&self, i: usize) -> &'a str {
        self.tokens[i].text(self.source)
    }

    fn is(&self, i: usize, text: &str) -> bool {
        i < self.tokens.len() && self.tokens[i].kind == TokenKind::Other && self.text(i) == text
    }

    fn keyword(&self, i: usize, keyword: &str) -> bool {
        i < self.tokens.len() && self.tokens[i].is_keyword(self.source, keyword)
    }

    /// The index of the `)` matching the `(` at `open`, or the end.
    fn close(&self, open: usize) -> usize {
        let mut depth = 0usize;
        for i in open..self.tokens.len() {
            if self.is(i, "(") {
                depth += 1;
            } else if self.is(i, ")") {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
        }
        self.tokens.len()
    }

    /// The source text from token `from` to token `to` (exclusive), as written.
    fn slice(&self, from: usize, to: usize) -> &'a str {
        if from >= to || from >= self.tokens.len() {
            return "";
        }
        let to = to.min(self.tokens.len());
        &self.source[self.tokens[from].range.start..self.tokens[to - 1].range.end]
    }

    /// Splits `from..to` at commas outside parentheses.
    fn split_commas(&self, from: usize, to: usize) -> Vec<(usize, usize)> {
        let mut parts = Vec::new();
        let mut depth = 0usize;
        let mut start = from;
        for i in from..to {
            if self.is(i, "(") {
                depth += 1;
            } else if self.is(i, ")") {
                depth = depth.saturating_sub(1);
            } else if depth == 0 && self.is(i, ",") {
                parts.push((start, i));
                start = i + 1;
            }
        }
        if start < to {
            parts.push((start, to));
        }
        parts
    }

    /// An identifier's value: unquoted (`"a""b"`, `[a]`, `` `a` ``, `'a'`) or as written.
    fn ident(&self, i: usize) -> String {
        let text = self.text(i);
        match self.tokens[i].kind {
            TokenKind::QuotedIdent | TokenKind::String if text.len() >= 2 => {
                let quote = text.as_bytes()[0] as char;
                let inner = &text[1..text.len() - 1];
                match quote {
                    '[' => inner.to_owned(),
                    q => inner.replace(&format!("{q}{q}"), &q.to_string()),
                }
            }
            _ => text.to_owned(),
        }
    }

    /// The column names listed in the parentheses opening at `open` (each item's first
    /// token; `COLLATE`/`ASC`/`DESC` after it are ignored).
    fn column_list(&self, open: usize) -> Vec<String> {
        let close = self.close(open);
        self.split_commas(open + 1, close)
            .into_iter()
            .filter(|(from, to)| from < to)
            .map(|(from, _)| self.ident(from))
            .collect()
    }
}

/// The clauses of a `CREATE TABLE` statement, in the order written. Empty for a statement
/// it cannot read (`CREATE TABLE ... AS SELECT`, a virtual table).
pub(crate) fn table_clauses(sql: &str) -> Vec<Clause> {
    let Some(t) = Tokens::new(sql) else {
        return Vec::new();
    };
    let Some(open) = (0..t.tokens.len()).find(|&i| t.is(i, "(")) else {
        return Vec::new();
    };
    let close = t.close(open);
    let mut clauses = Vec::new();
    for (from, to) in t.split_commas(open + 1, close) {
        if from >= to {
            continue;
        }
        let table_level = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|k| t.keyword(from, k));
        let (column, start) = if table_level {
            (None, from)
        } else {
            (Some(t.ident(from)), from + 1)
        };
        element_clauses(&t, column, start, to, &mut clauses);
    }
    clauses
}

fn element_clauses(
    t: &Tokens<'_>,
    column: Option<String>,
    from: usize,
    to: usize,
    out: &mut Vec<Clause>,
) {
    let mut name = None;
    let mut i = from;
    let own_column = || column.iter().cloned().collect::<Vec<_>>();
    while i < to {
        if t.is(i, "(") {
            // Type arguments and expressions we are not looking into.
            i = t.close(i) + 1;
            continue;
        }
        let mut push = |name: &mut Option<String>, kind| {
            out.push(Clause {
                name: name.take(),
                column: column.clone(),
                kind,
            });
        };
        if t.keyword(i, "CONSTRAINT") && i + 1 < to {
            name = Some(t.ident(i + 1));
            i += 2;
        } else if t.keyword(i, "PRIMARY") && t.keyword(i + 1, "KEY") {
            i += 2;
            let columns = if t.is(i, "(") {
                let list = t.column_list(i);
                i = t.close(i) + 1;
                list
            } else {
                own_column()
            };
            push(&mut name, ClauseKind::PrimaryKey { columns });
        } else if t.keyword(i, "UNIQUE") {
            i += 1;
            let columns = if t.is(i, "(") {
                let list = t.column_list(i);
                i = t.close(i) + 1;
                list
            } else {
                own_column()
            };
            push(&mut name, ClauseKind::Unique { columns });
        } else if t.keyword(i, "CHECK") && t.is(i + 1, "(") {
            let close = t.close(i + 1);
            let expression = t.slice(i + 2, close).to_owned();
            i = close + 1;
            push(&mut name, ClauseKind::Check { expression });
        } else if (t.keyword(i, "FOREIGN") && t.keyword(i + 1, "KEY")) || t.keyword(i, "REFERENCES")
        {
            let columns = if t.keyword(i, "FOREIGN") {
                i += 2;
                let list = if t.is(i, "(") {
                    t.column_list(i)
                } else {
                    Vec::new()
                };
                if t.is(i, "(") {
                    i = t.close(i) + 1;
                }
                list
            } else {
                own_column()
            };
            // The REFERENCES clause runs to the next constraint of the element.
            let end = (i + 1..to)
                .find(|&j| {
                    [
                        "CONSTRAINT",
                        "PRIMARY",
                        "UNIQUE",
                        "CHECK",
                        "FOREIGN",
                        "GENERATED",
                        "AS",
                        "COLLATE",
                        "DEFAULT",
                    ]
                    .iter()
                    .any(|k| t.keyword(j, k))
                        || (t.keyword(j, "NOT") && t.keyword(j + 1, "NULL"))
                })
                .unwrap_or(to);
            let deferrable = deferrable(t, i, end);
            i = end;
            push(
                &mut name,
                ClauseKind::ForeignKey {
                    columns,
                    deferrable,
                },
            );
        } else if t.keyword(i, "COLLATE") && i + 1 < to && column.is_some() {
            let collation = t.ident(i + 1);
            i += 2;
            push(&mut name, ClauseKind::Collation { name: collation });
        } else if t.keyword(i, "AS") && t.is(i + 1, "(") && column.is_some() {
            let close = t.close(i + 1);
            let expression = t.slice(i + 2, close).to_owned();
            i = close + 1;
            push(&mut name, ClauseKind::Generated { expression });
        } else {
            i += 1;
        }
    }
}

/// `[NOT] DEFERRABLE [INITIALLY {DEFERRED | IMMEDIATE}]` within `from..to`. SQLite defers
/// only `DEFERRABLE INITIALLY DEFERRED`; the rest is immediate.
fn deferrable(t: &Tokens<'_>, from: usize, to: usize) -> Deferrable {
    for i in from..to {
        if t.keyword(i, "DEFERRABLE") && !(i > from && t.keyword(i - 1, "NOT")) {
            return if t.keyword(i + 1, "INITIALLY") && t.keyword(i + 2, "DEFERRED") {
                Deferrable::InitiallyDeferred
            } else {
                Deferrable::InitiallyImmediate
            };
        }
    }
    Deferrable::NotDeferrable
}

/// What a `CREATE INDEX` statement lists: each key item as written, and the `WHERE`
/// predicate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IndexParts {
    pub items: Vec<String>,
    pub predicate: Option<String>,
}

pub(crate) fn index_parts(sql: &str) -> IndexParts {
    let Some(t) = Tokens::new(sql) else {
        return IndexParts::default();
    };
    let Some(on) = (0..t.tokens.len()).find(|&i| t.keyword(i, "ON")) else {
        return IndexParts::default();
    };
    let Some(open) = (on..t.tokens.len()).find(|&i| t.is(i, "(")) else {
        return IndexParts::default();
    };
    let close = t.close(open);
    let items = t
        .split_commas(open + 1, close)
        .into_iter()
        .map(|(from, to)| {
            // The key without its ordering: `lower(email) DESC` -> `lower(email)`.
            let mut to = to;
            while to > from + 1 && (t.keyword(to - 1, "ASC") || t.keyword(to - 1, "DESC")) {
                to -= 1;
            }
            one_line(t.slice(from, to))
        })
        .collect();
    let predicate = (close + 1..t.tokens.len())
        .find(|&i| t.keyword(i, "WHERE"))
        .map(|w| one_line(t.slice(w + 1, t.tokens.len())))
        .filter(|p| !p.is_empty());
    IndexParts { items, predicate }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_constraints_and_generated_columns() {
        let sql = r#"CREATE TABLE "order items" (
            id INTEGER PRIMARY KEY,
            "order" INTEGER NOT NULL CONSTRAINT fk_order REFERENCES orders (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
            qty INTEGER CHECK (qty > 0),
            price NUMERIC(10, 2) DEFAULT (0),
            total NUMERIC GENERATED ALWAYS AS (qty * price) STORED,
            sku TEXT UNIQUE COLLATE NOCASE,
            CONSTRAINT one_sku UNIQUE ([order], sku),
            CHECK (price >= 0 AND (qty < 1000)),
            FOREIGN KEY (sku) REFERENCES products (sku)
        )"#;
        let clauses = table_clauses(sql);
        let kinds: Vec<_> = clauses
            .iter()
            .map(|c| (c.name.as_deref(), c.column.as_deref(), &c.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (
                    None,
                    Some("id"),
                    &ClauseKind::PrimaryKey {
                        columns: vec!["id".into()]
                    }
                ),
                (
                    Some("fk_order"),
                    Some("order"),
                    &ClauseKind::ForeignKey {
                        columns: vec!["order".into()],
                        deferrable: Deferrable::InitiallyDeferred
                    }
                ),
                (
                    None,
                    Some("qty"),
                    &ClauseKind::Check {
                        expression: "qty > 0".into()
                    }
                ),
                (
                    None,
                    Some("total"),
                    &ClauseKind::Generated {
                        expression: "qty * price".into()
                    }
                ),
                (
                    None,
                    Some("sku"),
                    &ClauseKind::Unique {
                        columns: vec!["sku".into()]
                    }
                ),
                (
                    None,
                    Some("sku"),
                    &ClauseKind::Collation {
                        name: "NOCASE".into()
                    }
                ),
                (
                    Some("one_sku"),
                    None,
                    &ClauseKind::Unique {
                        columns: vec!["order".into(), "sku".into()]
                    }
                ),
                (
                    None,
                    None,
                    &ClauseKind::Check {
                        expression: "price >= 0 AND (qty < 1000)".into()
                    }
                ),
                (
                    None,
                    None,
                    &ClauseKind::ForeignKey {
                        columns: vec!["sku".into()],
                        deferrable: Deferrable::NotDeferrable
                    }
                ),
            ]
        );
    }

    #[test]
    fn reads_index_keys_and_predicates() {
        let parts = index_parts(
            "CREATE UNIQUE INDEX i ON t (lower(email) DESC, \"b\" COLLATE NOCASE)\n WHERE deleted_at IS NULL",
        );
        assert_eq!(parts.items, vec!["lower(email)", "\"b\" COLLATE NOCASE"]);
        assert_eq!(parts.predicate.as_deref(), Some("deleted_at IS NULL"));
        assert_eq!(index_parts("CREATE INDEX i ON t(a)").predicate, None);
    }
}
