//! Loading a migrations folder into a validated [`MigrationSet`].
//!
//! Everything wrong with the folder is collected and reported at once, each problem naming its
//! file (and line and column where there is one), so a user fixes them in one pass. A set that
//! has any problem is never returned: nothing can reach a database from a broken folder.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use ratchet_sql::{Dialect, LineIndex, TransactionControl};
use regex::Regex;
use serde::Serialize;

use crate::file::read_file;
use crate::{Checksum, Migration, Retired, TransactionMode, Version};

/// `NNNN_snake_case_name.sql`, as in the specification. Projects using timestamps configure
/// their own, e.g. `^\d{14}_[a-z0-9_]+\.sql$`.
pub const DEFAULT_NAME_PATTERN: &str = r"^\d{4}_[a-z0-9_]+\.sql$";

#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Applied to the whole file name of up migrations (and to retired / down files after
    /// removing `.retired` / turning `.down.sql` into `.sql`).
    pub name_pattern: Regex,
    /// Decides the lexical rules used to split statements (dollar quotes exist only in
    /// PostgreSQL, trigger bodies need care in SQLite).
    pub dialect: Dialect,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            name_pattern: Regex::new(DEFAULT_NAME_PATTERN).expect("the default pattern is valid"),
            dialect: Dialect::Postgres,
        }
    }
}

/// One thing wrong with the folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadProblem {
    pub path: PathBuf,
    /// 1-based; present when the problem is inside the file.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for LoadProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found while loading, sorted by file and position.
#[derive(Debug, Clone, thiserror::Error, Serialize)]
#[error("the migration set in {dir} has {} problem(s)", problems.len())]
pub struct LoadProblems {
    pub dir: PathBuf,
    pub problems: Vec<LoadProblem>,
}

/// The validated content of a migrations folder, migrations in ascending version order.
#[derive(Debug, Clone)]
pub struct MigrationSet {
    pub dir: PathBuf,
    pub migrations: Vec<Migration>,
    pub retired: Vec<Retired>,
}

enum Entry {
    Up,
    Down { up_name: String },
    Retired { base_name: String },
}

impl MigrationSet {
    /// Reads and validates `dir`. Dot-files (`.gitkeep`) are the only entries ignored; any
    /// other file or folder that is not a migration is a problem, because a file the tool
    /// silently skips is a migration that silently never runs.
    pub fn load(dir: &Path, options: &LoadOptions) -> Result<MigrationSet, LoadProblems> {
        let mut problems = Vec::new();
        let fail = |problems: Vec<LoadProblem>| LoadProblems {
            dir: dir.to_owned(),
            problems,
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(err) => {
                return Err(fail(vec![LoadProblem {
                    path: dir.to_owned(),
                    line: None,
                    column: None,
                    message: format!("cannot read the migrations folder: {err}"),
                }]))
            }
        };
        let mut files = Vec::new();
        for entry in entries {
            match entry {
                // The type comes with the directory listing: no stat() per file.
                Ok(entry) => {
                    let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                    files.push((entry.file_name(), entry.path(), is_dir));
                }
                Err(err) => problems.push(file_problem(dir, format!("cannot list entry: {err}"))),
            }
        }
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));

        let mut ups: Vec<(PathBuf, String)> = Vec::new();
        let mut downs: HashMap<String, PathBuf> = HashMap::new();
        let mut retired = Vec::new();
        for (file_name, path, is_dir) in files {
            let Some(file_name) = file_name.to_str().map(str::to_owned) else {
                problems.push(file_problem(
                    &path,
                    "the file name is not valid UTF-8".into(),
                ));
                continue;
            };
            if file_name.starts_with('.') {
                continue;
            }
            if is_dir {
                problems.push(file_problem(
                    &path,
                    "a folder inside the migrations folder: ratchet does not read sub-folders, \
                     so its files would never run; move them up or out"
                        .into(),
                ));
                continue;
            }
            let entry = if let Some(base) = file_name.strip_suffix(".retired") {
                Entry::Retired {
                    base_name: base.to_owned(),
                }
            } else if let Some(stem) = file_name.strip_suffix(".down.sql") {
                Entry::Down {
                    up_name: format!("{stem}.sql"),
                }
            } else {
                Entry::Up
            };
            let checked_name = match &entry {
                Entry::Up => &file_name,
                Entry::Down { up_name } => up_name,
                Entry::Retired { base_name } => base_name,
            };
            if !options.name_pattern.is_match(checked_name) {
                problems.push(file_problem(
                    &path,
                    format!(
                        "the name does not match the migration name rule {} (expected e.g. 0001_create_users.sql)",
                        options.name_pattern.as_str()
                    ),
                ));
                continue;
            }
            let Some((version, _)) = Version::from_leading_digits(checked_name) else {
                problems.push(file_problem(
                    &path,
                    "the name does not start with a version number that fits in 64 bits".into(),
                ));
                continue;
            };
            match entry {
                Entry::Up => ups.push((path, file_name)),
                Entry::Down { up_name } => {
                    downs.insert(up_name, path);
                }
                Entry::Retired { base_name } => retired.push(Retired {
                    version,
                    name: base_name.trim_end_matches(".sql").to_owned(),
                    path,
                }),
            }
        }

        // Versions are identities: two files claiming one version (a retired one included)
        // would make the history ambiguous. Sorted pairs put the claims of one version side
        // by side, without a map or a copy of any path.
        let mut claimed: Vec<(Version, &Path)> = Vec::with_capacity(ups.len() + retired.len());
        for (path, name) in &ups {
            if let Some((version, _)) = Version::from_leading_digits(name) {
                claimed.push((version, path));
            }
        }
        claimed.extend(retired.iter().map(|r| (r.version, r.path.as_path())));
        claimed.sort_unstable();
        for same in claimed.chunk_by(|a, b| a.0 == b.0).filter(|c| c.len() > 1) {
            let version = same[0].0;
            for (_, path) in same {
                let others: Vec<String> = same
                    .iter()
                    .filter(|(_, p)| p != path)
                    .map(|(_, p)| display_name(p))
                    .collect();
                problems.push(file_problem(
                    path,
                    format!(
                        "version {version} is used by more than one file (also {})",
                        others.join(", ")
                    ),
                ));
            }
        }

        let up_names: HashSet<&str> = ups.iter().map(|(_, name)| name.as_str()).collect();
        for (up_name, path) in &downs {
            if !up_names.contains(up_name.as_str()) {
                problems.push(file_problem(
                    path,
                    format!("rollback file without its migration: {up_name} does not exist"),
                ));
            }
        }

        let mut migrations = Vec::with_capacity(ups.len());
        for result in load_files(&ups, &downs, options) {
            match result {
                Ok(migration) => migrations.push(migration),
                Err(mut found) => problems.append(&mut found),
            }
        }
        // Results come in file name order, which is version order whenever versions have
        // one width (the default rule): then there is nothing to sort.
        if !migrations.is_sorted_by_key(|m| m.version) {
            migrations.sort_by_key(|m| m.version);
        }
        retired.sort_by_key(|r| r.version);

        resolve_dependencies(&mut migrations, &retired, &mut problems);

        if problems.is_empty() {
            Ok(MigrationSet {
                dir: dir.to_owned(),
                migrations,
                retired,
            })
        } else {
            problems.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
            problems.dedup();
            Err(fail(problems))
        }
    }

    /// One SQL file outside any migrations folder (a declarative `schema.sql`) as a set of
    /// one migration, version 1, named after the file. Loading it this way gives it every
    /// check and guarantee of a migration: UTF-8, directives, statement splitting, errors
    /// reported at `file:line:column`, one transaction when applied.
    pub fn single_file(path: &Path, options: &LoadOptions) -> Result<MigrationSet, LoadProblems> {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        match load_file(path, &file_name, None, options) {
            Ok(migration) => Ok(MigrationSet {
                dir,
                migrations: vec![migration],
                retired: Vec::new(),
            }),
            Err(problems) => Err(LoadProblems { dir, problems }),
        }
    }

    pub fn get(&self, version: Version) -> Option<&Migration> {
        self.migrations
            .binary_search_by_key(&version, |m| m.version)
            .ok()
            .map(|i| &self.migrations[i])
    }
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn file_problem(path: &Path, message: String) -> LoadProblem {
    LoadProblem {
        path: path.to_owned(),
        line: None,
        column: None,
        message,
    }
}

/// A problem at byte `offset` of `source`. The line index is built only here, on the error
/// path: a clean folder never pays for one.
fn at(path: &Path, source: &str, offset: usize, message: String) -> LoadProblem {
    let (line, column) = LineIndex::new(source).line_col(offset);
    LoadProblem {
        path: path.to_owned(),
        line: Some(line),
        column: Some(column),
        message,
    }
}

/// Reads, hashes, splits and checks every file, giving the results in the order of `ups`.
/// Files are independent, so the work is spread over the machine's cores: `verify` at
/// application start-up reads thousands of them.
///
/// The calling thread works too, and every thread takes the next batch of files when it is
/// free rather than a fixed share: on a busy machine a helper thread can get its core a
/// millisecond late, and a fixed split would then wait for it. Each batch is written into
/// its own slots of one vector sized up front, so the results come out in the folder's
/// order and each is moved once: collected per thread, appended, then sorted, every
/// migration was copied three more times (with the two changes in `load`, `verify` with
/// 1,000 applied took 0.975x the time).
fn load_files(
    ups: &[(PathBuf, String)],
    downs: &HashMap<String, PathBuf>,
    options: &LoadOptions,
) -> Vec<Result<Migration, Vec<LoadProblem>>> {
    let load = |(path, file_name): &(PathBuf, String)| {
        load_file(path, file_name, downs.get(file_name).cloned(), options)
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Below this, starting threads costs more than it saves.
    const PER_WORKER: usize = 64;
    if workers < 2 || ups.len() < 2 * PER_WORKER {
        return ups.iter().map(load).collect();
    }
    // Small enough to even out at the end, large enough that taking a batch is not contended.
    const BATCH: usize = 16;
    let mut slots: Vec<Option<Result<Migration, Vec<LoadProblem>>>> =
        std::iter::repeat_with(|| None).take(ups.len()).collect();
    let batches = Mutex::new(slots.chunks_mut(BATCH).zip(ups.chunks(BATCH)));
    let work = || loop {
        let next = batches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next();
        let Some((out, files)) = next else {
            return;
        };
        for (slot, file) in out.iter_mut().zip(files) {
            *slot = Some(load(file));
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..workers.min(ups.len() / PER_WORKER) {
            scope.spawn(work);
        }
        work();
    });
    slots
        .into_iter()
        .map(|slot| slot.expect("every batch is loaded before the threads end"))
        .collect()
}

fn load_file(
    path: &Path,
    file_name: &str,
    down: Option<PathBuf>,
    options: &LoadOptions,
) -> Result<Migration, Vec<LoadProblem>> {
    let bytes = read_file(path)
        .map_err(|err| vec![file_problem(path, format!("cannot read the file: {err}"))])?;
    let checksum = Checksum::of(&bytes);
    let source = match String::from_utf8(bytes) {
        Ok(source) => source,
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let bytes = err.into_bytes();
            let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let (line, column) = LineIndex::new(prefix).line_col(valid);
            return Err(vec![LoadProblem {
                path: path.to_owned(),
                line: Some(line),
                column: Some(column),
                message: format!(
                    "the file is not valid UTF-8 (byte 0x{:02x} at offset {valid}); save it as UTF-8",
                    bytes[valid]
                ),
            }]);
        }
    };
    let mut problems = Vec::new();

    let directives = match ratchet_sql::parse_directives(&source, options.dialect) {
        Ok(d) => d,
        Err(errors) => {
            for e in errors {
                problems.push(at(path, &source, e.offset, e.message));
            }
            Default::default()
        }
    };
    let mut statements = match ratchet_sql::split(&source, options.dialect) {
        Ok(s) => s,
        Err(e) => {
            problems.push(at(path, &source, e.offset, e.to_string_without_offset()));
            Vec::new()
        }
    };
    let transaction = if directives.no_transaction {
        TransactionMode::None
    } else {
        TransactionMode::PerMigration
    };

    let mut unwrapped_transaction = false;
    if transaction == TransactionMode::PerMigration {
        let controls: Vec<(usize, TransactionControl)> = statements
            .iter()
            .enumerate()
            .filter_map(|(i, s)| ratchet_sql::transaction_control(s.text(&source)).map(|c| (i, c)))
            .collect();
        let last = statements.len().wrapping_sub(1);
        let whole_file_pair = controls.len() == 2
            && controls[0] == (0, TransactionControl::Begin)
            && controls[1] == (last, TransactionControl::Commit);
        if whole_file_pair {
            statements.pop();
            statements.remove(0);
            unwrapped_transaction = true;
        } else {
            for (i, control) in controls {
                let word = match control {
                    TransactionControl::Begin => "BEGIN",
                    TransactionControl::Commit => "COMMIT",
                    TransactionControl::Rollback => "ROLLBACK",
                    TransactionControl::Other => "two-phase transaction control",
                };
                problems.push(at(
                    path,
                    &source,
                    statements[i].range.start,
                    format!(
                        "{word} inside a transactional migration: ratchet already runs each migration in \
                         its own transaction (only one BEGIN/COMMIT pair around the whole file is \
                         accepted); remove it, or add `-- ratchet:no-transaction` to the header"
                    ),
                ));
            }
        }
    }

    // Folder entries were checked to start with their version; a single file loaded on its
    // own (`MigrationSet::single_file`) has none and counts as version 1.
    let version = Version::from_leading_digits(file_name).map_or(Version(1), |(v, _)| v);
    if problems.is_empty() {
        Ok(Migration {
            version,
            name: file_name.trim_end_matches(".sql").to_owned(),
            path: path.to_owned(),
            source,
            checksum,
            directives,
            transaction,
            statements,
            unwrapped_transaction,
            depends: Vec::new(),
            down,
        })
    } else {
        Err(problems)
    }
}

/// Turns each `DEPENDS` reference (a version, a file name or a name without `.sql`) into a
/// version, and checks that it exists, is not retired and comes earlier: numeric order is the
/// execution order, so a dependency on a later migration can never be satisfied.
fn resolve_dependencies(
    migrations: &mut [Migration],
    retired: &[Retired],
    problems: &mut Vec<LoadProblem>,
) {
    // The usual case, and no reason to copy every name.
    if migrations.iter().all(|m| m.directives.depends.is_empty()) {
        return;
    }
    let known: Vec<(Version, String)> = migrations
        .iter()
        .map(|m| (m.version, m.name.clone()))
        .collect();
    for migration in migrations.iter_mut() {
        let mut resolved = Vec::new();
        for dep in &migration.directives.depends {
            let target = dep.target.trim();
            let stem = target.strip_suffix(".sql").unwrap_or(target);
            let wanted = stem
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| stem.parse::<u64>().ok().map(Version))
                .flatten();
            let names = |version: Version, name: &str| match wanted {
                Some(w) => w == version,
                None => name == stem,
            };
            let found = known.iter().find(|(v, name)| names(*v, name));
            let problem = match found {
                None if retired.iter().any(|r| names(r.version, &r.name)) => Some(format!(
                    "depends on {target}, which is retired and never runs"
                )),
                None => Some(format!(
                    "depends on {target}, which does not exist in this folder"
                )),
                Some((version, name)) if *version >= migration.version => Some(format!(
                    "depends on {name}, whose version {version} is not lower than this migration's \
                     {}: migrations run in version order, so it would run after this one",
                    migration.version
                )),
                Some((version, _)) => {
                    resolved.push(*version);
                    None
                }
            };
            if let Some(message) = problem {
                problems.push(at(&migration.path, &migration.source, dep.offset, message));
            }
        }
        migration.depends = resolved;
    }
}

/// [`ratchet_sql::SplitError`]'s own message ends with a byte offset; load problems carry a
/// line and column instead.
trait WithoutOffset {
    fn to_string_without_offset(&self) -> String;
}

impl WithoutOffset for ratchet_sql::SplitError {
    fn to_string_without_offset(&self) -> String {
        format!("{} is never closed", self.kind)
    }
}
