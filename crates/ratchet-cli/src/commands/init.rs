use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;

use crate::cli::Global;
use crate::config::FILE_NAME;
use crate::failure::Failure;
use crate::output::Output;

const TEMPLATE: &str = r#"# ratchet configuration. Every key is optional; the values shown are the defaults.
# The database URL can also come from --database-url, RATCHET_DATABASE_URL or DATABASE_URL
# (which win over this file, in that order).
database_url = "sqlite:app.db"
migrations = "migrations"
history_table = "ratchet_history"   # schema-qualified allowed: "ops.ratchet_history"
name_pattern = '^\d{4}_[a-z0-9_]+\.sql$'
out_of_order = false
lock_timeout = "5s"        # per migration, PostgreSQL; a file's -- ratchet:lock-timeout wins
statement_timeout = "0"    # 0 = none
lock_wait = "60s"          # how long a runner waits for another runner's lock
"#;

/// Creates what is missing and never overwrites: running it twice is harmless.
pub fn run(global: &Global, out: &Output) -> Result<ExitCode, Failure> {
    let config = global
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(FILE_NAME));
    let base = config.parent().map(Path::to_path_buf).unwrap_or_default();
    let migrations = global
        .dir
        .clone()
        .unwrap_or_else(|| base.join("migrations"));
    let mut created = Vec::new();
    let mut kept = Vec::new();
    if config.exists() {
        kept.push(config.clone());
    } else {
        std::fs::write(&config, TEMPLATE)
            .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", config.display())))?;
        created.push(config.clone());
    }
    if migrations.is_dir() {
        kept.push(migrations.clone());
    } else {
        std::fs::create_dir_all(&migrations)
            .map_err(|e| Failure::Usage(format!("cannot create {}: {e}", migrations.display())))?;
        created.push(migrations.clone());
    }
    if out.json() {
        out.document(&json!({ "ok": true, "created": created, "already_existed": kept }));
    } else {
        for path in &created {
            out.line(&format!("created {}", path.display()));
        }
        for path in &kept {
            out.line(&format!("kept {} (already exists)", path.display()));
        }
        out.progress(
            "next: `ratchet new create_first_table`, edit the file, then `ratchet migrate`",
        );
    }
    Ok(ExitCode::SUCCESS)
}
