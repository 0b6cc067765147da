use std::process::ExitCode;

use ratchet::{Migrator, RepairAction, Version};
use serde_json::json;

use crate::cli::RepairArgs;
use crate::failure::Failure;
use crate::output::Output;

pub fn run(migrator: &Migrator, args: &RepairArgs, out: &Output) -> Result<ExitCode, Failure> {
    let action = match (args.failed, args.accept_checksum) {
        (Some(v), None) => RepairAction::ClearFailed(Version(v)),
        (None, Some(v)) => RepairAction::AcceptChecksum(Version(v)),
        _ => unreachable!("clap requires exactly one of --failed and --accept-checksum"),
    };
    let set = migrator.load()?;
    let mut session = super::connect(migrator, out)?;
    let row = session.repair(&set, action, &args.reason)?;
    if out.json() {
        out.document(&json!({ "ok": true, "recorded": row }));
    } else {
        let what = match action {
            RepairAction::ClearFailed(_) => {
                "failed state cleared; it is pending again and the next `ratchet migrate` runs it"
            }
            RepairAction::AcceptChecksum(_) => "the file's current checksum is now the applied one",
        };
        out.line(&format!("{}: {what} (history row {})", row.name, row.id));
    }
    Ok(ExitCode::SUCCESS)
}
