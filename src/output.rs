//! Printing: the swaks-style transcript on stderr, the result line or JSON on stdout, and the
//! failure block (the reply, what it means for AhaSend, what to do, the exit status).
//!
//! Markers: `=== ` info, ` -> ` sent in clear, ` ~> ` sent in TLS, `<-  ` reply in clear,
//! `<~  ` reply in TLS, `*** ` error. Nothing here ever sees a secret: AUTH is redacted before
//! it reaches the transcript.

use std::io::Write;

use serde::Serialize;

use crate::error::{Exit, Failure, Stage};
use crate::explain;
use crate::reply::Reply;
use crate::session::Transcript;

#[derive(Clone, Copy)]
pub struct Printer {
    /// No transcript (`-q`, sendmail mode); failures are still printed.
    pub quiet: bool,
    pub color: bool,
    pub show_data: bool,
}

const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

impl Printer {
    fn line(&self, style: &str, marker: &str, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = if self.color && !style.is_empty() {
            writeln!(err, "{style}{marker}{text}{RESET}")
        } else {
            writeln!(err, "{marker}{text}")
        };
    }

    pub fn warning(&self, text: &str) {
        self.line(BOLD, "warning: ", text);
    }

    /// One more `***` line after a failure block.
    pub fn error_line(&self, text: &str) {
        self.line(RED, "*** ", text);
    }

    /// The failure block: printed even when quiet, since errors always go to stderr.
    pub fn failure(&self, f: &Failure) {
        for line in failure_lines(f) {
            self.line(RED, "*** ", &line);
        }
    }
}

/// The lines of the failure block, one idea each.
pub fn failure_lines(f: &Failure) -> Vec<String> {
    let mut lines = vec![f.message.clone()];
    if let Some(reply) = &f.reply {
        let e = explain::lookup(reply.code, &reply.text, Some(f.stage));
        if !f.message.contains(&reply.one_line()) {
            lines.push(format!("Server replied: {}", reply.one_line()));
        }
        lines.push(format!("What it means: {}", e.meaning));
        lines.push(format!("What to do: {}", e.action));
    }
    if let Some(h) = &f.hint {
        lines.push(format!("What to do: {h}"));
    }
    lines.push(format!(
        "Exit {} ({}){}",
        f.exit.code(),
        f.exit.name(),
        if f.maybe_delivered {
            "; delivery unknown, not retried".to_owned()
        } else if f.reply.is_some() || f.stage >= Stage::Connect {
            if f.transient {
                "; transient"
            } else {
                "; permanent, not retried"
            }
            .to_owned()
        } else {
            String::new()
        }
    ));
    lines
}

impl Transcript for Printer {
    fn info(&mut self, text: &str) {
        if !self.quiet {
            self.line(DIM, "=== ", text);
        }
    }

    fn sent(&mut self, tls: bool, line: &str) {
        if !self.quiet {
            self.line("", if tls { " ~> " } else { " -> " }, line);
        }
    }

    fn reply(&mut self, tls: bool, reply: &Reply) {
        if self.quiet {
            return;
        }
        let style = if reply.code >= 400 { RED } else { "" };
        for l in reply.wire_lines() {
            self.line(style, if tls { "<~  " } else { "<-  " }, &l);
        }
    }

    fn data(&mut self, tls: bool, bytes: &[u8]) {
        if self.quiet {
            return;
        }
        let text = String::from_utf8_lossy(bytes);
        for l in text.split_terminator("\r\n") {
            self.line("", if tls { " ~> " } else { " -> " }, l);
        }
        self.line("", if tls { " ~> " } else { " -> " }, ".");
    }

    fn wants_data(&self) -> bool {
        self.show_data && !self.quiet
    }
}

/// `error` in the JSON output.
#[derive(Debug, Serialize)]
pub struct ErrorJson {
    pub stage: Stage,
    pub code: Option<u16>,
    pub enhanced: Option<String>,
    pub text: String,
    pub meaning: Option<&'static str>,
    pub action: Option<String>,
    pub retryable: bool,
    pub exit_code: u8,
}

impl ErrorJson {
    pub fn from(f: &Failure) -> ErrorJson {
        let entry = f
            .reply
            .as_ref()
            .map(|r| explain::lookup(r.code, &r.text, Some(f.stage)));
        ErrorJson {
            stage: f.stage,
            code: f.reply.as_ref().map(|r| r.code),
            enhanced: f.reply.as_ref().and_then(|r| r.enhanced.clone()),
            text: f
                .reply
                .as_ref()
                .map(|r| r.text.clone())
                .unwrap_or_else(|| f.message.clone()),
            meaning: entry.map(|e| e.meaning),
            action: f
                .hint
                .clone()
                .or_else(|| entry.map(|e| e.action.to_owned())),
            retryable: f.transient,
            exit_code: f.exit.code(),
        }
    }
}

/// Prints one JSON value on stdout, on one line.
pub fn print_json<T: Serialize>(value: &T) {
    let mut out = std::io::stdout().lock();
    let _ = serde_json::to_writer(&mut out, value);
    let _ = writeln!(out);
}

/// The exit status for a failure, or success.
pub fn exit_of(failure: Option<&Failure>) -> Exit {
    failure.map(|f| f.exit).unwrap_or(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_block_names_reply_meaning_action_and_exit() {
        let f = Failure::refused(
            Stage::Rcpt,
            Reply::new(
                553,
                vec!["Requested action not taken: recipient domain is toxic or tempmail".into()],
            ),
            "x@tempmail.example refused at RCPT TO",
        );
        let lines = failure_lines(&f);
        assert!(lines[1].starts_with("Server replied: 553"));
        assert!(lines.iter().any(|l| l.contains("Recipient Shield")));
        assert!(lines.iter().any(|l| l.starts_with("What to do: verify")));
        assert_eq!(
            lines.last().unwrap(),
            "Exit 65 (EX_DATAERR); permanent, not retried"
        );
    }

    #[test]
    fn usage_failure_is_one_short_block() {
        let f = Failure::usage("--port: not a number").with_hint("give 587, 2525 or 25");
        assert_eq!(
            failure_lines(&f),
            [
                "--port: not a number",
                "What to do: give 587, 2525 or 25",
                "Exit 64 (EX_USAGE)"
            ]
        );
    }
}
