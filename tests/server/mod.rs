//! A real SMTP server for the tests: listens on 127.0.0.1:0, speaks SMTP over TCP, does STARTTLS
//! with a certificate made at test time (rcgen), checks AUTH PLAIN, records every command and
//! every message it accepted, and can be scripted to misbehave at any stage.
//!
//! Its `Drop` asserts that it was connected to (unless told not to expect it) and that no
//! connection thread panicked.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Once};
use std::thread;
use std::time::Duration;

use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub const USER: &str = "smtp-user";
pub const PASSWORD: &str = "s3cret-Pässword!";

/// Where in a session a fault happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// Instead of the 220 greeting.
    Connect,
    Ehlo,
    Starttls,
    /// After the STARTTLS 220, instead of a TLS handshake.
    Handshake,
    Auth,
    Mail,
    /// At the RCPT TO for this address.
    Rcpt(String),
    /// At every RCPT TO.
    AnyRcpt,
    Data,
    /// After the first line of the message, before the final dot.
    MidData,
    /// After the final dot, instead of the reply.
    Dot,
}

#[derive(Debug, Clone)]
pub enum Action {
    /// Answer with this reply (a multi-line reply uses `\n` between lines).
    Reply(u16, &'static str),
    /// Close the connection at once.
    Drop,
    /// Say nothing for this long, then close.
    Stall(Duration),
    /// Answer 250 one byte a second.
    Slow,
}

#[derive(Debug, Clone)]
pub struct Fault {
    /// Only on this connection (0-based); `None` for all.
    pub connection: Option<usize>,
    pub at: At,
    pub action: Action,
}

#[derive(Debug, Clone)]
pub struct Script {
    pub starttls: bool,
    /// AUTH is advertised and accepted only after STARTTLS, as AhaSend likely does.
    pub auth_needs_tls: bool,
    pub size: Option<u64>,
    pub eight_bit_mime: bool,
    pub pipelining: bool,
    /// After this many MAIL FROM on one connection, MAIL FROM gets this reply.
    pub max_per_connection: Option<(usize, u16, &'static str)>,
    pub faults: Vec<Fault>,
    /// Do not fail when no client ever connects.
    pub expect_unused: bool,
}

impl Default for Script {
    fn default() -> Script {
        Script {
            starttls: true,
            auth_needs_tls: true,
            size: Some(20_971_520),
            eight_bit_mime: true,
            pipelining: true,
            max_per_connection: None,
            faults: Vec::new(),
            expect_unused: false,
        }
    }
}

impl Script {
    /// A server the run must never connect to (pre-checks, dry runs): Drop does not require use.
    pub fn unused() -> Script {
        Script {
            expect_unused: true,
            ..Script::default()
        }
    }

    pub fn fault(mut self, at: At, action: Action) -> Script {
        self.faults.push(Fault {
            connection: None,
            at,
            action,
        });
        self
    }

    pub fn fault_on(mut self, connection: usize, at: At, action: Action) -> Script {
        self.faults.push(Fault {
            connection: Some(connection),
            at,
            action,
        });
        self
    }

    pub fn plain(mut self) -> Script {
        self.starttls = false;
        self.auth_needs_tls = false;
        self
    }
}

/// A message the server accepted (it answered 250 to its final dot).
#[derive(Debug, Clone)]
pub struct Received {
    pub connection: usize,
    pub mail_from: String,
    pub rcpts: Vec<String>,
    /// The message as the client meant it: dot-stuffing undone, CRLF kept.
    pub data: Vec<u8>,
    pub tls: bool,
    pub user: Option<String>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("the server received a parseable message")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

#[derive(Debug, Default)]
pub struct State {
    pub connections: usize,
    /// Every command line each connection sent, as received (AUTH included: tests check the
    /// client sent it, and that it never reached the client's output).
    pub commands: Vec<Vec<String>>,
    pub messages: Vec<Received>,
    /// Messages whose final dot arrived but got no reply (a fault at `At::Dot`).
    pub unanswered: Vec<Received>,
    pub panicked: bool,
}

pub struct Server {
    pub port: u16,
    state: Arc<Mutex<State>>,
    ca_dir: tempfile::TempDir,
    expect_unused: bool,
}

struct Tls {
    config: Arc<rustls::ServerConfig>,
    ca_pem: String,
}

fn tls() -> &'static Tls {
    static INIT: Once = Once::new();
    static mut TLS: Option<Tls> = None;
    INIT.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "ahasmtp test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let mut leaf_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "mx.test.local");
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        let chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone(), ca_cert.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
        // SAFETY: written once, inside call_once, before any read.
        unsafe {
            TLS = Some(Tls {
                config: Arc::new(config),
                ca_pem: ca_cert.pem(),
            })
        };
    });
    // SAFETY: initialised above and never written again.
    unsafe { (*std::ptr::addr_of!(TLS)).as_ref().unwrap() }
}

impl Server {
    pub fn start(script: Script) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let ca_dir = tempfile::tempdir().unwrap();
        std::fs::write(ca_dir.path().join("ca.pem"), &tls().ca_pem).unwrap();
        let expect_unused = script.expect_unused;
        let shared = state.clone();
        let script = Arc::new(script);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let index = {
                    let mut s = shared.lock().unwrap();
                    s.connections += 1;
                    s.commands.push(Vec::new());
                    s.connections - 1
                };
                let (state, script) = (shared.clone(), script.clone());
                thread::spawn(move || {
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let _ = Session::new(stream, index, &script, &state).run();
                    }));
                    if result.is_err() {
                        state.lock().unwrap().panicked = true;
                    }
                });
            }
        });
        Server {
            port,
            state,
            ca_dir,
            expect_unused,
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn ca_file(&self) -> PathBuf {
        self.ca_dir.path().join("ca.pem")
    }

    pub fn messages(&self) -> Vec<Received> {
        self.state.lock().unwrap().messages.clone()
    }

    pub fn unanswered(&self) -> Vec<Received> {
        self.state.lock().unwrap().unanswered.clone()
    }

    pub fn connections(&self) -> usize {
        self.state.lock().unwrap().connections
    }

    pub fn commands(&self) -> Vec<Vec<String>> {
        self.state.lock().unwrap().commands.clone()
    }

    /// Every command of every connection, flattened.
    pub fn all_commands(&self) -> Vec<String> {
        self.commands().into_iter().flatten().collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if thread::panicking() {
            return;
        }
        let s = self.state.lock().unwrap();
        assert!(!s.panicked, "a test server connection thread panicked");
        assert!(
            self.expect_unused || s.connections > 0,
            "the test server was never connected to"
        );
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
    Gone,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Gone => Ok(0),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Gone => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::Gone => Ok(()),
        }
    }
}

struct Session<'a> {
    stream: Stream,
    buf: Vec<u8>,
    index: usize,
    script: &'a Script,
    state: &'a Mutex<State>,
    tls: bool,
    user: Option<String>,
    mails: usize,
    mail_from: Option<String>,
    rcpts: Vec<String>,
}

/// What a fault said to do with the session.
enum Flow {
    Go,
    Stop,
}

impl<'a> Session<'a> {
    fn new(stream: TcpStream, index: usize, script: &'a Script, state: &'a Mutex<State>) -> Self {
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Session {
            stream: Stream::Plain(stream),
            buf: Vec::new(),
            index,
            script,
            state,
            tls: false,
            user: None,
            mails: 0,
            mail_from: None,
            rcpts: Vec::new(),
        }
    }

    fn fault(&self, at: &At) -> Option<Action> {
        self.script
            .faults
            .iter()
            .find(|f| f.connection.is_none_or(|c| c == self.index) && &f.at == at)
            .map(|f| f.action.clone())
    }

    fn send(&mut self, code: u16, text: &str) -> io::Result<()> {
        let lines: Vec<&str> = text.split('\n').collect();
        let mut out = String::new();
        for (i, l) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            out.push_str(&format!("{code}{sep}{l}\r\n"));
        }
        self.stream.write_all(out.as_bytes())?;
        self.stream.flush()
    }

    /// Applies a fault, if one is scripted here. `Stop` ends the session.
    fn apply(&mut self, at: At) -> io::Result<Option<Flow>> {
        let Some(action) = self.fault(&at) else {
            return Ok(None);
        };
        match action {
            Action::Reply(code, text) => {
                self.send(code, text)?;
                Ok(Some(if code == 421 { Flow::Stop } else { Flow::Go }))
            }
            Action::Drop => Ok(Some(Flow::Stop)),
            Action::Stall(d) => {
                thread::sleep(d);
                Ok(Some(Flow::Stop))
            }
            Action::Slow => {
                for b in b"250 ok, slowly\r\n" {
                    thread::sleep(Duration::from_secs(1));
                    if self.stream.write_all(&[*b]).is_err() {
                        break;
                    }
                }
                Ok(Some(Flow::Stop))
            }
        }
    }

    fn read_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(p) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=p).collect();
                return Ok(Some(line));
            }
            let mut chunk = [0u8; 16384];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(None);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    fn record(&self, line: &str) {
        self.state.lock().unwrap().commands[self.index].push(line.to_owned());
    }

    fn ehlo_reply(&self) -> String {
        let mut lines = vec!["mx.test.local greets you".to_owned()];
        if self.script.pipelining {
            lines.push("PIPELINING".into());
        }
        if let Some(s) = self.script.size {
            lines.push(format!("SIZE {s}"));
        }
        if self.script.eight_bit_mime {
            lines.push("8BITMIME".into());
        }
        lines.push("ENHANCEDSTATUSCODES".into());
        if self.script.starttls && !self.tls {
            lines.push("STARTTLS".into());
        }
        if self.tls || !self.script.auth_needs_tls {
            lines.push("AUTH PLAIN".into());
        }
        lines.join("\n")
    }

    fn run(mut self) -> io::Result<()> {
        match self.apply(At::Connect)? {
            Some(Flow::Stop) => return Ok(()),
            Some(Flow::Go) => {}
            None => self.send(220, "mx.test.local ESMTP ahasmtp test server")?,
        }
        while let Some(raw) = self.read_line()? {
            let line = String::from_utf8_lossy(&raw).trim_end().to_owned();
            self.record(&line);
            let upper = line.to_ascii_uppercase();
            let verb = upper.split_whitespace().next().unwrap_or("").to_owned();
            let flow = match verb.as_str() {
                "EHLO" | "HELO" => self.on(At::Ehlo, |s| {
                    let r = s.ehlo_reply();
                    s.send(250, &r)
                })?,
                "STARTTLS" => self.starttls()?,
                "AUTH" => self.auth(&line)?,
                "MAIL" => self.mail(&line)?,
                "RCPT" => self.rcpt(&line)?,
                "DATA" => self.data()?,
                "RSET" => {
                    self.mail_from = None;
                    self.rcpts.clear();
                    self.send(250, "2.0.0 Reset")?;
                    Flow::Go
                }
                "NOOP" => {
                    self.send(250, "2.0.0 OK")?;
                    Flow::Go
                }
                "QUIT" => {
                    self.send(221, "2.0.0 Bye")?;
                    Flow::Stop
                }
                _ => {
                    self.send(500, "5.5.2 command not recognised")?;
                    Flow::Go
                }
            };
            if let Flow::Stop = flow {
                break;
            }
        }
        Ok(())
    }

    /// Runs `normal` unless a fault is scripted at `at`.
    fn on(&mut self, at: At, normal: impl FnOnce(&mut Self) -> io::Result<()>) -> io::Result<Flow> {
        match self.apply(at)? {
            Some(flow) => Ok(flow),
            None => {
                normal(self)?;
                Ok(Flow::Go)
            }
        }
    }

    fn starttls(&mut self) -> io::Result<Flow> {
        if !self.script.starttls || self.tls {
            self.send(502, "5.5.1 STARTTLS not available")?;
            return Ok(Flow::Go);
        }
        if let Some(flow) = self.apply(At::Starttls)? {
            return Ok(flow);
        }
        self.send(220, "2.0.0 Ready to start TLS")?;
        if let Some(flow) = self.apply(At::Handshake)? {
            return Ok(flow);
        }
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Gone) else {
            unreachable!()
        };
        let conn = rustls::ServerConnection::new(tls().config.clone()).unwrap();
        self.stream = Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)));
        self.tls = true;
        self.user = None;
        Ok(Flow::Go)
    }

    fn auth(&mut self, line: &str) -> io::Result<Flow> {
        if !self.tls && self.script.auth_needs_tls {
            self.send(
                538,
                "5.7.11 Encryption required for requested authentication mechanism",
            )?;
            return Ok(Flow::Go);
        }
        if let Some(flow) = self.apply(At::Auth)? {
            return Ok(flow);
        }
        let mut words = line.split_whitespace().skip(1);
        let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
        if mechanism != "PLAIN" {
            self.send(504, "5.5.4 only AUTH PLAIN")?;
            return Ok(Flow::Go);
        }
        let blob = match words.next() {
            Some(b) => b.to_owned(),
            None => {
                self.send(334, "")?;
                let Some(l) = self.read_line()? else {
                    return Ok(Flow::Stop);
                };
                String::from_utf8_lossy(&l).trim().to_owned()
            }
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(blob.as_bytes())
            .unwrap_or_default();
        let parts: Vec<&[u8]> = decoded.split(|&b| b == 0).collect();
        if parts.len() == 3 && parts[1] == USER.as_bytes() && parts[2] == PASSWORD.as_bytes() {
            self.user = Some(USER.into());
            self.send(235, "2.7.0 Authentication successful")?;
        } else {
            self.send(535, "5.7.8 Authentication credentials invalid")?;
        }
        Ok(Flow::Go)
    }

    fn mail(&mut self, line: &str) -> io::Result<Flow> {
        self.mails += 1;
        if let Some((limit, code, text)) = self.script.max_per_connection {
            if self.mails > limit {
                self.send(code, text)?;
                return Ok(if code == 421 { Flow::Stop } else { Flow::Go });
            }
        }
        if let Some(flow) = self.apply(At::Mail)? {
            return Ok(flow);
        }
        let addr = between(line, '<', '>');
        self.mail_from = Some(addr);
        self.rcpts.clear();
        self.send(250, "2.1.0 Sender OK")?;
        Ok(Flow::Go)
    }

    fn rcpt(&mut self, line: &str) -> io::Result<Flow> {
        let addr = between(line, '<', '>');
        if let Some(flow) = self.apply(At::Rcpt(addr.clone()))? {
            return Ok(flow);
        }
        if let Some(flow) = self.apply(At::AnyRcpt)? {
            return Ok(flow);
        }
        if self.rcpts.len() >= 50 {
            self.send(452, "4.5.3 Too many recipients")?;
            return Ok(Flow::Go);
        }
        self.rcpts.push(addr);
        self.send(250, "2.1.5 Recipient OK")?;
        Ok(Flow::Go)
    }

    fn data(&mut self) -> io::Result<Flow> {
        if let Some(flow) = self.apply(At::Data)? {
            return Ok(flow);
        }
        if self.mail_from.is_none() || self.rcpts.is_empty() {
            self.send(503, "5.5.1 Bad sequence of commands")?;
            return Ok(Flow::Go);
        }
        self.send(354, "End data with <CR><LF>.<CR><LF>")?;
        let mut data = Vec::new();
        let mut first = true;
        loop {
            let Some(line) = self.read_line()? else {
                return Ok(Flow::Stop);
            };
            if line == b".\r\n" {
                break;
            }
            if first {
                first = false;
                if let Some(flow) = self.apply(At::MidData)? {
                    return Ok(flow);
                }
            }
            let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
            data.extend_from_slice(unstuffed);
        }
        let received = Received {
            connection: self.index,
            mail_from: self.mail_from.take().unwrap_or_default(),
            rcpts: std::mem::take(&mut self.rcpts),
            data,
            tls: self.tls,
            user: self.user.clone(),
        };
        if let Some(size) = self.script.size {
            if received.data.len() as u64 > size {
                self.send(552, "5.3.4 Message size exceeds fixed limit")?;
                return Ok(Flow::Go);
            }
        }
        match self.apply(At::Dot)? {
            Some(Flow::Stop) => {
                self.state.lock().unwrap().unanswered.push(received);
                Ok(Flow::Stop)
            }
            Some(Flow::Go) => Ok(Flow::Go), // a scripted refusal: not stored
            None => {
                self.state.lock().unwrap().messages.push(received);
                self.send(250, "2.0.0 Ok: queued as TEST123")?;
                Ok(Flow::Go)
            }
        }
    }
}

fn between(line: &str, open: char, close: char) -> String {
    line.split_once(open)
        .and_then(|(_, rest)| rest.split_once(close))
        .map(|(inner, _)| inner.to_owned())
        .unwrap_or_default()
}
