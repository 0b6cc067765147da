//! `ratchet lint`: gathers the files, hands them to `ratchet_lint`, renders the findings with
//! `ratchet_report`. Which statements are unsafe is the lint crate's business, not this one's.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::string::FromUtf8Error;

use ratchet::Version;
use ratchet_lint::{LintInput, Severity};
use ratchet_report::text::Color;
use serde_json::json;

use crate::cli::{Format, LintArgs};
use crate::config::Loaded;
use crate::failure::Failure;
use crate::output::{table, Output};

pub fn run(config: &Loaded, args: &LintArgs, out: &Output) -> Result<ExitCode, Failure> {
    if args.list_rules {
        return list_rules(out);
    }
    let mut lint_config = config.lint.to_config(config.path.as_deref())?;
    // Lint needs no database, but a configured SQLite URL says the files are SQLite's SQL.
    // A URL that does not parse is the other commands' business, not lint's.
    let url = config.settings.database_url.as_deref();
    if let Some(Ok(url)) = url.map(ratchet::DatabaseUrl::parse) {
        lint_config.dialect = url.dialect();
    }
    let since = args.since.map(Version).or(config.lint.since);

    let applied = if args.pending {
        applied_versions(config, out)?
    } else {
        BTreeSet::new()
    };
    let skip = |version: Version| {
        since.is_some_and(|since| version <= since) || applied.contains(&version)
    };

    let files = gather(config, args, &skip)?;
    let inputs = read(&files)?;
    let mut note = format!("linting {} file(s)", files.linted.len());
    if files.skipped > 0 {
        let why = match (since, args.pending) {
            (Some(since), true) => format!("applied, or at or below version {since} (`since`)"),
            (Some(since), false) => format!("at or below version {since} (`since`)"),
            (None, _) => "already applied".to_owned(),
        };
        note.push_str(&format!("; {} migration(s) skipped: {why}", files.skipped));
    }
    out.progress(&note);

    let mut diagnostics = ratchet_lint::lint(&inputs, &lint_config);
    diagnostics.retain(|d| files.linted.contains(&d.path));
    // Renderers count files from their inputs; context files are not "linted".
    let (inputs, _context): (Vec<LintInput>, Vec<LintInput>) = inputs
        .into_iter()
        .partition(|i| files.linted.contains(&i.path));
    match out.format {
        Format::Text => {
            let color = if out.color() {
                Color::Always
            } else {
                Color::Never
            };
            out.text(&ratchet_report::text::render(&diagnostics, &inputs, color));
        }
        Format::Json => out.document(&ratchet_report::json::document(&diagnostics, &inputs)),
        Format::Sarif => out.text(&ratchet_report::sarif::render(&diagnostics)),
        Format::Github => out.text(&ratchet_report::github::render(&diagnostics)),
    }
    let failed = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Ok(ExitCode::from(u8::from(failed)))
}

fn list_rules(out: &Output) -> Result<ExitCode, Failure> {
    let rules = ratchet_lint::rules::ALL.iter().map(|r| {
        let default = r.default_severity().map_or("off", Severity::as_str);
        (r.id(), default)
    });
    match out.format {
        Format::Text => {
            let mut rows = vec![vec!["RULE".to_owned(), "DEFAULT".to_owned()]];
            rows.extend(rules.map(|(id, default)| vec![id.to_owned(), default.to_owned()]));
            out.lines(&table(&rows));
        }
        Format::Json => out.document(&json!({
            "rules": rules
                .map(|(id, default)| json!({ "id": id, "default": default }))
                .collect::<Vec<_>>(),
        })),
        Format::Sarif | Format::Github => {
            return Err(Failure::Usage(format!(
                "--list-rules prints text or json, not {} (a SARIF log from a real run lists \
                 every rule too)",
                out.format.as_str()
            )))
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--pending`: the versions the database has applied. A database that cannot be reached is
/// exit 3, like every command that needs one.
fn applied_versions(config: &Loaded, out: &Output) -> Result<BTreeSet<Version>, Failure> {
    let migrator = ratchet::Migrator::new(config.settings.clone())?;
    let mut session = super::connect(&migrator, out)?;
    Ok(session.applied_versions()?)
}

/// What to read: files to lint, and files that are only context for the cross-file
/// `undeclared-dependency` pass (which migration created a table the linted ones use).
#[derive(Debug, Default)]
struct Files {
    /// Every file to read, in version order.
    paths: Vec<PathBuf>,
    /// The subset whose findings are reported. Hash sets: with a thousand files, comparing
    /// paths component by component in B-trees was a tenth of the run (issue 4).
    linted: HashSet<PathBuf>,
    /// How many migrations `since` left out of `linted`.
    skipped: usize,
    seen: HashSet<PathBuf>,
}

impl Files {
    fn add(&mut self, path: PathBuf, lint: bool) {
        if self.seen.insert(path.clone()) {
            self.paths.push(path.clone());
        }
        if lint {
            self.linted.insert(path);
        }
    }
}

/// PATHS, or the migrations folder. A folder contributes its `*.sql` files (`.down.sql`
/// included), minus those `skip` leaves out (`since`, `--pending`); those, and retired files (`.sql.retired`,
/// which never run), are read as context only: their findings are not reported. A file named
/// on the command line is always linted: asking for it is explicit.
fn gather(
    config: &Loaded,
    args: &LintArgs,
    skip: &dyn Fn(Version) -> bool,
) -> Result<Files, Failure> {
    let defaulted;
    let paths: &[PathBuf] = if args.paths.is_empty() {
        let dir = &config.settings.migrations_dir;
        if !dir.is_dir() {
            return Err(Failure::Usage(format!(
                "the migrations folder {} does not exist; pass PATHS, --dir, or set \
                 `migrations` in ratchet.toml",
                dir.display()
            )));
        }
        defaulted = [dir.clone()];
        &defaulted
    } else {
        &args.paths
    };
    let mut files = Files::default();
    for path in paths {
        let path = shown(path);
        if path.is_dir() {
            for (file, kind) in migration_files(&path)? {
                let old = version_of(&file).is_some_and(skip);
                if kind == Kind::Sql && old {
                    files.skipped += 1;
                }
                files.add(file, kind == Kind::Sql && !old);
            }
        } else if path.is_file() {
            files.add(path, true);
        } else {
            return Err(Failure::Usage(format!(
                "{}: no such file or folder",
                path.display()
            )));
        }
    }
    files
        .paths
        .sort_by_cached_key(|p| (version_of(p).is_none(), version_of(p), p.clone()));
    Ok(files)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sql,
    Retired,
}

/// The version a file name starts with, if any.
fn version_of(path: &Path) -> Option<Version> {
    let name = path.file_name()?.to_str()?;
    Version::from_leading_digits(name).map(|(v, _)| v)
}

/// The `*.sql` and `*.sql.retired` files directly in `dir`.
fn migration_files(dir: &Path) -> Result<Vec<(PathBuf, Kind)>, Failure> {
    let cannot = |e: std::io::Error| Failure::Usage(format!("cannot read {}: {e}", dir.display()));
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(cannot)? {
        let entry = entry.map_err(cannot)?;
        let path = entry.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let kind = if name.ends_with(".sql") {
            Kind::Sql
        } else if name.ends_with(".sql.retired") {
            Kind::Retired
        } else {
            continue;
        };
        // The entry's type costs no system call; only a symlink needs `stat` to be followed.
        let file_type = entry.file_type().map_err(cannot)?;
        if file_type.is_file() || (file_type.is_symlink() && path.is_file()) {
            found.push((path, kind));
        }
    }
    Ok(found)
}

/// Paths as findings show them: relative to the working directory when they are inside it,
/// which is what editors, GitHub annotations and SARIF viewers resolve.
fn shown(path: &Path) -> PathBuf {
    if path.is_absolute() {
        if let Ok(cwd) = std::env::current_dir() {
            if let Ok(relative) = path.strip_prefix(&cwd) {
                if !relative.as_os_str().is_empty() {
                    return relative.to_path_buf();
                }
            }
        }
    }
    path.to_path_buf()
}

/// Reads every file. One that cannot be read or is not UTF-8 is an invocation problem (exit
/// 2), reported with its position like a finding, before anything is linted.
///
/// A context-only file that cannot be read is left out instead: an old migration must not
/// stop the new ones from being linted.
fn read(files: &Files) -> Result<Vec<LintInput>, Failure> {
    let mut inputs = Vec::with_capacity(files.paths.len());
    let mut problems = Vec::new();
    for (path, read) in files.paths.iter().zip(read_all(&files.paths)) {
        let linted = files.linted.contains(path);
        let text = match read {
            Ok(text) => text,
            Err(_) if !linted => continue,
            Err(e) => {
                problems.push(format!("{}: cannot read the file: {e}", path.display()));
                continue;
            }
        };
        match text {
            Ok(source) => inputs.push(LintInput {
                path: path.clone(),
                source,
            }),
            Err(_) if !linted => {}
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
                let (line, column) = ratchet::sql::LineIndex::new(prefix).line_col(valid);
                problems.push(format!(
                    "{}:{line}:{column}: the file is not valid UTF-8 (byte 0x{:02x} at offset \
                     {valid}); save it as UTF-8",
                    path.display(),
                    bytes[valid]
                ));
            }
        }
    }
    match problems.len() {
        0 => Ok(inputs),
        1 => Err(Failure::Usage(problems.remove(0))),
        n => Err(Failure::Usage(format!(
            "{n} files cannot be linted; nothing was linted\n  {}",
            problems.join("\n  ")
        ))),
    }
}

/// Reads `paths` and checks that they are UTF-8, on every core: one after another, reading a
/// thousand small migrations was a tenth of `ratchet lint`'s time (issue 4).
fn read_all(paths: &[PathBuf]) -> Vec<std::io::Result<Result<String, FromUtf8Error>>> {
    let read = |path: &PathBuf| ratchet::core::read_file(path).map(String::from_utf8);
    // Below a few dozen files, starting a thread costs more than it saves.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(paths.len() / 32)
        .max(1);
    if workers == 1 {
        return paths.iter().map(read).collect();
    }
    let chunk = paths.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let parts: Vec<_> = paths
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(read).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().expect("reading a file does not panic"))
            .collect()
    })
}
