use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use postgres::NoTls;
use ratchet_testkit::{PgDatabase, SqliteDatabase};

#[test]
fn two_databases_are_distinct_and_both_usable() {
    let a = PgDatabase::new();
    let b = PgDatabase::new();
    assert_ne!(a.name(), b.name());
    assert_ne!(a.url(), b.url());

    let mut ca = a.connect();
    let mut cb = b.connect();
    ca.batch_execute("CREATE TABLE only_in_a (id int); INSERT INTO only_in_a VALUES (1)")
        .unwrap();
    cb.batch_execute("CREATE TABLE only_in_b (id int)").unwrap();

    let tables = |c: &mut postgres::Client| -> Vec<String> {
        c.query(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    assert_eq!(tables(&mut ca), ["only_in_a"]);
    assert_eq!(tables(&mut cb), ["only_in_b"]);
}

#[test]
fn url_works_with_a_fresh_client() {
    let db = PgDatabase::new();
    let mut client = postgres::Client::connect(&db.url(), NoTls).unwrap();
    let row = client.query_one("SELECT current_database()", &[]).unwrap();
    assert_eq!(row.get::<_, String>(0), db.name());
    assert!(
        db.url().ends_with(&format!("/{}", db.name())),
        "{}",
        db.url()
    );
}

#[test]
fn new_database_is_empty_and_utf8() {
    let db = PgDatabase::new();
    let mut c = db.connect();
    let row = c
        .query_one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public'",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 0);
    let row = c.query_one("SHOW server_encoding", &[]).unwrap();
    assert_eq!(row.get::<_, String>(0), "UTF8");
}

#[test]
fn dropping_removes_the_database_even_with_open_sessions() {
    let db = PgDatabase::new();
    let name = db.name().to_owned();
    let leaked = db.connect();
    drop(db);
    drop(leaked);

    let other = PgDatabase::new();
    let row = other
        .connect()
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 0);
}

#[test]
fn many_threads_can_create_databases_at_once() {
    let handles: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                let db = PgDatabase::new();
                let one: i32 = db.connect().query_one("SELECT 1", &[]).unwrap().get(0);
                assert_eq!(one, 1);
                db.name().to_owned()
            })
        })
        .collect();
    let mut names: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 8);
}

#[test]
fn pg_bin_dir_has_the_server_tools() {
    if std::env::var_os("RATCHET_TEST_PG_URL").is_some() {
        return; // the binaries may legitimately be absent then
    }
    let dir = ratchet_testkit::pg_bin_dir().expect("initdb/pg_ctl found");
    assert!(dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
    assert!(ratchet_testkit::pg_available());
}

#[test]
fn sqlite_url_points_inside_a_temp_dir() {
    let db = SqliteDatabase::new();
    let path = db.path().to_owned();
    assert!(path.is_absolute());
    assert_eq!(db.url(), format!("sqlite:{}", path.display()));
    let dir = path.parent().unwrap().to_owned();
    assert!(dir.is_dir());
    assert!(dir.starts_with(std::env::temp_dir()) || dir.starts_with("/tmp"));
    assert!(
        !path.exists(),
        "the database file is left for the code under test to create"
    );

    std::fs::write(&path, b"x").unwrap();
    let other = SqliteDatabase::new();
    assert_ne!(other.path(), db.path());
    drop(db);
    assert!(!dir.exists(), "dropping removes the temp dir");
}

// --- teardown -------------------------------------------------------------------------
//
// These run this very test binary again as a child (selecting `child_process_helper`) so
// that the child owns its own cluster, then check the cluster disappears when the child
// exits normally or is killed.

const CHILD_ENV: &str = "RATCHET_TESTKIT_CHILD";

/// Does nothing in a normal run; in a child it starts a cluster, reports where its data
/// directory is, and then either returns or sleeps until killed.
#[test]
fn child_process_helper() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let db = PgDatabase::new();
    let row = db.connect().query_one("SHOW data_directory", &[]).unwrap();
    println!("DATADIR={}", row.get::<_, String>(0));
    if mode == "sleep" {
        std::thread::sleep(Duration::from_secs(120));
    }
}

struct ChildCluster {
    child: std::process::Child,
    data_dir: PathBuf,
    postmaster_pid: u32,
}

fn start_child(mode: &str) -> Option<ChildCluster> {
    if std::env::var_os("RATCHET_TEST_PG_URL").is_some() {
        // No throwaway cluster to tear down.
        return None;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_helper", "--nocapture"])
        .env(CHILD_ENV, mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut data_dir = None;
    for line in lines.by_ref() {
        if let Some(d) = line.unwrap().strip_prefix("DATADIR=") {
            data_dir = Some(PathBuf::from(d));
            break;
        }
    }
    // Keep draining, or the child's later output would fail with a broken pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let data_dir = data_dir.expect("child reported its data directory");
    let pid_file = std::fs::read_to_string(data_dir.join("postmaster.pid")).unwrap();
    let postmaster_pid = pid_file.lines().next().unwrap().trim().parse().unwrap();
    assert!(is_running(postmaster_pid));
    Some(ChildCluster {
        child,
        data_dir,
        postmaster_pid,
    })
}

fn is_running(pid: u32) -> bool {
    // A zombie has exited already; only its parent (init, here) has not reaped it yet.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn cluster_gone(c: &ChildCluster) -> bool {
    let cluster_dir: &Path = c.data_dir.parent().unwrap();
    !cluster_dir.exists() && !is_running(c.postmaster_pid)
}

#[test]
fn cluster_is_removed_when_the_test_process_exits() {
    let Some(mut c) = start_child("exit") else {
        return;
    };
    assert!(c.child.wait().unwrap().success());
    // The atexit handler runs before the process is gone, so there is nothing to wait for.
    assert!(cluster_gone(&c), "{} still there", c.data_dir.display());
}

#[test]
fn cluster_is_removed_when_the_test_process_is_killed() {
    let Some(mut c) = start_child("sleep") else {
        return;
    };
    c.child.kill().unwrap(); // SIGKILL: no atexit, only the watchdog can clean up
    c.child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !cluster_gone(&c) {
        assert!(
            Instant::now() < deadline,
            "{} still there 15s after the test process was killed",
            c.data_dir.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
