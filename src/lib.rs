//! ahasmtp: send email through AhaSend's SMTP service from a shell, cron, CI, or anything that
//! calls `sendmail`.
//!
//! The flow: `cli` parses, `config` resolves one `Settings`, `message` builds the bytes, `limits`
//! pre-checks them, `delivery` runs attempts of a `session`, `output` prints the transcript and
//! the result, `error` maps every failure to one exit status.

pub mod batch;
pub mod check;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod error;
pub mod explain;
pub mod explain_cmd;
pub mod generate;
pub mod limits;
pub mod message;
pub mod output;
pub mod reply;
pub mod secret;
pub mod send;
pub mod sendmail;
pub mod session;

use std::ffi::OsString;
use std::path::Path;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::Exit;

/// Runs the program for `args` (argv, program name first) and returns the exit status.
pub fn run(args: Vec<OsString>) -> Exit {
    let program = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if program == "sendmail" {
        return sendmail::run(args.into_iter().skip(1).collect());
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Ok
            };
        }
    };
    match cli.command {
        Command::Send(a) => send::run(a),
        Command::Sendmail(a) => sendmail::run(a.args),
        Command::Check(a) => check::run(a),
        Command::Batch(a) => batch::run(a),
        Command::Explain(a) => explain_cmd::run(a),
        Command::Generate(a) => generate::run(a.what, &a.dir).unwrap_or_else(|f| {
            eprintln!("*** {f}");
            f.exit
        }),
    }
}
