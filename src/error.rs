//! Failures, the stage they happened at, and the one mapping from failure to exit status.
//!
//! Exit statuses are sysexits, as msmtp and every caller of `sendmail` expect them.

use std::fmt;

use serde::Serialize;

use crate::explain;
use crate::reply::Reply;

/// The process exit status. One mapping, used by every subcommand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Exit {
    Ok,
    Usage,
    DataErr,
    NoInput,
    Unavailable,
    TempFail,
    Protocol,
    NoPerm,
    Config,
    Interrupted,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Usage => 64,
            Exit::DataErr => 65,
            Exit::NoInput => 66,
            Exit::Unavailable => 69,
            Exit::TempFail => 75,
            Exit::Protocol => 76,
            Exit::NoPerm => 77,
            Exit::Config => 78,
            Exit::Interrupted => 130,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Exit::Ok => "EX_OK",
            Exit::Usage => "EX_USAGE",
            Exit::DataErr => "EX_DATAERR",
            Exit::NoInput => "EX_NOINPUT",
            Exit::Unavailable => "EX_UNAVAILABLE",
            Exit::TempFail => "EX_TEMPFAIL",
            Exit::Protocol => "EX_PROTOCOL",
            Exit::NoPerm => "EX_NOPERM",
            Exit::Config => "EX_CONFIG",
            Exit::Interrupted => "interrupted",
        }
    }

    /// How bad a failure is when a batch reports one status for many messages: problems with the
    /// setup or the account outrank problems with one message, which outrank transient ones.
    pub fn severity(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::TempFail => 1,
            Exit::DataErr => 2,
            Exit::NoInput => 3,
            Exit::Unavailable => 4,
            Exit::Protocol => 5,
            Exit::NoPerm => 6,
            Exit::Config => 7,
            Exit::Usage => 8,
            Exit::Interrupted => 9,
        }
    }

    pub fn all() -> [Exit; 9] {
        [
            Exit::Ok,
            Exit::Usage,
            Exit::DataErr,
            Exit::NoInput,
            Exit::Unavailable,
            Exit::TempFail,
            Exit::Protocol,
            Exit::NoPerm,
            Exit::Config,
        ]
    }

    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "sent: every transaction was accepted",
            Exit::Usage => "bad flags or arguments",
            Exit::DataErr => "the message or an address is invalid, too large, too many recipients, or permanently refused (550, 552, 553…)",
            Exit::NoInput => "an input file (body, attachment, data, batch) cannot be read",
            Exit::Unavailable => "permanent refusal of the account or domain (521, 556)",
            Exit::TempFail => "transient failure after the retries (421, 451, 4xx, connection lost, timeout, DNS)",
            Exit::Protocol => "protocol or TLS failure (STARTTLS missing or failed, certificate invalid)",
            Exit::NoPerm => "authentication refused (500 at AUTH, 535)",
            Exit::Config => "missing credentials or invalid configuration",
            Exit::Interrupted => "interrupted by SIGINT",
        }
    }
}

/// Where in the run a failure happened; `stage` in the JSON output. Ordered as a run goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Usage,
    Config,
    Input,
    Precheck,
    Connect,
    Starttls,
    Ehlo,
    Auth,
    Mail,
    Rcpt,
    Data,
    /// The reply to the message itself, after the final dot.
    Message,
    Deadline,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = serde_json::to_value(self).ok();
        f.write_str(s.as_ref().and_then(|v| v.as_str()).unwrap_or("?"))
    }
}

/// A failure with everything needed to print it, put it in JSON and exit with the right status.
#[derive(Debug, Clone)]
pub struct Failure {
    pub exit: Exit,
    pub stage: Stage,
    /// The server's reply, when the server refused.
    pub reply: Option<Box<Reply>>,
    /// One line: what went wrong, naming the flag, file, recipient or command.
    pub message: String,
    /// What to do about it, when there is something to say beyond the reply's explanation.
    pub hint: Option<String>,
    /// Worth another attempt on a new connection.
    pub transient: bool,
    /// The connection broke after the message was handed over and before its reply: it may have
    /// been queued. Never retried (see README, "Retries").
    pub maybe_delivered: bool,
}

impl Failure {
    pub fn new(exit: Exit, stage: Stage, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            stage,
            reply: None,
            message: message.into(),
            hint: None,
            transient: exit == Exit::TempFail,
            maybe_delivered: false,
        }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(Exit::Usage, Stage::Usage, message)
    }

    pub fn config(message: impl Into<String>) -> Failure {
        Failure::new(Exit::Config, Stage::Config, message)
    }

    pub fn input(message: impl Into<String>) -> Failure {
        Failure::new(Exit::NoInput, Stage::Input, message)
    }

    pub fn data(message: impl Into<String>) -> Failure {
        Failure::new(Exit::DataErr, Stage::Precheck, message)
    }

    /// The server refused at `stage`: the exit status and retryability come from the explain table.
    pub fn refused(stage: Stage, reply: Reply, message: impl Into<String>) -> Failure {
        let entry = explain::lookup(reply.code, &reply.text, Some(stage));
        Failure {
            exit: entry.exit,
            stage,
            message: message.into(),
            hint: None,
            transient: entry.retryable,
            maybe_delivered: false,
            reply: Some(Box::new(reply)),
        }
    }

    /// A transient failure that is not a reply: connection refused, reset, timeout, DNS.
    pub fn transient(stage: Stage, message: impl Into<String>) -> Failure {
        Failure::new(Exit::TempFail, stage, message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }

    pub fn permanent(mut self) -> Failure {
        self.transient = false;
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sysexits() {
        let codes: Vec<u8> = Exit::all().iter().map(|e| e.code()).collect();
        assert_eq!(codes, [0, 64, 65, 66, 69, 75, 76, 77, 78]);
    }

    #[test]
    fn account_problems_outrank_message_problems_outrank_transient() {
        assert!(Exit::NoPerm.severity() > Exit::DataErr.severity());
        assert!(Exit::DataErr.severity() > Exit::TempFail.severity());
        assert!(Exit::TempFail.severity() > Exit::Ok.severity());
    }

    #[test]
    fn stage_names_are_lowercase() {
        assert_eq!(Stage::Rcpt.to_string(), "rcpt");
        assert_eq!(Stage::Starttls.to_string(), "starttls");
    }
}
