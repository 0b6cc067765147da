//! `ratchet.toml`, flags and environment, merged into the library's `Settings`.
//!
//! Database URL precedence (SPEC): `--database-url`, `RATCHET_DATABASE_URL`, `DATABASE_URL`,
//! then `database_url` in the file. Relative paths in the file are relative to the file, so
//! `ratchet --config path/to/ratchet.toml` behaves the same from any directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ratchet::Settings;
use serde::Deserialize;

use crate::cli::Global;

pub const FILE_NAME: &str = "ratchet.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    database_url: Option<String>,
    migrations: Option<PathBuf>,
    history_table: Option<String>,
    name_pattern: Option<String>,
    out_of_order: Option<bool>,
    #[serde(default, deserialize_with = "duration")]
    lock_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    statement_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    lock_wait: Option<Duration>,
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

/// The environment variables that can carry the URL, in precedence order.
pub const URL_VARIABLES: [&str; 2] = ["RATCHET_DATABASE_URL", "DATABASE_URL"];

pub fn load(global: &Global) -> Result<Settings, ConfigError> {
    let (file, base) = match &global.config {
        Some(path) => (Some(read(path)?), parent(path)),
        None if Path::new(FILE_NAME).exists() => {
            (Some(read(Path::new(FILE_NAME))?), PathBuf::new())
        }
        None => (None, PathBuf::new()),
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
    Ok(settings)
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
