//! Property tests: the splitter must be lossless, must never cut inside a
//! quoted region or comment, and must never panic on any input.

use std::ops::Range;

use proptest::prelude::*;
use ratchet_sql::{
    char_position_to_byte, parse_directives, segments, split, transaction_control, Dialect,
    LineIndex,
};

/// One generated piece of a statement.
#[derive(Debug, Clone)]
struct Fragment {
    text: String,
    /// Whether the fragment is a string/identifier/comment that a `;` inside
    /// must not split.
    quoted: bool,
    /// Comments don't make a statement on their own.
    comment: bool,
}

fn plain(text: String) -> Fragment {
    Fragment {
        text,
        quoted: false,
        comment: false,
    }
}

fn quoted(text: String) -> Fragment {
    Fragment {
        text,
        quoted: true,
        comment: false,
    }
}

fn comment(text: String) -> Fragment {
    Fragment {
        text,
        quoted: true,
        comment: true,
    }
}

/// Concatenates generated pieces between fixed delimiters.
fn wrapped(
    open: &'static str,
    pieces: impl Strategy<Value = String>,
    close: &'static str,
) -> impl Strategy<Value = String> {
    prop::collection::vec(pieces, 0..5).prop_map(move |p| format!("{open}{}{close}", p.concat()))
}

fn word() -> impl Strategy<Value = Fragment> {
    prop::sample::select(vec![
        "select", "from", "x", "foo$bar", "$1", "42", "(", ")", "=", ",", "e", "é",
    ])
    .prop_map(|w| plain(w.to_owned()))
}

fn single_quoted() -> impl Strategy<Value = Fragment> {
    let piece = prop_oneof![
        "[a-zé ;$\"*/-]{1,4}",
        Just("''".to_owned()),
        Just("\\".to_owned())
    ];
    wrapped("'", piece, "'").prop_map(quoted)
}

fn double_quoted() -> impl Strategy<Value = Fragment> {
    let piece = prop_oneof!["[a-z ;'$-]{1,4}", Just("\"\"".to_owned())];
    wrapped("\"", piece, "\"").prop_map(quoted)
}

fn line_comment() -> impl Strategy<Value = Fragment> {
    "[a-z ;'\"$/*]{0,10}".prop_map(|body| comment(format!("-- {body}")))
}

fn block_comment() -> impl Strategy<Value = Fragment> {
    "[a-z ;'\"$-]{0,10}".prop_map(|body| comment(format!("/* {body} */")))
}

fn pg_fragment() -> impl Strategy<Value = Fragment> {
    let escape_piece = prop_oneof![
        "[a-z ;\"]{1,4}",
        Just("\\'".to_owned()),
        Just("''".to_owned()),
        Just("\\\\".to_owned())
    ];
    let escape_string = wrapped("E'", escape_piece, "'").prop_map(quoted);
    let dollar = (
        "[a-z_]{0,3}",
        prop::collection::vec(
            prop_oneof![
                "[a-z ;'\"-]{1,4}",
                Just("$q$ ".to_owned()),
                Just("$$ ".to_owned())
            ],
            0..5,
        ),
    )
        .prop_filter_map("body must not contain its own delimiter", |(tag, body)| {
            let delim = format!("${tag}$");
            let body = body.concat();
            (!body.contains(&delim)).then(|| quoted(format!("{delim}{body}{delim}")))
        });
    let nested_comment = "[a-z ;]{0,5}".prop_map(|b| comment(format!("/* a /* {b} */ ; */")));
    prop_oneof![
        4 => word(),
        2 => single_quoted(),
        1 => double_quoted(),
        1 => escape_string,
        2 => dollar,
        1 => line_comment(),
        1 => block_comment(),
        1 => nested_comment,
    ]
}

fn sqlite_fragment() -> impl Strategy<Value = Fragment> {
    let bracket = "[a-z ;'\"`$-]{0,6}".prop_map(|b| quoted(format!("[{b}]")));
    let backtick_piece = prop_oneof!["[a-z ;'\"-]{1,4}", Just("``".to_owned())];
    let backtick = wrapped("`", backtick_piece, "`").prop_map(quoted);
    prop_oneof![
        4 => word(),
        2 => single_quoted(),
        1 => double_quoted(),
        1 => bracket,
        1 => backtick,
        1 => line_comment(),
        1 => block_comment(),
    ]
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![" ", "\n", "\t", "\r\n", "  "])
}

/// A generated script plus what we know about it.
#[derive(Debug, Clone)]
struct Script {
    text: String,
    quoted_regions: Vec<Range<usize>>,
    expected_statements: usize,
}

fn script(fragment: BoxedStrategy<Fragment>) -> impl Strategy<Value = Script> {
    let statement = prop::collection::vec((fragment, separator()), 1..6);
    (
        separator(),
        prop::collection::vec((statement, separator()), 0..6),
        any::<bool>(),
    )
        .prop_map(|(lead, statements, final_semicolon)| {
            let mut text = lead.to_owned();
            let mut quoted_regions = Vec::new();
            let mut expected_statements = 0;
            let count = statements.len();
            for (i, (fragments, trailer)) in statements.into_iter().enumerate() {
                if fragments.iter().any(|(f, _)| !f.comment) {
                    expected_statements += 1;
                }
                for (f, sep) in fragments {
                    if f.quoted {
                        quoted_regions.push(text.len()..text.len() + f.text.len());
                    }
                    text.push_str(&f.text);
                    // A line comment runs to the end of the line, so something
                    // must end that line before the next fragment.
                    text.push_str(if f.text.starts_with("--") { "\n" } else { sep });
                }
                if i + 1 < count || final_semicolon {
                    text.push(';');
                }
                text.push_str(trailer);
            }
            Script {
                text,
                quoted_regions,
                expected_statements,
            }
        })
}

fn check_lossless(src: &str, dialect: Dialect) -> Result<(), TestCaseError> {
    let segs = segments(src, dialect).map_err(|e| TestCaseError::fail(format!("{e}")))?;
    let mut cursor = 0;
    for seg in &segs {
        prop_assert_eq!(seg.range.start, cursor);
        prop_assert!(seg.range.end > seg.range.start, "empty segment");
        prop_assert!(src.is_char_boundary(seg.range.start));
        prop_assert!(src.is_char_boundary(seg.range.end));
        cursor = seg.range.end;
    }
    prop_assert_eq!(cursor, src.len());
    let joined: String = segs.iter().map(|s| &src[s.range.clone()]).collect();
    prop_assert_eq!(joined.as_str(), src);
    Ok(())
}

fn check_script(s: &Script, dialect: Dialect) -> Result<(), TestCaseError> {
    let src = s.text.as_str();
    check_lossless(src, dialect)?;
    let stmts = split(src, dialect).map_err(|e| TestCaseError::fail(format!("{e}")))?;
    prop_assert_eq!(stmts.len(), s.expected_statements);
    for stmt in &stmts {
        for region in &s.quoted_regions {
            for boundary in [stmt.range.start, stmt.range.end] {
                prop_assert!(
                    !(region.start < boundary && boundary < region.end),
                    "statement {:?} cuts quoted region {:?} ({:?})",
                    stmt.range,
                    region,
                    &src[region.clone()]
                );
            }
        }
        let text = stmt.text(src);
        prop_assert!(!text.is_empty());
        prop_assert!(src[stmt.range.clone()].starts_with(text));
    }
    Ok(())
}

proptest! {
    // Integration tests have no lib.rs next to them for proptest to anchor a
    // regressions file on; shrunk failures are printed instead.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn postgres_scripts_split_losslessly(s in script(pg_fragment().boxed())) {
        check_script(&s, Dialect::Postgres)?;
    }

    #[test]
    fn sqlite_scripts_split_losslessly(s in script(sqlite_fragment().boxed())) {
        check_script(&s, Dialect::Sqlite)?;
    }

    #[test]
    fn arbitrary_input_never_panics(src in any::<String>()) {
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            if split(&src, dialect).is_ok() {
                check_lossless(&src, dialect)?;
            }
            let _ = parse_directives(&src, dialect);
        }
        let _ = transaction_control(&src);
        let index = LineIndex::new(&src);
        for offset in 0..=src.len() + 1 {
            let (line, col) = index.line_col(offset);
            prop_assert!(line >= 1 && col >= 1);
            let _ = index.line_text(&src, line);
        }
        for pos in 0..=src.chars().count() + 1 {
            prop_assert!(char_position_to_byte(&src, pos) <= src.len());
        }
    }

    /// Arbitrary strings rarely contain SQL punctuation; this alphabet makes
    /// the interesting paths (quotes, comments, dollars, bodies) common.
    #[test]
    fn sql_alphabet_never_panics(
        src in "([a-zE$'\"`;/*\\\\ \n\r\t\u{feff}é\\[\\]-]|begin |atomic |end |case |create |trigger ){0,60}"
    ) {
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            match split(&src, dialect) {
                Ok(_) => check_lossless(&src, dialect)?,
                Err(e) => prop_assert!(e.offset < src.len()),
            }
            let _ = parse_directives(&src, dialect);
        }
        let _ = transaction_control(&src);
    }
}
