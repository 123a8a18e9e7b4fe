//! `ahasmtp send`: compose one message, pre-check it, deliver it, report the result.

use std::time::Instant;

use mail_parser::MimeHeaders;
use serde::Serialize;

use crate::cli::{MessageArgs, SendArgs};
use crate::config::Settings;
use crate::delivery::{self, Attempt, Job, Outcome};
use crate::error::{Exit, Failure};
use crate::limits;
use crate::message::{self, AhaSendHeaders, AttachmentSpec, Pinned, Prepared, Spec};
use crate::output::{print_json, ErrorJson, Printer};
use crate::reply::Reply;
use crate::session::{TlsInfo, Wire};

pub fn run(args: SendArgs) -> Exit {
    let json = args.output.json;
    let mut printer = Printer {
        quiet: args.output.quiet,
        color: false,
        show_data: args.show_data,
    };
    let started = Instant::now();
    match send(args, &mut printer, started) {
        Ok(exit) => exit,
        Err(f) => {
            printer.failure(&f);
            if json {
                print_json(&Report::failed_early(&f, started));
            }
            f.exit
        }
    }
}

fn send(args: SendArgs, printer: &mut Printer, started: Instant) -> Result<Exit, Failure> {
    let settings = Settings::from_process(&args.connection, &args.retry)?;
    printer.color = settings.color;
    for w in &settings.warnings {
        printer.warning(w);
    }
    let spec = spec_from_args(&args.message, &settings, &mut None)?;
    let prepared = message::compose(
        spec,
        Pinned {
            test_mode: settings.test_mode,
        },
    )?;
    let split = args.split || settings.profile.split.unwrap_or(false);
    let transactions = limits::transactions(&prepared.recipients, split)?;
    limits::check_size(prepared.size(), limits::MAX_MESSAGE_BYTES, "AhaSend's")?;
    if args.dry_run {
        dry_run(
            &prepared,
            transactions.len(),
            args.output.json,
            args.show_data,
        );
        return Ok(Exit::Ok);
    }
    let credentials = settings.credentials()?;
    delivery::watch_deadline(settings.retry.deadline, args.output.json);
    let meta = Meta::of(&prepared);
    let wire = Wire::new(prepared.bytes);
    let outcome = delivery::deliver(
        &settings,
        credentials.as_ref(),
        Job {
            envelope_from: &meta.from,
            transactions,
            wire: &wire,
            allow_partial: args.allow_partial,
        },
        printer,
    );
    let report = Report::of(&meta, &outcome, started);
    if let Some(f) = &outcome.failure {
        printer.failure(f);
        if !report.accepted.is_empty() {
            printer.error_line(&format!(
                "{} transaction(s) were accepted before this failure: {} recipient(s) have the message; do not resend to them: {}",
                report.transactions,
                report.accepted.len(),
                report.accepted.join(", ")
            ));
        }
    } else if !report.refused.is_empty() {
        for r in &report.refused {
            printer.failure(&Failure::refused(
                crate::error::Stage::Rcpt,
                r.reply.clone(),
                format!(
                    "{} refused at RCPT TO (--allow-partial: sent to the others)",
                    r.recipient
                ),
            ));
        }
    }
    if args.output.json {
        print_json(&report);
    } else if outcome.failure.is_none() && !args.output.quiet {
        println!("{}", report.line());
    }
    Ok(report.exit())
}

/// The message's parts from flags, profile defaults and stdin. `stdin` is read at most once.
pub fn spec_from_args(
    args: &MessageArgs,
    settings: &Settings,
    stdin: &mut Option<Vec<u8>>,
) -> Result<Spec, Failure> {
    let dashes = [&args.text, &args.html, &args.data]
        .iter()
        .filter(|v| v.as_deref() == Some("-"))
        .count();
    if dashes > 1 {
        return Err(Failure::usage(
            "only one of --text, --html and --data can read stdin (-): give the others as TEXT or @FILE",
        ));
    }
    let text = match &args.text {
        Some(v) => Some(message::utf8(
            "--text",
            message::read_value("--text", v, stdin)?,
        )?),
        None => None,
    };
    let html = match &args.html {
        Some(v) => Some(message::utf8(
            "--html",
            message::read_value("--html", v, stdin)?,
        )?),
        None => None,
    };
    let data = match &args.data {
        Some(v) if v == "-" || v.starts_with('@') => Some(message::read_value("--data", v, stdin)?),
        Some(v) => {
            return Err(Failure::usage(format!(
                "--data {v:?}: give @FILE or - (a complete message, not inline text)"
            )))
        }
        None => None,
    };
    // `make | ahasmtp send …`: stdin is the text body when nothing else gives one.
    let text = match (&text, &html, &data) {
        (None, None, None) if !settings.stdin_is_terminal => Some(message::utf8(
            "stdin",
            message::take_stdin("stdin", stdin)?,
        )?),
        _ => text,
    };
    Ok(Spec {
        from: settings.from_address(args.from.as_deref()),
        to: args.to.clone(),
        cc: args.cc.clone(),
        bcc: args.bcc.clone(),
        reply_to: args.reply_to.clone(),
        subject: args.subject.clone(),
        text,
        html,
        attachments: args
            .attach
            .iter()
            .map(|a| AttachmentSpec::parse(a))
            .collect(),
        headers: args.header.clone(),
        ahasend: ahasend_headers(args, settings),
        data,
    })
}

/// Flags first, then the profile's defaults.
pub fn ahasend_headers(args: &MessageArgs, settings: &Settings) -> AhaSendHeaders {
    let p = &settings.profile;
    let tags: Vec<String> = args
        .tag
        .iter()
        .flat_map(|t| t.split(','))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    AhaSendHeaders {
        track_opens: args.track_opens.or(p.track_opens),
        track_clicks: args.track_clicks.or(p.track_clicks),
        tags: if tags.is_empty() {
            p.tags.clone().unwrap_or_default()
        } else {
            tags
        },
        sandbox: args.sandbox || p.sandbox.unwrap_or(false),
        sandbox_result: args.sandbox_result.or(p.sandbox_result),
        metadata_retention: args.metadata_retention.or(p.metadata_retention),
        data_retention: args.data_retention.or(p.data_retention),
    }
}

/// What the report says about the message, kept when its bytes move into the `Wire`.
pub struct Meta {
    pub from: String,
    pub recipients: Vec<String>,
    pub message_id: Option<String>,
    pub size: u64,
}

impl Meta {
    pub fn of(p: &Prepared) -> Meta {
        Meta {
            from: p.envelope_from.clone(),
            recipients: p.recipients.clone(),
            message_id: p.message_id.clone(),
            size: p.size(),
        }
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    from: &'a str,
    to: &'a [String],
}

#[derive(Serialize)]
pub struct RefusedJson {
    pub recipient: String,
    pub reply: Reply,
}

/// The `--json` result. Field names are stable (README, "JSON output").
#[derive(Serialize)]
pub struct Report<'a> {
    pub status: &'static str,
    pub message_id: Option<&'a str>,
    pub server: Option<String>,
    pub tls: Option<TlsInfo>,
    envelope: Option<Envelope<'a>>,
    pub size_bytes: Option<u64>,
    pub reply: Option<Reply>,
    pub transactions: usize,
    pub refused: Vec<RefusedJson>,
    /// Recipients in accepted transactions: with --split, some may be accepted before a failure.
    pub accepted: Vec<String>,
    pub attempts: usize,
    pub attempt_log: Vec<Attempt>,
    pub elapsed_ms: u64,
    pub error: Option<ErrorJson>,
    #[serde(skip)]
    exit: Exit,
}

impl<'a> Report<'a> {
    pub fn of(meta: &'a Meta, outcome: &Outcome, started: Instant) -> Report<'a> {
        let refused: Vec<RefusedJson> = delivery::refused(outcome)
            .into_iter()
            .map(|(recipient, reply)| RefusedJson { recipient, reply })
            .collect();
        let exit = match (&outcome.failure, refused.is_empty()) {
            (Some(f), _) => f.exit,
            (None, false) => Exit::DataErr,
            (None, true) => Exit::Ok,
        };
        let status = match &outcome.failure {
            Some(f) if f.maybe_delivered => "unknown",
            Some(_) => "failed",
            None if !refused.is_empty() => "partial",
            None => "sent",
        };
        Report {
            status,
            message_id: meta.message_id.as_deref(),
            server: Some(outcome.server.clone()),
            tls: outcome.tls.clone(),
            envelope: Some(Envelope {
                from: &meta.from,
                to: &meta.recipients,
            }),
            size_bytes: Some(meta.size),
            reply: outcome.accepted.last().map(|a| a.reply.clone()),
            transactions: outcome.accepted.len(),
            refused,
            accepted: outcome
                .accepted
                .iter()
                .flat_map(|a| a.recipients.clone())
                .collect(),
            attempts: outcome.attempts.len(),
            attempt_log: outcome.attempts.clone(),
            elapsed_ms: started.elapsed().as_millis() as u64,
            error: outcome.failure.as_ref().map(ErrorJson::from),
            exit,
        }
    }

    fn failed_early(f: &Failure, started: Instant) -> Report<'static> {
        Report {
            status: "failed",
            message_id: None,
            server: None,
            tls: None,
            envelope: None,
            size_bytes: None,
            reply: None,
            transactions: 0,
            refused: Vec::new(),
            accepted: Vec::new(),
            attempts: 0,
            attempt_log: Vec::new(),
            elapsed_ms: started.elapsed().as_millis() as u64,
            error: Some(ErrorJson::from(f)),
            exit: f.exit,
        }
    }

    pub fn exit(&self) -> Exit {
        self.exit
    }

    /// `sent <message-id> to N recipients: 250 …`
    pub fn line(&self) -> String {
        let reply = self.reply.as_ref().map(Reply::one_line).unwrap_or_default();
        let id = self.message_id.unwrap_or("(no Message-ID)");
        let n = self.accepted.len();
        let s = if n == 1 { "" } else { "s" };
        let mut line = format!("sent {id} to {n} recipient{s}");
        if self.transactions > 1 {
            line.push_str(&format!(" in {} transactions", self.transactions));
        }
        if !self.refused.is_empty() {
            line.push_str(&format!(" ({} refused)", self.refused.len()));
        }
        format!("{line}: {reply}")
    }
}

/// `--dry-run`: the envelope, the checks, the MIME structure and the headers (or, with
/// `--show-data`, the whole message). No network.
fn dry_run(p: &Prepared, transactions: usize, json: bool, show_data: bool) {
    let parsed = mail_parser::MessageParser::default().parse(&p.bytes);
    let mut structure = Vec::new();
    if let Some(m) = &parsed {
        walk(m, 0, 0, &mut structure);
    }
    if json {
        print_json(&serde_json::json!({
            "status": "dry-run",
            "message_id": p.message_id,
            "envelope": {"from": p.envelope_from, "to": p.recipients},
            "transactions": transactions,
            "size_bytes": p.size(),
            "size_limit": limits::MAX_MESSAGE_BYTES,
            "structure": structure.iter().map(|s| s.trim()).collect::<Vec<_>>(),
            "message": show_data.then(|| String::from_utf8_lossy(&p.bytes)),
        }));
        return;
    }
    println!("Envelope: MAIL FROM:<{}>", p.envelope_from);
    for r in &p.recipients {
        println!("          RCPT TO:<{r}>");
    }
    println!(
        "Checks:   {} recipient{} in {} transaction{} (AhaSend: at most {} each): ok",
        p.recipients.len(),
        if p.recipients.len() == 1 { "" } else { "s" },
        transactions,
        if transactions == 1 { "" } else { "s" },
        limits::MAX_RECIPIENTS
    );
    println!(
        "          size {} ({} bytes) of AhaSend's {} limit: ok",
        limits::human_bytes(p.size()),
        p.size(),
        limits::human_bytes(limits::MAX_MESSAGE_BYTES)
    );
    println!("Structure:");
    for s in &structure {
        println!("  {s}");
    }
    if show_data {
        println!("Message:");
        print!(
            "{}",
            String::from_utf8_lossy(&p.bytes).replace("\r\n", "\n")
        );
    } else {
        let end = p
            .bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(p.bytes.len());
        println!("Headers:");
        for l in String::from_utf8_lossy(&p.bytes[..end]).split("\r\n") {
            println!("  {l}");
        }
        println!("(--show-data prints the whole message; nothing was sent: --dry-run)");
    }
}

fn walk(m: &mail_parser::Message<'_>, id: u32, depth: usize, out: &mut Vec<String>) {
    let Some(part) = m.part(id) else { return };
    let ct = part
        .content_type()
        .map(|c| match &c.c_subtype {
            Some(s) => format!("{}/{}", c.c_type, s),
            None => c.c_type.to_string(),
        })
        .unwrap_or_else(|| "text/plain".into());
    let mut line = format!("{}{ct}", "  ".repeat(depth));
    if let Some(name) = part.attachment_name() {
        line.push_str(&format!(" {name:?}"));
    }
    if let Some(enc) = part.content_transfer_encoding() {
        line.push_str(&format!(" ({enc})"));
    }
    match part.sub_parts() {
        Some(children) => {
            out.push(line);
            for &c in children {
                walk(m, c, depth + 1, out);
            }
        }
        None => {
            line.push_str(&format!(", {}", limits::human_bytes(part.len() as u64)));
            out.push(line);
        }
    }
}
