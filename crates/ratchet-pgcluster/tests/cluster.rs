//! Real clusters from the installed PostgreSQL binaries, and real processes dying in the
//! ways a `ratchet diff` can die. Every wait is a poll with a deadline.
//!
//! The death tests run this test binary again as a child (selecting `child_process`, which
//! does nothing in a normal run), so that the child owns a cluster and can panic, exit or
//! be killed while the parent watches what is left.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ratchet_pgcluster::{Cluster, ClusterError, Options};

fn connect(cluster: &Cluster) -> postgres::Client {
    postgres::Client::connect(&cluster.url("postgres"), postgres::NoTls)
        .unwrap_or_else(|e| panic!("connecting to {}: {e}", cluster.url("postgres")))
}

fn postmaster_pid(data_dir: &Path) -> u32 {
    let text = std::fs::read_to_string(data_dir.join("postmaster.pid")).unwrap();
    text.lines().next().unwrap().trim().parse().unwrap()
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

#[track_caller]
fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn starts_accepts_connections_and_drop_removes_everything() {
    let cluster = Cluster::start(&Options::default()).unwrap();
    assert!(cluster.dir().is_dir());
    assert!(cluster.data_dir().starts_with(cluster.dir()));
    assert_eq!(
        cluster.url("postgres"),
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/postgres",
            cluster.password(),
            cluster.port()
        )
    );
    assert!(!format!("{cluster:?}").contains(cluster.password()));
    let pid = postmaster_pid(cluster.data_dir());

    let mut client = connect(&cluster);
    let show = |c: &mut postgres::Client, name: &str| -> String {
        c.query_one(&format!("SHOW {name}"), &[]).unwrap().get(0)
    };
    assert_eq!(show(&mut client, "server_encoding"), "UTF8");
    assert_eq!(show(&mut client, "lc_collate"), "C");
    for setting in ["fsync", "synchronous_commit", "full_page_writes"] {
        assert_eq!(show(&mut client, setting), "off", "{setting}");
    }
    assert_eq!(show(&mut client, "listen_addresses"), "127.0.0.1");
    client
        .batch_execute("CREATE TABLE t (id int); INSERT INTO t VALUES (1)")
        .unwrap();
    drop(client);

    // Any local user can reach 127.0.0.1: TCP needs the password.
    let without_password = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port());
    let Err(err) = postgres::Client::connect(&without_password, postgres::NoTls) else {
        panic!("connected over TCP without a password");
    };
    assert!(format!("{err:?}").contains("password missing"), "{err:?}");

    // The Unix socket, in a directory only we can enter, needs none.
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&cluster.dir().metadata().unwrap().permissions());
    assert_eq!(mode & 0o777, 0o700);
    let mut over_socket = postgres::Config::new()
        .host_path(cluster.socket_dir())
        .port(cluster.port())
        .user(cluster.user())
        .dbname("postgres")
        .connect(postgres::NoTls)
        .unwrap();
    over_socket.batch_execute("SELECT 1").unwrap();
    drop(over_socket);

    let dir = cluster.dir().to_owned();
    drop(cluster);
    assert!(!dir.exists(), "{} still there after drop", dir.display());
    assert!(
        !is_running(pid),
        "postmaster {pid} still running after drop"
    );
}

#[test]
fn stop_reports_success_and_cuts_open_sessions() {
    let cluster = Cluster::start(&Options::default()).unwrap();
    let mut leaked = connect(&cluster);
    let dir = cluster.dir().to_owned();
    cluster.stop().unwrap();
    assert!(!dir.exists());
    assert!(leaked.batch_execute("SELECT 1").is_err());
}

#[test]
fn two_clusters_at_once_get_different_ports_and_directories() {
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Cluster::start(&Options::default()).unwrap());
        let b = s.spawn(|| Cluster::start(&Options::default()).unwrap());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_ne!(a.port(), b.port());
    assert_ne!(a.dir(), b.dir());
    connect(&a).batch_execute("CREATE TABLE only_a ()").unwrap();
    let in_b: i64 = connect(&b)
        .query_one(
            "SELECT count(*) FROM pg_class WHERE relname = 'only_a'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(in_b, 0);
}

#[test]
fn settings_reach_the_server() {
    let cluster = Cluster::start(&Options::default().setting("max_connections", "42")).unwrap();
    let max: String = connect(&cluster)
        .query_one("SHOW max_connections", &[])
        .unwrap()
        .get(0);
    assert_eq!(max, "42");
}

#[test]
fn a_server_that_cannot_start_leaves_nothing_and_explains_why() {
    let parent = tempfile::Builder::new()
        .prefix("ratchet-pgcluster-test-")
        .tempdir_in("/tmp") // reachable by the server's OS user when we are root
        .unwrap();
    let options = Options::default()
        .parent_dir(parent.path())
        .setting("no_such_setting", "1");
    let err = Cluster::start(&options).unwrap_err();
    let ClusterError::ServerExited {
        command, log_tail, ..
    } = &err
    else {
        panic!("unexpected error: {err}");
    };
    assert!(command.contains("no_such_setting=1"), "{command}");
    assert!(
        log_tail.contains("unrecognized configuration parameter"),
        "{log_tail}"
    );
    let left: Vec<PathBuf> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn an_incomplete_bin_dir_is_an_error_not_a_fallback() {
    let empty = tempfile::tempdir().unwrap();
    let err = Cluster::start(&Options::default().bin_dir(empty.path())).unwrap_err();
    assert!(
        matches!(err, ClusterError::IncompleteBinDir { .. }),
        "unexpected error: {err}"
    );
    assert!(
        err.to_string()
            .contains("does not contain initdb, postgres, pg_ctl"),
        "{err}"
    );
}

// --- deaths ---------------------------------------------------------------------------

const CHILD_ENV: &str = "RATCHET_PGCLUSTER_CHILD";

/// Does nothing in a normal run. In a child it starts a cluster, reports it on stdout, and
/// then leaves in the way `RATCHET_PGCLUSTER_CHILD` says.
#[test]
fn child_process() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let cluster = Cluster::start(&Options::default()).unwrap();
    connect(&cluster).batch_execute("SELECT 1").unwrap();
    println!("DIR={}", cluster.dir().display());
    println!("PID={}", postmaster_pid(cluster.data_dir()));
    println!("READY");
    match mode.as_str() {
        "panic" => panic!("the child panics with a cluster running"),
        // No destructors run on process::exit; only the watchdog can clean up.
        "exit" => std::process::exit(3),
        "keep" => {
            // Returning ends the test and then the process; the atexit hook cleans up.
            let _kept = cluster.keep_until_exit();
        }
        "sleep" => std::thread::sleep(Duration::from_secs(120)),
        other => panic!("unknown mode {other}"),
    }
}

struct ChildCluster {
    child: Child,
    dir: PathBuf,
    postmaster: u32,
}

impl ChildCluster {
    fn start(mode: &str) -> ChildCluster {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, mode)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group, so that a signal to the group (a terminal's Ctrl-C)
            // reaches it without reaching this test process.
            .process_group(0)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut dir, mut postmaster) = (None, None);
        for line in lines.by_ref() {
            let line = line.unwrap();
            // The harness may have printed "test child_process ... " on the same line.
            if let Some((_, d)) = line.split_once("DIR=") {
                dir = Some(PathBuf::from(d));
            } else if let Some((_, p)) = line.split_once("PID=") {
                postmaster = Some(p.parse().unwrap());
            } else if line.ends_with("READY") {
                break;
            }
        }
        // Keep draining, or the child's later output would fail with a broken pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let dir = dir.expect("the child reported its cluster");
        let postmaster = postmaster.unwrap();
        assert!(dir.is_dir() && is_running(postmaster));
        ChildCluster {
            child,
            dir,
            postmaster,
        }
    }

    fn gone(&self) -> bool {
        !self.dir.exists() && !is_running(self.postmaster)
    }

    #[track_caller]
    fn assert_gone(&self, why: &str) {
        assert!(
            !self.dir.exists(),
            "{} still there after {why}",
            self.dir.display()
        );
        assert!(
            !is_running(self.postmaster),
            "postmaster {} still running after {why}",
            self.postmaster
        );
    }

    fn signal_group(&self, signal: &str) {
        let status = Command::new("kill")
            .args([
                &format!("-{signal}"),
                "--",
                &format!("-{}", self.child.id()),
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for ChildCluster {
    fn drop(&mut self) {
        // A failed assertion must not leave a sleeping child behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_panicking_process_removes_its_cluster_while_unwinding() {
    let mut c = ChildCluster::start("panic");
    let status = c.child.wait().unwrap();
    assert!(!status.success());
    // Drop ran during the unwinding, before the process exited: nothing to wait for.
    c.assert_gone("the panic");
}

#[test]
fn a_kept_cluster_is_removed_at_normal_exit() {
    let mut c = ChildCluster::start("keep");
    assert!(c.child.wait().unwrap().success());
    // The atexit hook ran before the process was gone: nothing to wait for.
    c.assert_gone("the exit");
}

#[test]
fn the_watchdog_cleans_up_after_process_exit_without_destructors() {
    let mut c = ChildCluster::start("exit");
    assert_eq!(c.child.wait().unwrap().code(), Some(3));
    wait_until("the watchdog", Duration::from_secs(15), || c.gone());
}

#[test]
fn the_watchdog_cleans_up_after_sigkill() {
    let mut c = ChildCluster::start("sleep");
    c.child.kill().unwrap(); // SIGKILL: nothing in the process runs
    c.child.wait().unwrap();
    wait_until("the watchdog", Duration::from_secs(15), || c.gone());
}

#[test]
fn the_watchdog_cleans_up_after_ctrl_c_to_the_process_group() {
    let mut c = ChildCluster::start("sleep");
    // What a terminal does on Ctrl-C. The server and the watchdog are in process groups of
    // their own, so only the child dies of it.
    c.signal_group("INT");
    assert!(!c.child.wait().unwrap().success());
    wait_until("the watchdog", Duration::from_secs(15), || c.gone());
}

#[test]
fn the_watchdog_cleans_up_after_sigterm() {
    let mut c = ChildCluster::start("sleep");
    c.signal_group("TERM");
    assert!(!c.child.wait().unwrap().success());
    wait_until("the watchdog", Duration::from_secs(15), || c.gone());
}
