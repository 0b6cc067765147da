//! An ephemeral local PostgreSQL cluster: started from the installed server binaries, used,
//! and removed on every way out of the process.
//!
//! `ratchet diff` replays the migrations folder on a scratch database. Without `--dev-url`
//! it has to bring one itself, without Docker and without leaving anything behind; the test
//! harness (`ratchet-testkit`) needs the same thing. This crate owns that concern once.
//!
//! ```no_run
//! use ratchet_pgcluster::{Cluster, Options};
//!
//! # fn main() -> Result<(), ratchet_pgcluster::ClusterError> {
//! let cluster = Cluster::start(&Options::default())?;
//! let url = cluster.url("postgres"); // postgres://postgres:PASSWORD@127.0.0.1:PORT/postgres
//! // ... connect, replay, introspect ...
//! cluster.stop()?; // or just drop it
//! # Ok(())
//! # }
//! ```
//!
//! # What is started
//!
//! [`Cluster::start`] finds the binaries ([`find_bin_dir`]), creates a private temp
//! directory, runs `initdb` (superuser `postgres`, UTF8, locale C, `--no-sync`) and starts
//! `postgres` on a free port of 127.0.0.1, with its Unix socket in the same directory and
//! durability turned off (`fsync`, `synchronous_commit`, `full_page_writes`): the cluster
//! holds nothing worth keeping. It returns once the server accepts connections, noticed by
//! polling its `postmaster.pid` every few milliseconds rather than sleeping. PostgreSQL 10
//! or newer is required (its pid file reports readiness), on a Unix.
//!
//! As root, initdb, the server and the watchdog run as the `postgres` OS user
//! ([`Options::server_user`]), since initdb and postgres refuse to run as root.
//!
//! # Authentication
//!
//! Any local user can connect to 127.0.0.1, and a PostgreSQL superuser can run programs as
//! the server's OS user (`COPY ... TO PROGRAM`): with `trust` on TCP, every other account on
//! the machine could act as the user running ratchet for as long as the cluster lives. So
//! TCP needs the superuser's password (SCRAM), a random one per cluster that
//! [`Cluster::url`] carries; the Unix socket stays `trust`, as only the owner can enter the
//! directory it is in.
//!
//! # Cleanup
//!
//! The server is stopped (immediate shutdown) and the directory removed:
//!
//! * when the [`Cluster`] is dropped or [`stop`](Cluster::stop)ped, including while a panic
//!   unwinds and when `start` itself fails half way;
//! * for a cluster handed to [`Cluster::keep_until_exit`], when the process exits normally;
//! * whenever the process dies without running any of that — SIGKILL, an unhandled SIGINT or
//!   SIGTERM, `panic = "abort"`, `std::process::exit` with the cluster still alive — by a
//!   watchdog child process, within moments of the death.
//!
//! This crate installs no signal handlers: a process killed by a signal is the watchdog's
//! job, and an application that handles Ctrl-C itself is free to drop the cluster first.
//!
//! # Connections
//!
//! Stopping is an immediate shutdown: sessions still open are cut off. Drop clients first.

mod binaries;
mod error;
mod run_as;
mod sys;
mod watchdog;

use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

pub use crate::binaries::{find_bin_dir, BIN_DIR_ENV};
pub use crate::error::ClusterError;

use crate::run_as::RunAs;
use crate::watchdog::Watchdog;

/// The database superuser initdb creates; connect as this user.
pub const SUPERUSER: &str = "postgres";

/// The only address the server listens on.
const HOST: &str = "127.0.0.1";

/// Settings for a server whose data is thrown away: skipping the flushes makes replaying a
/// migrations folder markedly faster, and a crash loses nothing anyone wanted.
const DISPOSABLE_SETTINGS: [(&str, &str); 3] = [
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
];

/// How many ports to try: the port we pick is free when we look, but another process may
/// take it before the server binds it.
const PORT_ATTEMPTS: u32 = 5;

/// How long an immediate shutdown may take before the server is killed outright.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Lines of a log or a program's output that go into an error.
const TAIL_LINES: usize = 30;

/// How to start a [`Cluster`]. The defaults suit `ratchet diff`.
#[derive(Debug, Clone)]
pub struct Options {
    bin_dir: Option<PathBuf>,
    parent_dir: Option<PathBuf>,
    server_user: String,
    settings: Vec<(String, String)>,
    start_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bin_dir: None,
            parent_dir: None,
            server_user: "postgres".to_owned(),
            settings: Vec::new(),
            start_timeout: Duration::from_secs(60),
        }
    }
}

impl Options {
    /// The directory holding `initdb`, `postgres` and `pg_ctl`. Default: [`find_bin_dir`].
    pub fn bin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.bin_dir = Some(dir.into());
        self
    }

    /// Where the cluster's temp directory is created. Default: the system temp directory
    /// (`TMPDIR`), or `/tmp` when running as root, since the server's OS user must be able to
    /// reach it. It must be short enough for the Unix socket's path inside it: at most
    /// about 70 bytes.
    pub fn parent_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.parent_dir = Some(dir.into());
        self
    }

    /// The OS user the server runs as when we are root. Default: `postgres`, which the
    /// distributions' packages create. Ignored when we are not root.
    pub fn server_user(mut self, name: impl Into<String>) -> Self {
        self.server_user = name.into();
        self
    }

    /// An extra server setting (`-c name=value`), e.g. `max_connections`. Later settings win
    /// over earlier ones and over the defaults.
    pub fn setting(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.push((name.into(), value.into()));
        self
    }

    /// How long to wait for the server to accept connections. Default: 60 s, for a loaded
    /// CI machine; it normally takes well under a second.
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = timeout;
        self
    }
}

/// A running throwaway cluster. Dropping it stops the server and removes its directory.
pub struct Cluster {
    port: u16,
    password: String,
    dir: PathBuf,
    data_dir: PathBuf,
    bin_dir: PathBuf,
    startup_time: Duration,
    resources: Mutex<Resources>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Without the password: Debug output ends up in logs.
        f.debug_struct("Cluster")
            .field("port", &self.port)
            .field("dir", &self.dir)
            .field("bin_dir", &self.bin_dir)
            .field("resources", &self.resources)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Creates and starts a cluster, returning once it accepts connections.
    ///
    /// On error nothing is left behind: the server, if it got as far as running, is stopped
    /// and the directory is removed before this returns.
    pub fn start(options: &Options) -> Result<Cluster, ClusterError> {
        let began = Instant::now();
        let bin_dir = binaries::locate(options.bin_dir.as_deref())?;
        let run_as = RunAs::detect(&options.server_user)?;
        let parent = match (&options.parent_dir, &run_as) {
            (Some(dir), _) => dir.clone(),
            (None, RunAs::Me) => std::env::temp_dir(),
            // root's TMPDIR may be private to root.
            (None, RunAs::User { .. }) => PathBuf::from("/tmp"),
        };
        let dir = tempfile::Builder::new()
            .prefix("ratchet-pg-")
            // Private: the Unix socket in it accepts the superuser without a password.
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir_in(&parent)
            .map_err(|e| ClusterError::io("creating a temp dir in", &parent, e))?
            .keep();
        // From here on, every way out of this function (`?`, a panic) goes through
        // Resources::drop, which removes whatever exists so far.
        let mut resources = Resources {
            dir: dir.clone(),
            server: None,
            watchdog: None,
            released: false,
        };
        let data_dir = dir.join("data");
        check_socket_path(&dir)?;
        run_as.chown(&dir)?;
        // Before anything slow, so that even a kill during initdb leaves nothing behind.
        resources.watchdog = Some(Watchdog::spawn(
            &run_as,
            &bin_dir.join("pg_ctl"),
            &data_dir,
            &dir,
        )?);
        let password = random_password()?;
        initdb(&run_as, &bin_dir, &data_dir, &password)?;
        let port = start_server(&mut resources, &run_as, &bin_dir, &data_dir, options)?;
        Ok(Cluster {
            port,
            password,
            dir,
            data_dir,
            bin_dir,
            startup_time: began.elapsed(),
            resources: Mutex::new(resources),
        })
    }

    /// `postgres://postgres:PASSWORD@127.0.0.1:PORT/DBNAME`. initdb creates the database
    /// `postgres`; create others through a connection to it.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@{HOST}:{}/{}",
            self.password,
            self.port,
            percent_encode(dbname)
        )
    }

    /// The TCP port the server listens on (on 127.0.0.1 only).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1`.
    pub fn host(&self) -> &str {
        HOST
    }

    /// The database superuser, [`SUPERUSER`].
    pub fn user(&self) -> &str {
        SUPERUSER
    }

    /// The superuser's password, needed on TCP (not on the Unix socket). Random per
    /// cluster; hex digits only.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The cluster's temp directory. It holds the data directory, the server log and the
    /// Unix socket, and disappears with the cluster.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory of the Unix socket (`host=` for libpq), the same as [`Cluster::dir`].
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The data directory (`PGDATA`).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server's log file; read it to explain a failure while the cluster still runs.
    pub fn log_file(&self) -> PathBuf {
        self.dir.join(LOG_FILE)
    }

    /// The directory the server binaries came from (it normally also has `psql`,
    /// `pg_dump`, ...).
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// How long [`Cluster::start`] took, from looking for the binaries to the first moment
    /// the server accepted connections.
    pub fn startup_time(&self) -> Duration {
        self.startup_time
    }

    /// Stops the server and removes the directory, reporting what went wrong (dropping does
    /// the same silently). On error the watchdog gets one more try right away.
    pub fn stop(self) -> Result<(), ClusterError> {
        self.release()
    }

    /// Keeps the cluster for the rest of the process (for a process-wide cluster, such as
    /// the test harness's) and removes it when the process exits normally: main returns or
    /// `std::process::exit` is called. Other deaths are the watchdog's, as always.
    ///
    /// The removal runs in an `atexit` hook; a child that `fork`s without `exec` and then
    /// calls `exit` would run it too, so do not combine the two.
    pub fn keep_until_exit(self) -> &'static Cluster {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| sys::register_atexit(release_kept_clusters));
        let cluster: &'static Cluster = Box::leak(Box::new(self));
        lock(&KEPT).push(cluster);
        cluster
    }

    fn release(&self) -> Result<(), ClusterError> {
        lock(&self.resources).release()
    }
}

/// Clusters handed to [`Cluster::keep_until_exit`].
static KEPT: Mutex<Vec<&'static Cluster>> = Mutex::new(Vec::new());

extern "C" fn release_kept_clusters() {
    // Unwinding out of an extern "C" fn aborts the process; a failed cleanup must not.
    let _ = std::panic::catch_unwind(|| {
        for cluster in lock(&KEPT).drain(..) {
            let _ = cluster.release();
        }
    });
}

/// A poisoned lock still holds valid data, and cleanup matters more than the earlier panic.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What exists of a cluster, released exactly once, in order: server, directory, watchdog.
#[derive(Debug)]
struct Resources {
    dir: PathBuf,
    server: Option<Child>,
    watchdog: Option<Watchdog>,
    released: bool,
}

impl Resources {
    fn release(&mut self) -> Result<(), ClusterError> {
        if self.released {
            return Ok(());
        }
        self.released = true;
        let stopped = self
            .server
            .take()
            .map_or(Ok(()), |server| stop_server(server, &self.dir));
        let removed = match fs::remove_dir_all(&self.dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(ClusterError::io("removing", &self.dir, e))
            }
            _ => Ok(()),
        };
        if let Some(watchdog) = self.watchdog.take() {
            if stopped.is_ok() && removed.is_ok() {
                watchdog.disarm();
            }
            // Otherwise dropping it closes the pipe: the watchdog takes that as our death
            // and has its own go at stopping and removing.
        }
        stopped.and(removed)
    }
}

impl Drop for Resources {
    fn drop(&mut self) {
        // Never panic here: this may run while a panic unwinds.
        let _ = self.release();
    }
}

const LOG_FILE: &str = "server.log";

/// Unix sockets live in `sun_path`, 108 bytes on Linux and 104 elsewhere, NUL included.
fn check_socket_path(dir: &Path) -> Result<(), ClusterError> {
    let max = if cfg!(target_os = "linux") { 107 } else { 103 };
    let path = dir.join(".s.PGSQL.65535");
    let len = path.as_os_str().len();
    if len > max {
        return Err(ClusterError::SocketPathTooLong { path, len, max });
    }
    Ok(())
}

/// 128 bits from the kernel's CSPRNG, as hex (nothing to escape in a URL or a file).
fn random_password() -> Result<String, ClusterError> {
    const SOURCE: &str = "/dev/urandom";
    let mut bytes = [0u8; 16];
    File::open(SOURCE)
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| ClusterError::io("reading", SOURCE, e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn initdb(
    run_as: &RunAs,
    bin_dir: &Path,
    data_dir: &Path,
    password: &str,
) -> Result<(), ClusterError> {
    let cwd = data_dir
        .parent()
        .expect("the data dir is inside the cluster dir");
    // initdb reads the password from a file. Ours alone, and gone right after.
    let pwfile = cwd.join("pwfile");
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&pwfile)
        .and_then(|mut f| f.write_all(format!("{password}\n").as_bytes()))
        .map_err(|e| ClusterError::io("writing", &pwfile, e))?;
    run_as.chown(&pwfile)?;
    let program = bin_dir.join("initdb");
    let mut cmd = run_as.command(&program, cwd);
    cmd.arg("-D")
        .arg(data_dir)
        .args(["-U", SUPERUSER, "--encoding=UTF8"])
        // See "Authentication" in the crate docs.
        .args(["--auth-local=trust", "--auth-host=scram-sha-256"])
        .arg(OsString::from_iter([
            OsStr::new("--pwfile="),
            pwfile.as_os_str(),
        ]))
        // Byte-order collation: the same on every machine, and always installed.
        .arg("--locale=C")
        // Flushing a fresh cluster to disk is wasted work for data that dies with us.
        .arg("--no-sync")
        .stdin(Stdio::null());
    let out = cmd.output();
    let _ = fs::remove_file(&pwfile);
    let out = out.map_err(|e| run_as.spawn_error(&cmd, e))?;
    if out.status.success() {
        return Ok(());
    }
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Err(ClusterError::CommandFailed {
        command: describe(run_as, &cmd),
        status: out.status,
        output: last_lines(&output),
    })
}

/// Starts the server in `resources` and waits until it accepts connections; returns its
/// port.
fn start_server(
    resources: &mut Resources,
    run_as: &RunAs,
    bin_dir: &Path,
    data_dir: &Path,
    options: &Options,
) -> Result<u16, ClusterError> {
    let dir = resources.dir.clone();
    let program = bin_dir.join("postgres");
    let log_path = dir.join(LOG_FILE);
    let mut attempt = 1;
    loop {
        let port = free_port()?;
        // Truncated per attempt, so the error shows the attempt that failed.
        let log =
            File::create(&log_path).map_err(|e| ClusterError::io("creating", &log_path, e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| ClusterError::io("opening", &log_path, e))?;
        // Started directly rather than through `pg_ctl start`: the child we hold is the
        // postmaster, so we notice at once when it exits, and stopping it needs no pid file.
        let mut cmd = run_as.command(&program, &dir);
        cmd.arg("-D").arg(data_dir).arg("-p").arg(port.to_string());
        cmd.arg("-c").arg(format!("listen_addresses={HOST}"));
        cmd.arg("-c").arg(socket_dir_setting(&dir));
        let extra = options
            .settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()));
        for (name, value) in DISPOSABLE_SETTINGS.into_iter().chain(extra) {
            cmd.arg("-c").arg(format!("{name}={value}"));
        }
        cmd.stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Its own process group: a Ctrl-C at the terminal is for us, not for the server;
            // it would otherwise start shutting down under a running `ratchet diff`.
            .process_group(0);
        let command = describe(run_as, &cmd);
        let server = cmd.spawn().map_err(|e| run_as.spawn_error(&cmd, e))?;
        let server = resources.server.insert(server);
        let startup = wait_ready(server, data_dir, options.start_timeout)
            .map_err(|e| ClusterError::io("waiting for the PostgreSQL server in", &dir, e))?;
        match startup {
            Startup::Ready => return Ok(port),
            Startup::Exited(status) => {
                resources.server = None; // reaped by try_wait
                let log_tail = tail(&log_path);
                if attempt < PORT_ATTEMPTS && log_tail.contains("could not bind") {
                    attempt += 1;
                    continue;
                }
                return Err(ClusterError::ServerExited {
                    command,
                    status,
                    log_tail,
                });
            }
            // The caller's Resources stops the server.
            Startup::TimedOut => {
                return Err(ClusterError::StartTimeout {
                    command,
                    timeout: options.start_timeout,
                    log_tail: tail(&log_path),
                })
            }
        }
    }
}

/// `unix_socket_directories` is a comma-separated list; double quotes keep a path with
/// commas or spaces in one piece.
fn socket_dir_setting(dir: &Path) -> OsString {
    let quoted = dir.to_string_lossy().replace('"', "\"\"");
    OsString::from(format!("unix_socket_directories=\"{quoted}\""))
}

fn free_port() -> Result<u16, ClusterError> {
    TcpListener::bind((HOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| ClusterError::io("finding a free TCP port on", HOST, e))
}

enum Startup {
    Ready,
    Exited(ExitStatus),
    TimedOut,
}

fn wait_ready(server: &mut Child, data_dir: &Path, timeout: Duration) -> io::Result<Startup> {
    let pid_file = data_dir.join("postmaster.pid");
    let pid = server.id().to_string();
    let outcome = poll(timeout, || {
        if let Some(status) = server.try_wait()? {
            return Ok(Some(Startup::Exited(status)));
        }
        Ok(is_ready(&pid_file, &pid).then_some(Startup::Ready))
    })?;
    Ok(outcome.unwrap_or(Startup::TimedOut))
}

/// `postmaster.pid` names the postmaster on its first line and, since PostgreSQL 10, its
/// state on the eighth: `ready` once it accepts connections. The pid check rules out a
/// stale file.
fn is_ready(pid_file: &Path, pid: &str) -> bool {
    let Ok(text) = fs::read_to_string(pid_file) else {
        return false;
    };
    let mut lines = text.lines().map(str::trim);
    lines.next() == Some(pid) && lines.nth(6) == Some("ready")
}

/// Immediate shutdown: no checkpoint, since the data is about to be deleted.
fn stop_server(mut server: Child, dir: &Path) -> Result<(), ClusterError> {
    fn stop(server: &mut Child) -> io::Result<()> {
        if server.try_wait()?.is_some() {
            return Ok(());
        }
        sys::send_sigquit(server.id())?;
        if poll(STOP_TIMEOUT, || server.try_wait())?.is_none() {
            // PostgreSQL 15+ kills stuck backends itself after 5 s; this is for older
            // servers and a postmaster that hangs.
            server.kill()?;
            server.wait()?;
        }
        Ok(())
    }
    stop(&mut server).map_err(|e| ClusterError::io("stopping the PostgreSQL server in", dir, e))
}

/// Calls `f` until it returns `Some` or `timeout` has passed, sleeping 1, 2, 4, 8, 10, 10 ...
/// ms in between: short enough that start-up is never held up by a sleep, long enough not to
/// spin.
pub(crate) fn poll<T>(
    timeout: Duration,
    mut f: impl FnMut() -> io::Result<Option<T>>,
) -> io::Result<Option<T>> {
    const MAX_PAUSE: Duration = Duration::from_millis(10);
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(value) = f()? {
            return Ok(Some(value));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// The last lines of a file, for an error message.
fn tail(path: &Path) -> String {
    match fs::read(path) {
        Ok(bytes) => last_lines(&String::from_utf8_lossy(&bytes)),
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

/// A command line as a user could paste it into a shell.
fn describe(run_as: &RunAs, cmd: &Command) -> String {
    let mut line = run_as.prefix();
    line.push_str(&shell_word(cmd.get_program()));
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&shell_word(arg));
    }
    line
}

fn shell_word(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&b);
    if !word.is_empty() && word.bytes().all(plain) {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for the path of a URL.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_encoded_in_urls() {
        assert_eq!(percent_encode("postgres"), "postgres");
        assert_eq!(percent_encode("a b/c?d"), "a%20b%2Fc%3Fd");
        assert_eq!(percent_encode("é"), "%C3%A9");
    }

    #[test]
    fn commands_are_described_as_shell_lines() {
        let mut cmd = Command::new("/usr/bin/initdb");
        cmd.args(["-D", "/tmp/a b", "it's", "-c", "x=1"]);
        assert_eq!(
            describe(&RunAs::Me, &cmd),
            r"/usr/bin/initdb -D '/tmp/a b' 'it'\''s' -c x=1"
        );
    }

    #[test]
    fn readiness_needs_our_pid_and_the_ready_state() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("postmaster.pid");
        assert!(!is_ready(&file, "42"), "no file yet");
        let body = |pid: &str, state: &str| {
            format!("{pid}\n/data\n1700000000\n5432\n/tmp\n127.0.0.1\n  1234  5678\n{state}\n")
        };
        fs::write(&file, body("42", "starting")).unwrap();
        assert!(!is_ready(&file, "42"));
        fs::write(&file, body("41", "ready   ")).unwrap();
        assert!(!is_ready(&file, "42"), "someone else's server");
        fs::write(&file, body("42", "ready   ")).unwrap();
        assert!(is_ready(&file, "42"));
    }

    #[test]
    fn long_socket_paths_are_refused() {
        assert!(check_socket_path(Path::new("/tmp/ratchet-pg-abc123")).is_ok());
        let long = PathBuf::from(format!("/{}", "x".repeat(100)));
        assert!(matches!(
            check_socket_path(&long),
            Err(ClusterError::SocketPathTooLong { .. })
        ));
    }

    #[test]
    fn poll_returns_early_and_gives_up_on_time() {
        let mut calls = 0;
        let got = poll(Duration::from_secs(5), || {
            calls += 1;
            Ok((calls == 3).then_some(calls))
        })
        .unwrap();
        assert_eq!(got, Some(3));
        let began = Instant::now();
        let none: Option<()> = poll(Duration::from_millis(30), || Ok(None)).unwrap();
        assert!(none.is_none());
        assert!(began.elapsed() >= Duration::from_millis(30));
    }
}
