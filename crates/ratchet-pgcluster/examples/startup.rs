//! Times what a user of `ratchet diff` waits for: starting a cluster and removing it.
//!
//! ```text
//! cargo run -p ratchet-pgcluster --example startup [-- RUNS]
//! ```
//!
//! Almost all of the time is spent in initdb and postgres, so a debug build measures the
//! same as a release build.

use std::time::{Duration, Instant};

use ratchet_pgcluster::{Cluster, ClusterError, Options};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), ClusterError> {
    let runs: usize = match std::env::args().nth(1) {
        Some(arg) => arg.parse().expect("RUNS is a number"),
        None => 5,
    };
    let (mut starts, mut stops) = (Vec::new(), Vec::new());
    for _ in 0..runs.max(1) {
        let cluster = Cluster::start(&Options::default())?;
        starts.push(cluster.startup_time());
        let began = Instant::now();
        cluster.stop()?;
        stops.push(began.elapsed());
    }
    println!("runs: {}", starts.len());
    println!("start: {}", summary(&mut starts));
    println!("stop:  {}", summary(&mut stops));
    Ok(())
}

fn summary(times: &mut [Duration]) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "min {:.0} ms, median {:.0} ms, max {:.0} ms",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    )
}
