//! One SMTP connection, driven phase by phase on lettre's `SmtpConnection`, every step reported to
//! a `Transcript` and every failure named by its stage.
//!
//! lettre's `tracing` output is never enabled: it logs the AUTH blob and the body. The transcript
//! is built here from what is sent and the replies received, with AUTH redacted.

use std::fmt;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use lettre::address::Address;
use lettre::transport::smtp::authentication::{Credentials as LettreCredentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Quit, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use serde::Serialize;

use crate::cli::TlsMode;
use crate::config::{Credentials, Endpoint, Settings};
use crate::error::{Exit, Failure, Stage};
use crate::limits;
use crate::reply::Reply;

/// Where the conversation is reported. The printer writes it to stderr; batch keeps it quiet.
pub trait Transcript {
    fn info(&mut self, text: &str);
    fn sent(&mut self, tls: bool, line: &str);
    fn reply(&mut self, tls: bool, reply: &Reply);
    /// The message itself, when `--show-data` asks for it.
    fn data(&mut self, _tls: bool, _bytes: &[u8]) {}
    fn wants_data(&self) -> bool {
        false
    }
}

impl<T: Transcript + ?Sized> Transcript for &mut T {
    fn info(&mut self, text: &str) {
        (**self).info(text)
    }
    fn sent(&mut self, tls: bool, line: &str) {
        (**self).sent(tls, line)
    }
    fn reply(&mut self, tls: bool, reply: &Reply) {
        (**self).reply(tls, reply)
    }
    fn data(&mut self, tls: bool, bytes: &[u8]) {
        (**self).data(tls, bytes)
    }
    fn wants_data(&self) -> bool {
        (**self).wants_data()
    }
}

/// A transcript that goes nowhere.
pub struct Silent;

impl Transcript for Silent {
    fn info(&mut self, _: &str) {}
    fn sent(&mut self, _: bool, _: &str) {}
    fn reply(&mut self, _: bool, _: &Reply) {}
}

/// A message in the form it goes out in: dot-stuffed and terminated, in one buffer.
pub struct Wire {
    payload: Payload,
    /// The size before dot-stuffing: what SIZE and the 20 MB limit count.
    pub size: u64,
    pub lines: usize,
    pub eight_bit: bool,
}

enum Payload {
    /// Valid UTF-8: sent through `SmtpConnection::command` in one write.
    Text(String),
    /// Raw 8-bit bytes that are not UTF-8: lettre's `message()` (two writes; rare).
    Bytes(Vec<u8>),
}

/// Writes a prepared payload as it is; `SmtpConnection::command` sends it in one write.
struct Verbatim<'a>(&'a str);

impl fmt::Display for Verbatim<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Wire {
    pub fn new(bytes: Vec<u8>) -> Wire {
        let size = bytes.len() as u64;
        let lines = bytes.iter().filter(|&&b| b == b'\n').count();
        let eight_bit = !bytes.is_ascii();
        let payload = match std::str::from_utf8(&bytes) {
            Ok(_) => Payload::Text(
                String::from_utf8(crate::message::dot_stuffed(bytes))
                    .expect("dot-stuffing keeps UTF-8"),
            ),
            Err(_) => Payload::Bytes(bytes),
        };
        Wire {
            payload,
            size,
            lines,
            eight_bit,
        }
    }

    /// The message as the reader sees it (without dot-stuffing), for `--show-data`.
    fn unstuffed(&self) -> Vec<u8> {
        match &self.payload {
            Payload::Bytes(b) => b.clone(),
            Payload::Text(s) => {
                let body = &s.as_bytes()[..s.len() - 3];
                let mut out = Vec::with_capacity(body.len());
                for line in body.split_inclusive(|&b| b == b'\n') {
                    out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
                }
                out
            }
        }
    }
}

/// What the server offers, from the EHLO reply this tool asks for itself (lettre keeps only a
/// few keywords; SIZE and PIPELINING are read here).
#[derive(Debug, Default, Clone, Serialize)]
pub struct Capabilities {
    pub name: String,
    pub size: Option<u64>,
    pub pipelining: bool,
    pub eight_bit_mime: bool,
    pub smtputf8: bool,
    pub starttls: bool,
    pub enhanced_status_codes: bool,
    pub auth: Vec<String>,
    pub keywords: Vec<String>,
}

impl Capabilities {
    pub fn parse(reply: &Reply) -> Capabilities {
        let mut caps = Capabilities {
            name: reply
                .lines
                .first()
                .and_then(|l| l.split_whitespace().next())
                .unwrap_or_default()
                .to_owned(),
            ..Default::default()
        };
        for line in reply.lines.iter().skip(1) {
            let mut words = line.split_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            let keyword = keyword.to_ascii_uppercase();
            match keyword.as_str() {
                "SIZE" => caps.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0)),
                "PIPELINING" => caps.pipelining = true,
                "8BITMIME" => caps.eight_bit_mime = true,
                "SMTPUTF8" => caps.smtputf8 = true,
                "STARTTLS" => caps.starttls = true,
                "ENHANCEDSTATUSCODES" => caps.enhanced_status_codes = true,
                "AUTH" => caps.auth = words.map(str::to_ascii_uppercase).collect(),
                _ => {}
            }
            caps.keywords.push(line.clone());
        }
        caps
    }

    /// The size limit in force: the advertised SIZE when it is given and not zero.
    pub fn size_limit(&self) -> Option<u64> {
        self.size.filter(|&s| s > 0)
    }
}

/// The server's certificate, as the transcript and `check` show it.
#[derive(Debug, Clone, Serialize)]
pub struct TlsInfo {
    /// lettre 0.11 does not expose the negotiated protocol version; rustls negotiates TLS 1.3
    /// or 1.2 only.
    pub protocol: &'static str,
    pub subject: String,
    pub issuer: String,
    pub not_after: String,
    pub days_left: i64,
}

/// The result of one accepted transaction.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub reply: Reply,
    pub recipients: Vec<String>,
    /// Recipients the server refused, with its reply (only with `--allow-partial`).
    pub refused: Vec<(String, Reply)>,
}

pub struct Session<'t> {
    conn: SmtpConnection,
    pub endpoint: Endpoint,
    pub peer: SocketAddr,
    pub caps: Capabilities,
    pub tls: Option<TlsInfo>,
    client_id: ClientId,
    timeout: Duration,
    deadline: Option<Instant>,
    /// MAIL FROM sent on this connection (AhaSend allows 10,000).
    pub transactions: usize,
    /// When the server last answered: AhaSend closes a connection idle for 60 s.
    last_reply: Instant,
    /// The socket timeout in force, so unchanged ones cost no syscalls.
    armed: Option<Duration>,
    out: Box<dyn Transcript + 't>,
}

impl<'t> Session<'t> {
    /// Connects, secures and authenticates: banner, EHLO, STARTTLS, EHLO, AUTH.
    pub fn open(
        settings: &Settings,
        endpoint: &Endpoint,
        credentials: Option<&Credentials>,
        deadline: Option<Instant>,
        mut out: Box<dyn Transcript + 't>,
    ) -> Result<Session<'t>, Failure> {
        let starttls = settings.tls.value == TlsMode::Starttls;
        if credentials.is_some() && !starttls && !endpoint.is_loopback() {
            return Err(Failure::config(format!(
                "refusing to send credentials without TLS to {}, which is not a loopback address",
                endpoint.host
            ))
            .with_hint(
                "use --tls starttls (the default); --tls none is for local relays and test servers",
            ));
        }
        let tls_parameters = if starttls {
            Some(tls_parameters(settings, endpoint)?)
        } else {
            None
        };
        let client_id = ClientId::Domain(settings.helo.clone());
        out.info(&format!("Trying {endpoint}..."));
        let timeout = remaining(settings.timeout, deadline, Stage::Connect)?;
        let (conn, peer) = connect(endpoint, timeout, &client_id)?;
        out.info(&format!("Connected to {peer}."));
        let mut session = Session {
            conn,
            endpoint: endpoint.clone(),
            peer,
            caps: Capabilities::default(),
            tls: None,
            client_id,
            timeout: settings.timeout,
            deadline,
            transactions: 0,
            last_reply: Instant::now(),
            armed: Some(timeout),
            out,
        };
        session.out.info(&format!(
            "Greeted by {}; lettre read the 220 banner and the first EHLO reply",
            session.conn.server_info().name()
        ));
        if let Some(params) = &tls_parameters {
            session.starttls(params)?;
        }
        session.ehlo()?;
        if let Some(c) = credentials {
            session.auth(c, settings)?;
        }
        Ok(session)
    }

    fn encrypted(&self) -> bool {
        self.conn.is_encrypted()
    }

    /// Sets the socket timeouts for the next step: the per-reply timeout, or what is left
    /// before the deadline.
    fn arm(&mut self, stage: Stage) -> Result<(), Failure> {
        let t = remaining(self.timeout, self.deadline, stage)?;
        if self.armed == Some(t) {
            return Ok(());
        }
        self.armed = Some(t);
        self.conn
            .set_timeout(Some(t))
            .map_err(|e| Failure::transient(stage, format!("cannot set the socket timeout: {e}")))
    }

    fn starttls(&mut self, params: &TlsParameters) -> Result<(), Failure> {
        if !self
            .conn
            .server_info()
            .supports_feature(Extension::StartTls)
        {
            return Err(Failure::new(
                Exit::Protocol,
                Stage::Starttls,
                format!("{} does not offer STARTTLS; nothing was sent, no credentials", self.endpoint),
            )
            .with_hint("AhaSend requires STARTTLS on ports 587, 2525 and 25 (not SSL/TLS on 465): check --server and --port"));
        }
        self.arm(Stage::Starttls)?;
        self.out.sent(false, "STARTTLS");
        self.conn
            .starttls(params, &self.client_id)
            .map_err(|e| classify(Stage::Starttls, &e, self.timeout))?;
        let info = self.certificate();
        self.out.info(&match &info {
            Some(i) => format!(
                "TLS started ({}); certificate {}, issued by {}, expires {} ({} days)",
                i.protocol, i.subject, i.issuer, i.not_after, i.days_left
            ),
            None => "TLS started".into(),
        });
        self.tls = info;
        Ok(())
    }

    fn certificate(&self) -> Option<TlsInfo> {
        let der = self.conn.peer_certificate().ok()?;
        let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
        let not_after = cert.validity().not_after;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Some(TlsInfo {
            protocol: "TLS 1.3 or 1.2",
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_after: not_after
                .to_rfc2822()
                .unwrap_or_else(|_| not_after.to_string()),
            days_left: (not_after.timestamp() - now).div_euclid(86_400),
        })
    }

    /// EHLO again, asked by us, to read the whole reply (SIZE, PIPELINING, AUTH…).
    fn ehlo(&mut self) -> Result<(), Failure> {
        let reply = self.command(Stage::Ehlo, Ehlo::new(self.client_id.clone()), None)?;
        self.caps = Capabilities::parse(&reply);
        Ok(())
    }

    fn auth(&mut self, credentials: &Credentials, settings: &Settings) -> Result<(), Failure> {
        let tls = self.encrypted();
        if !self
            .conn
            .server_info()
            .supports_auth_mechanism(Mechanism::Plain)
        {
            let offered = if self.caps.auth.is_empty() {
                "no AUTH at all".to_owned()
            } else {
                format!("AUTH {}", self.caps.auth.join(" "))
            };
            return Err(Failure::new(
                Exit::Protocol,
                Stage::Auth,
                format!("{} offers {offered}, not AUTH PLAIN", self.endpoint),
            )
            .with_hint("AhaSend offers AUTH PLAIN after STARTTLS; for a relay without AUTH, leave the credentials unset"));
        }
        self.arm(Stage::Auth)?;
        self.out.sent(tls, "AUTH PLAIN <redacted>");
        let lettre_credentials = LettreCredentials::new(
            credentials.user.clone(),
            credentials.password.expose().to_owned(),
        );
        match self.conn.auth(&[Mechanism::Plain], &lettre_credentials) {
            Ok(r) => {
                self.out.reply(tls, &Reply::from_response(&r));
                Ok(())
            }
            Err(e) => {
                if let Some(reply) = Reply::from_error(&e) {
                    self.out.reply(tls, &reply);
                }
                let mut f = classify(Stage::Auth, &e, self.timeout);
                if f.exit == Exit::NoPerm && settings.endpoint.value.region.is_some() {
                    f = f.with_hint(format!(
                        "check the SMTP credential for user {:?} (from {}); use SMTP credentials, not the dashboard login; a new credential can take up to 2 minutes to propagate",
                        credentials.user,
                        settings
                            .user
                            .as_ref()
                            .map(|u| u.source.describe(&settings.profile_name))
                            .unwrap_or_default()
                    ));
                }
                Err(f)
            }
        }
    }

    /// Sends one command, shows it and its reply, and names the stage if it fails.
    fn command(
        &mut self,
        stage: Stage,
        cmd: impl fmt::Display,
        shown: Option<&str>,
    ) -> Result<Reply, Failure> {
        let tls = self.encrypted();
        self.arm(stage)?;
        let line = cmd.to_string();
        self.out.sent(tls, shown.unwrap_or(line.trim_end()));
        let result = self.conn.command(Verbatim(&line));
        self.last_reply = Instant::now();
        match result {
            Ok(r) => {
                let reply = Reply::from_response(&r);
                self.out.reply(tls, &reply);
                Ok(reply)
            }
            Err(e) => {
                if let Some(reply) = Reply::from_error(&e) {
                    self.out.reply(tls, &reply);
                }
                Err(classify(stage, &e, self.timeout))
            }
        }
    }

    /// One transaction: MAIL, each RCPT, DATA, the message. A refused recipient abandons the
    /// transaction (RSET) unless `allow_partial`, and then only if no recipient was accepted.
    pub fn send(
        &mut self,
        envelope_from: &str,
        recipients: &[String],
        wire: &Wire,
        allow_partial: bool,
    ) -> Result<Accepted, Failure> {
        let tls = self.encrypted();
        if let Some(limit) = self.caps.size_limit() {
            limits::check_size(wire.size, limit, "the server's advertised SIZE")?;
        }
        let mut params = Vec::new();
        if self.caps.size.is_some() {
            params.push(MailParameter::Size(wire.size as usize));
        }
        if wire.eight_bit {
            if !self.caps.eight_bit_mime {
                return Err(Failure::data(format!(
                    "the message has 8-bit content, and {} does not offer 8BITMIME",
                    self.endpoint
                ))
                .with_hint("encode the body as quoted-printable or base64"));
            }
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let non_ascii = !envelope_from.is_ascii() || recipients.iter().any(|r| !r.is_ascii());
        if non_ascii {
            if !self.caps.smtputf8 {
                return Err(Failure::data(format!(
                    "an envelope address is not ASCII, and {} does not offer SMTPUTF8",
                    self.endpoint
                )));
            }
            params.push(MailParameter::SmtpUtfEight);
        }
        let from = parse_address("sender", envelope_from)?;
        let rcpts = recipients
            .iter()
            .map(|r| parse_address("recipient", r).map(|a| (r.clone(), a)))
            .collect::<Result<Vec<_>, _>>()?;
        self.transactions += 1;
        let mail = Mail::new(Some(from), params);
        if self.caps.pipelining {
            return self.send_pipelined(mail, rcpts, wire, allow_partial);
        }
        self.command(Stage::Mail, mail, None)?;

        let mut accepted = Vec::new();
        let mut refused = Vec::new();
        for (rcpt, to) in rcpts {
            match self.command(Stage::Rcpt, Rcpt::new(to, vec![]), None) {
                Ok(_) => accepted.push(rcpt.clone()),
                Err(f) if f.reply.is_some() && !f.transient && allow_partial => {
                    refused.push((rcpt.clone(), *f.reply.clone().expect("checked")));
                }
                Err(mut f) => {
                    if f.reply.is_some() {
                        f.message = format!(
                            "{rcpt} refused at RCPT TO; the message was not sent to anyone"
                        );
                        self.reset();
                    }
                    return Err(f);
                }
            }
        }
        if accepted.is_empty() {
            self.reset();
            let (rcpt, reply) = refused.into_iter().next().expect("at least one recipient");
            return Err(Failure::refused(
                Stage::Rcpt,
                reply,
                format!("every recipient was refused (first: {rcpt}); nothing was sent"),
            ));
        }
        self.command(Stage::Data, Data, None)?;
        self.message(wire, tls).map(|reply| Accepted {
            reply,
            recipients: accepted,
            refused,
        })
    }

    /// RFC 2920: MAIL, every RCPT and DATA in one write, then their replies in order; the
    /// message is two round trips instead of 2 + recipients. Built on lettre's `command()`
    /// (writes, reads the first reply) and `read_response()` (reads the rest).
    fn send_pipelined(
        &mut self,
        mail: Mail,
        rcpts: Vec<(String, Address)>,
        wire: &Wire,
        allow_partial: bool,
    ) -> Result<Accepted, Failure> {
        let tls = self.encrypted();
        self.arm(Stage::Mail)?;
        let mut group = mail.to_string();
        self.out.sent(tls, group.trim_end());
        for (_, to) in &rcpts {
            let line = Rcpt::new(to.clone(), vec![]).to_string();
            self.out.sent(tls, line.trim_end());
            group.push_str(&line);
        }
        group.push_str(&Data.to_string());
        self.out.sent(tls, "DATA");

        let mut results = Vec::with_capacity(rcpts.len() + 2);
        results.push(self.conn.command(Verbatim(&group)));
        for _ in 0..=rcpts.len() {
            if results
                .last()
                .is_some_and(|r| r.is_err() && Reply::from_error(r.as_ref().unwrap_err()).is_none())
            {
                break; // the connection broke: no more replies will come
            }
            results.push(self.conn.read_response());
        }
        self.last_reply = Instant::now();
        let mut replies: Vec<Result<Reply, Failure>> = Vec::with_capacity(results.len());
        for (i, result) in results.into_iter().enumerate() {
            let stage = match i {
                0 => Stage::Mail,
                i if i <= rcpts.len() => Stage::Rcpt,
                _ => Stage::Data,
            };
            replies.push(match result {
                Ok(r) => {
                    let reply = Reply::from_response(&r);
                    self.out.reply(tls, &reply);
                    Ok(reply)
                }
                Err(e) => match Reply::from_error(&e) {
                    Some(reply) => {
                        self.out.reply(tls, &reply);
                        Err(Failure::refused(
                            stage,
                            reply.clone(),
                            format!("{} refused at {}", reply.one_line(), stage_command(stage)),
                        ))
                    }
                    // The connection broke. A refusal read before it (a 421 that hung up) is
                    // what the user needs to see.
                    None => {
                        let earlier = replies.into_iter().find_map(Result::err);
                        return Err(earlier.unwrap_or_else(|| classify(stage, &e, self.timeout)));
                    }
                },
            });
        }
        let data = replies.pop().expect("DATA's reply");
        let mail = replies.remove(0);
        let (mut accepted, mut refused) = (Vec::new(), Vec::new());
        for ((rcpt, _), reply) in rcpts.into_iter().zip(replies) {
            match reply {
                Ok(_) => accepted.push(rcpt),
                Err(f) => refused.push((rcpt, f)),
            }
        }
        let problem = match (mail, refused.first()) {
            (Err(f), _) => Some(f),
            (Ok(_), Some((rcpt, f))) if accepted.is_empty() || !allow_partial || f.transient => {
                let mut f = f.clone();
                f.message = if accepted.is_empty() && refused.len() > 1 {
                    format!("every recipient was refused (first: {rcpt}); nothing was sent")
                } else {
                    refused_message(rcpt)
                };
                Some(f)
            }
            _ => data.as_ref().err().cloned(),
        };
        if let Some(f) = problem {
            if data.is_ok() {
                // DATA was accepted although the transaction is abandoned: a "." would send the
                // message to the accepted recipients. Close without it; the server discards.
                // lettre's abort() writes QUIT (here mere message text) and waits for a reply
                // that cannot come inside DATA: a 1 ms timeout lets it shut the socket at once.
                self.armed = Some(Duration::from_millis(1));
                let _ = self.conn.set_timeout(self.armed);
                self.conn.abort();
                self.out.info(
                    "Closed the connection without ending the message, so nothing is delivered",
                );
            } else {
                self.reset();
            }
            return Err(f);
        }
        self.message(wire, tls).map(|reply| Accepted {
            reply,
            recipients: accepted,
            refused: refused
                .into_iter()
                .map(|(r, f)| (r, *f.reply.expect("a refusal has a reply")))
                .collect(),
        })
    }

    fn message(&mut self, wire: &Wire, tls: bool) -> Result<Reply, Failure> {
        self.arm(Stage::Message)?;
        if self.out.wants_data() {
            let data = wire.unstuffed();
            self.out.data(tls, &data);
        } else {
            self.out.sent(
                tls,
                &format!(
                    "<message: {} bytes, {} lines; --show-data prints it>",
                    wire.size, wire.lines
                ),
            );
            self.out.sent(tls, ".");
        }
        let result = match &wire.payload {
            Payload::Text(s) => self.conn.command(Verbatim(s)),
            Payload::Bytes(b) => self.conn.message(b),
        };
        self.last_reply = Instant::now();
        match result {
            Ok(r) => {
                let reply = Reply::from_response(&r);
                self.out.reply(tls, &reply);
                Ok(reply)
            }
            Err(e) => {
                if let Some(reply) = Reply::from_error(&e) {
                    self.out.reply(tls, &reply);
                }
                Err(classify(Stage::Message, &e, self.timeout))
            }
        }
    }

    /// RSET after an abandoned transaction, so the connection can go on. Best effort.
    pub fn reset(&mut self) {
        if self.conn.has_broken() {
            return;
        }
        let _ = self.command(Stage::Data, Rset, None);
    }

    /// Usable for another transaction: not broken, and not so long idle that the server may
    /// be closing it (AhaSend's 60 s, with a margin).
    pub fn is_usable(&self) -> bool {
        !self.conn.has_broken()
            && self.last_reply.elapsed() < limits::IDLE_TIMEOUT - Duration::from_secs(10)
    }

    /// QUIT, politely; the message is already accepted, so failures here do not matter.
    pub fn quit(mut self) {
        if !self.conn.has_broken() {
            let _ = self.command(Stage::Data, Quit, None);
        }
        self.conn.abort();
        self.out.info("Connection closed with remote host.");
    }
}

fn refused_message(rcpt: &str) -> String {
    format!("{rcpt} refused at RCPT TO; the message was not sent to anyone")
}

fn parse_address(what: &str, s: &str) -> Result<Address, Failure> {
    s.parse()
        .map_err(|e| Failure::data(format!("invalid {what} address {s:?}: {e}")))
}

/// What is left of the per-reply timeout before the run's deadline; an error when none is.
fn remaining(
    timeout: Duration,
    deadline: Option<Instant>,
    stage: Stage,
) -> Result<Duration, Failure> {
    match deadline {
        None => Ok(timeout),
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                Err(deadline_passed(stage))
            } else {
                Ok(timeout.min(left))
            }
        }
    }
}

pub fn deadline_passed(stage: Stage) -> Failure {
    let mut f = Failure::new(
        Exit::TempFail,
        Stage::Deadline,
        format!("the --deadline passed (during {stage}); stopping"),
    );
    f.transient = false;
    f
}

fn connect(
    endpoint: &Endpoint,
    timeout: Duration,
    client_id: &ClientId,
) -> Result<(SmtpConnection, SocketAddr), Failure> {
    let addrs: Vec<SocketAddr> = (endpoint.host.as_str(), endpoint.port)
        .to_socket_addrs()
        .map_err(|e| {
            Failure::transient(
                Stage::Connect,
                format!("cannot resolve {}: {e}", endpoint.host),
            )
            .with_hint("check the host name and this machine's DNS")
        })?
        .collect();
    let mut last = None;
    for addr in addrs {
        match SmtpConnection::connect(addr, Some(timeout), client_id, None, None) {
            Ok(conn) => return Ok((conn, addr)),
            // The server answered and refused (a 421 or 554 greeting): final for this attempt.
            Err(e) if e.status().is_some() => return Err(classify(Stage::Connect, &e, timeout)),
            Err(e) => last = Some(classify(Stage::Connect, &e, timeout)),
        }
    }
    Err(last.unwrap_or_else(|| {
        Failure::transient(
            Stage::Connect,
            format!("{} resolved to no address", endpoint.host),
        )
    }))
}

fn tls_parameters(settings: &Settings, endpoint: &Endpoint) -> Result<TlsParameters, Failure> {
    let mut builder = TlsParameters::builder(endpoint.host.clone());
    if let Some(ca) = &settings.ca_file {
        let path = &ca.value;
        let pem = std::fs::read(path).map_err(|e| {
            Failure::config(format!("--ca-file {}: cannot read it: {e}", path.display()))
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|e| {
            Failure::config(format!(
                "--ca-file {}: not PEM certificates: {e}",
                path.display()
            ))
        })?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build_rustls()
        .map_err(|e| Failure::config(format!("cannot set up TLS: {e}")))
}

/// The I/O error under a lettre error, if any.
fn io_error(err: &lettre::transport::smtp::Error) -> Option<&io::Error> {
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return Some(io);
        }
        source = s.source();
    }
    None
}

/// The TLS error under a lettre error (rustls puts it inside an `io::Error`).
fn tls_error(err: &lettre::transport::smtp::Error) -> Option<&rustls::Error> {
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        if let Some(t) = s
            .downcast_ref::<io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(t);
        }
        source = s.source();
    }
    None
}

/// Turns a lettre error into a failure: a refusal by reply code through the explain table; TLS
/// verification as protocol failures; I/O as transient, except the one case where the message
/// may have been queued.
pub fn classify(stage: Stage, err: &lettre::transport::smtp::Error, timeout: Duration) -> Failure {
    if let Some(reply) = Reply::from_error(err) {
        let text = format!("{} refused at {}", reply.one_line(), stage_command(stage));
        return Failure::refused(stage, reply, text);
    }
    if let Some(tls) = tls_error(err) {
        return Failure::new(
            Exit::Protocol,
            Stage::Starttls,
            format!("TLS failed: {tls}"),
        )
        .with_hint(match tls {
            rustls::Error::InvalidCertificate(_) => "the server's certificate is not trusted for this host name: check --server; for a private relay, give its CA with --ca-file (certificates are always verified)",
            _ => "AhaSend needs STARTTLS (not SSL/TLS on port 465): check --port",
        })
        .permanent();
    }
    let io = io_error(err);
    let kind = io.map(io::Error::kind);
    let timed_out = matches!(
        kind,
        Some(io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
    );
    let what = match (timed_out, io) {
        (true, _) => format!("timed out after {} s", timeout.as_secs()),
        (false, Some(e)) => e.to_string(),
        (false, None) => err.to_string(),
    };
    if stage == Stage::Message {
        // The whole message was written. A reset means the server closed with our data unread:
        // it did not take the message, so a new attempt is safe. A clean close or a timeout
        // leaves it unknown whether the server queued it: never retried (README, "Retries").
        let not_taken = matches!(
            kind,
            Some(
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::ConnectionAborted
            )
        );
        if !not_taken {
            let mut f = Failure::transient(
                stage,
                format!("the connection was lost after the message was sent and before the server's reply ({what}): it may or may not have been queued"),
            )
            .with_hint("not retried, to avoid a duplicate: look the Message-ID up in AhaSend's logs before sending again");
            f.maybe_delivered = true;
            f.transient = false;
            return f;
        }
        return Failure::transient(
            stage,
            format!("the connection was lost while sending the message ({what})"),
        );
    }
    let message = match stage {
        Stage::Connect => format!("cannot connect: {what}"),
        _ => format!(
            "the connection was lost at {} ({what})",
            stage_command(stage)
        ),
    };
    Failure::transient(stage, message)
}

fn stage_command(stage: Stage) -> &'static str {
    match stage {
        Stage::Connect => "the greeting",
        Stage::Starttls => "STARTTLS",
        Stage::Ehlo => "EHLO",
        Stage::Auth => "AUTH",
        Stage::Mail => "MAIL FROM",
        Stage::Rcpt => "RCPT TO",
        Stage::Data => "DATA",
        Stage::Message => "the end of the message",
        _ => "this step",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_read_from_the_whole_ehlo_reply() {
        let reply = Reply::new(
            250,
            [
                "mx.example",
                "PIPELINING",
                "SIZE 20971520",
                "8BITMIME",
                "AUTH PLAIN LOGIN",
                "STARTTLS",
            ]
            .map(String::from)
            .to_vec(),
        );
        let c = Capabilities::parse(&reply);
        assert_eq!(c.name, "mx.example");
        assert_eq!(c.size_limit(), Some(20_971_520));
        assert!(c.pipelining && c.eight_bit_mime && c.starttls);
        assert_eq!(c.auth, ["PLAIN", "LOGIN"]);
    }

    #[test]
    fn size_zero_means_no_limit() {
        let c = Capabilities::parse(&Reply::new(250, vec!["mx".into(), "SIZE".into()]));
        assert_eq!(c.size, Some(0));
        assert_eq!(c.size_limit(), None);
    }

    #[test]
    fn wire_keeps_the_unstuffed_form_for_show_data() {
        let w = Wire::new(b"a\r\n.b\r\n..c\r\n".to_vec());
        assert_eq!(w.unstuffed(), b"a\r\n.b\r\n..c\r\n");
        assert_eq!(w.size, 12);
        assert_eq!(w.lines, 3);
    }

    #[test]
    fn deadline_in_the_past_stops_before_any_step() {
        let past = Instant::now() - Duration::from_secs(1);
        let f = remaining(Duration::from_secs(30), Some(past), Stage::Mail).unwrap_err();
        assert_eq!(f.stage, Stage::Deadline);
        assert_eq!(f.exit, Exit::TempFail);
    }
}
