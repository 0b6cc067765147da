//! Shared by the CLI integration tests: a temp project folder and a way to run the real
//! `ratchet` binary in it.
#![allow(dead_code)] // each test binary uses a different subset of these helpers

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// A project folder with a `migrations/` directory, removed when dropped.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub url: String,
}

impl Project {
    /// An empty project pointed at `url` (passed with --database-url on every run).
    pub fn new(url: impl Into<String>) -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("migrations")).expect("migrations dir");
        Project {
            dir,
            url: url.into(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn migrations(&self) -> PathBuf {
        self.dir.path().join("migrations")
    }

    /// Writes `migrations/<name>` with `body`.
    pub fn write(&self, name: &str, body: impl AsRef<[u8]>) -> PathBuf {
        let path = self.migrations().join(name);
        std::fs::write(&path, body).expect("write migration");
        path
    }

    /// `ratchet --database-url URL <args>` in the project folder, without inheriting
    /// database URLs from the environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ratchet"));
        cmd.current_dir(self.path())
            .env_remove("RATCHET_DATABASE_URL")
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            .arg("--database-url")
            .arg(&self.url)
            .args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run ratchet"))
    }

    /// Starts ratchet without waiting, stdout/stderr piped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ratchet")
    }
}

/// The result of one run, with the streams decoded.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}
