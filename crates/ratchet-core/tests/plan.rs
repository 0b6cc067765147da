//! The planner, fed hand-built history rows: every state a migration can be in, what blocks a
//! run, `--target`, and the property that applying a plan and planning again leaves nothing
//! to do.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use ratchet_core::history::{next_chain_hash, verify_chain};
use ratchet_core::{
    Blocker, Checksum, HistoryRow, Kind, Migration, MigrationSet, MigrationState, Outcome, Plan,
    PlanOptions, Retired, TransactionMode, Version,
};

// ---------------------------------------------------------------------------------------------
// Building sets and histories by hand

fn body(version: u64) -> String {
    format!("create table t{version} (id int);\n")
}

fn migration(version: u64) -> Migration {
    let source = body(version);
    let name = format!("{version:04}_m{version}");
    Migration {
        version: Version(version),
        path: PathBuf::from(format!("migrations/{name}.sql")),
        name,
        checksum: Checksum::of(source.as_bytes()),
        source,
        directives: Default::default(),
        transaction: TransactionMode::PerMigration,
        statements: Vec::new(),
        unwrapped_transaction: false,
        depends: Vec::new(),
        down: None,
    }
}

fn set(versions: &[u64]) -> MigrationSet {
    MigrationSet {
        dir: PathBuf::from("migrations"),
        migrations: versions.iter().copied().map(migration).collect(),
        retired: Vec::new(),
    }
}

fn with_retired(mut set: MigrationSet, version: u64) -> MigrationSet {
    let name = format!("{version:04}_m{version}");
    set.retired.push(Retired {
        version: Version(version),
        path: PathBuf::from(format!("migrations/{name}.sql.retired")),
        name,
    });
    set
}

/// An append-only history under construction: ids and chain links are filled in as rows are
/// added, the way a driver writes them.
#[derive(Default)]
struct History {
    rows: Vec<HistoryRow>,
}

impl History {
    fn push(&mut self, version: u64, kind: Kind, outcome: Outcome, checksum: Option<&str>) {
        let success = matches!(
            outcome,
            Outcome::Applied | Outcome::Cleared | Outcome::Accepted
        );
        let chain_hash = (success && outcome.is_chained())
            .then(|| next_chain_hash(&self.rows, Version(version), checksum.unwrap_or_default()));
        let at = DateTime::<Utc>::from_timestamp(1_700_000_000 + self.rows.len() as i64, 0)
            .expect("a valid timestamp");
        self.rows.push(HistoryRow {
            id: self.rows.len() as i64 + 1,
            version: Version(version),
            name: format!("{version:04}_m{version}"),
            kind,
            success,
            outcome,
            checksum: checksum.map(str::to_owned),
            checksum_algorithm: checksum.map(|_| Checksum::SHA256_LF.to_owned()),
            chain_hash,
            started_at: at,
            finished_at: Some(at),
            execution_ms: Some(3),
            db_user: Some("app".into()),
            host: Some("deploy-1".into()),
            tool_version: "ratchet test".into(),
            error: (!success && outcome != Outcome::Started).then(|| format!("boom in {version}")),
            failed_statement: (outcome == Outcome::Failed).then_some(2),
            reason: matches!(outcome, Outcome::Cleared | Outcome::Accepted)
                .then(|| "fixed by hand".into()),
        });
    }

    /// A successful apply of the file's current content.
    fn applied(&mut self, version: u64) -> &mut Self {
        let hex = Checksum::of(body(version).as_bytes()).hex;
        self.push(version, Kind::Apply, Outcome::Applied, Some(&hex));
        self
    }

    /// A successful apply of content that is *not* the file's.
    fn applied_other(&mut self, version: u64, hex: &str) -> &mut Self {
        self.push(version, Kind::Apply, Outcome::Applied, Some(hex));
        self
    }

    fn outcome(&mut self, version: u64, outcome: Outcome) -> &mut Self {
        let hex = Checksum::of(body(version).as_bytes()).hex;
        let kind = match outcome {
            Outcome::Cleared | Outcome::Accepted => Kind::Repair,
            _ => Kind::Apply,
        };
        self.push(version, kind, outcome, Some(&hex));
        self
    }
}

fn plan_of(set: &MigrationSet, rows: &[HistoryRow]) -> Plan {
    ratchet_core::plan(set, rows, &PlanOptions::default())
}

fn states(plan: &Plan) -> Vec<(u64, MigrationState)> {
    plan.entries
        .iter()
        .map(|e| (e.version.0, e.state))
        .collect()
}

fn steps(plan: &Plan) -> Vec<u64> {
    plan.steps.iter().map(|v| v.0).collect()
}

fn blocker_kinds(plan: &Plan) -> Vec<&'static str> {
    plan.blockers
        .iter()
        .map(|b| match b {
            Blocker::Modified { .. } => "modified",
            Blocker::Missing { .. } => "missing",
            Blocker::Failed { .. } => "failed",
            Blocker::OutOfOrder { .. } => "out-of-order",
            Blocker::ChainBroken(_) => "chain-broken",
        })
        .collect()
}

use MigrationState::*;

// ---------------------------------------------------------------------------------------------
// States

#[test]
fn an_empty_history_makes_everything_pending() {
    let set = set(&[1, 2, 3]);
    let plan = plan_of(&set, &[]);
    assert_eq!(states(&plan), [(1, Pending), (2, Pending), (3, Pending)]);
    assert_eq!(steps(&plan), [1, 2, 3]);
    assert!(plan.blockers.is_empty());
    assert!(!plan.is_clean(), "pending migrations are not clean");
    assert_eq!(plan.count(Pending), 3);
}

#[test]
fn an_empty_folder_and_history_is_clean() {
    let plan = plan_of(&set(&[]), &[]);
    assert!(plan.entries.is_empty() && plan.steps.is_empty());
    assert!(plan.is_clean());
}

#[test]
fn applied_migrations_are_not_planned_again() {
    let set = set(&[1, 2, 3]);
    let mut h = History::default();
    h.applied(1).applied(2);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, Applied), (3, Pending)]);
    assert_eq!(steps(&plan), [3]);
    assert!(plan.blockers.is_empty());

    let entry = &plan.entries[0];
    assert_eq!(entry.applied_by.as_deref(), Some("app@deploy-1"));
    assert_eq!(entry.applied_at, h.rows[0].finished_at);
    assert_eq!(entry.applied_checksum, entry.checksum);

    h.applied(3);
    let plan = plan_of(&set, &h.rows);
    assert!(plan.steps.is_empty());
    assert!(plan.is_clean());
}

#[test]
fn a_changed_file_is_modified_and_blocks() {
    let set = set(&[1, 2]);
    let mut h = History::default();
    h.applied_other(1, &"ab".repeat(32)).applied(2);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Modified), (2, Applied)]);
    assert_eq!(blocker_kinds(&plan), ["modified"]);
    let Blocker::Modified {
        version,
        file_checksum,
        applied_checksum,
        ..
    } = &plan.blockers[0]
    else {
        unreachable!()
    };
    assert_eq!(*version, Version(1));
    assert_eq!(applied_checksum, &"ab".repeat(32));
    assert_eq!(file_checksum, &set.migrations[0].checksum.hex);
    let message = plan.blockers[0].message();
    assert!(
        message.contains("0001_m1") && message.contains("repair --accept-checksum 0001"),
        "{message}"
    );
    assert!(!plan.is_clean());
}

#[test]
fn a_checksum_of_an_unknown_algorithm_is_never_equal() {
    let set = set(&[1]);
    let mut h = History::default();
    h.applied(1);
    h.rows[0].checksum_algorithm = Some("md5".into());
    assert_eq!(states(&plan_of(&set, &h.rows)), [(1, Modified)]);
    h.rows[0].checksum_algorithm = None;
    assert_eq!(states(&plan_of(&set, &h.rows)), [(1, Modified)]);
}

#[test]
fn upper_case_stored_hex_still_matches() {
    let set = set(&[1]);
    let mut h = History::default();
    let hex = Checksum::of(body(1).as_bytes()).hex.to_uppercase();
    h.applied_other(1, &hex);
    assert_eq!(states(&plan_of(&set, &h.rows)), [(1, Applied)]);
}

#[test]
fn an_applied_migration_whose_file_is_gone_is_missing() {
    let set = set(&[1, 3]);
    let mut h = History::default();
    h.applied(1).applied(2).applied(3);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, Missing), (3, Applied)]);
    assert_eq!(blocker_kinds(&plan), ["missing"]);
    let missing = &plan.entries[1];
    assert_eq!(missing.name, "0002_m2");
    assert_eq!(missing.path, None);
    assert!(missing.applied_at.is_some());
    assert!(!plan.is_clean());
}

#[test]
fn a_version_only_attempted_and_gone_is_not_missing() {
    // A rolled-back attempt of a file deleted since: nothing of it is in the database.
    let set = set(&[1]);
    let mut h = History::default();
    h.applied(1).outcome(2, Outcome::RolledBack);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied)]);
    assert!(plan.is_clean());
}

#[test]
fn a_failed_non_transactional_migration_blocks_until_cleared() {
    let set = set(&[1, 2, 3]);
    let mut h = History::default();
    h.applied(1).outcome(2, Outcome::Failed);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, Failed), (3, Pending)]);
    assert_eq!(blocker_kinds(&plan), ["failed"]);
    assert_eq!(plan.entries[1].failed_statement, Some(2));
    assert_eq!(plan.entries[1].last_error.as_deref(), Some("boom in 2"));
    let message = plan.blockers[0].message();
    assert!(
        message.contains("at statement 2")
            && message.contains("repair --failed 0002")
            && message.contains("boom in 2"),
        "{message}"
    );
    assert!(
        !steps(&plan).contains(&2),
        "a failed migration is not re-run"
    );

    h.outcome(2, Outcome::Cleared);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, Pending), (3, Pending)]);
    assert!(plan.blockers.is_empty());
    assert_eq!(steps(&plan), [2, 3]);

    h.applied(2).applied(3);
    assert!(plan_of(&set, &h.rows).is_clean());
}

#[test]
fn a_failed_migration_whose_file_was_deleted_still_blocks() {
    // Regression: deleting the file of a half-applied migration used to make its failed state
    // vanish from the plan, so `migrate` ran on over a half-changed schema and `verify` passed.
    let set = set(&[1]);
    let mut h = History::default();
    h.applied(1).outcome(2, Outcome::Failed);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, Failed)]);
    assert_eq!(blocker_kinds(&plan), ["failed"]);
    assert_eq!(plan.entries[1].name, "0002_m2");
    assert!(!plan.is_clean());

    h.outcome(2, Outcome::Cleared);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied)]);
    assert!(plan.is_clean());
}

#[test]
fn an_interrupted_non_transactional_migration_counts_as_failed() {
    // A `started` row with nothing after it: the process died part way.
    let set = set(&[1]);
    let mut h = History::default();
    h.outcome(1, Outcome::Started);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Failed)]);
    assert_eq!(blocker_kinds(&plan), ["failed"]);
    assert!(plan.steps.is_empty());

    // A `started` row followed by its `applied` row is just applied.
    let mut h = History::default();
    h.outcome(1, Outcome::Started).applied(1);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied)]);
    assert!(plan.is_clean());
}

#[test]
fn a_rolled_back_attempt_stays_pending_with_its_error() {
    let set = set(&[1, 2]);
    let mut h = History::default();
    h.applied(1).outcome(2, Outcome::RolledBack);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, Pending)]);
    assert_eq!(plan.entries[1].last_error.as_deref(), Some("boom in 2"));
    assert_eq!(steps(&plan), [2]);
    assert!(plan.blockers.is_empty());
}

#[test]
fn an_accepted_checksum_makes_a_modified_file_applied() {
    let set = set(&[1, 2]);
    let mut h = History::default();
    h.applied_other(1, &"cd".repeat(32)).applied(2);
    assert_eq!(
        states(&plan_of(&set, &h.rows)),
        [(1, Modified), (2, Applied)]
    );

    h.outcome(1, Outcome::Accepted);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, Applied)]);
    assert!(plan.is_clean(), "{:?}", plan.blockers);
    let entry = &plan.entries[0];
    assert_eq!(entry.applied_checksum, entry.checksum);
    // "applied at" is still the apply, not the acceptance.
    assert_eq!(entry.applied_at, h.rows[0].finished_at);
    assert!(verify_chain(&h.rows).is_empty());
}

#[test]
fn clearing_or_accepting_out_of_turn_changes_nothing() {
    // A `cleared` row for an applied migration, an `accepted` one for a pending migration.
    let set = set(&[1, 2]);
    let mut h = History::default();
    h.applied(1).outcome(1, Outcome::Cleared);
    h.push(
        2,
        Kind::Repair,
        Outcome::Accepted,
        Some(&Checksum::of(body(2).as_bytes()).hex),
    );
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, Pending)]);
}

#[test]
fn a_successful_rollback_row_makes_the_migration_pending_again() {
    let set = set(&[1, 2]);
    let mut h = History::default();
    h.applied(1).applied(2);
    h.push(2, Kind::Rollback, Outcome::Cleared, None);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, Pending)]);
    assert_eq!(steps(&plan), [2]);
}

#[test]
fn retired_migrations_are_listed_and_never_run() {
    let set = with_retired(set(&[1, 3]), 2);
    let plan = plan_of(&set, &[]);
    assert_eq!(states(&plan), [(1, Pending), (2, Retired), (3, Pending)]);
    assert_eq!(steps(&plan), [1, 3]);

    // Retired after it was applied: neither missing nor a blocker, and it still shows when.
    let mut h = History::default();
    h.applied(1).applied(2).applied(3);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, Retired), (3, Applied)]);
    assert!(plan.entries[1].applied_at.is_some());
    assert!(plan.is_clean(), "{:?}", plan.blockers);
}

#[test]
fn a_late_older_migration_is_out_of_order_and_blocks() {
    let set = set(&[1, 2, 3]);
    let mut h = History::default();
    h.applied(1).applied(3);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, OutOfOrder), (3, Applied)]);
    assert_eq!(blocker_kinds(&plan), ["out-of-order"]);
    let Blocker::OutOfOrder { newest_applied, .. } = &plan.blockers[0] else {
        unreachable!()
    };
    assert_eq!(*newest_applied, Version(3));
    assert!(plan.blockers[0].message().contains("out_of_order = true"));
    assert!(!plan.is_clean());

    // Allowed by configuration: it is still shown as out of order, but it runs.
    let allowed = ratchet_core::plan(
        &set,
        &h.rows,
        &PlanOptions {
            out_of_order: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!(
        states(&allowed),
        [(1, Applied), (2, OutOfOrder), (3, Applied)]
    );
    assert!(allowed.blockers.is_empty());
    assert_eq!(steps(&allowed), [2]);
    assert!(!allowed.is_clean(), "not applied yet");

    h.applied(2);
    let plan = ratchet_core::plan(
        &set,
        &h.rows,
        &PlanOptions {
            out_of_order: true,
            ..PlanOptions::default()
        },
    );
    assert!(plan.is_clean());
}

#[test]
fn a_newer_version_that_only_failed_to_apply_does_not_make_older_ones_late() {
    let set = set(&[1, 2]);
    let mut h = History::default();
    h.outcome(2, Outcome::RolledBack);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Pending), (2, Pending)]);
    assert!(plan.blockers.is_empty());
}

#[test]
fn target_limits_the_steps_but_not_the_states() {
    let set = set(&[1, 2, 3, 4]);
    let mut h = History::default();
    h.applied(1);
    let options = PlanOptions {
        target: Some(Version(3)),
        ..PlanOptions::default()
    };
    let plan = ratchet_core::plan(&set, &h.rows, &options);
    assert_eq!(steps(&plan), [2, 3]);
    assert_eq!(plan.target, Some(Version(3)));
    assert_eq!(
        plan.count(Pending),
        3,
        "4 is still pending, just not planned"
    );

    // A target at or below what is applied plans nothing.
    let options = PlanOptions {
        target: Some(Version(1)),
        ..PlanOptions::default()
    };
    assert!(plan_of_with(&set, &h.rows, &options).steps.is_empty());
}

fn plan_of_with(set: &MigrationSet, rows: &[HistoryRow], options: &PlanOptions) -> Plan {
    ratchet_core::plan(set, rows, options)
}

#[test]
fn several_blockers_are_all_reported() {
    let set = set(&[1, 2, 3, 5]);
    let mut h = History::default();
    h.applied_other(1, &"00".repeat(32))
        .outcome(2, Outcome::Failed)
        .applied(4)
        .applied(5);
    let plan = plan_of(&set, &h.rows);
    assert_eq!(
        states(&plan),
        [
            (1, Modified),
            (2, Failed),
            (3, OutOfOrder),
            (4, Missing),
            (5, Applied)
        ]
    );
    let mut kinds = blocker_kinds(&plan);
    kinds.sort_unstable();
    assert_eq!(kinds, ["failed", "missing", "modified", "out-of-order"]);
}

// ---------------------------------------------------------------------------------------------
// The tamper-evident chain

#[test]
fn a_deleted_middle_row_breaks_the_chain_and_blocks() {
    let set = set(&[1, 2, 3]);
    let mut h = History::default();
    h.applied(1).applied(2).applied(3);
    assert!(verify_chain(&h.rows).is_empty());
    h.rows.remove(1);
    let plan = plan_of(&set, &h.rows);
    assert!(
        blocker_kinds(&plan).contains(&"chain-broken"),
        "{:?}",
        plan.blockers
    );
    let Some(Blocker::ChainBroken(b)) = plan
        .blockers
        .iter()
        .find(|b| matches!(b, Blocker::ChainBroken(_)))
    else {
        unreachable!()
    };
    assert_eq!(b.row_id, 3, "reported at the row after the gap");
    assert!(!plan.is_clean());
}

#[test]
fn a_row_without_a_chain_hash_is_reported() {
    let set = set(&[1, 2]);
    let mut h = History::default();
    h.applied(1).applied(2);
    h.rows[0].chain_hash = None;
    let plan = plan_of(&set, &h.rows);
    assert!(blocker_kinds(&plan).contains(&"chain-broken"));
    assert!(plan
        .blockers
        .iter()
        .any(|b| b.message().contains("no chain hash")));
}

#[test]
fn a_rewritten_checksum_that_matches_the_file_is_still_caught() {
    // Someone edited an applied file *and* pasted its new checksum into the history to hide it.
    let mut set = set(&[1, 2]);
    let mut h = History::default();
    h.applied(1).applied(2);
    let edited = "create table t1 (id int, extra int);\n";
    set.migrations[0].source = edited.into();
    set.migrations[0].checksum = Checksum::of(edited.as_bytes());
    h.rows[0].checksum = Some(set.migrations[0].checksum.hex.clone());
    let plan = plan_of(&set, &h.rows);
    assert_eq!(states(&plan), [(1, Applied), (2, Applied)]);
    assert_eq!(blocker_kinds(&plan), ["chain-broken"]);
    assert!(!plan.is_clean());
}

#[test]
fn planning_is_deterministic() {
    let set = with_retired(set(&[1, 2, 4, 6]), 3);
    let mut h = History::default();
    h.applied(1).outcome(2, Outcome::RolledBack).applied(5);
    let a = serde_json_like(&plan_of(&set, &h.rows));
    let b = serde_json_like(&plan_of(&set, &h.rows));
    assert_eq!(a, b);
}

fn serde_json_like(plan: &Plan) -> String {
    format!("{:?}", (&plan.entries, &plan.steps, &plan.blockers))
}

// ---------------------------------------------------------------------------------------------
// Properties

/// What happened to one migration before the run under test.
#[derive(Debug, Clone, Copy)]
enum Past {
    Nothing,
    RolledBack,
    FailedThenCleared,
}

fn past() -> impl Strategy<Value = Past> {
    prop_oneof![
        3 => Just(Past::Nothing),
        1 => Just(Past::RolledBack),
        1 => Just(Past::FailedThenCleared),
    ]
}

/// Distinct versions in ascending order, with gaps, and for each whether it was already
/// applied (a prefix, as in a real deploy) and what else the history holds for it.
fn scenario() -> impl Strategy<Value = (Vec<u64>, usize, Vec<Past>, Vec<bool>)> {
    proptest::collection::btree_set(1u64..500, 1..10).prop_flat_map(|versions| {
        let versions: Vec<u64> = versions.into_iter().collect();
        let n = versions.len();
        (
            Just(versions),
            0..=n,
            proptest::collection::vec(past(), n),
            proptest::collection::vec(any::<bool>(), n),
        )
    })
}

proptest! {
    #[test]
    fn applying_the_plan_leaves_nothing_to_do(
        (versions, applied_prefix, pasts, accepted) in scenario()
    ) {
        let set = set(&versions);
        let mut h = History::default();
        for (i, &v) in versions.iter().enumerate() {
            match pasts[i] {
                Past::Nothing => {}
                Past::RolledBack => { h.outcome(v, Outcome::RolledBack); }
                Past::FailedThenCleared => {
                    h.outcome(v, Outcome::Failed).outcome(v, Outcome::Cleared);
                }
            }
            if i < applied_prefix {
                if accepted[i] {
                    // Applied under an older content, then the edit was accepted.
                    h.applied_other(v, &"ee".repeat(32)).outcome(v, Outcome::Accepted);
                } else {
                    h.applied(v);
                }
            }
        }

        let first = plan_of(&set, &h.rows);
        prop_assert!(first.blockers.is_empty(), "{:?}", first.blockers);
        prop_assert_eq!(steps(&first), versions[applied_prefix..].to_vec());
        prop_assert_eq!(first.is_clean(), applied_prefix == versions.len());

        // Apply the plan's steps the way a driver does: one chained row each.
        for step in &first.steps {
            prop_assert!(set.get(*step).is_some());
            h.applied(step.0);
        }

        let second = plan_of(&set, &h.rows);
        prop_assert!(second.steps.is_empty(), "{:?}", second.steps);
        prop_assert!(second.blockers.is_empty(), "{:?}", second.blockers);
        prop_assert!(second.is_clean());
        prop_assert_eq!(second.count(MigrationState::Applied), versions.len());
        prop_assert!(verify_chain(&h.rows).is_empty());

        // Deleting any chained row that has a chained successor is detected.
        let chained: Vec<usize> = h
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.success && r.outcome.is_chained())
            .map(|(i, _)| i)
            .collect();
        for &index in &chained[..chained.len() - 1] {
            let mut tampered = h.rows.clone();
            let removed = tampered.remove(index);
            prop_assert!(
                !verify_chain(&tampered).is_empty(),
                "deleting row {} ({}) went unnoticed", removed.id, removed.name
            );
            let plan = plan_of(&set, &tampered);
            prop_assert!(!plan.is_clean());
        }
    }

    #[test]
    fn steps_are_ascending_and_within_the_target(
        (versions, applied_prefix, _pasts, _accepted) in scenario(),
        target in 0u64..600,
    ) {
        let set = set(&versions);
        let mut h = History::default();
        for &v in &versions[..applied_prefix] {
            h.applied(v);
        }
        let plan = ratchet_core::plan(&set, &h.rows, &PlanOptions { target: Some(Version(target)), ..PlanOptions::default() });
        prop_assert!(plan.steps.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(plan.steps.iter().all(|s| s.0 <= target));
        let expected: Vec<u64> = versions[applied_prefix..].iter().copied().filter(|v| *v <= target).collect();
        prop_assert_eq!(steps(&plan), expected);
    }
}
