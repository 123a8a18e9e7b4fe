//! Building the message: from flags (through lettre's builder) or from a complete RFC 5322 message
//! (`--data`, sendmail mode), to the exact bytes sent and the envelope they go to.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lettre::message::header::{ContentType, HeaderName, HeaderValue, Headers};
use lettre::message::{Attachment, Mailbox, Mailboxes, MultiPart, SinglePart};
use lettre::Message;

use crate::cli::SandboxResult;
use crate::error::{Failure, Stage};
use crate::limits;

/// A message ready to send: the envelope and the exact bytes (CRLF line endings, not yet
/// dot-stuffed), plus what the transcript and the result line say about it.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub bytes: Vec<u8>,
    pub message_id: Option<String>,
}

impl Prepared {
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub fn lines(&self) -> usize {
        self.bytes.iter().filter(|&&b| b == b'\n').count()
    }
}

/// The AhaSend headers a message carries (stripped by AhaSend before delivery).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AhaSendHeaders {
    pub track_opens: Option<bool>,
    pub track_clicks: Option<bool>,
    pub tags: Vec<String>,
    pub sandbox: bool,
    pub sandbox_result: Option<SandboxResult>,
    pub metadata_retention: Option<u8>,
    pub data_retention: Option<u8>,
}

impl AhaSendHeaders {
    /// Checks AhaSend's documented ranges; `flag` names how the user gave the values.
    pub fn validate(&self) -> Result<(), Failure> {
        let bad = |m: String| Err(Failure::usage(m));
        if self.tags.len() > 10 {
            return bad(format!(
                "--tag: {} tags, AhaSend takes at most 10",
                self.tags.len()
            ));
        }
        if let Some(t) = self.tags.iter().find(|t| t.chars().count() > 64) {
            return bad(format!("--tag {t:?}: at most 64 characters"));
        }
        if let Some(t) = self
            .tags
            .iter()
            .find(|t| t.is_empty() || t.contains(['\r', '\n']))
        {
            return bad(format!(
                "--tag {t:?}: a tag cannot be empty or contain a line break"
            ));
        }
        if let Some(d) = self.metadata_retention.filter(|d| !(1..=30).contains(d)) {
            return bad(format!(
                "--metadata-retention {d}: AhaSend takes 1 to 30 days"
            ));
        }
        if let Some(d) = self.data_retention.filter(|d| *d > 30) {
            return bad(format!("--data-retention {d}: AhaSend takes 0 to 30 days"));
        }
        if self.sandbox_result.is_some() && !self.sandbox {
            return bad(
                "--sandbox-result needs --sandbox (the result is simulated only in the sandbox)"
                    .into(),
            );
        }
        Ok(())
    }

    /// `(name, value)` pairs, in a stable order.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = Vec::new();
        if let Some(v) = self.track_opens {
            h.push(("ahasend-track-opens", v.to_string()));
        }
        if let Some(v) = self.track_clicks {
            h.push(("ahasend-track-clicks", v.to_string()));
        }
        if !self.tags.is_empty() {
            h.push(("ahasend-tags", self.tags.join(",")));
        }
        if let Some(v) = self.metadata_retention {
            h.push(("ahasend-metadata-retention", v.to_string()));
        }
        if let Some(v) = self.data_retention {
            h.push(("ahasend-data-retention", v.to_string()));
        }
        if self.sandbox {
            h.push(("AhaSend-Sandbox", "true".into()));
        }
        if let Some(r) = self.sandbox_result {
            let r = format!("{r:?}").to_ascii_lowercase();
            h.push(("AhaSend-Sandbox-Result", r));
        }
        h
    }
}

/// An attachment: a file, with the type and name it goes out with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentSpec {
    pub path: PathBuf,
    pub content_type: Option<String>,
    pub filename: Option<String>,
}

impl AttachmentSpec {
    /// `PATH`, or curl's form `PATH;type=MIME;filename=NAME` (either option, any order).
    pub fn parse(spec: &str) -> AttachmentSpec {
        let mut rest = spec;
        let (mut content_type, mut filename) = (None, None);
        while let Some((head, option)) = rest.rsplit_once(';') {
            if let Some(t) = option.strip_prefix("type=") {
                content_type = Some(t.trim().to_owned());
            } else if let Some(f) = option.strip_prefix("filename=") {
                filename = Some(f.trim().to_owned());
            } else {
                break;
            }
            rest = head;
        }
        AttachmentSpec {
            path: PathBuf::from(rest),
            content_type,
            filename,
        }
    }
}

/// Everything a message is made of, with bodies already read (from TEXT, @FILE or stdin).
#[derive(Debug, Default, Clone)]
pub struct Spec {
    pub from: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub reply_to: Option<String>,
    pub subject: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub attachments: Vec<AttachmentSpec>,
    pub headers: Vec<String>,
    pub ahasend: AhaSendHeaders,
    /// A complete message, sent as it is (with Bcc removed and Date/Message-ID added if missing).
    pub data: Option<Vec<u8>>,
}

/// What test mode pins so whole messages compare byte for byte.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pinned {
    pub test_mode: bool,
}

impl Pinned {
    fn date(self) -> SystemTime {
        if self.test_mode {
            UNIX_EPOCH + Duration::from_secs(1_767_225_600) // 2026-01-01T00:00:00Z
        } else {
            SystemTime::now()
        }
    }

    /// `<time.random@sender-domain>`: unique, and on the sender's domain as receivers prefer.
    pub fn message_id(self, from: &str) -> String {
        let domain = from
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('>'))
            .filter(|d| !d.is_empty())
            .unwrap_or("ahasmtp.invalid");
        if self.test_mode {
            return format!("<test@{domain}>");
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!("<{nanos:x}.{:016x}@{domain}>", fastrand::u64(..))
    }

    fn boundary(self, kind: &str) -> Option<String> {
        self.test_mode.then(|| format!("=_ahasmtp_{kind}"))
    }
}

/// Reads a `TEXT`, `@FILE` or `-` value. `stdin` is taken at most once.
pub fn read_value(
    flag: &str,
    value: &str,
    stdin: &mut Option<Vec<u8>>,
) -> Result<Vec<u8>, Failure> {
    if value == "-" {
        return take_stdin(flag, stdin);
    }
    match value.strip_prefix('@') {
        Some(path) => std::fs::read(path)
            .map_err(|e| Failure::input(format!("{flag} @{path}: cannot read {path}: {e}"))),
        None => Ok(value.as_bytes().to_vec()),
    }
}

pub fn take_stdin(flag: &str, stdin: &mut Option<Vec<u8>>) -> Result<Vec<u8>, Failure> {
    if let Some(buf) = stdin.take() {
        return Ok(buf);
    }
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut buf)
        .map_err(|e| Failure::input(format!("{flag}: cannot read stdin: {e}")))?;
    *stdin = Some(Vec::new()); // A second `-` reads what is left: nothing.
    Ok(buf)
}

pub fn utf8(flag: &str, bytes: Vec<u8>) -> Result<String, Failure> {
    String::from_utf8(bytes)
        .map_err(|_| Failure::data(format!("{flag}: the body is not valid UTF-8")))
}

fn parse_mailbox(flag: &str, value: &str) -> Result<Mailbox, Failure> {
    limits::check_header_value(flag, value)?;
    Mailbox::from_str(value.trim()).map_err(|e| {
        Failure::data(format!("{flag} {value:?} is not a valid address ({e})"))
            .with_hint("use addr@example.com or 'Display Name <addr@example.com>'")
    })
}

/// Each value may be a comma-separated list; a quoted display name may contain commas.
fn parse_mailboxes(flag: &str, values: &[String]) -> Result<Vec<Mailbox>, Failure> {
    let mut out = Vec::new();
    for value in values {
        limits::check_header_value(flag, value)?;
        let list = Mailboxes::from_str(value.trim()).map_err(|e| {
            Failure::data(format!("{flag} {value:?} is not a valid address list ({e})"))
                .with_hint("use addr@example.com, 'Name <addr@example.com>', or a comma-separated list of them")
        })?;
        out.extend(list);
    }
    Ok(out)
}

/// Headers the message builder owns; `--header` may not set them.
const MANAGED: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "subject",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
];

/// `Name: value` from `--header`, checked.
pub fn parse_header(raw: &str) -> Result<(String, String), Failure> {
    let (name, value) = raw
        .split_once(':')
        .ok_or_else(|| Failure::usage(format!("--header {raw:?}: expected 'Name: value'")))?;
    let (name, value) = (name.trim(), value.trim());
    limits::check_header_name(name)?;
    limits::check_header_value(&format!("--header {name}"), value)?;
    if MANAGED.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(Failure::usage(format!(
            "--header {name}: set it with its own flag (--from, --to, --cc, --bcc, --reply-to, --subject), or send a whole message with --data"
        )));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// Builds the message. Every check that can fail does so here, before any connection.
pub fn compose(mut spec: Spec, pinned: Pinned) -> Result<Prepared, Failure> {
    spec.ahasend.validate()?;
    let headers = spec
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(data) = spec.data.take() {
        return compose_raw(data, &spec, &headers, pinned);
    }
    let from = parse_mailbox(
        "--from",
        spec.from.as_deref().ok_or_else(|| {
            Failure::data(
                "no sender: give --from (or set AHASEND_FROM_EMAIL, or `from` in the profile)",
            )
        })?,
    )?;
    let to = parse_mailboxes("--to", &spec.to)?;
    let cc = parse_mailboxes("--cc", &spec.cc)?;
    let bcc = parse_mailboxes("--bcc", &spec.bcc)?;
    let recipients = limits::dedupe(
        to.iter()
            .chain(&cc)
            .chain(&bcc)
            .map(|m| m.email.to_string())
            .collect(),
    );
    if recipients.is_empty() {
        return Err(Failure::data("no recipients: give --to, --cc or --bcc"));
    }
    let message_id = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("message-id"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| pinned.message_id(from.email.as_ref()));

    let mut builder = Message::builder()
        .from(from.clone())
        .date(pinned.date())
        .message_id(Some(message_id.clone()))
        .user_agent(format!("ahasmtp/{}", env!("CARGO_PKG_VERSION")));
    for m in to {
        builder = builder.to(m);
    }
    for m in cc {
        builder = builder.cc(m);
    }
    if let Some(r) = &spec.reply_to {
        builder = builder.reply_to(parse_mailbox("--reply-to", r)?);
    }
    if let Some(s) = &spec.subject {
        limits::check_header_value("--subject", s)?;
        builder = builder.subject(s);
    }
    for (name, value) in spec.ahasend.headers() {
        builder = builder.raw_header(header(name, value));
    }
    for (name, value) in &headers {
        if !name.eq_ignore_ascii_case("message-id") {
            builder = builder.raw_header(header(name, value.clone()));
        }
    }
    let envelope = lettre::address::Envelope::new(
        Some(from.email.clone()),
        recipients
            .iter()
            .map(|r| r.parse().expect("parsed above"))
            .collect(),
    )
    .map_err(|e| Failure::data(format!("invalid envelope: {e}")))?;
    builder = builder.envelope(envelope);

    let body = body_part(spec.text, spec.html, pinned);
    let single = spec.attachments.is_empty() && matches!(body, Body::Single(_));
    let message = if spec.attachments.is_empty() {
        match body {
            Body::Single(p) => builder.singlepart(p),
            Body::Multi(m) => builder.multipart(m),
        }
    } else {
        let mut mixed = MultiPart::mixed();
        if let Some(b) = pinned.boundary("mixed") {
            mixed = mixed.boundary(b);
        }
        let mut mixed = match body {
            Body::Single(p) => mixed.singlepart(p),
            Body::Multi(m) => mixed.multipart(m),
        };
        for a in &spec.attachments {
            mixed = mixed.singlepart(attachment(a)?);
        }
        builder.multipart(mixed)
    }
    .map_err(|e| Failure::data(format!("cannot build the message: {e}")))?;

    let mut bytes = message.formatted();
    drop(message);
    // lettre ends a top-level single part with one more CRLF than its body has: a body that
    // ends with a newline would gain a blank line.
    if single && bytes.ends_with(b"\r\n\r\n") {
        bytes.truncate(bytes.len() - 2);
    }
    Ok(Prepared {
        envelope_from: from.email.to_string(),
        recipients,
        bytes,
        message_id: Some(message_id),
    })
}

fn header(name: &str, value: String) -> HeaderValue {
    HeaderValue::new(
        HeaderName::new_from_ascii(name.to_owned()).expect("checked by parse_header"),
        value,
    )
}

enum Body {
    Single(SinglePart),
    Multi(MultiPart),
}

fn body_part(text: Option<String>, html: Option<String>, pinned: Pinned) -> Body {
    match (text, html) {
        (Some(t), Some(h)) => {
            let mut alt = MultiPart::alternative();
            if let Some(b) = pinned.boundary("alt") {
                alt = alt.boundary(b);
            }
            Body::Multi(
                alt.singlepart(SinglePart::plain(t))
                    .singlepart(SinglePart::html(h)),
            )
        }
        (None, Some(h)) => Body::Single(SinglePart::html(h)),
        (t, None) => Body::Single(SinglePart::plain(t.unwrap_or_default())),
    }
}

fn attachment(spec: &AttachmentSpec) -> Result<SinglePart, Failure> {
    let path = &spec.path;
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::input(format!("--attach {}: cannot read it: {e}", path.display())))?;
    let name = spec.filename.clone().unwrap_or_else(|| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".into())
    });
    let mime = spec.content_type.clone().unwrap_or_else(|| {
        mime_guess::from_path(Path::new(&name))
            .first_or_octet_stream()
            .to_string()
    });
    let content_type = ContentType::parse(&mime).map_err(|_| {
        Failure::usage(format!(
            "--attach {}: {mime:?} is not a valid MIME type",
            path.display()
        ))
    })?;
    Ok(Attachment::new(name).body(bytes, content_type))
}

/// A complete message from `--data`: the envelope from the flags, else from its headers.
fn compose_raw(
    data: Vec<u8>,
    spec: &Spec,
    headers: &[(String, String)],
    pinned: Pinned,
) -> Result<Prepared, Failure> {
    let mut extra: Vec<(String, String)> = spec
        .ahasend
        .headers()
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
    extra.extend(headers.iter().cloned());
    let mut raw = RawMessage::new(data, "--data")?;
    let recipients = if spec.to.is_empty() && spec.cc.is_empty() && spec.bcc.is_empty() {
        raw.recipients()
    } else {
        let mut all = Vec::new();
        for (flag, values) in [("--to", &spec.to), ("--cc", &spec.cc), ("--bcc", &spec.bcc)] {
            all.extend(
                parse_mailboxes(flag, values)?
                    .into_iter()
                    .map(|m| m.email.to_string()),
            );
        }
        all
    };
    let envelope_from = match &spec.from {
        Some(f) => parse_mailbox("--from", f)?.email.to_string(),
        None => raw
            .from_address()
            .ok_or_else(|| Failure::data("--data: the message has no From header; give --from"))?,
    };
    raw.strip_bcc();
    raw.complete(pinned, &envelope_from);
    raw.prepend_headers(&extra);
    if let Some((line, len)) = limits::long_line(&raw.bytes) {
        return Err(Failure::data(format!(
            "--data: line {line} is {len} characters long; RFC 5322 allows {}",
            limits::MAX_LINE
        ))
        .with_hint("wrap the line, or encode the body as quoted-printable or base64"));
    }
    Ok(Prepared {
        envelope_from,
        recipients: limits::dedupe(recipients),
        message_id: raw.message_id(),
        bytes: raw.bytes,
    })
}

/// A complete RFC 5322 message read as bytes, with CRLF line endings. Headers are read with
/// mail-parser; the header block is edited field by field (a field is a line and its
/// continuation lines), never with patterns.
#[derive(Debug, Clone)]
pub struct RawMessage {
    pub bytes: Vec<u8>,
}

impl RawMessage {
    /// Takes the message as given, turning bare LF into CRLF so dot-stuffing works.
    pub fn new(bytes: Vec<u8>, what: &str) -> Result<RawMessage, Failure> {
        if bytes.is_empty() {
            return Err(Failure::new(
                crate::error::Exit::DataErr,
                Stage::Input,
                format!("{what}: the message is empty"),
            ));
        }
        Ok(RawMessage {
            bytes: to_crlf(bytes),
        })
    }

    fn parsed(&self) -> Option<mail_parser::Message<'_>> {
        mail_parser::MessageParser::default().parse_headers(&self.bytes)
    }

    /// Where the header block ends: just after the blank line (or the whole message).
    fn header_end(&self) -> usize {
        if self.bytes.starts_with(b"\r\n") {
            return 0;
        }
        self.bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| p + 2)
            .unwrap_or(self.bytes.len())
    }

    /// The header fields as (start, end) byte ranges, end including the CRLF.
    fn fields(&self) -> Vec<(usize, usize)> {
        let end = self.header_end();
        let mut fields: Vec<(usize, usize)> = Vec::new();
        let mut pos = 0;
        while pos < end {
            let line_end = self.bytes[pos..end]
                .windows(2)
                .position(|w| w == b"\r\n")
                .map(|p| pos + p + 2)
                .unwrap_or(end);
            let continuation = matches!(self.bytes[pos], b' ' | b'\t');
            match fields.last_mut() {
                Some(last) if continuation => last.1 = line_end,
                _ => fields.push((pos, line_end)),
            }
            pos = line_end;
        }
        fields
    }

    fn field_name(&self, (start, end): (usize, usize)) -> &[u8] {
        let field = &self.bytes[start..end];
        let colon = field.iter().position(|&b| b == b':').unwrap_or(field.len());
        field[..colon].trim_ascii()
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.fields()
            .into_iter()
            .any(|f| self.field_name(f).eq_ignore_ascii_case(name.as_bytes()))
    }

    /// Removes every field with this name.
    pub fn remove_header(&mut self, name: &str) {
        let fields = self.fields();
        for &(start, end) in fields.iter().rev() {
            if self
                .field_name((start, end))
                .eq_ignore_ascii_case(name.as_bytes())
            {
                self.bytes.drain(start..end);
            }
        }
    }

    pub fn strip_bcc(&mut self) {
        self.remove_header("Bcc");
        self.remove_header("Resent-Bcc");
    }

    /// Adds `Name: value` fields at the top of the header block.
    pub fn prepend_headers(&mut self, headers: &[(String, String)]) {
        if headers.is_empty() {
            return;
        }
        let mut hv = Headers::new();
        for (name, value) in headers {
            hv.insert_raw(header(name, value.clone()));
        }
        let mut top = hv.to_string().into_bytes();
        top.append(&mut self.bytes);
        self.bytes = top;
    }

    /// Adds Date and Message-ID when missing, as sendmail does.
    pub fn complete(&mut self, pinned: Pinned, sender: &str) {
        let mut add = Vec::new();
        if !self.has_header("Date") {
            let mut h = Headers::new();
            h.set(lettre::message::header::Date::new(pinned.date()));
            add.push(h.to_string());
        }
        if !self.has_header("Message-ID") {
            add.push(format!("Message-ID: {}\r\n", pinned.message_id(sender)));
        }
        if !add.is_empty() {
            let mut top = add.concat().into_bytes();
            top.append(&mut self.bytes);
            self.bytes = top;
        }
    }

    pub fn message_id(&self) -> Option<String> {
        self.parsed()?.message_id().map(|id| format!("<{id}>"))
    }

    /// The address of the first From mailbox.
    pub fn from_address(&self) -> Option<String> {
        let parsed = self.parsed()?;
        parsed.from()?.first()?.address().map(str::to_owned)
    }

    /// The display name of the first From mailbox, with sendmail's `user (Name)` comment form.
    pub fn from_name(&self) -> Option<String> {
        let parsed = self.parsed()?;
        let name = parsed.from()?.first()?.name()?.trim().to_owned();
        let name = name
            .trim_start_matches('(')
            .trim_end_matches(')')
            .trim()
            .to_owned();
        (!name.is_empty()).then_some(name)
    }

    /// To, Cc and Bcc addresses (Resent-To/-Cc/-Bcc instead, when the message has them), as
    /// `-t` reads them. Bare local names are kept, for the alias table to map.
    pub fn recipients(&self) -> Vec<String> {
        let Some(parsed) = self.parsed() else {
            return Vec::new();
        };
        let resent = ["Resent-To", "Resent-Cc", "Resent-Bcc"];
        let names: &[&str] = if resent.iter().any(|n| self.has_header(n)) {
            &resent
        } else {
            &["To", "Cc", "Bcc"]
        };
        let mut out = Vec::new();
        for name in names {
            for value in parsed.header_values(
                mail_parser::HeaderName::parse(*name)
                    .unwrap_or(mail_parser::HeaderName::Other((*name).into())),
            ) {
                if let Some(addr) = value.as_address() {
                    out.extend(addr.iter().filter_map(|a| {
                        // A bare `root` parses as a name without an address: keep it as a
                        // local name for the alias table.
                        let bare = a
                            .name()
                            .map(str::trim)
                            .filter(|n| !n.is_empty() && !n.contains(' '));
                        a.address().or(bare).map(str::to_owned)
                    }));
                }
            }
        }
        out
    }

    /// Replaces the From header with `mailbox`, formatted by lettre (RFC 2047 as needed).
    pub fn set_from(&mut self, mailbox: &Mailbox) {
        self.remove_header("From");
        let mut h = Headers::new();
        h.set(lettre::message::header::From::from(Mailboxes::from(
            mailbox.clone(),
        )));
        let mut top = h.to_string().into_bytes();
        top.append(&mut self.bytes);
        self.bytes = top;
    }

    pub fn into_prepared(self, envelope_from: String, recipients: Vec<String>) -> Prepared {
        Prepared {
            envelope_from,
            recipients,
            message_id: self.message_id(),
            bytes: self.bytes,
        }
    }
}

/// Bare LF becomes CRLF; existing CRLF stays. The last line gets its CRLF.
pub fn to_crlf(bytes: Vec<u8>) -> Vec<u8> {
    let bare = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'))
        .count();
    let needs_end = !bytes.ends_with(b"\n");
    if bare == 0 && !needs_end {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len() + bare + 2);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    if needs_end {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The SMTP DATA payload: dot-stuffed, ending with the `.` line. One buffer, so it goes out in
/// one write (lettre's `message()` writes body and terminator apart, and Nagle holds the second
/// write for a delayed ACK: ~40 ms per message). Consumes the bytes to avoid a copy.
pub fn dot_stuffed(mut bytes: Vec<u8>) -> Vec<u8> {
    let dots = usize::from(bytes.first() == Some(&b'.'))
        + bytes.windows(3).filter(|w| w == b"\r\n.").count();
    if dots > 0 {
        let mut out = Vec::with_capacity(bytes.len() + dots + 5);
        let mut at_line_start = true;
        for (i, &b) in bytes.iter().enumerate() {
            if at_line_start && b == b'.' {
                out.push(b'.');
            }
            out.push(b);
            at_line_start = b == b'\n' && i > 0 && bytes[i - 1] == b'\r';
        }
        bytes = out;
    }
    if !bytes.ends_with(b"\r\n") {
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b".\r\n");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_spec_forms() {
        assert_eq!(AttachmentSpec::parse("a.pdf").path, PathBuf::from("a.pdf"));
        let s = AttachmentSpec::parse("out.bin;type=application/pdf;filename=Report.pdf");
        assert_eq!(s.path, PathBuf::from("out.bin"));
        assert_eq!(s.content_type.as_deref(), Some("application/pdf"));
        assert_eq!(s.filename.as_deref(), Some("Report.pdf"));
        assert_eq!(
            AttachmentSpec::parse("we;ird.txt").path,
            PathBuf::from("we;ird.txt")
        );
    }

    #[test]
    fn dot_stuffing_doubles_leading_dots_and_terminates() {
        assert_eq!(dot_stuffed(b"a\r\n.b\r\n".to_vec()), b"a\r\n..b\r\n.\r\n");
        assert_eq!(dot_stuffed(b".\r\n".to_vec()), b"..\r\n.\r\n");
        assert_eq!(dot_stuffed(b"x".to_vec()), b"x\r\n.\r\n");
        assert_eq!(dot_stuffed(b"a.b\r\n".to_vec()), b"a.b\r\n.\r\n");
    }

    #[test]
    fn bare_lf_becomes_crlf() {
        assert_eq!(to_crlf(b"a\nb\r\nc".to_vec()), b"a\r\nb\r\nc\r\n");
        assert_eq!(to_crlf(b"a\r\n".to_vec()), b"a\r\n");
    }

    #[test]
    fn ahasend_headers_are_validated() {
        let mut h = AhaSendHeaders {
            tags: (0..11).map(|i| i.to_string()).collect(),
            ..Default::default()
        };
        assert!(h.validate().is_err());
        h.tags = vec!["x".repeat(65)];
        assert!(h.validate().is_err());
        h.tags = vec!["x".repeat(64)];
        assert!(h.validate().is_ok());
        h.metadata_retention = Some(0);
        assert!(h.validate().is_err());
        h.metadata_retention = Some(30);
        h.data_retention = Some(0);
        assert!(h.validate().is_ok());
        h.sandbox_result = Some(SandboxResult::Bounce);
        assert!(h.validate().is_err());
        h.sandbox = true;
        assert!(h.validate().is_ok());
        let names: Vec<_> = h.headers().into_iter().map(|(n, _)| n).collect();
        assert!(names.contains(&"AhaSend-Sandbox-Result"));
    }

    #[test]
    fn raw_message_edits_fields_with_continuations() {
        let mut m = RawMessage::new(
            b"From: a@x.com\nBcc: b@x.com,\n c@x.com\nTo: d@x.com\n\nBcc: body line\n".to_vec(),
            "t",
        )
        .unwrap();
        assert_eq!(m.recipients(), ["d@x.com", "b@x.com", "c@x.com"]);
        m.strip_bcc();
        assert_eq!(
            m.bytes,
            b"From: a@x.com\r\nTo: d@x.com\r\n\r\nBcc: body line\r\n"
        );
    }

    #[test]
    fn raw_message_gets_date_and_message_id_when_missing() {
        let mut m = RawMessage::new(b"From: a@x.com\nTo: d@x.com\n\nhi\n".to_vec(), "t").unwrap();
        m.complete(Pinned { test_mode: true }, "a@x.com");
        let text = String::from_utf8(m.bytes.clone()).unwrap();
        assert!(
            text.starts_with(
                "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nMessage-ID: <test@x.com>\r\n"
            ),
            "{text}"
        );
        let before = m.bytes.len();
        m.complete(Pinned { test_mode: true }, "a@x.com");
        assert_eq!(m.bytes.len(), before);
    }

    #[test]
    fn header_injection_is_refused() {
        assert!(parse_header("X-A: b\r\nBcc: evil@x.com").is_err());
        assert!(parse_header("Subject: hi").is_err());
        assert_eq!(
            parse_header("X-Order:  1841").unwrap(),
            ("X-Order".into(), "1841".into())
        );
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn header_block() -> impl Strategy<Value = Vec<u8>> {
        let field = prop_oneof![
            "(From|To|Cc|Bcc|Resent-Bcc|bcc|Subject|Date|Message-ID|X-[A-Z]{1,4}): [ -~]{0,30}",
            "[ \\t][ -~]{0,20}",
            "[A-Za-z-]{1,10}:[^\\r\\n]{0,20}",
            "[^\\r\\n:]{0,15}",
        ];
        (
            prop::collection::vec(field, 0..10),
            "[\\x00-\\xff]{0,60}",
            prop::bool::ANY,
            prop::bool::ANY,
        )
            .prop_map(|(fields, body, lf_only, blank)| {
                let nl = if lf_only { "\n" } else { "\r\n" };
                let mut m = fields.join(nl).into_bytes();
                if blank {
                    m.extend_from_slice(nl.as_bytes());
                    m.extend_from_slice(nl.as_bytes());
                }
                m.extend(body.chars().map(|c| c as u32 as u8));
                m
            })
    }

    proptest! {
        /// Header editing on arbitrary messages: no panic, CRLF everywhere, Bcc gone from the
        /// header block, the body untouched, Date and Message-ID present exactly once.
        #[test]
        fn raw_message_editing(bytes in header_block()) {
            let Ok(mut m) = RawMessage::new(bytes, "fuzz") else { return Ok(()) };
            prop_assert!(m.bytes.windows(2).all(|w| w[1] != b'\n' || w[0] == b'\r') && m.bytes[0] != b'\n');
            let body_before = m.bytes[m.header_end()..].to_vec();
            let _ = m.recipients();
            let _ = (m.from_address(), m.from_name(), m.message_id());
            m.strip_bcc();
            prop_assert!(!m.has_header("Bcc") && !m.has_header("Resent-Bcc"));
            prop_assert_eq!(&m.bytes[m.header_end()..], &body_before[..]);
            m.complete(Pinned { test_mode: true }, "a@x.com");
            let count = |m: &RawMessage, name: &str| {
                m.fields().into_iter().filter(|&f| m.field_name(f).eq_ignore_ascii_case(name.as_bytes())).count()
            };
            prop_assert!(count(&m, "Date") >= 1 && count(&m, "Message-ID") >= 1);
            let before = m.bytes.len();
            m.complete(Pinned { test_mode: true }, "a@x.com");
            prop_assert_eq!(m.bytes.len(), before);
            m.set_from(&"Name <n@x.com>".parse().unwrap());
            prop_assert_eq!(count(&m, "From"), 1);
        }

        /// Dot-stuffing: no line of the payload is a lone dot before the end, and undoing it
        /// gives the message back.
        #[test]
        fn dot_stuffing_round_trips(lines in prop::collection::vec("\\.{0,3}[a-z.]{0,5}", 0..12)) {
            let msg = to_crlf(lines.join("\n").into_bytes());
            let stuffed = dot_stuffed(msg.clone());
            prop_assert!(stuffed.ends_with(b".\r\n"));
            let body = &stuffed[..stuffed.len() - 3];
            prop_assert!(!body.windows(5).any(|w| w == b"\r\n.\r\n"));
            let mut undone = Vec::new();
            for line in body.split_inclusive(|&b| b == b'\n') {
                undone.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
            }
            let mut want = msg;
            if !want.ends_with(b"\r\n") { want.extend_from_slice(b"\r\n"); }
            prop_assert_eq!(undone, want);
        }

        /// Header values from flags: either refused or free of line breaks.
        #[test]
        fn custom_headers_never_inject(raw in "[ -~\\r\\n\\t]{0,40}") {
            if let Ok((name, value)) = parse_header(&raw) {
                prop_assert!(!value.contains(['\r', '\n']) && !name.contains([':', ' ', '\r', '\n']));
            }
        }
    }
}
