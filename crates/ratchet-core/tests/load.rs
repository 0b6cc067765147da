//! Loading a migrations folder: every problem is reported at once, each naming its file (and
//! its line and column when the problem is inside the file), and the things that are *not*
//! problems load into the set the planner works from.

use std::path::Path;

use ratchet_core::{LoadOptions, LoadProblem, MigrationSet, TransactionMode, Version};
use regex::Regex;
use tempfile::TempDir;

/// A migrations folder holding `files` (name, bytes).
fn folder(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).expect("write file");
    }
    dir
}

fn load(dir: &Path) -> Result<MigrationSet, Vec<LoadProblem>> {
    MigrationSet::load(dir, &LoadOptions::default()).map_err(|e| e.problems)
}

fn load_ok(dir: &Path) -> MigrationSet {
    load(dir).unwrap_or_else(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        panic!("expected the folder to load, got:\n{}", lines.join("\n"))
    })
}

fn load_err(dir: &Path) -> Vec<LoadProblem> {
    match load(dir) {
        Ok(set) => panic!(
            "expected problems, but the folder loaded: {:?}",
            set.migrations.iter().map(|m| &m.name).collect::<Vec<_>>()
        ),
        Err(problems) => problems,
    }
}

fn file_name(problem: &LoadProblem) -> String {
    problem
        .path
        .file_name()
        .expect("a problem names a file")
        .to_string_lossy()
        .into_owned()
}

/// The problems about `name`, as `(line, column, message)`.
fn about(problems: &[LoadProblem], name: &str) -> Vec<(Option<usize>, Option<usize>, String)> {
    problems
        .iter()
        .filter(|p| file_name(p) == name)
        .map(|p| (p.line, p.column, p.message.clone()))
        .collect()
}

/// Asserts exactly one problem about `name`, at `position` (`None` for the whole file), whose
/// message contains `needle`.
#[track_caller]
fn expect_one(
    problems: &[LoadProblem],
    name: &str,
    position: Option<(usize, usize)>,
    needle: &str,
) {
    let found = about(problems, name);
    assert_eq!(
        found.len(),
        1,
        "expected one problem about {name}, got {found:#?}\nall: {problems:#?}"
    );
    let (line, column, message) = &found[0];
    assert_eq!(
        (*line, *column),
        (position.map(|p| p.0), position.map(|p| p.1)),
        "position of the problem about {name}: {message}"
    );
    assert!(
        message.contains(needle),
        "the problem about {name} should mention {needle:?}: {message}"
    );
}

#[test]
fn every_problem_is_reported_together_naming_its_file() {
    let dir = folder(&[
        // names breaking the default rule
        ("0032-add-column.sql", b"select 1;"),
        ("0033_AddColumn.sql", b"select 1;"),
        ("1_x.sql", b"select 1;"),
        ("README.md", b"# migrations\n"),
        // one version, two files
        ("0002_first.sql", b"select 1;"),
        ("0002_second.sql", b"select 2;"),
        // not UTF-8: 0xe9 is Latin-1 for the e of "cafe", line 2 column 12
        ("0003_latin1.sql", b"select 1;\nselect 'caf\xe9';\n"),
        // a dependency on a later migration
        ("0004_early.sql", b"-- DEPENDS: 0009_later.sql\nselect 1;\n"),
        ("0009_later.sql", b"select 1;\n"),
        // a dependency on nothing
        (
            "0005_missing_dep.sql",
            b"-- ratchet:depends 0042\nselect 1;\n",
        ),
        // a dependency on a retired migration
        (
            "0006_retired_dep.sql",
            b"-- DEPENDS: 0007_old.sql\nselect 1;\n",
        ),
        ("0007_old.sql.retired", b"select 1;\n"),
        // an unknown directive
        ("0008_frob.sql", b"-- ratchet:frobnicate\nselect 1;\n"),
        // an unterminated dollar quote, opened on line 2 column 4
        (
            "0010_dollar.sql",
            b"select 1;\ndo $x$ begin\n  perform 1;\n",
        ),
        // COMMIT in the middle of a transactional file
        (
            "0011_commit_mid.sql",
            b"create table a (id int);\ncommit;\ncreate table b (id int);\n",
        ),
        // a rollback file without its migration
        ("0012_orphan.down.sql", b"drop table x;\n"),
    ]);
    std::fs::create_dir(dir.path().join("0013_subfolder")).unwrap();

    let problems = load_err(dir.path());

    let rule = "does not match the migration name rule";
    expect_one(&problems, "0032-add-column.sql", None, rule);
    expect_one(&problems, "0033_AddColumn.sql", None, rule);
    expect_one(&problems, "1_x.sql", None, rule);
    expect_one(&problems, "README.md", None, rule);
    expect_one(
        &problems,
        "0002_first.sql",
        None,
        "version 2 is used by more than one file (also 0002_second.sql)",
    );
    expect_one(
        &problems,
        "0002_second.sql",
        None,
        "version 2 is used by more than one file (also 0002_first.sql)",
    );
    expect_one(
        &problems,
        "0003_latin1.sql",
        Some((2, 12)),
        "not valid UTF-8",
    );
    expect_one(&problems, "0003_latin1.sql", Some((2, 12)), "0xe9");
    expect_one(
        &problems,
        "0004_early.sql",
        Some((1, 13)),
        "whose version 9 is not lower",
    );
    expect_one(
        &problems,
        "0005_missing_dep.sql",
        Some((1, 20)),
        "depends on 0042, which does not exist",
    );
    expect_one(
        &problems,
        "0006_retired_dep.sql",
        Some((1, 13)),
        "which is retired",
    );
    expect_one(
        &problems,
        "0008_frob.sql",
        Some((1, 4)),
        "unknown directive \"ratchet:frobnicate\"",
    );
    expect_one(
        &problems,
        "0010_dollar.sql",
        Some((2, 4)),
        "dollar-quoted string is never closed",
    );
    expect_one(
        &problems,
        "0011_commit_mid.sql",
        Some((2, 1)),
        "COMMIT inside a transactional migration",
    );
    expect_one(
        &problems,
        "0012_orphan.down.sql",
        None,
        "0012_orphan.sql does not exist",
    );
    expect_one(&problems, "0013_subfolder", None, "sub-folders");

    // Nothing else: the valid files (0009, the retired one) are not reported.
    assert_eq!(problems.len(), 15, "{problems:#?}");
    // Sorted by file, so the list reads like a compiler's.
    let mut sorted = problems.clone();
    sorted.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    assert_eq!(problems, sorted);
}

#[test]
fn problem_display_is_path_line_column_message() {
    let dir = folder(&[("0001_x.sql", b"select 1;\n-- x\ncommit;\n")]);
    let problems = load_err(dir.path());
    assert_eq!(problems.len(), 1);
    let shown = problems[0].to_string();
    let expected_prefix = format!("{}:3:1: COMMIT", dir.path().join("0001_x.sql").display());
    assert!(shown.starts_with(&expected_prefix), "{shown}");

    let dir = folder(&[("x.sql", b"")]);
    let shown = load_err(dir.path())[0].to_string();
    let expected_prefix = format!("{}: the name", dir.path().join("x.sql").display());
    assert!(shown.starts_with(&expected_prefix), "{shown}");
}

#[test]
fn a_missing_folder_is_one_problem_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = MigrationSet::load(&missing, &LoadOptions::default()).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(err.problems[0].path, missing);
    assert!(err.problems[0]
        .message
        .contains("cannot read the migrations folder"));
}

#[test]
fn a_whole_file_begin_commit_pair_is_unwrapped() {
    let dir = folder(&[
        (
            "0001_wrapped.sql",
            b"-- golang-migrate habit\nBEGIN;\ncreate table a (id int);\ncreate table b (id int);\nCOMMIT;\n",
        ),
        (
            "0002_crlf_bom.sql",
            b"\xEF\xBB\xBFbegin transaction;\r\ncreate table c (id int);\r\ncommit;\r\n",
        ),
        ("0003_plain.sql", b"create table d (id int);\n"),
    ]);
    let set = load_ok(dir.path());
    let wrapped = set.get(Version(1)).unwrap();
    assert!(wrapped.unwrapped_transaction);
    assert_eq!(wrapped.transaction, TransactionMode::PerMigration);
    let texts: Vec<&str> = (0..wrapped.statements.len())
        .map(|i| wrapped.statement_text(i).trim())
        .collect();
    assert_eq!(
        texts,
        ["create table a (id int)", "create table b (id int)"],
        "the BEGIN/COMMIT pair is not among the statements"
    );

    let crlf = set.get(Version(2)).unwrap();
    assert!(crlf.unwrapped_transaction);
    assert_eq!(crlf.statements.len(), 1);
    assert_eq!(crlf.statement_text(0).trim(), "create table c (id int)");

    let plain = set.get(Version(3)).unwrap();
    assert!(!plain.unwrapped_transaction);
    assert_eq!(plain.statements.len(), 1);
}

#[test]
fn a_pair_that_does_not_wrap_the_whole_file_is_refused() {
    let dir = folder(&[
        // statements outside the pair
        (
            "0001_after.sql",
            b"BEGIN;\ncreate table a (id int);\nCOMMIT;\ncreate table b (id int);\n",
        ),
        // two pairs
        (
            "0002_twice.sql",
            b"BEGIN;\nselect 1;\nCOMMIT;\nBEGIN;\nselect 2;\nCOMMIT;\n",
        ),
        // ROLLBACK is never acceptable
        ("0003_rollback.sql", b"select 1;\nrollback;\n"),
    ]);
    let problems = load_err(dir.path());
    let lines =
        |name: &str| -> Vec<Option<usize>> { about(&problems, name).iter().map(|p| p.0).collect() };
    assert_eq!(lines("0001_after.sql"), [Some(1), Some(3)], "{problems:#?}");
    assert_eq!(
        lines("0002_twice.sql"),
        [Some(1), Some(3), Some(4), Some(6)],
        "{problems:#?}"
    );
    expect_one(
        &problems,
        "0003_rollback.sql",
        Some((2, 1)),
        "ROLLBACK inside a transactional migration",
    );
}

#[test]
fn no_transaction_files_may_manage_their_own_transactions() {
    let dir = folder(&[(
        "0001_own.sql",
        b"-- ratchet:no-transaction\nselect 1;\nBEGIN;\ncreate table a (id int);\nCOMMIT;\nvacuum;\n",
    )]);
    let set = load_ok(dir.path());
    let m = &set.migrations[0];
    assert_eq!(m.transaction, TransactionMode::None);
    assert!(!m.unwrapped_transaction);
    assert_eq!(
        m.statements.len(),
        5,
        "every statement runs, BEGIN and COMMIT included"
    );
}

#[test]
fn an_empty_file_is_a_valid_migration_with_no_statements() {
    let dir = folder(&[
        ("0001_empty.sql", b""),
        ("0002_only_comments.sql", b"-- nothing yet\n/* later */\n"),
    ]);
    let set = load_ok(dir.path());
    assert_eq!(set.migrations.len(), 2);
    assert!(set.migrations.iter().all(|m| m.statements.is_empty()));
    assert_eq!(
        set.migrations[0].checksum.hex,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn dot_files_are_ignored_and_retired_files_listed() {
    let dir = folder(&[
        (".gitkeep", b""),
        (".DS_Store", b"\x00\x01binary"),
        ("0001_a.sql", b"select 1;"),
        ("0002_gone.sql.retired", b"this is not even SQL'"),
        ("0003_c.sql", b"select 3;"),
        ("0003_c.down.sql", b"select -3;"),
    ]);
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let set = load_ok(dir.path());
    let versions: Vec<u64> = set.migrations.iter().map(|m| m.version.0).collect();
    assert_eq!(versions, [1, 3]);
    assert_eq!(set.retired.len(), 1);
    assert_eq!(set.retired[0].version, Version(2));
    assert_eq!(set.retired[0].name, "0002_gone");
    assert!(set.get(Version(2)).is_none(), "a retired file never runs");
    assert_eq!(
        set.get(Version(3)).unwrap().down.as_deref(),
        Some(dir.path().join("0003_c.down.sql").as_path())
    );
    assert_eq!(set.get(Version(1)).unwrap().down, None);
}

#[test]
fn a_retired_file_still_claims_its_version() {
    let dir = folder(&[
        ("0002_gone.sql.retired", b"select 1;"),
        ("0002_again.sql", b"select 1;"),
    ]);
    let problems = load_err(dir.path());
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(problems
        .iter()
        .all(|p| p.message.contains("used by more than one file")));
}

#[test]
fn a_custom_pattern_allows_timestamps() {
    let dir = folder(&[
        ("20251126093000_create_users.sql", b"select 1;"),
        ("20251201120000_add_email.sql", b"select 2;"),
        ("20240101000000_first.sql", b"select 0;"),
    ]);
    let options = LoadOptions {
        name_pattern: Regex::new(r"^\d{14}_[a-z0-9_]+\.sql$").unwrap(),
        ..LoadOptions::default()
    };
    let set = MigrationSet::load(dir.path(), &options).unwrap();
    let versions: Vec<u64> = set.migrations.iter().map(|m| m.version.0).collect();
    assert_eq!(
        versions,
        [20240101000000, 20251126093000, 20251201120000],
        "numeric order"
    );
    assert_eq!(set.migrations[1].name, "20251126093000_create_users");

    // The default rule refuses them, each by name.
    let problems = load_err(dir.path());
    assert_eq!(problems.len(), 3);
}

#[test]
fn ordering_is_numeric_not_lexical() {
    let dir = folder(&[
        ("0010_ten.sql", b"select 10;"),
        ("0009_nine.sql", b"select 9;"),
        ("0100_hundred.sql", b"select 100;"),
    ]);
    let set = load_ok(dir.path());
    let names: Vec<&str> = set.migrations.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["0009_nine", "0010_ten", "0100_hundred"]);

    // With a rule that allows any width, `10_b` sorts lexically before `9_a` but runs after.
    let dir = folder(&[
        ("10_b.sql", b"select 10;"),
        ("9_a.sql", b"select 9;"),
        ("100_c.sql", b"select 100;"),
    ]);
    let options = LoadOptions {
        name_pattern: Regex::new(r"^\d+_[a-z0-9_]+\.sql$").unwrap(),
        ..LoadOptions::default()
    };
    let set = MigrationSet::load(dir.path(), &options).unwrap();
    let names: Vec<&str> = set.migrations.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["9_a", "10_b", "100_c"]);

    // ... and two widths of one number are one version.
    let dir = folder(&[("9_a.sql", b""), ("0009_b.sql", b"")]);
    let problems = MigrationSet::load(dir.path(), &options)
        .unwrap_err()
        .problems;
    assert_eq!(problems.len(), 2, "{problems:#?}");
}

#[test]
fn a_bom_before_the_directive_header_still_counts() {
    let dir = folder(&[
        (
            "0001_concurrently.sql",
            b"\xEF\xBB\xBF-- ratchet:no-transaction\ncreate index concurrently i on t (x);\n",
        ),
        (
            "0002_crlf.sql",
            b"\xEF\xBB\xBF-- ratchet:no-transaction\r\n-- ratchet:depends 0001\r\nvacuum;\r\n",
        ),
    ]);
    let set = load_ok(dir.path());
    assert_eq!(set.migrations[0].transaction, TransactionMode::None);
    assert_eq!(set.migrations[1].transaction, TransactionMode::None);
    assert_eq!(set.migrations[1].depends, [Version(1)]);
    // The BOM is kept in the source (positions refer to the file) but not in the checksum.
    assert!(set.migrations[0].source.starts_with('\u{feff}'));
    assert_eq!(
        set.migrations[0].checksum,
        ratchet_core::Checksum::of(
            b"-- ratchet:no-transaction\ncreate index concurrently i on t (x);\n"
        )
    );
}

#[test]
fn dependencies_resolve_by_version_file_name_or_name() {
    let dir = folder(&[
        ("0001_core_tables.sql", b"select 1;"),
        ("0002_more.sql", b"select 2;"),
        (
            "0003_uses.sql",
            b"-- DEPENDS: 0001_core_tables.sql\n-- ratchet:depends 2\nselect 3;",
        ),
        (
            "0004_uses_name.sql",
            b"-- ratchet:depends 0002_more\nselect 4;",
        ),
    ]);
    let set = load_ok(dir.path());
    assert_eq!(
        set.get(Version(3)).unwrap().depends,
        [Version(1), Version(2)]
    );
    assert_eq!(set.get(Version(4)).unwrap().depends, [Version(2)]);
}

#[test]
fn a_dependency_on_itself_is_refused() {
    let dir = folder(&[("0003_self.sql", b"-- ratchet:depends 0003\nselect 3;")]);
    let problems = load_err(dir.path());
    expect_one(&problems, "0003_self.sql", Some((1, 20)), "not lower");
}

#[test]
fn problems_in_one_file_are_all_reported() {
    // A bad directive and a stray COMMIT in one file: both, each at its own place.
    let dir = folder(&[(
        "0001_two.sql",
        b"-- ratchet:lock-timeout soon\ncreate table a (id int);\ncommit;\n",
    )]);
    let problems = load_err(dir.path());
    let found = about(&problems, "0001_two.sql");
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!((found[0].0, found[0].1), (Some(1), Some(25)));
    assert!(found[0].2.contains("invalid duration"), "{}", found[0].2);
    assert_eq!((found[1].0, found[1].1), (Some(3), Some(1)));
}

#[test]
fn sqlite_trigger_bodies_are_one_statement() {
    let dir = folder(&[(
        "0001_trigger.sql",
        b"create table t (id integer, n integer);\n\
          create trigger bump after insert on t begin\n  update t set n = 1 where id = new.id;\n  select 1;\nend;\n\
          create index t_n on t (n);\n",
    )]);
    let options = LoadOptions {
        dialect: ratchet_sql::Dialect::Sqlite,
        ..LoadOptions::default()
    };
    let set = MigrationSet::load(dir.path(), &options).unwrap();
    assert_eq!(set.migrations[0].statements.len(), 3);
    assert!(set.migrations[0].statement_text(1).ends_with("end"));
}

/// A folder large enough to be read by several threads (the work is split in batches above
/// a few hundred files): every file is loaded once, in version order whatever the order of
/// the names, and every problem of every batch is reported.
#[test]
fn a_large_folder_loads_every_file_once_in_version_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    for version in 1..=700u32 {
        let body: &[u8] = match version {
            137 => b"select 1;\n-- ratchet:bogus\n",
            450 => b"select '\xff';",
            _ => b"select 1;",
        };
        // Any width: `10_x` comes before `9_x` in the listing but runs after it.
        std::fs::write(dir.path().join(format!("{version}_m.sql")), body).expect("write");
    }
    let options = LoadOptions {
        name_pattern: Regex::new(r"^\d+_[a-z0-9_]+\.sql$").unwrap(),
        ..LoadOptions::default()
    };
    let problems = MigrationSet::load(dir.path(), &options)
        .unwrap_err()
        .problems;
    let named: Vec<String> = problems.iter().map(file_name).collect();
    assert_eq!(named, ["137_m.sql", "450_m.sql"], "{problems:#?}");

    std::fs::write(dir.path().join("137_m.sql"), "select 1;").expect("write");
    std::fs::write(dir.path().join("450_m.sql"), "select 1;").expect("write");
    let set = MigrationSet::load(dir.path(), &options).expect("loads");
    let versions: Vec<u64> = set.migrations.iter().map(|m| m.version.0).collect();
    assert_eq!(versions, (1..=700).collect::<Vec<u64>>());
}
