//! The `ratchet` binary: parse arguments, load configuration, call the library, render.
//! Every decision about migrations is made in the library; see `ratchet::Migrator`.

mod cli;
mod commands;
mod config;
mod failure;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, Format};
use crate::failure::Failure;
use crate::output::Output;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    no_transparent_huge_pages();
    let cli = Cli::parse();
    let out = Output::new(cli.global.format, cli.global.quiet);
    match run(&cli, &out) {
        Ok(code) => code,
        Err(failure) => failure.report(&out),
    }
}

/// mimalloc asks the kernel for transparent huge pages on its arenas, so the first touch of
/// each one zeroes 2 MiB where 4 KiB would do. ratchet is a short process that touches a few
/// MiB: that zeroing was a sixth of `verify`'s time (1,000 files: 10.6 ms against 8.8 ms).
/// Linting one 5 MiB file, whose heap is large enough for huge pages to pay, takes 7% longer
/// without them; start-up checks are what must be fast.
/// Processes started from here inherit the setting (the scratch cluster of `diff`), which
/// does not matter for a throwaway server: PostgreSQL's `huge_pages` for its shared memory
/// are explicit huge pages, which this does not touch.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)] // std has no wrapper for prctl; the call takes no pointers.
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process; failure changes nothing.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn run(cli: &Cli, out: &Output) -> Result<ExitCode, Failure> {
    let format = cli.global.format;
    if matches!(format, Format::Sarif | Format::Github) && !matches!(cli.command, Command::Lint(_))
    {
        return Err(Failure::Usage(format!(
            "--format {} is only for `ratchet lint`; `ratchet {}` prints text or json",
            format.as_str(),
            cli.command.name()
        )));
    }
    if let Command::Init = cli.command {
        return commands::init::run(&cli.global, out);
    }
    let loaded = config::load(&cli.global)?;
    // Lint reads files only: it needs neither a database URL nor a valid migration set.
    if let Command::Lint(args) = &cli.command {
        return commands::lint::run(&loaded, args, out);
    }
    let migrator = ratchet::Migrator::new(loaded.settings)?;
    match &cli.command {
        Command::Init => unreachable!("handled above: init runs without a configuration"),
        Command::Lint(_) => unreachable!("handled above: lint runs without a migrator"),
        Command::New(args) => commands::new::run(&migrator, args, out),
        Command::Status => commands::status::run(&migrator, out),
        Command::Migrate(args) => commands::migrate::run(&migrator, args, out),
        Command::Verify => commands::verify::run(&migrator, out),
        Command::History => commands::history::run(&migrator, out),
        Command::Repair(args) => commands::repair::run(&migrator, args, out),
        Command::Diff(args) => commands::diff::run(&migrator, args, out),
    }
}
