//! One module per command. Each loads what it needs through the library and renders the
//! result; none decides anything about migrations itself.

pub mod diff;
pub mod history;
pub mod init;
pub mod lint;
pub mod migrate;
pub mod new;
pub mod repair;
pub mod status;
pub mod verify;

use std::sync::Arc;

use ratchet::{Migrator, Notice, NoticeSink, Session};

use crate::failure::Failure;
use crate::output::{Output, Tone};

/// Connects, streaming server notices to stderr as they arrive, prefixed with the migration
/// that raised them.
pub fn connect(migrator: &Migrator, out: &Output) -> Result<Session, Failure> {
    Ok(migrator.connect(notice_sink(out))?)
}

/// Prints server notices to stderr as they arrive, prefixed with the migration that raised
/// them.
pub fn notice_sink(out: &Output) -> NoticeSink {
    let out = *out;
    Arc::new(move |notice: Notice| {
        let prefix = notice
            .migration
            .as_deref()
            .map(|m| format!("{m}: "))
            .unwrap_or_default();
        let severity = out.paint_err(Tone::Yellow, &notice.severity);
        out.diagnostic(&format!("{prefix}{severity}: {}", notice.message));
        if let Some(detail) = &notice.detail {
            out.diagnostic(&format!("{prefix}  detail: {detail}"));
        }
        if let Some(hint) = &notice.hint {
            out.diagnostic(&format!("{prefix}  hint: {hint}"));
        }
    })
}

/// `database: ...` for headers, password hidden.
pub fn database_label(migrator: &Migrator) -> String {
    migrator
        .url()
        .map(ToString::to_string)
        .unwrap_or_else(|| "(no database configured)".into())
}
