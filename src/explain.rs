//! What an SMTP reply means for AhaSend, what to do, whether to retry, and the exit status.
//!
//! One table, read by `ahasmtp explain`, by the failure printer and by the exit-status mapping.
//! AhaSend's documented meanings come first; the standard meanings fill in the rest.

use serde::Serialize;

use crate::error::{Exit, Stage};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub code: u16,
    pub meaning: &'static str,
    pub action: &'static str,
    pub retryable: bool,
    pub exit: Exit,
}

const fn e(code: u16, meaning: &'static str, action: &'static str, exit: Exit) -> Entry {
    Entry {
        code,
        meaning,
        action,
        retryable: matches!(exit, Exit::TempFail),
        exit,
    }
}

/// The table `explain --all` prints, in code order.
pub const TABLE: &[Entry] = &[
    e(220, "service ready (the greeting)", "nothing to do", Exit::Ok),
    e(221, "closing the connection (reply to QUIT)", "nothing to do", Exit::Ok),
    e(235, "authentication succeeded", "nothing to do", Exit::Ok),
    e(250, "OK: for the final reply, AhaSend queued the message for delivery", "nothing to do; the message ID in the reply identifies it in AhaSend's logs", Exit::Ok),
    e(354, "start the message input; end it with <CRLF>.<CRLF>", "nothing to do: ahasmtp sends the message next", Exit::Ok),
    e(421, "AhaSend: service unavailable: idle disconnect (60 s), load shedding, the 10,000-messages-per-connection limit, or a temporary internal error", "retry on a new connection with exponential backoff (ahasmtp does, --retries); keep commands under 60 s apart", Exit::TempFail),
    e(450, "mailbox unavailable for now (busy, greylisted)", "retry later (ahasmtp does, --retries)", Exit::TempFail),
    e(451, "AhaSend: internal server error, temporary; the request was aborted", "retry the request (ahasmtp does, --retries)", Exit::TempFail),
    e(452, "insufficient system storage, or too many recipients for this transaction", "send fewer recipients per transaction (AhaSend takes 50: --split) or retry later", Exit::TempFail),
    e(454, "TLS or authentication temporarily unavailable", "retry later", Exit::TempFail),
    e(500, "AhaSend: invalid credentials, authentication failed (at AUTH); elsewhere: syntax error, command unrecognised", "at AUTH: check the SMTP username and password (SMTP credentials from the dashboard, not the dashboard login)", Exit::NoPerm),
    e(501, "syntax error in parameters or arguments, often an address", "check the addresses given to --from, --to, --cc, --bcc", Exit::DataErr),
    e(502, "command not implemented", "the server is not a full SMTP server for this use: check --server and --port", Exit::Protocol),
    e(503, "bad sequence of commands", "the server expected another step (often AUTH first): check the credentials are set", Exit::Protocol),
    e(504, "command parameter not implemented", "the server does not support what was asked: report it with the transcript", Exit::Protocol),
    e(521, "AhaSend: account disabled: suspended or out of credits", "check the account status and credits in the AhaSend dashboard", Exit::Unavailable),
    e(530, "authentication required", "set credentials: --user or AHASEND_SMTP_USERNAME, and AHASEND_SMTP_PASSWORD, --password-file or a profile", Exit::NoPerm),
    e(534, "authentication mechanism too weak", "ahasmtp uses AUTH PLAIN over TLS; check the server's requirements", Exit::NoPerm),
    e(535, "authentication credentials invalid", "check the SMTP username and password (SMTP credentials from the dashboard, not the dashboard login); a new credential can take up to 2 minutes to reach every server", Exit::NoPerm),
    e(538, "encryption required for the requested authentication mechanism", "use STARTTLS (the default --tls starttls)", Exit::Protocol),
    e(550, "mailbox unavailable or message refused by policy (no such user, sender not allowed)", "check the recipient address; at MAIL FROM, check that the credential may send from that domain", Exit::DataErr),
    e(551, "user not local", "check the recipient address", Exit::DataErr),
    e(552, "AhaSend: invalid message format, malformed content; also the standard 'message too big'", "validate the message structure and headers; if the reply mentions size, keep the whole message under 20 MB", Exit::DataErr),
    e(553, "AhaSend: recipient domain is toxic, temporary, or has a typo (Recipient Shield); at MAIL FROM: sender address not allowed", "verify the recipient domain; at MAIL FROM, use an address on a verified sending domain", Exit::DataErr),
    e(554, "transaction failed (message refused); as a greeting: no SMTP service here", "read the server's text; for a greeting, check --server and --port", Exit::DataErr),
    e(555, "MAIL FROM/RCPT TO parameters not recognised", "the server refused an SMTP extension parameter: report it with the transcript", Exit::Protocol),
    e(556, "AhaSend: invalid account or domain: the account or sending domain is not configured", "verify the sending domain's setup (DNS records, verification) in the AhaSend dashboard", Exit::Unavailable),
];

const OTHER_4XX: Entry = e(
    400,
    "transient failure",
    "retry later (ahasmtp does, --retries)",
    Exit::TempFail,
);
const OTHER_5XX: Entry = e(
    500,
    "permanent failure",
    "read the server's text; do not retry unchanged",
    Exit::DataErr,
);
const OTHER_2XX: Entry = e(200, "success", "nothing to do", Exit::Ok);
const OTHER_3XX: Entry = e(
    300,
    "intermediate reply: the server waits for more",
    "nothing to do",
    Exit::Ok,
);

/// Looks a reply up, refined by its text and by the stage it answered when those change the
/// meaning (500 at AUTH is AhaSend's bad credentials; 552 that mentions size is "too big").
pub fn lookup(code: u16, text: &str, stage: Option<Stage>) -> Entry {
    let text = text.to_ascii_lowercase();
    let base = TABLE.iter().find(|e| e.code == code).copied();
    let mut entry = base.unwrap_or(match code / 100 {
        2 => OTHER_2XX,
        3 => OTHER_3XX,
        4 => OTHER_4XX,
        _ => OTHER_5XX,
    });
    entry.code = code;
    match (code, stage) {
        (500, Some(s)) if s != Stage::Auth => {
            entry.meaning = "syntax error, command unrecognised";
            entry.action = "the server did not understand a command: check --server and --port, and report it with the transcript";
            entry.exit = Exit::Protocol;
        }
        (552, _) if mentions_size(&text) => {
            entry.meaning = "message too big for the server";
            entry.action = "keep the whole formatted message under the server's limit (AhaSend: 20 MB, attachments count as base64, a third larger)";
        }
        (553, Some(Stage::Mail)) => {
            entry.meaning = "sender address not allowed for this account or credential";
            entry.action = "use a From address on a sending domain verified in AhaSend (and allowed for this credential)";
        }
        (553, _)
            if text.contains("toxic") || text.contains("tempmail") || text.contains("typo") =>
        {
            entry.meaning = "AhaSend's Recipient Shield refused the recipient: its domain is toxic, a temporary-mail domain, or has a typo";
            entry.action = "verify the recipient's domain; do not retry unchanged";
        }
        (554, Some(Stage::Connect)) => {
            entry.meaning = "the server refuses service on this connection";
            entry.action = "check --server and --port; the host refuses SMTP from here";
            entry.exit = Exit::Unavailable;
        }
        _ => {}
    }
    entry.retryable = entry.exit == Exit::TempFail;
    entry
}

fn mentions_size(text: &str) -> bool {
    ["size", "too big", "too large", "exceed"]
        .iter()
        .any(|w| text.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_ahasend_code_has_its_exit_status() {
        let cases = [
            (421, Exit::TempFail, true),
            (451, Exit::TempFail, true),
            (500, Exit::NoPerm, false),
            (521, Exit::Unavailable, false),
            (552, Exit::DataErr, false),
            (553, Exit::DataErr, false),
            (556, Exit::Unavailable, false),
            (535, Exit::NoPerm, false),
        ];
        for (code, exit, retry) in cases {
            let e = lookup(code, "", Some(Stage::Auth));
            assert_eq!((e.exit, e.retryable), (exit, retry), "code {code}");
        }
    }

    #[test]
    fn stage_and_text_refine_the_meaning() {
        assert_eq!(lookup(500, "", Some(Stage::Mail)).exit, Exit::Protocol);
        assert!(lookup(552, "message size exceeds limit", None)
            .meaning
            .contains("too big"));
        assert!(lookup(552, "malformed", None).meaning.contains("format"));
        assert!(lookup(
            553,
            "Requested action not taken: recipient domain is toxic or tempmail",
            Some(Stage::Rcpt)
        )
        .meaning
        .contains("Recipient Shield"));
        assert_eq!(
            lookup(554, "", Some(Stage::Connect)).exit,
            Exit::Unavailable
        );
    }

    #[test]
    fn unknown_codes_fall_back_by_class() {
        assert_eq!(lookup(471, "", None).exit, Exit::TempFail);
        assert!(lookup(471, "", None).retryable);
        assert_eq!(lookup(599, "", None).exit, Exit::DataErr);
        assert!(!lookup(599, "", None).retryable);
    }

    #[test]
    fn no_5xx_is_ever_retryable() {
        for entry in TABLE {
            if entry.code >= 500 {
                assert!(!lookup(entry.code, "", None).retryable, "{}", entry.code);
            }
        }
    }
}
