use std::collections::BTreeMap;

use crate::rules::{self, Rule};
use crate::Severity;

/// What `[lint]` in ratchet.toml can say about one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    Off,
    On(Severity),
}

/// The lint configuration, validated.
#[derive(Debug, Clone)]
pub struct LintConfig {
    /// Overrides of each rule's default severity, by id.
    pub rules: BTreeMap<&'static str, RuleSetting>,
    /// The PostgreSQL major version migrations run on; some advice depends on it (for
    /// example, adding a column with a constant default rewrites the table before 11).
    pub postgres_version: u32,
    /// How files are split into statements. With SQLite, statements PostgreSQL's grammar
    /// cannot parse are skipped instead of being reported as syntax errors.
    pub dialect: ratchet_sql::Dialect,
}

impl Default for LintConfig {
    fn default() -> Self {
        LintConfig {
            rules: BTreeMap::new(),
            postgres_version: 15,
            dialect: ratchet_sql::Dialect::Postgres,
        }
    }
}

/// A rule id in the configuration that no rule has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRule(pub String);

impl std::fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown lint rule {:?}; `ratchet lint --list-rules` shows them",
            self.0
        )
    }
}

impl LintConfig {
    /// Sets `id` to `setting`; fails for an id no rule has, so a typo cannot silently leave
    /// a rule on.
    pub fn set(&mut self, id: &str, setting: RuleSetting) -> Result<(), UnknownRule> {
        let rule = rules::by_id(id).ok_or_else(|| UnknownRule(id.to_owned()))?;
        self.rules.insert(rule.id(), setting);
        Ok(())
    }

    /// The severity `rule` runs with, or `None` when it is off.
    pub fn severity(&self, rule: &dyn Rule) -> Option<Severity> {
        match self.rules.get(rule.id()) {
            Some(RuleSetting::Off) => None,
            Some(RuleSetting::On(severity)) => Some(*severity),
            None => rule.default_severity(),
        }
    }
}
