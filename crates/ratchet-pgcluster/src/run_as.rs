//! Running the server as its owner: ourselves, or another OS user when we are root.

use std::ffi::OsStr;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{sys, ClusterError};

/// The OS user that initdb, postgres and the watchdog run as.
#[derive(Debug, Clone)]
pub(crate) enum RunAs {
    /// We are not root: run programs as ourselves.
    Me,
    /// We are root, which initdb and postgres refuse; they run as this user instead.
    User { name: String, uid: u32, gid: u32 },
}

impl RunAs {
    pub fn detect(server_user: &str) -> Result<RunAs, ClusterError> {
        if !sys::running_as_root() {
            return Ok(RunAs::Me);
        }
        match sys::lookup_user(server_user) {
            Some((uid, gid)) if uid != 0 => Ok(RunAs::User {
                name: server_user.to_owned(),
                uid,
                gid,
            }),
            _ => Err(ClusterError::NoServerUser {
                user: server_user.to_owned(),
            }),
        }
    }

    /// A command for `program` that runs as the owner, in `cwd`.
    ///
    /// The switch happens in the forked child through std (setgroups, setgid, setuid), not
    /// through `su`/`runuser`: no PAM session, no shell quoting, and the child we hold *is*
    /// the program, so its pid is the server's pid.
    pub fn command(&self, program: impl AsRef<OsStr>, cwd: &Path) -> Command {
        let mut cmd = Command::new(program);
        // Our own working directory may be unreadable to the owner, and initdb and postgres
        // complain when they cannot resolve theirs.
        cmd.current_dir(cwd);
        if let RunAs::User { uid, gid, .. } = self {
            // std also drops root's supplementary groups when it sets the uid.
            cmd.gid(*gid).uid(*uid);
        }
        cmd
    }

    /// Gives `path` to the owner, so that it can create the cluster in it and remove it.
    pub fn chown(&self, path: &Path) -> Result<(), ClusterError> {
        match self {
            RunAs::Me => Ok(()),
            RunAs::User { uid, gid, .. } => std::os::unix::fs::chown(path, Some(*uid), Some(*gid))
                .map_err(|e| ClusterError::io("changing the owner of", path, e)),
        }
    }

    /// The error for `cmd` (made by [`RunAs::command`]) failing to start.
    pub fn spawn_error(&self, cmd: &Command, error: io::Error) -> ClusterError {
        ClusterError::Spawn {
            program: PathBuf::from(cmd.get_program()),
            user: match self {
                RunAs::Me => None,
                RunAs::User { name, .. } => Some(name.clone()),
            },
            cwd: cmd
                .get_current_dir()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            error,
        }
    }

    /// For error messages: `(as OS user postgres) ` or nothing.
    pub fn prefix(&self) -> String {
        match self {
            RunAs::Me => String::new(),
            RunAs::User { name, .. } => format!("(as OS user {name}) "),
        }
    }
}
