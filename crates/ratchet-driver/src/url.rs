//! Database URLs: which driver to use, and how to show a URL without its password.

use std::fmt;
use std::path::PathBuf;

/// A parsed `--database-url`. `Display` never shows a password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://` or `postgresql://`, kept verbatim for the driver.
    Postgres(String),
    /// `sqlite:PATH`, `sqlite://PATH` (`sqlite:///abs/path` is absolute), or `sqlite::memory:`.
    Sqlite(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("database URL {url} has an unsupported scheme; use postgres://, postgresql://, or sqlite:PATH")]
    UnsupportedScheme { url: String },
    #[error("database URL {url}: MySQL/MariaDB support is planned but not built yet")]
    NotYetSupported { url: String },
    #[error("database URL {url} has no path to the SQLite file")]
    EmptySqlitePath { url: String },
}

impl DatabaseUrl {
    pub fn parse(text: &str) -> Result<DatabaseUrl, UrlError> {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(text.to_owned()));
        }
        if let Some(rest) = text
            .strip_prefix("sqlite://")
            .or_else(|| text.strip_prefix("sqlite:"))
        {
            if rest.is_empty() {
                return Err(UrlError::EmptySqlitePath { url: redact(text) });
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(rest)));
        }
        if lower.starts_with("mysql://") || lower.starts_with("mariadb://") {
            return Err(UrlError::NotYetSupported { url: redact(text) });
        }
        Err(UrlError::UnsupportedScheme { url: redact(text) })
    }

    /// Whether both URLs name one database: the same host, port and database name, or the
    /// same SQLite file. Used to refuse wiping the configured database as a scratch one.
    pub fn is_same_database(&self, other: &DatabaseUrl) -> bool {
        match (self, other) {
            (DatabaseUrl::Sqlite(a), DatabaseUrl::Sqlite(b)) => {
                a.as_os_str() != ":memory:"
                    && (a == b
                        || a.canonicalize()
                            .is_ok_and(|a| b.canonicalize().is_ok_and(|b| a == b)))
            }
            (DatabaseUrl::Postgres(a), DatabaseUrl::Postgres(b)) => {
                let key = |raw: &str| {
                    raw.parse::<tokio_postgres::Config>().ok().map(|c| {
                        let port = c.get_ports().first().copied().unwrap_or(5432);
                        (
                            format!("{:?}", c.get_hosts()),
                            port,
                            c.get_dbname().map(str::to_owned),
                        )
                    })
                };
                key(a).is_some() && key(a) == key(b)
            }
            _ => false,
        }
    }

    pub fn dialect(&self) -> ratchet_sql::Dialect {
        match self {
            DatabaseUrl::Postgres(_) => ratchet_sql::Dialect::Postgres,
            DatabaseUrl::Sqlite(_) => ratchet_sql::Dialect::Sqlite,
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Postgres(url) => f.write_str(&redact(url)),
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Replaces the password of a URL (userinfo or a `password=` query parameter) with `***`.
/// Works on text that does not parse as a URL too, so it is safe to call on anything that is
/// about to be printed.
pub fn redact(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut parsed) if parsed.has_host() => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let secret = k.eq_ignore_ascii_case("password");
                    (
                        k.into_owned(),
                        if secret { "***".into() } else { v.into_owned() },
                    )
                })
                .collect();
            if pairs
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("password"))
            {
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string().replace("%2A%2A%2A", "***")
        }
        _ => redact_unparsed(text),
    }
}

/// Fallback for strings the URL parser rejects: blank out anything between `://user:` and `@`.
fn redact_unparsed(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_owned();
    };
    let after = &text[scheme_end + 3..];
    match (after.find(':'), after.rfind('@')) {
        (Some(colon), Some(at)) if colon < at => format!(
            "{}{}:***{}",
            &text[..scheme_end + 3],
            &after[..colon],
            &after[at..]
        ),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_never_shown() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db.example:5432/prod").unwrap();
        assert_eq!(url.to_string(), "postgres://app:***@db.example:5432/prod");
        assert_eq!(
            redact("postgresql://u@h/db?password=s3cret&sslmode=require"),
            "postgresql://u@h/db?password=***&sslmode=require"
        );
        assert!(!redact("postgres://u:p@ss:w@rd@h/db").contains("ss:w"));
        assert_eq!(
            redact("postgres://u:pw@[bad/db"),
            "postgres://u:***@[bad/db"
        );
    }

    #[test]
    fn sqlite_forms() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:app.db").unwrap(),
            DatabaseUrl::Sqlite("app.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/a.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/a.db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("mysql://root@localhost/db"),
            Err(UrlError::NotYetSupported { .. })
        ));
        assert!(DatabaseUrl::parse("http://x").is_err());
    }
}
