use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

use crate::binaries::BIN_DIR_ENV;

/// Why a cluster could not be started or removed.
///
/// Every message is complete on its own (the command that failed, its output or the end of
/// the server log), so callers can print `{err}` without walking `source()`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// No directory with `initdb`, `postgres` and `pg_ctl` was found.
    #[error(
        "PostgreSQL server binaries (initdb, postgres, pg_ctl) not found in {searched}. \
         Install the PostgreSQL server (e.g. `apt-get install postgresql`), set \
         {BIN_DIR_ENV} to the directory that holds initdb, or pass --dev-url to use an \
         existing server as the scratch database"
    )]
    BinariesNotFound {
        /// Where we looked, in order, for the message.
        searched: String,
    },

    /// The bin directory was named explicitly (in `RATCHET_PG_BIN` or
    /// [`Options::bin_dir`](crate::Options::bin_dir)) but lacks some of the tools. An explicit
    /// choice is never silently replaced by another installation.
    #[error("{origin}{} does not contain {}", dir.display(), missing.join(", "))]
    IncompleteBinDir {
        /// `RATCHET_PG_BIN=` or `the configured PostgreSQL bin directory `.
        origin: &'static str,
        dir: PathBuf,
        missing: Vec<&'static str>,
    },

    /// We run as root, so the server has to run as another OS user (initdb and postgres
    /// refuse to run as root), and that user does not exist.
    #[error(
        "running as root, but there is no `{user}` OS user to run PostgreSQL as (initdb and \
         postgres refuse to run as root); create one (e.g. `useradd --system {user}`) or run \
         as an ordinary user"
    )]
    NoServerUser { user: String },

    /// A file system or process operation failed.
    #[error("{action} {}: {error}", path.display())]
    Io {
        /// What we were doing: "creating a temp dir in", "removing", ...
        action: &'static str,
        path: PathBuf,
        error: io::Error,
    },

    /// A program could not be started at all. As root, the usual cause is a directory the
    /// server's OS user cannot enter.
    #[error(
        "cannot run {}{} in {}: {error}",
        program.display(),
        user.as_ref().map(|u| format!(" as OS user {u}")).unwrap_or_default(),
        cwd.display()
    )]
    Spawn {
        program: PathBuf,
        /// The OS user it was to run as, when not us.
        user: Option<String>,
        cwd: PathBuf,
        error: io::Error,
    },

    /// The Unix socket would not fit in `sun_path`.
    #[error(
        "the socket path {} is too long for a Unix socket ({len} bytes, at most {max}); \
         choose a shorter parent directory (TMPDIR)",
        path.display()
    )]
    SocketPathTooLong {
        path: PathBuf,
        len: usize,
        max: usize,
    },

    /// A program (initdb) exited unsuccessfully.
    #[error("`{command}` failed ({status}):\n{output}")]
    CommandFailed {
        /// The command line, shell-quoted, prefixed with the OS user it ran as when that is
        /// not us.
        command: String,
        status: ExitStatus,
        /// Its stdout and stderr.
        output: String,
    },

    /// The server exited before it accepted connections.
    #[error(
        "the PostgreSQL server exited during start-up ({status}):\n$ {command}\n\
         server log (last lines):\n{log_tail}"
    )]
    ServerExited {
        command: String,
        status: ExitStatus,
        log_tail: String,
    },

    /// The server was still not accepting connections when the deadline passed.
    #[error(
        "the PostgreSQL server did not accept connections within {}s:\n$ {command}\n\
         server log (last lines):\n{log_tail}",
        timeout.as_secs_f64()
    )]
    StartTimeout {
        command: String,
        timeout: Duration,
        log_tail: String,
    },
}

impl ClusterError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, error: io::Error) -> Self {
        ClusterError::Io {
            action,
            path: path.into(),
            error,
        }
    }
}
