//! `ratchet.toml`, flags and environment, merged into the library's `Settings`.
//!
//! Database URL precedence (SPEC): `--database-url`, `RATCHET_DATABASE_URL`, `DATABASE_URL`,
//! then `database_url` in the file. Relative paths in the file are relative to the file, so
//! `ratchet --config path/to/ratchet.toml` behaves the same from any directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ratchet::core::WrittenVersion;
use ratchet::{Settings, Version};
use ratchet_lint::{LintConfig, RuleSetting, Severity};
use serde::Deserialize;

use crate::cli::Global;

pub const FILE_NAME: &str = "ratchet.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    database_url: Option<String>,
    migrations: Option<PathBuf>,
    /// Declared expectations; default `schema.toml` beside the configuration, when it exists.
    schema: Option<PathBuf>,
    history_table: Option<String>,
    name_pattern: Option<String>,
    out_of_order: Option<bool>,
    #[serde(default, deserialize_with = "duration")]
    lock_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    statement_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    lock_wait: Option<Duration>,
    #[serde(default)]
    lint: Lint,
}

/// `[lint]`: which rules run and how loud they are, the PostgreSQL version the advice is for,
/// and which migrations to look at.
///
/// ```toml
/// [lint]
/// rules = { "ban-drop-column" = "off", "prefer-text-over-varchar" = "warning" }
/// postgres_version = 15
/// since = "0030"   # only migrations above 0030: an old history does not drown the signal
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lint {
    #[serde(default)]
    rules: BTreeMap<String, Level>,
    #[serde(default, deserialize_with = "postgres_version")]
    postgres_version: Option<u32>,
    #[serde(default, deserialize_with = "version")]
    pub since: Option<Version>,
}

/// A rule's setting in `[lint] rules`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Level {
    Off,
    Warning,
    Error,
}

fn postgres_version<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<u32>, D::Error> {
    let major = u32::deserialize(de)?;
    if (9..=99).contains(&major) {
        Ok(Some(major))
    } else {
        Err(serde::de::Error::custom(format!(
            "{major} is not a PostgreSQL major version; write e.g. 15"
        )))
    }
}

/// `"0030"` or `30`.
fn version<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<Version>, D::Error> {
    let shown = match WrittenVersion::deserialize(de) {
        Ok(written) => written.version(),
        Err(_) => Err("the value".into()),
    };
    shown.map(Some).map_err(|shown| {
        serde::de::Error::custom(format!(
            "{shown} is not a migration version; write its digits, e.g. \"0030\""
        ))
    })
}

/// Durations are parsed while the file is read, so a bad one is reported by toml with its
/// line, column and key, like any other mistake in the file.
fn duration<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<Duration>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(i64),
    }
    match Raw::deserialize(de) {
        Ok(Raw::Text(text)) => parse_duration(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
        Ok(Raw::Number(0)) => Ok(Some(Duration::ZERO)),
        Ok(Raw::Number(n)) => Err(serde::de::Error::custom(format!(
            "a duration needs a unit: write \"{n}s\" or \"{n}ms\", not {n}"
        ))),
        Err(_) => Err(serde::de::Error::custom(
            "expected a duration such as \"5s\", \"500ms\", \"10min\" or \"0\"",
        )),
    }
}

/// A problem with the configuration: always exit 2.
#[derive(Debug)]
pub struct ConfigError(pub String);

/// Declared expectations read by default, beside the configuration file.
pub const EXPECTATIONS_FILE: &str = "schema.toml";

/// The environment variables that can carry the URL, in precedence order.
pub const URL_VARIABLES: [&str; 2] = ["RATCHET_DATABASE_URL", "DATABASE_URL"];

/// Everything the configuration says: the library's settings, and `[lint]` for the CLI's
/// `lint` command.
#[derive(Debug)]
pub struct Loaded {
    pub settings: Settings,
    pub lint: Lint,
    /// The file it came from, if any, to name it in messages.
    pub path: Option<PathBuf>,
}

impl Lint {
    /// The engine's configuration. A rule id no rule has is an error naming it: a typo must
    /// not silently leave a rule on.
    pub fn to_config(&self, path: Option<&Path>) -> Result<LintConfig, ConfigError> {
        let mut config = LintConfig::default();
        if let Some(major) = self.postgres_version {
            config.postgres_version = major;
        }
        for (id, level) in &self.rules {
            let setting = match level {
                Level::Off => RuleSetting::Off,
                Level::Warning => RuleSetting::On(Severity::Warning),
                Level::Error => RuleSetting::On(Severity::Error),
            };
            config.set(id, setting).map_err(|unknown| {
                let file = path.map_or_else(|| FILE_NAME.into(), |p| p.display().to_string());
                ConfigError(format!("{file}: [lint] rules: {unknown}"))
            })?;
        }
        Ok(config)
    }
}

pub fn load(global: &Global) -> Result<Loaded, ConfigError> {
    let (file, base, path) = match &global.config {
        Some(path) => (Some(read(path)?), parent(path), Some(path.clone())),
        None if Path::new(FILE_NAME).exists() => (
            Some(read(Path::new(FILE_NAME))?),
            PathBuf::new(),
            Some(PathBuf::from(FILE_NAME)),
        ),
        None => (None, PathBuf::new(), None),
    };
    let file = file.unwrap_or_default();
    let mut settings = Settings::default();

    let env_url = URL_VARIABLES
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
    settings.database_url = global
        .database_url
        .clone()
        .or(env_url)
        .or_else(|| file.database_url.map(|url| relative_sqlite(&url, &base)));

    settings.migrations_dir = match (&global.dir, file.migrations) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => base.join(dir),
        (None, None) => base.join(&settings.migrations_dir),
    };
    settings.expectations = match file.schema {
        // Named explicitly: a missing file is an error (exit 2), not a silent "no checks".
        Some(path) => Some(base.join(path)),
        None => Some(base.join(EXPECTATIONS_FILE)).filter(|p| p.is_file()),
    };
    if let Some(table) = file.history_table {
        settings.history_table = table;
    }
    if let Some(pattern) = file.name_pattern {
        settings.name_pattern = pattern;
    }
    if let Some(out_of_order) = file.out_of_order {
        settings.out_of_order = out_of_order;
    }
    if let Some(value) = file.lock_timeout {
        settings.lock_timeout = value;
    }
    if let Some(value) = file.statement_timeout {
        settings.statement_timeout = value;
    }
    if let Some(value) = file.lock_wait {
        settings.lock_wait = value;
    }
    Ok(Loaded {
        settings,
        lint: file.lint,
        path,
    })
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

fn read(path: &Path) -> Result<File, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
    // toml's message names the line, the column and the key.
    toml::from_str(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))
}

/// `sqlite:app.db` written in a config file means app.db next to that file.
fn relative_sqlite(url: &str, base: &Path) -> String {
    if base.as_os_str().is_empty() {
        return url.to_owned();
    }
    for prefix in ["sqlite://", "sqlite:"] {
        if let Some(path) = url.strip_prefix(prefix) {
            if !path.starts_with('/') && !path.starts_with(':') {
                return format!("sqlite:{}", base.join(path).display());
            }
            return url.to_owned();
        }
    }
    url.to_owned()
}

/// `5s`, `500ms`, `10min`, `1h 30m`, or `0` (none).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(text).map_err(|_| {
        format!("{text:?} is not a duration; write e.g. \"5s\", \"500ms\", \"10min\" or \"0\"")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("10min").unwrap(), Duration::from_secs(600));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn sqlite_paths_follow_the_file() {
        assert_eq!(
            relative_sqlite("sqlite:app.db", Path::new("ex")),
            "sqlite:ex/app.db"
        );
        assert_eq!(
            relative_sqlite("sqlite:///abs.db", Path::new("ex")),
            "sqlite:///abs.db"
        );
        assert_eq!(
            relative_sqlite("postgres://h/db", Path::new("ex")),
            "postgres://h/db"
        );
    }
}
