//! `ahasmtp send` against the test server: what the server received, parsed with mail-parser.

use mail_parser::MimeHeaders;

use crate::server::{Action, At, Script, Server, PASSWORD, USER};
use crate::util::{ahasmtp, run, run_with_stdin, send_to, write, MINIMAL};

#[test]
fn rich_message_is_received_as_built() {
    let server = Server::start(Script::default());
    let dir = tempfile::tempdir().unwrap();
    let binary: Vec<u8> = (0..70_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let pdf = write(dir.path(), "report.pdf", &binary);
    let notes = write(
        dir.path(),
        "notes.txt",
        "Zeile 1: Grüße\n.leading dot\n".as_bytes(),
    );
    let html = write(dir.path(), "summary.html", b"<p>All <b>green</b></p>");
    let r = run(send_to(&server).args([
        "--from",
        "Build Bot <bot@example.com>",
        "--to",
        "dev@example.com,\"Q, A\" <qa@example.com>",
        "--cc",
        "lead@example.com",
        "--bcc",
        "hidden@example.com",
        "--reply-to",
        "help@example.com",
        "--subject",
        "Nightly ✓ Größe",
        "--text",
        "Build passed ✓\n.dot line stays\n",
        "--html",
        &format!("@{}", html.display()),
        "--attach",
        pdf.to_str().unwrap(),
        "--attach",
        &format!("{};type=text/plain;filename=Notizen.txt", notes.display()),
        "--header",
        "X-Order: 1841",
        "--tag",
        "nightly,ci",
        "--tag",
        "build",
        "--track-opens",
        "false",
        "--sandbox",
        "--sandbox-result",
        "bounce",
        "--metadata-retention",
        "7",
        "--data-retention",
        "0",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        "sent <test@example.com> to 4 recipients: 250 2.0.0 Ok: queued as TEST123"
    );

    let messages = server.messages();
    assert_eq!(messages.len(), 1);
    let got = &messages[0];
    assert_eq!(got.mail_from, "bot@example.com");
    assert_eq!(
        got.rcpts,
        [
            "dev@example.com",
            "qa@example.com",
            "lead@example.com",
            "hidden@example.com"
        ]
    );
    assert!(got.tls, "the message went over TLS");
    assert_eq!(got.user.as_deref(), Some(USER));
    assert!(
        !got.text()
            .to_ascii_lowercase()
            .contains("hidden@example.com"),
        "Bcc leaked into DATA"
    );
    assert!(!got.text().to_ascii_lowercase().contains("\nbcc:"));

    let m = got.parsed();
    assert_eq!(m.subject(), Some("Nightly ✓ Größe"));
    let from = m.from().unwrap().first().unwrap();
    assert_eq!(
        (from.name(), from.address()),
        (Some("Build Bot"), Some("bot@example.com"))
    );
    let to: Vec<_> = m
        .to()
        .unwrap()
        .iter()
        .map(|a| a.address().unwrap().to_owned())
        .collect();
    assert_eq!(to, ["dev@example.com", "qa@example.com"]);
    assert_eq!(m.to().unwrap().iter().nth(1).unwrap().name(), Some("Q, A"));
    assert_eq!(
        m.cc().unwrap().first().unwrap().address(),
        Some("lead@example.com")
    );
    assert!(m.bcc().is_none());
    assert_eq!(
        m.reply_to().unwrap().first().unwrap().address(),
        Some("help@example.com")
    );
    assert_eq!(m.message_id(), Some("test@example.com"));
    assert_eq!(
        m.body_text(0).unwrap().replace("\r\n", "\n"),
        "Build passed ✓\n.dot line stays\n"
    );
    assert_eq!(m.body_html(0).unwrap(), "<p>All <b>green</b></p>");
    let header = |name: &str| m.header_raw(name).map(|v| v.trim().to_owned());
    assert_eq!(header("X-Order").as_deref(), Some("1841"));
    assert_eq!(header("ahasend-tags").as_deref(), Some("nightly,ci,build"));
    assert_eq!(header("ahasend-track-opens").as_deref(), Some("false"));
    assert_eq!(header("ahasend-track-clicks"), None);
    assert_eq!(header("AhaSend-Sandbox").as_deref(), Some("true"));
    assert_eq!(header("AhaSend-Sandbox-Result").as_deref(), Some("bounce"));
    assert_eq!(header("ahasend-metadata-retention").as_deref(), Some("7"));
    assert_eq!(header("ahasend-data-retention").as_deref(), Some("0"));

    assert_eq!(m.attachment_count(), 2);
    let pdf_part = m.attachment(0).unwrap();
    assert_eq!(pdf_part.attachment_name(), Some("report.pdf"));
    assert_eq!(pdf_part.content_type().unwrap().subtype(), Some("pdf"));
    assert_eq!(
        pdf_part.contents(),
        binary.as_slice(),
        "attachment bytes differ"
    );
    let notes_part = m.attachment(1).unwrap();
    assert_eq!(notes_part.attachment_name(), Some("Notizen.txt"));
    assert_eq!(notes_part.content_type().unwrap().ctype(), "text");
    assert_eq!(
        String::from_utf8_lossy(notes_part.contents()).replace("\r\n", "\n"),
        "Zeile 1: Grüße\n.leading dot\n"
    );
}

#[test]
fn transcript_uses_swaks_markers_and_redacts_auth() {
    let server = Server::start(Script::default());
    let r = run(send_to(&server).args(MINIMAL));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for expected in [
        "=== Trying 127.0.0.1:",
        "=== Connected to 127.0.0.1:",
        " -> STARTTLS",
        "=== TLS started",
        "CN=mx.test.local",
        " ~> EHLO ahasmtp.test",
        "<~  250-mx.test.local greets you",
        "<~  250-SIZE 20971520",
        " ~> AUTH PLAIN <redacted>",
        "<~  235 2.7.0 Authentication successful",
        " ~> MAIL FROM:<a@example.com> SIZE=",
        " ~> RCPT TO:<b@example.com>",
        " ~> DATA",
        "<~  354 End data",
        " ~> <message: ",
        "<~  250 2.0.0 Ok: queued as TEST123",
        " ~> QUIT",
        "=== Connection closed with remote host.",
    ] {
        assert!(
            r.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            r.stderr
        );
    }
    assert!(
        !r.stderr.contains("Subject: s"),
        "the body is summarised unless --show-data"
    );
    // The client really authenticated: the server saw AUTH PLAIN with the right blob.
    assert!(server
        .all_commands()
        .iter()
        .any(|c| c.starts_with("AUTH PLAIN ")));
}

#[test]
fn show_data_prints_the_message_but_never_auth() {
    let server = Server::start(Script::default());
    let r = run(send_to(&server).args([
        "--show-data",
        "--from",
        "a@example.com",
        "--to",
        "b@example.com",
        "--subject",
        "visible",
        "--text",
        ".dotted",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains(" ~> Subject: visible"), "{}", r.stderr);
    assert!(
        r.stderr.contains(" ~> .dotted"),
        "shown without dot-stuffing:\n{}",
        r.stderr
    );
    assert!(r.stderr.contains("AUTH PLAIN <redacted>"));
}

#[test]
fn json_result_has_the_documented_fields() {
    let server = Server::start(Script::default());
    let r = run(send_to(&server).args(["--json"]).args(MINIMAL));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["status"], "sent");
    assert_eq!(j["message_id"], "<test@example.com>");
    assert_eq!(j["server"], server.addr());
    assert_eq!(j["envelope"]["from"], "a@example.com");
    assert_eq!(j["envelope"]["to"][0], "b@example.com");
    assert_eq!(j["reply"]["code"], 250);
    assert_eq!(j["reply"]["enhanced"], "2.0.0");
    assert_eq!(j["reply"]["text"], "Ok: queued as TEST123");
    assert_eq!(j["attempts"], 1);
    assert!(j["size_bytes"].as_u64().unwrap() > 100);
    assert!(j["elapsed_ms"].is_u64());
    assert!(j["tls"]["subject"]
        .as_str()
        .unwrap()
        .contains("mx.test.local"));
    assert!(j["error"].is_null());
}

#[test]
fn stdin_is_the_text_body_when_nothing_else_gives_one() {
    let server = Server::start(Script::default());
    let r = run_with_stdin(
        send_to(&server).args([
            "--from",
            "ci@example.com",
            "--to",
            "dev@example.com",
            "--subject",
            "build log",
        ]),
        b"line 1\nline 2\n",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = server.messages();
    assert_eq!(
        m[0].parsed().body_text(0).unwrap().replace("\r\n", "\n"),
        "line 1\nline 2\n"
    );
}

#[test]
fn data_sends_a_complete_message_with_lf_endings_and_dots_intact() {
    let server = Server::start(Script::default());
    let raw = b"From: Old <old@example.com>\nTo: x@example.com\nBcc: secret@example.com\nSubject: raw\n\n.starts with a dot\n..two dots\n.\nend\n";
    let r = run_with_stdin(send_to(&server).args(["--data", "-", "--tag", "raw"]), raw);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = &server.messages()[0];
    assert_eq!(got.mail_from, "old@example.com");
    assert_eq!(got.rcpts, ["x@example.com", "secret@example.com"]);
    let text = got.text();
    assert!(
        text.ends_with("\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\nend\r\n"),
        "{text:?}"
    );
    assert!(!text.contains("secret@example.com"), "Bcc header removed");
    let m = got.parsed();
    assert_eq!(m.header_raw("ahasend-tags").map(str::trim), Some("raw"));
    assert!(
        m.date().is_some() && m.message_id().is_some(),
        "Date and Message-ID added"
    );
}

#[test]
fn split_sends_transactions_of_at_most_fifty() {
    let server = Server::start(Script::default());
    let to: Vec<String> = (0..120).map(|i| format!("r{i}@example.com")).collect();
    let r = run(send_to(&server).args([
        "--split",
        "--from",
        "a@example.com",
        "--bcc",
        &to.join(","),
        "--subject",
        "s",
        "--text",
        "t",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("to 120 recipients in 3 transactions"),
        "{}",
        r.stdout
    );
    let m = server.messages();
    assert_eq!(
        m.iter().map(|m| m.rcpts.len()).collect::<Vec<_>>(),
        [50, 50, 20]
    );
    assert_eq!(
        server.connections(),
        1,
        "one connection for every transaction"
    );
    let mut all: Vec<String> = m.iter().flat_map(|m| m.rcpts.clone()).collect();
    all.sort();
    let mut want = to.clone();
    want.sort();
    assert_eq!(all, want, "each recipient exactly once");
}

fn refuse_one_recipient(pipelining: bool) -> (Server, crate::util::Run) {
    let server = Server::start(
        Script {
            pipelining,
            ..Script::default()
        }
        .fault(
            At::Rcpt("bad@tempmail.example".into()),
            Action::Reply(
                553,
                "Requested action not taken: recipient domain is toxic or tempmail",
            ),
        ),
    );
    let r = run(send_to(&server).args([
        "--from",
        "a@example.com",
        "--to",
        "ok@example.com,bad@tempmail.example,also@example.com",
        "--subject",
        "s",
        "--text",
        "t",
    ]));
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(server.messages().is_empty(), "nothing sent to the others");
    assert!(
        r.stderr
            .contains("*** bad@tempmail.example refused at RCPT TO"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Recipient Shield"), "{}", r.stderr);
    assert!(
        r.stderr.contains("*** Exit 65 (EX_DATAERR)"),
        "{}",
        r.stderr
    );
    assert_eq!(server.connections(), 1, "a 5xx is never retried");
    (server, r)
}

#[test]
fn refused_recipient_abandons_the_transaction_and_names_it() {
    let (server, _) = refuse_one_recipient(false);
    let cmds = server.all_commands();
    assert!(cmds.iter().any(|c| c == "RSET"), "{cmds:?}");
    assert!(!cmds.iter().any(|c| c == "DATA"));
}

#[test]
fn pipelined_refusal_closes_without_ending_the_message() {
    // DATA went out in the pipelined group and got 354: a "." would deliver to the other two.
    let (server, r) = refuse_one_recipient(true);
    assert!(server.all_commands().iter().any(|c| c == "DATA"));
    assert!(server.unanswered().is_empty(), "no final dot was sent");
    assert!(
        r.stderr.contains("without ending the message"),
        "{}",
        r.stderr
    );
}

#[test]
fn pipelining_sends_mail_rcpt_and_data_in_one_write() {
    let server = Server::start(Script::default());
    let r = run(send_to(&server).args([
        "--from",
        "a@example.com",
        "--to",
        "b@example.com,c@example.com",
        "--subject",
        "s",
        "--text",
        "t",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let order: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with(" ~> ") || l.starts_with("<~  "))
        .collect();
    let mail = order
        .iter()
        .position(|l| l.starts_with(" ~> MAIL"))
        .unwrap();
    assert!(
        order[mail].starts_with(" ~> MAIL FROM:<a@example.com> SIZE="),
        "{order:?}"
    );
    assert_eq!(
        &order[mail + 1..mail + 4],
        [
            " ~> RCPT TO:<b@example.com>",
            " ~> RCPT TO:<c@example.com>",
            " ~> DATA"
        ],
        "the group is written before any reply is read"
    );
    assert_eq!(
        server.messages()[0].rcpts,
        ["b@example.com", "c@example.com"]
    );
}

/// Each documented AhaSend code, at the stage it comes at, maps to its exit status and meaning.
#[test]
fn ahasend_reply_codes_map_to_exit_status_and_explanation() {
    let cases: &[(At, u16, &str, i32, &str)] = &[
        (
            At::Mail,
            421,
            "4.3.2 Service not available, closing channel",
            75,
            "load shedding",
        ),
        (At::Dot, 451, "4.3.0 Internal server error", 75, "temporary"),
        (
            At::Auth,
            500,
            "Authentication failed",
            77,
            "invalid credentials",
        ),
        (
            At::Mail,
            521,
            "Account disabled",
            69,
            "suspended or out of credits",
        ),
        (
            At::Dot,
            552,
            "Invalid message format",
            65,
            "malformed content",
        ),
        (
            At::AnyRcpt,
            553,
            "Requested action not taken: recipient domain has common a typo",
            65,
            "Recipient Shield",
        ),
        (
            At::Mail,
            556,
            "Invalid account or domain",
            69,
            "sending domain is not configured",
        ),
        (
            At::Auth,
            535,
            "5.7.8 Authentication credentials invalid",
            77,
            "2 minutes",
        ),
    ];
    for (at, code, text, exit, meaning) in cases {
        let server = Server::start(Script::default().fault(at.clone(), Action::Reply(*code, text)));
        let r = run(send_to(&server)
            .args(["--json", "--retries", "0"])
            .args(MINIMAL));
        assert_eq!(r.code, *exit, "{code}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("{code} ")),
            "{code}: the server's reply is shown:\n{}",
            r.stderr
        );
        assert!(
            r.stderr.contains(meaning) || r.stdout.contains(meaning),
            "{code}: {meaning:?} not in\n{}",
            r.stderr
        );
        let j = r.json();
        assert_eq!(j["status"], "failed");
        assert_eq!(j["error"]["code"], *code);
        assert_eq!(j["error"]["retryable"], *exit == 75);
        assert_eq!(j["error"]["exit_code"], *exit);
        assert!(server.messages().is_empty());
    }
}

#[test]
fn starttls_not_offered_stops_before_auth() {
    let server = Server::start(Script {
        starttls: false,
        ..Script::default()
    });
    let r = run(send_to(&server).args(MINIMAL));
    assert_eq!(r.code, 76, "{}", r.stderr);
    assert!(r.stderr.contains("does not offer STARTTLS"), "{}", r.stderr);
    let cmds = server.all_commands();
    assert!(
        !cmds
            .iter()
            .any(|c| c.starts_with("AUTH") || c.starts_with("MAIL")),
        "{cmds:?}"
    );
    assert_eq!(server.connections(), 1, "not retried");
}

#[test]
fn untrusted_certificate_is_refused_before_auth() {
    let server = Server::start(Script::default());
    let mut cmd = ahasmtp();
    cmd.args(["send", "--server", &server.addr(), "--user", USER])
        .args(MINIMAL)
        .env("AHASEND_SMTP_PASSWORD", PASSWORD);
    let r = run(&mut cmd);
    assert_eq!(r.code, 76, "{}", r.stderr);
    assert!(r.stderr.contains("certificate"), "{}", r.stderr);
    assert!(!server.all_commands().iter().any(|c| c.starts_with("AUTH")));
    assert_eq!(
        server.connections(),
        1,
        "certificate failures are not retried"
    );
}

#[test]
fn wrong_password_exits_77_without_leaking_it() {
    let server = Server::start(Script::default());
    let r = run(send_to(&server)
        .env("AHASEND_SMTP_PASSWORD", "wrong-Pässword")
        .args(["--json"])
        .args(MINIMAL));
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert!(!r.stderr.contains("wrong-Pässword") && !r.stdout.contains("wrong-Pässword"));
    assert_eq!(r.json()["error"]["stage"], "auth");
    assert_eq!(server.connections(), 1);
}

#[test]
fn size_advertised_by_the_server_wins_before_mail_from() {
    let server = Server::start(Script {
        size: Some(1000),
        ..Script::default()
    });
    let r = run(send_to(&server).args([
        "--from",
        "a@example.com",
        "--to",
        "b@example.com",
        "--subject",
        "s",
        "--text",
        &"x".repeat(2000),
    ]));
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(r.stderr.contains("advertised SIZE"), "{}", r.stderr);
    assert!(!server.all_commands().iter().any(|c| c.starts_with("MAIL")));
}

#[test]
fn tls_none_sends_credentials_only_to_loopback() {
    let server = Server::start(Script::default().plain());
    let r = run(send_to(&server).args(["--tls", "none"]).args(MINIMAL));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(" -> AUTH PLAIN <redacted>"),
        "sent in clear, shown with ' -> ':\n{}",
        r.stderr
    );
    assert_eq!(server.messages()[0].user.as_deref(), Some(USER));

    // To a host that is not loopback: refused before connecting.
    let mut cmd = ahasmtp();
    cmd.args([
        "send",
        "--tls",
        "none",
        "--server",
        "192.0.2.1:25",
        "--user",
        USER,
    ])
    .args(MINIMAL)
    .env("AHASEND_SMTP_PASSWORD", PASSWORD);
    let r = run(&mut cmd);
    assert_eq!(r.code, 78, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("refusing to send credentials without TLS"),
        "{}",
        r.stderr
    );
}

#[test]
fn relay_without_credentials_skips_auth() {
    let server = Server::start(Script::default().plain());
    let mut cmd = ahasmtp();
    cmd.args(["send", "--tls", "none", "--server", &server.addr()])
        .args(MINIMAL);
    let r = run(&mut cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!server.all_commands().iter().any(|c| c.starts_with("AUTH")));
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn dry_run_opens_no_connection() {
    let server = Server::start(Script::unused());
    let r = run(send_to(&server)
        .arg("--dry-run")
        .args(MINIMAL)
        .args(["--attach", "Cargo.toml"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("RCPT TO:<b@example.com>"));
    assert!(
        r.stdout.contains("text/x-toml \"Cargo.toml\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("of AhaSend's 20.0 MiB limit: ok"));
    assert_eq!(server.connections(), 0);
}

/// Every pre-check refuses with its exit status before any connection is opened.
#[test]
fn prechecks_refuse_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    std::fs::write(&big, vec![7u8; 16 * 1024 * 1024]).unwrap(); // ~21.6 MB in base64
    let many: Vec<String> = (0..51).map(|i| format!("r{i}@example.com")).collect();
    let many = many.join(",");
    let big_attach = big.to_str().unwrap().to_owned();
    let eleven_tags = "a,b,c,d,e,f,g,h,i,j,k".to_owned();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["--to", &many], 65, "at most 50"),
        (
            vec!["--to", "b@example.com", "--attach", &big_attach],
            65,
            "over AhaSend's limit",
        ),
        (
            vec!["--to", "b@example.com", "--attach", "/nonexistent/file.pdf"],
            66,
            "--attach /nonexistent/file.pdf",
        ),
        (
            vec!["--to", "not an address"],
            65,
            "--to \"not an address\" is not a valid address",
        ),
        (
            vec![
                "--to",
                "b@example.com",
                "--reply-to",
                "x@example.com\r\nBcc: evil@example.com",
            ],
            65,
            "--reply-to contains a line break",
        ),
        (
            vec![
                "--to",
                "b@example.com",
                "--header",
                "X-A: b\nBcc: evil@example.com",
            ],
            65,
            "line break",
        ),
        (
            vec!["--to", "b@example.com", "--header", "Subject: x"],
            64,
            "--header Subject",
        ),
        (
            vec!["--to", "b@example.com", "--tag", &eleven_tags],
            64,
            "at most 10",
        ),
        (
            vec!["--to", "b@example.com", "--sandbox-result", "bounce"],
            64,
            "needs --sandbox",
        ),
        (
            vec!["--to", "b@example.com", "--html", "@/nonexistent/body.html"],
            66,
            "/nonexistent/body.html",
        ),
        (
            vec!["--to", "b@example.com", "--port", "notaport"],
            64,
            "notaport",
        ),
        (vec![], 65, "no recipients"),
    ];
    for (args, exit, message) in cases {
        let server = Server::start(Script::unused());
        let r = run(send_to(&server)
            .args(["--from", "a@example.com", "--subject", "s", "--text", "t"])
            .args(&args));
        assert_eq!(r.code, exit, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(message),
            "{args:?}: {message:?} not in\n{}",
            r.stderr
        );
        assert_eq!(server.connections(), 0, "{args:?} connected");
    }
}

#[test]
fn missing_sender_and_missing_credentials() {
    let r = run(ahasmtp().args([
        "send",
        "--to",
        "b@example.com",
        "--subject",
        "s",
        "--text",
        "t",
    ]));
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(r.stderr.contains("no sender: give --from"));
    // AhaSend's endpoints need credentials: exit 78 before connecting (no network here).
    let r = run(ahasmtp().args(["send"]).args(MINIMAL));
    assert_eq!(r.code, 78, "{}", r.stderr);
    assert!(r.stderr.contains("AHASEND_SMTP_USERNAME"), "{}", r.stderr);
    assert!(!r.stderr.contains("Trying"), "no connection attempted");
}

#[test]
fn usage_errors_exit_64_not_2() {
    let r = run(ahasmtp().args(["send", "--no-such-flag"]));
    assert_eq!(r.code, 64);
    let r = run(ahasmtp().args(["send", "--password", "hunter2", "--to", "b@example.com"]));
    assert_eq!(r.code, 64);
    assert!(r.stderr.contains("AHASEND_SMTP_PASSWORD") && r.stderr.contains("--password-file"));
    assert!(!r.stderr.contains("hunter2"));
    assert_eq!(run(ahasmtp().arg("--version")).code, 0);
}

#[test]
fn explain_prints_meaning_action_and_exit() {
    let r = run(ahasmtp().args(["explain", "553", "recipient", "domain", "is", "toxic"]));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Recipient Shield"));
    assert!(r.stdout.contains("Exit status: 65 (EX_DATAERR)"));
    let r = run(ahasmtp().args(["explain", "421", "--json"]));
    assert_eq!(r.json()["retryable"], true);
    assert_eq!(r.json()["exit_code"], 75);
    let r = run(ahasmtp().args(["explain", "--all"]));
    for code in [
        "421",
        "451",
        "500",
        "521",
        "552",
        "553",
        "556",
        "535",
        "EX_TEMPFAIL",
    ] {
        assert!(r.stdout.contains(code), "{code}");
    }
    assert_eq!(run(ahasmtp().args(["explain", "abc"])).code, 64);
}

#[test]
fn subject_with_a_line_break_is_refused() {
    let server = Server::start(Script::unused());
    let r = run(send_to(&server).args([
        "--from",
        "a@example.com",
        "--to",
        "b@example.com",
        "--subject",
        "hi\r\nBcc: evil@example.com",
        "--text",
        "t",
    ]));
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(
        r.stderr.contains("--subject contains a line break"),
        "{}",
        r.stderr
    );
}

#[test]
fn split_failure_names_the_recipients_that_already_have_the_message() {
    let server = Server::start(Script::default().fault(
        At::Rcpt("r60@example.com".into()),
        Action::Reply(550, "5.1.1 no such user"),
    ));
    let to: Vec<String> = (0..70).map(|i| format!("r{i}@example.com")).collect();
    let r = run(send_to(&server).args([
        "--json",
        "--split",
        "--from",
        "a@example.com",
        "--bcc",
        &to.join(","),
        "--subject",
        "s",
        "--text",
        "t",
    ]));
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert_eq!(server.messages().len(), 1, "the first 50 were accepted");
    let j = r.json();
    assert_eq!(j["status"], "failed");
    assert_eq!(j["transactions"], 1);
    assert_eq!(j["accepted"].as_array().unwrap().len(), 50);
    assert!(
        r.stderr.contains("do not resend to them: r0@example.com"),
        "{}",
        r.stderr
    );
}

#[test]
fn only_one_option_reads_stdin() {
    let r = run(ahasmtp().args([
        "send",
        "--dry-run",
        "--from",
        "a@example.com",
        "--to",
        "b@example.com",
        "--text",
        "-",
        "--html",
        "-",
    ]));
    assert_eq!(r.code, 64, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("only one of --text, --html and --data can read stdin"),
        "{}",
        r.stderr
    );
}
