//! Test harness for ratchet: a fresh PostgreSQL database (or SQLite file) per test.
//!
//! PostgreSQL comes from one of two places:
//!
//! * `RATCHET_TEST_PG_URL` — a URL of an existing server. Each [`PgDatabase`] is created on
//!   it with `CREATE DATABASE`, and its URL is the override URL with the database name
//!   replaced.
//! * Otherwise, a throwaway cluster owned by this test process, from `ratchet-pgcluster`
//!   (which also finds the server binaries: `RATCHET_PG_BIN`, `PATH`, then the distributions'
//!   per-version directories). It is started lazily on the first [`PgDatabase::new`] (once
//!   per process, however many tests race for it) and removed when the process ends: on
//!   normal exit before the process is gone, and by the cluster's watchdog when the test
//!   process is killed. `scripts/test` installs the binaries when they are missing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use ratchet_pgcluster::{Cluster, Options};

/// Env var naming an existing server to use instead of a throwaway cluster.
pub const PG_URL_ENV: &str = "RATCHET_TEST_PG_URL";
/// Env var naming the directory that holds the PostgreSQL server binaries.
pub const PG_BIN_ENV: &str = ratchet_pgcluster::BIN_DIR_ENV;

/// A fresh, empty PostgreSQL database for one test. Dropping it drops the database (best
/// effort).
#[derive(Debug)]
pub struct PgDatabase {
    name: String,
    url: String,
}

impl PgDatabase {
    /// Creates a new database with a unique name on the shared test cluster.
    ///
    /// Panics when PostgreSQL is not available; use [`pg_available`] to skip instead.
    pub fn new() -> PgDatabase {
        let server = server().unwrap_or_else(|e| panic!("ratchet-testkit: {e}"));
        let name = unique_db_name();
        let url = server.url_for(&name);
        let mut admin = server
            .admin_client()
            .unwrap_or_else(|e| panic!("ratchet-testkit: {e}"));
        // template0 rather than the default template1: template1 might have been altered on
        // a shared override server, and tests need a truly empty database.
        let sql = format!("CREATE DATABASE {} TEMPLATE template0", quote_ident(&name));
        if let Err(e) = admin.batch_execute(&sql) {
            panic!("ratchet-testkit: {sql}: {}", error_chain(&e));
        }
        PgDatabase { name, url }
    }

    /// libpq-style URL: `postgres://postgres:PASSWORD@127.0.0.1:PORT/DBNAME` on the
    /// throwaway cluster; with `RATCHET_TEST_PG_URL`, that URL's user, password, host and
    /// parameters with this database's name.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new connection to this database, for assertions in tests.
    pub fn connect(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap_or_else(|e| {
            panic!(
                "ratchet-testkit: connecting to {}: {}",
                self.url,
                error_chain(&e)
            )
        })
    }
}

impl Default for PgDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Best effort: a leftover database only costs disk space, and on the throwaway
        // cluster it vanishes with the cluster anyway. Never panic here, as we may already
        // be unwinding from a failed assertion.
        let Ok(server) = server() else { return };
        let Ok(mut admin) = server.admin_client() else {
            return;
        };
        let name = quote_ident(&self.name);
        // FORCE (PostgreSQL 13+) disconnects sessions a test leaked; fall back to a plain
        // DROP for older override servers.
        if admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .is_err()
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"));
        }
    }
}

/// A temporary directory holding the path for an SQLite database file (not created).
#[derive(Debug)]
pub struct SqliteDatabase {
    // Held for its Drop, which removes the directory and the database in it.
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl SqliteDatabase {
    /// Creates a new temporary directory; the database file inside it does not exist yet.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ratchet-test-sqlite-")
            .tempdir()
            .unwrap_or_else(|e| panic!("ratchet-testkit: creating a temp dir: {e}"));
        // An absolute path keeps the URL valid for subprocesses run in another directory.
        let path = std::path::absolute(dir.path().join("test.db"))
            .unwrap_or_else(|e| panic!("ratchet-testkit: absolute temp path: {e}"));
        SqliteDatabase { _dir: dir, path }
    }

    /// `sqlite:/abs/path/test.db`
    pub fn url(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    /// The absolute path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Default for SqliteDatabase {
    fn default() -> Self {
        Self::new()
    }
}

/// Returns true when PostgreSQL is available: `RATCHET_TEST_PG_URL` is set, or the
/// throwaway cluster could be started (this starts it if it is not running yet).
pub fn pg_available() -> bool {
    server().is_ok()
}

/// The directory where the PostgreSQL server binaries (`initdb`, `pg_ctl`, ...) were found,
/// if any.
pub fn pg_bin_dir() -> Option<PathBuf> {
    ratchet_pgcluster::find_bin_dir().ok()
}

// ---------------------------------------------------------------------------------------
// Server selection

enum Server {
    External { admin_url: String },
    Local(&'static Cluster),
}

fn server() -> Result<&'static Server, &'static str> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    SERVER
        .get_or_init(|| match std::env::var(PG_URL_ENV) {
            Ok(url) if !url.is_empty() => {
                // Validate the URL shape now so every test reports the same clear error.
                with_database(&url, "postgres").map(|_| Server::External { admin_url: url })
            }
            _ => start_cluster().map(Server::Local),
        })
        .as_ref()
        .map_err(String::as_str)
}

/// The process-wide cluster. `keep_until_exit` removes it when the test binary exits, and
/// its watchdog when the binary is killed.
fn start_cluster() -> Result<&'static Cluster, String> {
    // Tests open connections from many threads at once.
    let options = Options::default().setting("max_connections", "200");
    Cluster::start(&options)
        .map(Cluster::keep_until_exit)
        .map_err(|e| {
            format!(
                "{e}\n(for the tests, scripts/test installs the binaries; {PG_URL_ENV} names \
                 an existing server to use instead)"
            )
        })
}

impl Server {
    fn url_for(&self, db: &str) -> String {
        match self {
            Server::External { admin_url } => {
                with_database(admin_url, db).expect("validated when the server was chosen")
            }
            Server::Local(cluster) => cluster.url(db),
        }
    }

    fn admin_client(&self) -> Result<postgres::Client, String> {
        let url = match self {
            Server::External { admin_url } => admin_url.clone(),
            Server::Local(_) => self.url_for("postgres"),
        };
        postgres::Client::connect(&url, postgres::NoTls)
            .map_err(|e| format!("connecting to {url}: {}", error_chain(&e)))
    }
}

/// Replaces the database (path) part of a `postgres://` URL, keeping everything else.
fn with_database(url: &str, db: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "{PG_URL_ENV}={url:?} is not a URL like postgres://user[:password]@host[:port]/dbname"
        )
    };
    let scheme_end = url.find("://").ok_or_else(bad)?;
    if !matches!(&url[..scheme_end], "postgres" | "postgresql") {
        return Err(bad());
    }
    let after_scheme = scheme_end + 3;
    let rest = &url[after_scheme..];
    // An empty authority is legal (libpq then uses its default host and port).
    let authority_end = after_scheme + rest.find(['/', '?']).unwrap_or(rest.len());
    let query = url[authority_end..]
        .find('?')
        .map_or("", |i| &url[authority_end + i..]);
    Ok(format!("{}/{db}{query}", &url[..authority_end]))
}

fn unique_db_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // The random part avoids clashing, on a shared override server, with databases a killed
    // earlier run left behind under a since-reused pid.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(n);
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    format!("t_{}_{n}_{:08x}", std::process::id(), h.finish() as u32)
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_database_in_urls() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/postgres",
                "postgres://postgres@127.0.0.1:5432/t_1",
            ),
            (
                "postgresql://u:p%40ss@db.example:6543/x?sslmode=disable",
                "postgresql://u:p%40ss@db.example:6543/t_1?sslmode=disable",
            ),
            ("postgres://h", "postgres://h/t_1"),
            ("postgres://h?x=1", "postgres://h/t_1?x=1"),
            (
                "postgres:///x?host=/run/postgresql",
                "postgres:///t_1?host=/run/postgresql",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(with_database(input, "t_1").unwrap(), want, "{input}");
        }
        assert!(with_database("host=localhost dbname=x", "t").is_err());
        assert!(with_database("mysql://h/x", "t").is_err());
    }

    #[test]
    fn names_are_unique_and_need_no_quoting() {
        let a = unique_db_name();
        let b = unique_db_name();
        assert_ne!(a, b);
        assert!(a.len() < 63, "{a}");
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'));
    }
}
