//! Test harness for ratchet: a fresh PostgreSQL database (or SQLite file) per test.
//!
//! PostgreSQL comes from one of two places:
//!
//! * `RATCHET_TEST_PG_URL` — a URL of an existing server. Each [`PgDatabase`] is created on
//!   it with `CREATE DATABASE`, and its URL is the override URL with the database name
//!   replaced.
//! * Otherwise, a throwaway cluster owned by this test process. It is started lazily on the
//!   first [`PgDatabase::new`] (once per process, however many tests race for it) and torn
//!   down when the process ends: by an `atexit` handler on normal exit, and by a watchdog
//!   child process when the test process is killed.
//!
//! The server binaries are looked up in `RATCHET_PG_BIN`, then on `PATH`, then in the
//! highest-numbered `/usr/lib/postgresql/*/bin` (Debian's layout). `scripts/test` installs
//! them when they are missing.

use std::ffi::OsStr;
use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Env var naming an existing server to use instead of a throwaway cluster.
pub const PG_URL_ENV: &str = "RATCHET_TEST_PG_URL";
/// Env var naming the directory that holds `initdb` and `pg_ctl`.
pub const PG_BIN_ENV: &str = "RATCHET_PG_BIN";

/// The OS user that owns the cluster when tests run as root: initdb and postgres refuse to
/// run as root, and Debian's `postgresql` package creates this user.
const PG_OS_USER: &str = "postgres";
/// The database superuser created by initdb in the throwaway cluster.
const PG_SUPERUSER: &str = "postgres";

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

    /// libpq-style URL: `postgres://USER@127.0.0.1:PORT/DBNAME` (keeping the password, host
    /// and parameters of `RATCHET_TEST_PG_URL` when that is set).
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

/// The directory where `initdb` and `pg_ctl` were found, if any.
pub fn pg_bin_dir() -> Option<PathBuf> {
    find_pg_bin().ok()
}

// ---------------------------------------------------------------------------------------
// Server selection

enum Server {
    External { admin_url: String },
    Local(Cluster),
}

struct Cluster {
    port: u16,
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

impl Server {
    fn url_for(&self, db: &str) -> String {
        match self {
            Server::External { admin_url } => {
                with_database(admin_url, db).expect("validated when the server was chosen")
            }
            Server::Local(c) => format!("postgres://{PG_SUPERUSER}@127.0.0.1:{}/{db}", c.port),
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

// ---------------------------------------------------------------------------------------
// Finding the binaries

fn find_pg_bin() -> Result<PathBuf, String> {
    let has_tools = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os(PG_BIN_ENV).filter(|d| !d.is_empty()) {
        // An explicit setting wins, and a wrong one is an error rather than silently
        // falling back to some other version.
        let dir = PathBuf::from(dir);
        return if has_tools(&dir) {
            Ok(dir)
        } else {
            Err(format!(
                "{PG_BIN_ENV}={} does not contain initdb and pg_ctl",
                dir.display()
            ))
        };
    }
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_tools(d)) {
            // PATH often holds only symlinks to a few tools (e.g. /usr/local/bin/initdb ->
            // /usr/lib/postgresql/15/bin/initdb); the real directory also has psql, pg_dump
            // and friends, which is what users of pg_bin_dir() want.
            let real = fs::canonicalize(dir.join("initdb"))
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
                .filter(|d| has_tools(d));
            return Ok(real.unwrap_or(dir));
        }
    }
    // Debian keeps the server binaries off PATH, one directory per major version.
    let mut versions: Vec<(Vec<u32>, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(|p| p.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            let bin = entry.path().join("bin");
            has_tools(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        format!(
            "PostgreSQL server binaries (initdb, pg_ctl) not found in ${PG_BIN_ENV}, on PATH \
             or in /usr/lib/postgresql/*/bin; run scripts/test (which installs them), \
             or set {PG_URL_ENV} to an existing server"
        )
    })
}

fn find_program(name: &str) -> Option<PathBuf> {
    // root's PATH normally has the sbin dirs, but not always (e.g. `su` without `-`).
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

// ---------------------------------------------------------------------------------------
// The throwaway cluster

/// How to run a program as the cluster's owner.
enum Owner {
    /// We are not root: run programs directly.
    Me,
    /// We are root: `runuser -u postgres -- argv...`
    Runuser(PathBuf),
    /// We are root and have no runuser: `su postgres -s /bin/sh -c 'argv...'`
    Su(PathBuf),
}

impl Owner {
    fn wrap(&self, argv: Vec<String>) -> Vec<String> {
        match self {
            Owner::Me => argv,
            Owner::Runuser(runuser) => {
                let mut wrapped = vec![
                    path_str(runuser),
                    "-u".into(),
                    PG_OS_USER.into(),
                    "--".into(),
                ];
                wrapped.extend(argv);
                wrapped
            }
            Owner::Su(su) => vec![
                path_str(su),
                PG_OS_USER.into(),
                "-s".into(),
                "/bin/sh".into(),
                "-c".into(),
                shell_join(&argv),
            ],
        }
    }
}

/// What has to be undone when the process exits. Kept apart from the OnceLock'd server so
/// that a half-started cluster is cleaned up too.
struct Cleanup {
    stop: Vec<String>,
    dir: PathBuf,
}

static CLEANUP: Mutex<Option<Cleanup>> = Mutex::new(None);

/// Write end of the watchdog's stdin. Never written to nor dropped: the kernel closes it when
/// this process dies, however it dies, and the watchdog takes that EOF as its cue.
static WATCHDOG_PIPE: OnceLock<ChildStdin> = OnceLock::new();

fn start_cluster() -> Result<Cluster, String> {
    let bin = find_pg_bin()?;
    let path_of = |tool: &str| {
        bin.join(tool)
            .into_os_string()
            .into_string()
            .map_err(|p| format!("non-UTF-8 PostgreSQL bin path {p:?}"))
    };
    let (initdb, pg_ctl) = (path_of("initdb")?, path_of("pg_ctl")?);

    let (owner, ids) = if sys::running_as_root() {
        let ids = sys::lookup_user(PG_OS_USER).ok_or_else(|| {
            format!(
                "running as root, but there is no `{PG_OS_USER}` OS user to run PostgreSQL \
                 as (initdb and postgres refuse to run as root); run scripts/test, which \
                 creates it"
            )
        })?;
        let owner = match (find_program("runuser"), find_program("su")) {
            (Some(r), _) => Owner::Runuser(r),
            (None, Some(s)) => Owner::Su(s),
            (None, None) => return Err("running as root, but neither runuser nor su found".into()),
        };
        (owner, Some(ids))
    } else {
        (Owner::Me, None)
    };

    // Directly under /tmp rather than $TMPDIR: the `postgres` user must be able to reach it
    // (a root-only TMPDIR would not do), and the socket path must stay under the ~107-byte
    // limit for Unix sockets.
    let dir = tempfile::Builder::new()
        .prefix("ratchet-test-pg-")
        .permissions(fs::Permissions::from_mode(0o755))
        .tempdir_in("/tmp")
        .map_err(|e| format!("creating a temp dir under /tmp: {e}"))?
        .keep();
    let dir_str = path_str(&dir);
    let data = format!("{dir_str}/data");
    let sock = format!("{dir_str}/sock");
    let log = dir.join("log");

    let stop = owner.wrap(vec![
        pg_ctl.clone(),
        "-D".into(),
        data.clone(),
        "stop".into(),
        "-m".into(),
        "immediate".into(),
        "-w".into(),
    ]);
    *lock_cleanup() = Some(Cleanup {
        stop: stop.clone(),
        dir: dir.clone(),
    });
    // Registered before anything else can fail, so every later exit path cleans up.
    sys::register_atexit(cleanup_at_exit);
    spawn_watchdog(&stop, &dir_str)?;

    let result = (|| {
        fs::create_dir(&sock).map_err(|e| format!("creating {sock}: {e}"))?;
        if let Some((uid, gid)) = ids {
            for p in [dir.as_path(), Path::new(&sock)] {
                std::os::unix::fs::chown(p, Some(uid), Some(gid))
                    .map_err(|e| format!("chown {} to {PG_OS_USER}: {e}", p.display()))?;
            }
        }
        init_data_dir(&owner, &initdb, &data, &dir)?;
        start_server(&owner, &pg_ctl, &data, &sock, &log, &dir)
    })();
    if result.is_err() {
        // The error already carries the log; don't leave the directory behind.
        run_cleanup();
    }
    result
}

fn init_data_dir(owner: &Owner, initdb: &str, data: &str, cwd: &Path) -> Result<(), String> {
    // C.UTF-8 gives deterministic, byte-order collation while keeping non-ASCII character
    // classification; systems without that locale get the plain C locale.
    let mut failures = String::new();
    for locale in ["--locale=C.UTF-8", "--no-locale"] {
        let argv = owner.wrap(vec![
            initdb.into(),
            "-D".into(),
            data.into(),
            "-U".into(),
            PG_SUPERUSER.into(),
            "-A".into(),
            "trust".into(),
            "-E".into(),
            "UTF8".into(),
            locale.into(),
            // fsync of the fresh cluster is wasted work for data that lives only as long as
            // this process.
            "--no-sync".into(),
        ]);
        let out = run(&argv, cwd)?;
        if out.status.success() {
            return Ok(());
        }
        failures.push_str(&describe_failure(&argv, &out));
        // initdb removes a data dir it created when it fails, but make sure before retrying.
        let _ = fs::remove_dir_all(data);
    }
    Err(format!("initdb failed:\n{failures}"))
}

fn start_server(
    owner: &Owner,
    pg_ctl: &str,
    data: &str,
    sock: &str,
    log: &Path,
    cwd: &Path,
) -> Result<Cluster, String> {
    let mut failures = String::new();
    // The port is free when we look, but another process may grab it before postgres binds
    // it, so a bind failure earns a retry on a new port.
    for _attempt in 0..3 {
        let port = free_port()?;
        let opts = format!(
            "-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        );
        let argv = owner.wrap(vec![
            pg_ctl.into(),
            "-D".into(),
            data.into(),
            "-l".into(),
            path_str(log),
            "-w".into(),
            "-t".into(),
            "60".into(),
            "-o".into(),
            opts,
            "start".into(),
        ]);
        let out = run(&argv, cwd)?;
        if out.status.success() {
            return Ok(Cluster { port });
        }
        let log_tail = tail(log, 40);
        failures.push_str(&describe_failure(&argv, &out));
        failures.push_str(&format!("server log ({}):\n{log_tail}\n", log.display()));
        if !log_tail.contains("could not bind") {
            break;
        }
        // pg_ctl -w may give up while a postmaster is still starting; make sure it's gone.
        let _ = run(
            &owner.wrap(vec![
                pg_ctl.into(),
                "-D".into(),
                data.into(),
                "stop".into(),
                "-m".into(),
                "immediate".into(),
                "-w".into(),
            ]),
            cwd,
        );
    }
    Err(format!("could not start PostgreSQL:\n{failures}"))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free TCP port: {e}"))
}

/// Starts a process that outlives us and removes the cluster once we are gone: the `atexit`
/// handler does not run when the test process is killed (SIGKILL, a panic=abort, a timeout).
fn spawn_watchdog(stop: &[String], dir: &str) -> Result<(), String> {
    // `read` returns non-zero at EOF, i.e. as soon as the last holder of the pipe's write end
    // (this process; std makes it close-on-exec so our other children don't hold it) exits.
    // That is immediate and immune to pid reuse, unlike polling `kill -0 <pid>`.
    // HUP and INT are ignored so that a Ctrl-C or terminal hang-up that kills the test run
    // leaves the watchdog alive to clean up after it.
    let script = format!(
        "trap '' HUP INT; while read -r _; do :; done; {} >/dev/null 2>&1; rm -rf {}",
        shell_join(stop),
        shell_quote(dir)
    );
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new("/bin/sh")
            .args(["-c", &script])
            .current_dir("/")
            .stdin(Stdio::piped())
            // Holding our stdout/stderr open would make `cargo test` wait for the watchdog.
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so signals aimed at the test's group don't reach it.
            .process_group(0)
            .spawn()
            .map_err(|e| format!("spawning the cleanup watchdog: {e}"))?
    };
    let stdin = child.stdin.take().expect("stdin was piped");
    // The Child itself is dropped without waiting: the watchdog is meant to outlive us.
    let _ = WATCHDOG_PIPE.set(stdin);
    Ok(())
}

fn lock_cleanup() -> std::sync::MutexGuard<'static, Option<Cleanup>> {
    // A poisoned lock still holds valid data; cleanup matters more than the panic.
    CLEANUP.lock().unwrap_or_else(|e| e.into_inner())
}

fn run_cleanup() {
    let Some(cleanup) = lock_cleanup().take() else {
        return;
    };
    let _ = Command::new(&cleanup.stop[0])
        .args(&cleanup.stop[1..])
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = fs::remove_dir_all(&cleanup.dir);
}

extern "C" fn cleanup_at_exit() {
    // Unwinding out of an extern "C" fn aborts the process; swallow any panic instead.
    let _ = std::panic::catch_unwind(run_cleanup);
}

fn run(argv: &[String], cwd: &Path) -> Result<Output, String> {
    Command::new(&argv[0])
        .args(&argv[1..])
        // The test's own working directory may not be readable by the `postgres` user, and
        // initdb/pg_ctl complain when they cannot resolve it.
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running {}: {e}", argv[0]))
}

fn describe_failure(argv: &[String], out: &Output) -> String {
    format!(
        "$ {}\n{}\n{}{}\n",
        shell_join(argv),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn tail(path: &Path, lines: usize) -> String {
    match fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read: {e})"),
    }
}

fn path_str(p: impl AsRef<OsStr>) -> String {
    p.as_ref().to_string_lossy().into_owned()
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------
// The few libc calls std has no safe wrapper for.

mod sys {
    /// Whether initdb/postgres would refuse to run as us.
    pub fn running_as_root() -> bool {
        // SAFETY: geteuid has no preconditions and cannot fail.
        #[allow(unsafe_code)] // std exposes no euid; this is the whole unsafe surface.
        let euid = unsafe { libc::geteuid() };
        euid == 0
    }

    /// The uid and gid of a named OS user, via NSS (so not only /etc/passwd users).
    pub fn lookup_user(name: &str) -> Option<(u32, u32)> {
        let name = std::ffi::CString::new(name).ok()?;
        let mut buf = vec![0 as libc::c_char; 16 * 1024];
        // SAFETY: an all-zero passwd (null pointers, zero ids) is a valid value that
        // getpwnam_r overwrites.
        #[allow(unsafe_code)] // zero-initialising a plain C struct for getpwnam_r to fill.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        // The reentrant variant, since other test threads may use the static-buffer one.
        // SAFETY: every pointer refers to a live local of the stated size; the strings the
        // struct ends up pointing into live in `buf`, and we only read the integer fields.
        #[allow(unsafe_code)] // std has no user lookup.
        let rc = unsafe {
            libc::getpwnam_r(
                name.as_ptr(),
                &mut pwd,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        (rc == 0 && !result.is_null()).then_some((pwd.pw_uid, pwd.pw_gid))
    }

    /// Runs `f` when the process exits normally (the test harness returns from main).
    pub fn register_atexit(f: extern "C" fn()) {
        // SAFETY: `f` is a plain function that neither unwinds nor calls exit.
        #[allow(unsafe_code)] // std has no exit hooks.
        let _ = unsafe { libc::atexit(f) };
    }
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

    #[test]
    fn shell_quoting_round_trips() {
        let out = Command::new("/bin/sh")
            .args(["-c", &format!("printf %s {}", shell_quote("a 'b' $c"))])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "a 'b' $c");
    }
}
