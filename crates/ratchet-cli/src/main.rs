//! The `ratchet` binary: parse arguments, load configuration, call the library, render.
//! Every decision about migrations is made in the library; see `ratchet::Migrator`.

mod cli;
mod commands;
mod config;
mod failure;
mod output;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::failure::Failure;
use crate::output::Output;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.global.format, cli.global.quiet);
    match run(&cli, &out) {
        Ok(code) => code,
        Err(failure) => failure.report(&out),
    }
}

fn run(cli: &Cli, out: &Output) -> Result<ExitCode, Failure> {
    if let Command::Init = cli.command {
        return commands::init::run(&cli.global, out);
    }
    let settings = config::load(&cli.global)?;
    let migrator = ratchet::Migrator::new(settings)?;
    match &cli.command {
        Command::Init => unreachable!("handled above: init runs without a configuration"),
        Command::New(args) => commands::new::run(&migrator, args, out),
        Command::Status => commands::status::run(&migrator, out),
        Command::Migrate(args) => commands::migrate::run(&migrator, args, out),
        Command::Verify => commands::verify::run(&migrator, out),
        Command::History => commands::history::run(&migrator, out),
        Command::Repair(args) => commands::repair::run(&migrator, args, out),
    }
}
