//! A process that removes the cluster when its owner dies without doing so itself.
//!
//! Drop and the at-exit hook cover returns, errors and panics, but nothing in a process runs
//! when it is killed (SIGKILL, an unhandled SIGINT or SIGTERM, `panic = "abort"`, an OOM
//! kill). So each cluster gets a small `/bin/sh` child that reads a pipe whose write end only
//! the owner holds. The kernel closes that end when the owner dies, however it dies; the
//! watchdog reads EOF and then stops the server and deletes the directory. This reacts at
//! once and, unlike polling the owner's pid, cannot be fooled by pid reuse.
//!
//! When the owner removes the cluster itself, it then writes `disarm` to the pipe, and the
//! watchdog exits without touching anything. The line is written only *after* the removal,
//! so a death half way through still leaves the watchdog armed. Should both clean up, the
//! second time is harmless: `pg_ctl stop` without a running server fails quietly, and
//! `rm -rf` of a missing directory does nothing.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::time::Duration;

use crate::run_as::RunAs;
use crate::{poll, ClusterError};

/// `$1` = pg_ctl, `$2` = data directory, `$3` = the cluster directory.
///
/// * HUP, INT and TERM are ignored: a Ctrl-C, a closed terminal or a `kill` of the owner's
///   whole process group must not take the watchdog down with the owner.
/// * `pg_ctl stop -m immediate -w` finds the server through `postmaster.pid`, so it never
///   signals a process that is not this cluster's server, and waits until it has exited.
/// * Should the server write its pid file only after pg_ctl looked (the owner died within
///   the first milliseconds of start-up), the directory is gone under it, and PostgreSQL
///   shuts itself down when it finds its lock file missing on its next check (within a
///   minute).
const SCRIPT: &str = r#"trap '' HUP INT TERM
while IFS= read -r line; do
    if [ "$line" = disarm ]; then exit 0; fi
done
"$1" -D "$2" -m immediate -w -t 60 stop >/dev/null 2>&1
rm -rf -- "$3"
"#;

#[derive(Debug)]
pub(crate) struct Watchdog {
    child: Child,
    /// The write end. Never written to until [`Watchdog::disarm`]; its closing (when we die
    /// or drop it) is the watchdog's cue.
    pipe: Option<ChildStdin>,
}

impl Watchdog {
    pub fn spawn(
        run_as: &RunAs,
        pg_ctl: &Path,
        data_dir: &Path,
        dir: &Path,
    ) -> Result<Watchdog, ClusterError> {
        // It runs as the server's owner: pg_ctl refuses to run as root, and the owner can
        // remove the directory (it owns it).
        let mut cmd = run_as.command("/bin/sh", Path::new("/"));
        cmd.arg("-c")
            .arg(SCRIPT)
            .arg("ratchet-pgcluster-watchdog") // $0, shown by ps
            .arg(pg_ctl)
            .arg(data_dir)
            .arg(dir)
            // std opens our end of the pipe close-on-exec, so the server and any other
            // program we (or the embedding application) start do not keep it open.
            .stdin(Stdio::piped())
            // Holding our stdout/stderr open would keep whoever reads them (a terminal
            // pipeline, `cargo test`) waiting for the watchdog.
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: signals aimed at ours (a terminal's Ctrl-C) miss it.
            .process_group(0);
        let mut child = cmd.spawn().map_err(|e| run_as.spawn_error(&cmd, e))?;
        let pipe = child.stdin.take();
        Ok(Watchdog { child, pipe })
    }

    /// Tells the watchdog that the cluster is gone, and reaps it.
    pub fn disarm(mut self) {
        if let Some(mut pipe) = self.pipe.take() {
            // An error means the watchdog is gone already; nothing to tell it then.
            let _ = pipe.write_all(b"disarm\n");
        }
        // It exits as soon as it reads the line. Reap it so that a long-running owner does
        // not collect zombies; a watchdog that somehow lingers is left to finish alone.
        let _ = poll(Duration::from_secs(2), || self.child.try_wait());
    }
}
