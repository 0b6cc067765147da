//! Lints a snippet as `migrations/0001_test.sql` and renders it exactly as users see it.
#![allow(dead_code)] // each test binary uses part of this

use ratchet_lint::{LintConfig, LintInput, RuleSetting, Severity};

/// Renders the findings for `sql` with the default rule set plus `enable` (rules that are off
/// by default), through the human renderer.
pub fn check_with(sql: &str, enable: &[&str]) -> String {
    let mut config = LintConfig::default();
    for id in enable {
        config
            .set(id, RuleSetting::On(Severity::Warning))
            .expect("known rule");
    }
    let inputs = [LintInput {
        path: "migrations/0001_test.sql".into(),
        source: sql.to_owned(),
    }];
    let found = ratchet_lint::lint(&inputs, &config);
    ratchet_report::text::render(&found, &inputs, ratchet_report::text::Color::Never)
}

pub fn check(sql: &str) -> String {
    check_with(sql, &[])
}

/// Only the findings of `rule`, rendered: a rule's snapshot does not change when another rule
/// is added that also fires on the same example.
pub fn check_rule(sql: &str, rule: &str) -> String {
    let mut config = LintConfig::default();
    for r in ratchet_lint::rules::ALL.iter() {
        let setting = if r.id() == rule {
            RuleSetting::On(r.default_severity().unwrap_or(Severity::Warning))
        } else {
            RuleSetting::Off
        };
        config.set(r.id(), setting).expect("known rule");
    }
    let inputs = [LintInput {
        path: "migrations/0001_test.sql".into(),
        source: sql.to_owned(),
    }];
    let found = ratchet_lint::lint(&inputs, &config);
    ratchet_report::text::render(&found, &inputs, ratchet_report::text::Color::Never)
}
