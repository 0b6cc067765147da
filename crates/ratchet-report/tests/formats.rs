//! One snapshot per machine format, from hand-built findings: what a script, GitHub code
//! scanning or the Actions runner reads must not change by accident.

use ratchet_lint::{Diagnostic, LintInput, Severity};
use serde_json::Value;

fn inputs() -> Vec<LintInput> {
    vec![
        LintInput {
            path: "migrations/0003_index.sql".into(),
            source: "CREATE TABLE t (id int);\nCREATE INDEX CONCURRENTLY t_id_idx ON t (id);\n"
                .into(),
        },
        LintInput {
            path: "migrations/0004_oops.sql".into(),
            source: "-- ratchet:allow concurrently-in-transaction\nSELEC 1;\n".into(),
        },
    ]
}

fn diagnostics() -> Vec<Diagnostic> {
    vec![
        Diagnostic {
            rule: "concurrently-in-transaction",
            severity: Severity::Error,
            path: "migrations/0003_index.sql".into(),
            start: 25,
            end: 69,
            line: 2,
            column: 1,
            end_line: 2,
            end_column: 45,
            message: "CREATE INDEX CONCURRENTLY cannot run inside a transaction, and this migration runs in one".into(),
            help: Some("move it to its own migration with `-- ratchet:no-transaction` in the header".into()),
        },
        Diagnostic {
            rule: ratchet_lint::UNUSED_SUPPRESSION,
            severity: Severity::Warning,
            path: "migrations/0004_oops.sql".into(),
            start: 17,
            end: 44,
            line: 1,
            column: 18,
            end_line: 1,
            end_column: 45,
            // `%`, a line break and `,`/`:` exercise the GitHub escaping.
            message: "100% unused:\nnothing, here".into(),
            help: None,
        },
        Diagnostic {
            rule: ratchet_lint::SYNTAX_ERROR,
            severity: Severity::Error,
            path: "migrations/0004_oops.sql".into(),
            start: 46,
            end: 54,
            line: 2,
            column: 1,
            end_line: 2,
            end_column: 9,
            message: "syntax error at or near \"SELEC\"".into(),
            help: None,
        },
    ]
}

#[test]
fn json() {
    insta::assert_snapshot!(ratchet_report::json::render(&diagnostics(), &inputs()));
}

#[test]
fn json_clean() {
    insta::assert_snapshot!(ratchet_report::json::render(&[], &inputs()));
}

#[test]
fn github() {
    insta::assert_snapshot!(ratchet_report::github::render(&diagnostics()));
}

#[test]
fn sarif() {
    let mut log = ratchet_report::sarif::document(&diagnostics());
    let driver = &mut log["runs"][0]["tool"]["driver"];
    // Other rules come and go; the snapshot keeps the engine's ids and the one rule used here.
    let rules = driver["rules"].as_array_mut().expect("rules");
    let all: Vec<String> = rules
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    rules.retain(|r| {
        let id = r["id"].as_str().expect("id");
        id == "concurrently-in-transaction" || ratchet_lint::rules::by_id(id).is_none()
    });
    driver["version"] = Value::String("[version]".into());
    insta::assert_snapshot!(serde_json::to_string_pretty(&log).expect("json"));

    // Every rule is listed, once.
    for rule in ratchet_lint::rules::ALL.iter() {
        assert_eq!(
            all.iter().filter(|id| *id == rule.id()).count(),
            1,
            "{} is listed once",
            rule.id()
        );
    }
}

#[test]
fn sarif_lists_rules_off_by_default_as_disabled() {
    let log = ratchet_report::sarif::document(&[]);
    for rule in log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
    {
        let id = rule["id"].as_str().expect("id");
        let enabled = rule["defaultConfiguration"]["enabled"].as_bool() != Some(false);
        if let Some(r) = ratchet_lint::rules::by_id(id) {
            assert_eq!(enabled, r.default_severity().is_some(), "{id}");
        } else {
            assert!(enabled, "engine finding {id} is always on");
        }
    }
}
