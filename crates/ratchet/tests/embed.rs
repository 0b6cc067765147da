//! The library as an application embeds it, on SQLite:
//! `Migrator::new(Settings{..})` → `load` → `connect` → `migrate` → `verify().into_result()`.

use std::path::Path;

use ratchet::{Error, Event, MigrateOptions, MigrationState, Migrator, Settings, Version};
use ratchet_testkit::SqliteDatabase;

struct App {
    db: SqliteDatabase,
    dir: tempfile::TempDir,
}

impl App {
    fn new() -> App {
        App {
            db: SqliteDatabase::new(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, name: &str, body: &str) {
        std::fs::write(self.dir.path().join(name), body).unwrap();
    }

    fn settings(&self) -> Settings {
        Settings {
            database_url: Some(self.db.url()),
            migrations_dir: self.dir.path().to_owned(),
            ..Settings::default()
        }
    }

    fn migrator(&self) -> Migrator {
        Migrator::new(self.settings()).expect("valid settings")
    }
}

fn three(app: &App) {
    app.write(
        "0001_create_users.sql",
        "create table users (id integer primary key, name text);\n",
    );
    app.write(
        "0002_add_email.sql",
        "alter table users add column email text;\n",
    );
    app.write(
        "0003_seed.sql",
        "insert into users (name) values ('admin');\n",
    );
}

/// What an application does at start-up.
fn start_up(migrator: &Migrator) -> Result<Vec<String>, Error> {
    let set = migrator.load()?;
    let mut session = migrator.connect(ratchet::ignore_notices())?;
    let mut events = Vec::new();
    session.migrate(&set, &MigrateOptions::default(), &mut |event| {
        events.push(match event {
            Event::LockAcquired => "lock".to_owned(),
            Event::Applying { migration } => format!("applying {}", migration.name),
            Event::Applied { migration, row } => {
                assert_eq!(row.version, migration.version);
                format!("applied {}", migration.name)
            }
            Event::AlreadyApplied { migration } => format!("already {}", migration.name),
            Event::WaitingForLock { .. } => "waiting".to_owned(),
            _ => "other".to_owned(),
        })
    })?;
    session.verify(&set, None)?.into_result()?;
    Ok(events)
}

#[test]
fn an_application_migrates_and_verifies_at_start_up() {
    let app = App::new();
    three(&app);
    let migrator = app.migrator();

    let events = start_up(&migrator).expect("start-up succeeds");
    assert_eq!(
        events,
        [
            "lock",
            "applying 0001_create_users",
            "applied 0001_create_users",
            "applying 0002_add_email",
            "applied 0002_add_email",
            "applying 0003_seed",
            "applied 0003_seed",
        ]
    );

    // The second start is a no-op and still verifies.
    assert_eq!(start_up(&migrator).unwrap(), ["lock"]);

    let set = migrator.load().unwrap();
    let mut session = migrator.connect(ratchet::ignore_notices()).unwrap();
    let plan = session.verify(&set, None).unwrap().into_result().unwrap();
    assert_eq!(plan.count(MigrationState::Applied), 3);
    let history = session.history().unwrap();
    assert_eq!(history.len(), 3);
    assert!(history.iter().all(|r| r.success));
    assert_eq!(
        history.iter().map(|r| r.version.0).collect::<Vec<_>>(),
        [1, 2, 3]
    );
}

#[test]
fn verify_refuses_a_database_that_is_behind() {
    let app = App::new();
    three(&app);
    let migrator = app.migrator();
    let set = migrator.load().unwrap();
    let mut session = migrator.connect(ratchet::ignore_notices()).unwrap();
    session
        .migrate(
            &set,
            &MigrateOptions {
                target: Some(Version(2)),
                ..MigrateOptions::default()
            },
            &mut |_| {},
        )
        .unwrap();
    let report = session.verify(&set, None).unwrap();
    assert!(!report.ok);
    assert_eq!(report.plan.steps, [Version(3)]);
    match report.into_result() {
        Err(Error::Blocked { plan }) => assert_eq!(plan.count(MigrationState::Pending), 1),
        other => panic!("expected Blocked, got {other:?}"),
    }
}

#[test]
fn a_broken_folder_is_an_error_before_any_connection() {
    let app = App::new();
    app.write("0001_a.sql", "select 1;\n");
    app.write("0001_b.sql", "select 1;\n");
    app.write("0002-bad.sql", "select 1;\n");
    let err = start_up(&app.migrator()).unwrap_err();
    let Error::Load(problems) = &err else {
        panic!("expected Load, got {err:?}")
    };
    assert_eq!(problems.problems.len(), 3, "{:#?}", problems.problems);
    assert!(err.to_string().contains("3 problem(s)"), "{err}");
    assert!(!app.db.path().exists(), "nothing touched the database");
}

#[test]
fn bad_settings_are_config_errors() {
    let app = App::new();
    let bad_url = Settings {
        database_url: Some("mysql://u:secret@h/db".into()),
        ..app.settings()
    };
    let err = Migrator::new(bad_url).unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(!err.to_string().contains("secret"), "{err}");

    let bad_pattern = Settings {
        name_pattern: "(".into(),
        ..app.settings()
    };
    assert!(matches!(
        Migrator::new(bad_pattern),
        Err(Error::Config { .. })
    ));

    let bad_table = Settings {
        history_table: "a.b.c".into(),
        ..app.settings()
    };
    assert!(matches!(
        Migrator::new(bad_table),
        Err(Error::Config { .. })
    ));

    let no_url = Migrator::new(Settings {
        database_url: None,
        ..app.settings()
    })
    .unwrap();
    assert!(matches!(
        no_url.connect(ratchet::ignore_notices()),
        Err(Error::Config { .. })
    ));
}

#[test]
fn a_failed_migration_says_what_stays_applied() {
    let app = App::new();
    app.write("0001_ok.sql", "create table ok (id integer);\n");
    app.write(
        "0002_bad.sql",
        "create table half (id integer);\n\ninsert into nope values (1);\n",
    );
    app.write("0003_never.sql", "create table never (id integer);\n");
    let err = start_up(&app.migrator()).unwrap_err();
    let Error::Migration { source, applied } = &err else {
        panic!("expected Migration, got {err:?}")
    };
    assert_eq!(
        applied.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["0001_ok"]
    );
    let ratchet::ApplyError::Statement { error, outcome, .. } = source.as_ref() else {
        panic!("expected a statement error, got {source:?}")
    };
    assert_eq!(*outcome, ratchet::Outcome::RolledBack);
    assert_eq!((error.statement, error.line), (2, 3));
    assert!(error.message.contains("nope"), "{}", error.message);
    assert!(err.to_string().contains("0002_bad.sql:3:"), "{err}");
}

#[test]
fn a_custom_history_table_is_used() {
    let app = App::new();
    three(&app);
    let migrator = Migrator::new(Settings {
        history_table: "schema_log".into(),
        ..app.settings()
    })
    .unwrap();
    start_up(&migrator).unwrap();
    // The default table does not exist: a migrator with the default name sees nothing applied.
    let default = app.migrator();
    let set = default.load().unwrap();
    let mut session = default.connect(ratchet::ignore_notices()).unwrap();
    assert_eq!(session.plan(&set, None).unwrap().steps.len(), 3);
}

#[test]
fn an_unknown_target_is_refused() {
    let app = App::new();
    three(&app);
    let migrator = app.migrator();
    let set = migrator.load().unwrap();
    let mut session = migrator.connect(ratchet::ignore_notices()).unwrap();
    let err = session
        .migrate(
            &set,
            &MigrateOptions {
                target: Some(Version(7)),
                ..MigrateOptions::default()
            },
            &mut |_| {},
        )
        .unwrap_err();
    assert!(matches!(err, Error::UnknownTarget(Version(7))), "{err:?}");
    assert!(session.history().unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// The SQLite driver re-checks the history inside its write transaction: a plan made before
// another runner wrote something must never make it run a migration that is not pending.

fn load(dir: &Path) -> ratchet::MigrationSet {
    ratchet::MigrationSet::load(
        dir,
        &ratchet::core::LoadOptions {
            dialect: ratchet::sql::Dialect::Sqlite,
            ..Default::default()
        },
    )
    .unwrap()
}

fn driver(app: &App) -> Box<dyn ratchet_driver::Driver> {
    let options = ratchet_driver::ConnectOptions {
        url: ratchet::DatabaseUrl::parse(&app.db.url()).unwrap(),
        history_table: ratchet_driver::TableName::parse("ratchet_history").unwrap(),
        application_name: "test".into(),
        notices: ratchet::ignore_notices(),
        connect_timeout: std::time::Duration::from_secs(5),
        lock_wait: std::time::Duration::from_secs(5),
    };
    let mut driver = ratchet_driver::connect(&options).unwrap();
    driver.ensure_history_table().unwrap();
    driver
}

fn settings() -> ratchet_driver::ApplySettings {
    ratchet_driver::ApplySettings {
        lock_timeout: None,
        statement_timeout: None,
    }
}

#[test]
fn a_stale_plan_never_reruns_an_unfinished_no_transaction_migration() {
    // Runner A has claimed the migration (its `started` row is committed) and is running its
    // statements outside a transaction; runner B planned before that and now reaches it.
    let app = App::new();
    app.write(
        "0001_outside.sql",
        "-- ratchet:no-transaction\ncreate table one (id integer);\ncreate table two (id integer);\n",
    );
    let set = load(app.dir.path());
    let migration = &set.migrations[0];
    let mut a = driver(&app);
    a.record(&ratchet_driver::RecordRequest {
        version: migration.version,
        name: migration.name.clone(),
        kind: ratchet::Kind::Apply,
        outcome: ratchet::Outcome::Started,
        checksum: Some(migration.checksum.hex.clone()),
        reason: None,
    })
    .unwrap();

    let mut b = driver(&app);
    let result = b.apply(migration, settings(), None);
    assert!(
        result.is_err(),
        "B must not run a migration another runner started: {result:?}"
    );
    let rows = b.read_history().unwrap();
    assert_eq!(rows.len(), 1, "B wrote nothing: {rows:#?}");
}

#[test]
fn a_stale_plan_never_reruns_a_failed_migration() {
    // Runner A's no-transaction migration failed; B, planned before, must not run it again
    // until a human has repaired it.
    let app = App::new();
    app.write(
        "0001_outside.sql",
        "-- ratchet:no-transaction\ncreate table one (id integer);\n",
    );
    let set = load(app.dir.path());
    let migration = &set.migrations[0];
    let mut a = driver(&app);
    a.record(&ratchet_driver::RecordRequest {
        version: migration.version,
        name: migration.name.clone(),
        kind: ratchet::Kind::Apply,
        outcome: ratchet::Outcome::Failed,
        checksum: Some(migration.checksum.hex.clone()),
        reason: None,
    })
    .unwrap();
    let mut b = driver(&app);
    assert!(b.apply(migration, settings(), None).is_err());
    assert_eq!(b.read_history().unwrap().len(), 1);

    // After `repair --failed` it runs.
    a.record(&ratchet_driver::RecordRequest {
        version: migration.version,
        name: migration.name.clone(),
        kind: ratchet::Kind::Repair,
        outcome: ratchet::Outcome::Cleared,
        checksum: None,
        reason: Some("fixed".into()),
    })
    .unwrap();
    assert!(matches!(
        b.apply(migration, settings(), None),
        Ok(ratchet_driver::Applied::Ran(_))
    ));
}

#[test]
fn an_already_applied_migration_is_skipped_by_a_stale_plan() {
    let app = App::new();
    app.write("0001_a.sql", "create table a (id integer);\n");
    let set = load(app.dir.path());
    let mut a = driver(&app);
    let mut b = driver(&app);
    assert!(matches!(
        a.apply(&set.migrations[0], settings(), None),
        Ok(ratchet_driver::Applied::Ran(_))
    ));
    assert_eq!(
        b.apply(&set.migrations[0], settings(), None).unwrap(),
        ratchet_driver::Applied::AlreadyApplied
    );
    assert_eq!(b.read_history().unwrap().len(), 1);
}
