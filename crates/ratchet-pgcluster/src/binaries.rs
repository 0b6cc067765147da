//! Finding the installed PostgreSQL server binaries.

use std::fs;
use std::path::{Path, PathBuf};

use crate::ClusterError;

/// Env var naming the directory that holds `initdb`, `postgres` and `pg_ctl`. When set, it
/// wins over every other place, and a wrong value is an error.
pub const BIN_DIR_ENV: &str = "RATCHET_PG_BIN";

/// What a cluster needs: `initdb` to create it, `postgres` to run it, and `pg_ctl` for the
/// watchdog, which stops a server it did not start.
const TOOLS: [&str; 3] = ["initdb", "postgres", "pg_ctl"];

/// Per-version directories of distributions that keep the server off `PATH`, newest version
/// first among each pattern's matches.
const VERSIONED_DIRS: [(&str, &str); 2] = [
    // Debian and Ubuntu: /usr/lib/postgresql/15/bin
    ("/usr/lib/postgresql", ""),
    // The PGDG RPMs (RHEL, Fedora): /usr/pgsql-15/bin
    ("/usr", "pgsql-"),
];

/// The directory holding the server binaries: `RATCHET_PG_BIN`, then the first directory on
/// `PATH` with `initdb` (resolved through symlinks to the installation's own directory,
/// which also has `psql`, `pg_dump` and friends), then the newest
/// `/usr/lib/postgresql/*/bin` or `/usr/pgsql-*/bin`.
pub fn find_bin_dir() -> Result<PathBuf, ClusterError> {
    locate(None)
}

pub(crate) fn locate(explicit: Option<&Path>) -> Result<PathBuf, ClusterError> {
    if let Some(dir) = explicit {
        return complete(dir, "the configured PostgreSQL bin directory ");
    }
    if let Some(dir) = std::env::var_os(BIN_DIR_ENV).filter(|d| !d.is_empty()) {
        return complete(Path::new(&dir), "RATCHET_PG_BIN=");
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let Ok(initdb) = fs::canonicalize(dir.join("initdb")) else {
                continue;
            };
            // PATH often holds symlinks to a few tools only (/usr/local/bin/initdb ->
            // /usr/lib/postgresql/15/bin/initdb); prefer the directory they point into.
            let real = initdb.parent().map(Path::to_path_buf);
            if let Some(found) = real
                .into_iter()
                .chain([dir])
                .find(|d| missing(d).is_empty())
            {
                return Ok(found);
            }
        }
    }
    for (parent, prefix) in VERSIONED_DIRS {
        if let Some(dir) = newest_versioned(Path::new(parent), prefix) {
            return Ok(dir);
        }
    }
    Err(ClusterError::BinariesNotFound {
        searched: format!(
            "${BIN_DIR_ENV}, PATH, {}",
            VERSIONED_DIRS
                .map(|(p, pre)| format!("{p}/{pre}*/bin"))
                .join(", ")
        ),
    })
}

fn complete(dir: &Path, origin: &'static str) -> Result<PathBuf, ClusterError> {
    let missing = missing(dir);
    if missing.is_empty() {
        Ok(dir.to_path_buf())
    } else {
        Err(ClusterError::IncompleteBinDir {
            origin,
            dir: dir.to_path_buf(),
            missing,
        })
    }
}

fn missing(dir: &Path) -> Vec<&'static str> {
    TOOLS
        .into_iter()
        .filter(|tool| !dir.join(tool).is_file())
        .collect()
}

/// `parent/<prefix><version>/bin` with the highest version (compared numerically, so 9.6 <
/// 10 < 16) that holds every tool.
fn newest_versioned(parent: &Path, prefix: &str) -> Option<PathBuf> {
    let mut found: Vec<(Vec<u32>, PathBuf)> = fs::read_dir(parent)
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let version = name
                .to_str()?
                .strip_prefix(prefix)?
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            let bin = entry.path().join("bin");
            missing(&bin).is_empty().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_install(root: &Path, name: &str, tools: &[&str]) -> PathBuf {
        let bin = root.join(name).join("bin");
        fs::create_dir_all(&bin).unwrap();
        for tool in tools {
            fs::write(bin.join(tool), "").unwrap();
        }
        bin
    }

    #[test]
    fn newest_complete_version_wins_numerically() {
        let root = tempfile::tempdir().unwrap();
        fake_install(root.path(), "9.6", &TOOLS);
        let ten = fake_install(root.path(), "10", &TOOLS);
        fake_install(root.path(), "17", &["initdb"]); // incomplete: skipped
        fake_install(root.path(), "notaversion", &TOOLS);
        assert_eq!(newest_versioned(root.path(), ""), Some(ten));
    }

    #[test]
    fn prefixed_versions() {
        let root = tempfile::tempdir().unwrap();
        let pg16 = fake_install(root.path(), "pgsql-16", &TOOLS);
        fake_install(root.path(), "pgsql-13", &TOOLS);
        fake_install(root.path(), "local", &TOOLS);
        assert_eq!(newest_versioned(root.path(), "pgsql-"), Some(pg16));
    }

    #[test]
    fn not_found_says_how_to_fix_it() {
        let msg = ClusterError::BinariesNotFound {
            searched: "$RATCHET_PG_BIN, PATH".into(),
        }
        .to_string();
        for hint in ["apt-get install postgresql", "RATCHET_PG_BIN", "--dev-url"] {
            assert!(msg.contains(hint), "no {hint:?} in: {msg}");
        }
    }

    #[test]
    fn an_explicit_directory_must_be_complete() {
        let root = tempfile::tempdir().unwrap();
        let bin = fake_install(root.path(), "x", &["initdb"]);
        let err = locate(Some(&bin)).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("does not contain postgres, pg_ctl"),
            "unexpected message: {msg}"
        );
    }
}
