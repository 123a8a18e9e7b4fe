//! `ahasmtp batch`: many messages from JSON Lines over persistent connections.
//!
//! The input is streamed through a bounded channel, so memory stays flat with its length. Each
//! worker holds one authenticated connection and sends message after message, reconnecting before
//! `--max-per-connection` MAIL FROMs, after a 421 or a dropped connection, and on any transient
//! reply. Results are written and flushed as each message finishes, so a killed run loses
//! nothing that finished, and `--resume` never sends a line twice.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::cli::{BatchArgs, SandboxResult};
use crate::config::{Credentials, Settings};
use crate::delivery::backoff;
use crate::error::{Exit, Failure};
use crate::limits;
use crate::message::{self, AttachmentSpec, Pinned, Spec};
use crate::output::{ErrorJson, Printer};
use crate::reply::Reply;
use crate::session::{Session, Silent, Wire};

/// One input line. Any field left out takes the matching flag's value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: Option<String>,
    from: Option<String>,
    to: Option<Vec<String>>,
    cc: Option<Vec<String>>,
    bcc: Option<Vec<String>>,
    reply_to: Option<String>,
    subject: Option<String>,
    text: Option<String>,
    html: Option<String>,
    attachments: Option<Vec<String>>,
    headers: Option<BTreeMap<String, String>>,
    tags: Option<Vec<String>>,
    track_opens: Option<bool>,
    track_clicks: Option<bool>,
    sandbox: Option<bool>,
    sandbox_result: Option<SandboxResult>,
    metadata_retention: Option<u8>,
    data_retention: Option<u8>,
}

/// One line of the results file.
#[derive(Debug, Serialize)]
struct LineResult {
    line: usize,
    id: Option<String>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply: Option<Reply>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorJson>,
    attempts: u32,
}

/// A composed message on its way to a worker.
struct Job {
    line: usize,
    id: Option<String>,
    from: String,
    transactions: Vec<Vec<String>>,
    message_id: Option<String>,
    wire: Wire,
}

/// What every worker shares.
struct Shared {
    results: Mutex<Box<dyn Write + Send>>,
    sent: AtomicUsize,
    failed: AtomicUsize,
    skipped: AtomicUsize,
    worst: Mutex<Exit>,
    interrupted: Arc<AtomicBool>,
    /// A failure no other message can get past (credentials refused, TLS, config): stop.
    fatal: Mutex<Option<Failure>>,
    next_slot: Mutex<Instant>,
    progress: Option<indicatif::ProgressBar>,
}

impl Shared {
    fn record(&self, r: LineResult, failure: Option<&Failure>) {
        match r.status {
            "sent" => self.sent.fetch_add(1, Ordering::Relaxed),
            "skipped" => self.skipped.fetch_add(1, Ordering::Relaxed),
            _ => self.failed.fetch_add(1, Ordering::Relaxed),
        };
        if let Some(f) = failure {
            let mut worst = self.worst.lock().expect("not poisoned");
            if f.exit.severity() > worst.severity() {
                *worst = f.exit;
            }
            let text = format!(
                "*** line {}{}: {}",
                r.line,
                r.id.as_ref().map(|i| format!(" ({i})")).unwrap_or_default(),
                f.message
            );
            match &self.progress {
                Some(p) => p.println(text),
                None => eprintln!("{text}"),
            }
        }
        {
            let mut out = self.results.lock().expect("not poisoned");
            let _ = serde_json::to_writer(&mut *out, &r);
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        }
        if let Some(p) = &self.progress {
            p.inc(1);
            p.set_message(format!(
                "sent {} failed {}",
                self.sent.load(Ordering::Relaxed),
                self.failed.load(Ordering::Relaxed)
            ));
        }
    }

    fn stopping(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
            || self.fatal.lock().expect("not poisoned").is_some()
    }
}

pub fn run(args: BatchArgs) -> Exit {
    let printer = Printer {
        quiet: true,
        color: false,
        show_data: false,
    };
    match batch(args) {
        Ok(exit) => exit,
        Err(f) => {
            printer.failure(&f);
            f.exit
        }
    }
}

fn batch(args: BatchArgs) -> Result<Exit, Failure> {
    if args.connections == 0 || args.max_per_connection == 0 {
        return Err(Failure::usage(
            "--connections and --max-per-connection must be at least 1",
        ));
    }
    if args.rate.is_some_and(|r| r.is_nan() || r <= 0.0) {
        return Err(Failure::usage(
            "--rate must be a positive number of messages a second",
        ));
    }
    if args.message.data.is_some() {
        return Err(Failure::usage(
            "--data is not available in batch: each line builds its own message (text, html, attachments)",
        ));
    }
    let settings = Settings::from_process(&args.connection, &args.retry)?;
    let printer = Printer {
        quiet: true,
        color: settings.color,
        show_data: false,
    };
    for w in &settings.warnings {
        printer.warning(w);
    }
    let done = match &args.resume {
        Some(p) => sent_keys(p)?,
        None => HashSet::new(),
    };
    let input: Box<dyn BufRead + Send> = if args.input == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(File::open(&args.input).map_err(|e| {
            Failure::input(format!("batch input {}: cannot read it: {e}", args.input))
        })?))
    };
    let results: Box<dyn Write + Send> = match &args.results {
        Some(p) => Box::new(BufWriter::new(File::create(p).map_err(|e| {
            Failure::input(format!("--results {}: cannot write it: {e}", p.display()))
        })?)),
        None => Box::new(std::io::stdout()),
    };
    let credentials = settings.credentials()?;
    crate::delivery::watch_deadline(settings.retry.deadline, false);
    let interrupted = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, interrupted.clone())
        .map_err(|e| Failure::config(format!("cannot handle SIGINT: {e}")))?;
    let shared = Shared {
        results: Mutex::new(results),
        sent: AtomicUsize::new(0),
        failed: AtomicUsize::new(0),
        skipped: AtomicUsize::new(0),
        worst: Mutex::new(Exit::Ok),
        interrupted,
        fatal: Mutex::new(None),
        next_slot: Mutex::new(Instant::now()),
        progress: if args.quiet {
            None
        } else {
            progress_bar(&args.input)
        },
    };
    let started = Instant::now();
    let (tx, rx) = mpsc::sync_channel::<Job>(args.connections * 2);
    let rx = Mutex::new(rx);
    std::thread::scope(|scope| {
        for _ in 0..args.connections {
            scope.spawn(|| worker(&settings, credentials.as_ref(), &args, &rx, &shared));
        }
        read_input(input, &args, &settings, &done, &tx, &shared);
        drop(tx);
    });
    if let Some(p) = &shared.progress {
        p.finish_and_clear();
    }
    let (sent, failed, skipped) = (
        shared.sent.load(Ordering::Relaxed),
        shared.failed.load(Ordering::Relaxed),
        shared.skipped.load(Ordering::Relaxed),
    );
    let elapsed = started.elapsed().as_secs_f64();
    let all_sent = failed == 0 && !shared.stopping();
    if !(args.quiet && all_sent) {
        eprintln!(
        "batch: {sent} sent, {failed} failed, {skipped} skipped in {elapsed:.1} s ({:.1} messages/s)",
            sent as f64 / elapsed.max(1e-9)
        );
    }
    if let Some(f) = shared.fatal.lock().expect("not poisoned").take() {
        printer.failure(&f);
        return Ok(f.exit);
    }
    if shared.interrupted.load(Ordering::Relaxed) {
        eprintln!("*** interrupted: the results file is complete up to here; rerun with --resume to send the rest");
        return Ok(Exit::Interrupted);
    }
    let worst = *shared.worst.lock().expect("not poisoned");
    Ok(worst)
}

/// A bar on a terminal only; its length from a quick count of the file's lines.
fn progress_bar(input: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let total = (input != "-")
        .then(|| File::open(input).ok())
        .flatten()
        .map(|f| BufReader::new(f).lines().count() as u64);
    let bar = match total {
        Some(n) => indicatif::ProgressBar::new(n).with_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} {msg} {per_sec} ETA {eta}",
            )
            .expect("valid template"),
        ),
        None => indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} {msg} {per_sec}")
                .expect("valid template"),
        ),
    };
    Some(bar)
}

/// Keys (`id`, else `line:N`) a previous results file marks sent.
fn sent_keys(path: &Path) -> Result<HashSet<String>, Failure> {
    let file = File::open(path)
        .map_err(|e| Failure::input(format!("--resume {}: cannot read it: {e}", path.display())))?;
    let mut keys = HashSet::new();
    for line in BufReader::new(file).lines() {
        let Ok(line) = line else { break };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue; // a line cut short by a kill: not sent as far as we know
        };
        if matches!(v["status"].as_str(), Some("sent" | "skipped")) {
            if let Some(key) = key(v["id"].as_str(), v["line"].as_u64().unwrap_or(0) as usize) {
                keys.insert(key);
            }
        }
    }
    Ok(keys)
}

fn key(id: Option<&str>, line: usize) -> Option<String> {
    match id {
        Some(id) => Some(format!("id:{id}")),
        None if line > 0 => Some(format!("line:{line}")),
        None => None,
    }
}

fn read_input(
    input: Box<dyn BufRead + Send>,
    args: &BatchArgs,
    settings: &Settings,
    done: &HashSet<String>,
    tx: &mpsc::SyncSender<Job>,
    shared: &Shared,
) {
    for (i, text) in input.lines().enumerate() {
        let n = i + 1;
        if shared.stopping() {
            break;
        }
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                let f = Failure::input(format!("cannot read line {n}: {e}"));
                fail(shared, n, None, &f);
                break;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        let line: Line = match serde_json::from_str(&text) {
            Ok(l) => l,
            Err(e) => {
                fail(
                    shared,
                    n,
                    None,
                    &Failure::data(format!("not a valid message line: {e}")),
                );
                continue;
            }
        };
        let id = line.id.clone();
        if key(id.as_deref(), n).is_some_and(|k| done.contains(&k)) {
            shared.record(
                LineResult {
                    line: n,
                    id,
                    status: "skipped",
                    message_id: None,
                    reply: None,
                    error: None,
                    attempts: 0,
                },
                None,
            );
            continue;
        }
        match compose(line, args, settings) {
            Ok(job) => {
                let job = Job {
                    line: n,
                    id: id.clone(),
                    ..job
                };
                if tx.send(job).is_err() {
                    break;
                }
            }
            Err(f) => fail(shared, n, id, &f),
        }
    }
}

fn fail(shared: &Shared, line: usize, id: Option<String>, f: &Failure) {
    shared.record(
        LineResult {
            line,
            id,
            status: "failed",
            message_id: None,
            reply: f.reply.as_deref().cloned(),
            error: Some(ErrorJson::from(f)),
            attempts: 0,
        },
        Some(f),
    );
}

/// The line over the flags' defaults, composed and pre-checked like `send`.
fn compose(line: Line, args: &BatchArgs, settings: &Settings) -> Result<Job, Failure> {
    let d = &args.message;
    let mut stdin = Some(Vec::new()); // batch lines never read stdin for bodies
    let read = |flag: &str,
                v: &Option<String>,
                stdin: &mut Option<Vec<u8>>|
     -> Result<Option<String>, Failure> {
        match v {
            Some(v) => Ok(Some(message::utf8(
                flag,
                message::read_value(flag, v, stdin)?,
            )?)),
            None => Ok(None),
        }
    };
    let mut ahasend = crate::send::ahasend_headers(d, settings);
    if let Some(t) = line.tags {
        ahasend.tags = t;
    }
    ahasend.track_opens = line.track_opens.or(ahasend.track_opens);
    ahasend.track_clicks = line.track_clicks.or(ahasend.track_clicks);
    ahasend.sandbox = line.sandbox.unwrap_or(ahasend.sandbox);
    ahasend.sandbox_result = line.sandbox_result.or(ahasend.sandbox_result);
    ahasend.metadata_retention = line.metadata_retention.or(ahasend.metadata_retention);
    ahasend.data_retention = line.data_retention.or(ahasend.data_retention);
    let headers = match line.headers {
        Some(h) => h.into_iter().map(|(k, v)| format!("{k}: {v}")).collect(),
        None => d.header.clone(),
    };
    let spec = Spec {
        from: settings.from_address(line.from.as_deref().or(d.from.as_deref())),
        to: line.to.unwrap_or_else(|| d.to.clone()),
        cc: line.cc.unwrap_or_else(|| d.cc.clone()),
        bcc: line.bcc.unwrap_or_else(|| d.bcc.clone()),
        reply_to: line.reply_to.or_else(|| d.reply_to.clone()),
        subject: line.subject.or_else(|| d.subject.clone()),
        text: match line.text {
            Some(t) => Some(t),
            None => read("--text", &d.text, &mut stdin)?,
        },
        html: match line.html {
            Some(h) => Some(h),
            None => read("--html", &d.html, &mut stdin)?,
        },
        attachments: line
            .attachments
            .unwrap_or_else(|| d.attach.clone())
            .iter()
            .map(|a| AttachmentSpec::parse(a))
            .collect(),
        headers,
        ahasend,
        data: None,
    };
    let prepared = message::compose(
        spec,
        Pinned {
            test_mode: settings.test_mode,
        },
    )?;
    let split = settings.profile.split.unwrap_or(false);
    let transactions = limits::transactions(&prepared.recipients, split)?;
    limits::check_size(prepared.size(), limits::MAX_MESSAGE_BYTES, "AhaSend's")?;
    Ok(Job {
        line: 0,
        id: None,
        from: prepared.envelope_from,
        transactions,
        message_id: prepared.message_id,
        wire: Wire::new(prepared.bytes),
    })
}

/// One persistent connection, message after message.
fn worker(
    settings: &Settings,
    credentials: Option<&Credentials>,
    args: &BatchArgs,
    rx: &Mutex<mpsc::Receiver<Job>>,
    shared: &Shared,
) {
    let mut session: Option<Session<'static>> = None;
    loop {
        let job = match rx.lock().expect("not poisoned").recv() {
            Ok(job) => job,
            Err(_) => break,
        };
        // Once stopping, drain without sending so the reader is never left blocked; lines not
        // sent have no result line, so --resume sends them.
        if shared.stopping() {
            continue;
        }
        if let Some(rate) = args.rate {
            pace(shared, rate);
        }
        let (result, failure) = deliver(settings, credentials, args, &mut session, &job, shared);
        shared.record(result, failure.as_ref());
    }
    if let Some(s) = session.take() {
        s.quit();
    }
}

/// At most `rate` messages a second across all workers.
fn pace(shared: &Shared, rate: f64) {
    let wait = {
        let mut next = shared.next_slot.lock().expect("not poisoned");
        let now = Instant::now();
        let slot = (*next).max(now);
        *next = slot + Duration::from_secs_f64(1.0 / rate);
        slot - now
    };
    std::thread::sleep(wait);
}

/// Sends one job on the worker's connection, reconnecting and retrying transient failures.
fn deliver(
    settings: &Settings,
    credentials: Option<&Credentials>,
    args: &BatchArgs,
    session: &mut Option<Session<'static>>,
    job: &Job,
    shared: &Shared,
) -> (LineResult, Option<Failure>) {
    let mut pending = job.transactions.clone();
    let mut attempts = 0;
    let mut last_reply = None;
    loop {
        attempts += 1;
        let outcome = (|| -> Result<(), Failure> {
            if session
                .as_ref()
                .is_some_and(|s| s.transactions >= args.max_per_connection || !s.is_usable())
            {
                session.take().expect("checked").quit();
            }
            if session.is_none() {
                let endpoint = settings.endpoint.value.clone();
                *session = Some(Session::open(
                    settings,
                    &endpoint,
                    credentials,
                    settings.retry.deadline,
                    Box::new(Silent),
                )?);
            }
            let s = session.as_mut().expect("opened");
            while let Some(rcpts) = pending.first() {
                let accepted = s.send(&job.from, rcpts, &job.wire, false)?;
                last_reply = Some(accepted.reply);
                pending.remove(0);
            }
            Ok(())
        })();
        let failure = match outcome {
            Ok(()) => {
                let result = LineResult {
                    line: job.line,
                    id: job.id.clone(),
                    status: "sent",
                    message_id: job.message_id.clone(),
                    reply: last_reply,
                    error: None,
                    attempts,
                };
                return (result, None);
            }
            Err(f) => f,
        };
        // A broken or transiently refusing connection is replaced on the next attempt.
        if failure.transient || session.as_ref().is_some_and(|s| !s.is_usable()) {
            if let Some(s) = session.take() {
                s.quit();
            }
        }
        // Refused credentials, TLS, configuration, or a disabled account (521): every other
        // message would fail the same way, so the batch stops.
        let fatal = (matches!(
            failure.exit,
            Exit::NoPerm | Exit::Protocol | Exit::Config | Exit::Unavailable
        ) && failure.stage <= crate::error::Stage::Auth)
            || failure.reply.as_ref().is_some_and(|r| r.code == 521);
        if failure.transient && attempts <= settings.retry.retries && !shared.stopping() {
            std::thread::sleep(backoff(&settings.retry, attempts));
            continue;
        }
        if fatal {
            let mut f = shared.fatal.lock().expect("not poisoned");
            f.get_or_insert_with(|| failure.clone());
        }
        let status = if failure.maybe_delivered {
            "unknown"
        } else {
            "failed"
        };
        let result = LineResult {
            line: job.line,
            id: job.id.clone(),
            status,
            message_id: job.message_id.clone(),
            reply: failure.reply.as_deref().cloned(),
            error: Some(ErrorJson::from(&failure)),
            attempts,
        };
        return (result, Some(failure));
    }
}
