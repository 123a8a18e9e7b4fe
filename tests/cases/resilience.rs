//! Transient failures retried to exactly one delivery; permanent ones never; no hang.
//! Backoff is in milliseconds in test mode, so these take well under a second each unless
//! they exercise a timeout.

use std::time::{Duration, Instant};

use crate::server::{Action, At, Script, Server};
use crate::util::{run, send_to, MINIMAL};

fn send(server: &Server, extra: &[&str]) -> crate::util::Run {
    run(send_to(server).args(["--json"]).args(MINIMAL).args(extra))
}

/// One message stored, exactly once, after `connections` connections.
fn assert_delivered_once(server: &Server, r: &crate::util::Run, connections: usize) {
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(server.messages().len(), 1, "stored exactly once");
    assert_eq!(server.connections(), connections);
    let j = r.json();
    assert_eq!(j["status"], "sent");
    assert_eq!(j["attempts"], connections);
    assert_eq!(j["attempt_log"].as_array().unwrap().len(), connections);
}

#[test]
fn drop_after_the_banner_is_retried() {
    let server = Server::start(Script::default().fault_on(0, At::Ehlo, Action::Drop));
    let r = send(&server, &[]);
    assert_delivered_once(&server, &r, 2);
    assert!(r.stderr.contains("Attempt 1 failed"), "{}", r.stderr);
    assert!(
        r.stderr.contains("waiting"),
        "the wait is in the transcript:\n{}",
        r.stderr
    );
    assert_eq!(r.json()["attempt_log"][0]["outcome"], "failed");
    assert_eq!(r.json()["attempt_log"][0]["stage"], "connect");
}

#[test]
fn drop_mid_data_is_retried_without_a_duplicate() {
    let server = Server::start(Script::default().fault_on(0, At::MidData, Action::Drop));
    let body = "line\n".repeat(20_000);
    let r = send(&server, &["--html", &body]);
    assert_delivered_once(&server, &r, 2);
}

#[test]
fn drop_after_the_final_dot_is_reported_unknown_and_not_retried() {
    let server = Server::start(Script::default().fault_on(0, At::Dot, Action::Drop));
    let r = send(&server, &[]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert_eq!(
        server.connections(),
        1,
        "never retried: it may have been queued"
    );
    assert_eq!(server.unanswered().len(), 1);
    let j = r.json();
    assert_eq!(j["status"], "unknown");
    assert_eq!(j["error"]["stage"], "message");
    assert_eq!(j["error"]["retryable"], false);
    assert!(
        r.stderr.contains("may or may not have been queued"),
        "{}",
        r.stderr
    );
}

#[test]
fn greeting_421_then_accept() {
    let server = Server::start(Script::default().fault_on(
        0,
        At::Connect,
        Action::Reply(421, "4.3.2 Too busy, try later"),
    ));
    let r = send(&server, &[]);
    assert_delivered_once(&server, &r, 2);
    assert_eq!(r.json()["attempt_log"][0]["code"], 421);
}

#[test]
fn reply_451_after_data_then_accept() {
    let server = Server::start(Script::default().fault_on(
        0,
        At::Dot,
        Action::Reply(451, "4.3.0 Internal server error"),
    ));
    let r = send(&server, &[]);
    assert_delivered_once(&server, &r, 2);
}

#[test]
fn retries_give_up_with_75_after_n_plus_one_attempts() {
    let server =
        Server::start(Script::default().fault(At::Mail, Action::Reply(451, "4.3.0 try again")));
    let r = send(&server, &["--retries", "2"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert_eq!(server.connections(), 3);
    assert!(server.messages().is_empty());
    assert_eq!(r.json()["attempts"], 3);
}

#[test]
fn permanent_refusals_open_exactly_one_connection() {
    for (at, code, text) in [
        (
            At::AnyRcpt,
            553,
            "5.1.2 recipient domain is toxic or tempmail",
        ),
        (At::Auth, 535, "5.7.8 Authentication credentials invalid"),
        (At::Mail, 521, "account disabled"),
    ] {
        let server = Server::start(Script::default().fault(at, Action::Reply(code, text)));
        let r = send(&server, &["--retries", "5"]);
        assert_ne!(r.code, 0);
        assert_eq!(server.connections(), 1, "{code} was retried");
    }
}

#[test]
fn silent_server_times_out_and_is_retried() {
    let server =
        Server::start(Script::default().fault(At::Connect, Action::Stall(Duration::from_secs(10))));
    let started = Instant::now();
    let r = send(&server, &["--timeout", "1", "--retries", "1"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert_eq!(server.connections(), 2);
    assert!(
        r.stderr.contains("timed out after 1 s"),
        "read timeouts (WouldBlock) are timeouts:\n{}",
        r.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn deadline_stops_a_server_that_answers_one_byte_a_second() {
    let server = Server::start(Script::default().fault(At::Connect, Action::Slow));
    let started = Instant::now();
    let r = send(&server, &["--timeout", "5", "--deadline", "3"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        r.stderr.contains("--deadline") || r.stderr.contains("timed out"),
        "{}",
        r.stderr
    );
}

#[test]
fn failed_tls_handshake_is_transient() {
    let server = Server::start(Script::default().fault(At::Handshake, Action::Drop));
    let r = send(&server, &["--retries", "2"]);
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert_eq!(server.connections(), 3);
    assert!(!server.all_commands().iter().any(|c| c.starts_with("AUTH")));
}

/// Both SMTP paths: one command at a time, and pipelined (RFC 2920).
fn with_and_without_pipelining(check: impl Fn(Script)) {
    for pipelining in [false, true] {
        check(Script {
            pipelining,
            ..Script::default()
        });
    }
}

#[test]
fn allow_partial_sends_to_the_accepted_and_reports_the_refused() {
    with_and_without_pipelining(|script| {
        let server = Server::start(script.fault(
            At::Rcpt("bad@example.net".into()),
            Action::Reply(550, "5.1.1 no such user"),
        ));
        let r = run(send_to(&server).args([
            "--json",
            "--allow-partial",
            "--from",
            "a@example.com",
            "--to",
            "one@example.com,bad@example.net,two@example.com",
            "--subject",
            "s",
            "--text",
            "t",
        ]));
        assert_eq!(r.code, 65, "{}", r.stderr);
        let m = server.messages();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].rcpts, ["one@example.com", "two@example.com"]);
        let j = r.json();
        assert_eq!(j["status"], "partial");
        assert_eq!(j["refused"][0]["recipient"], "bad@example.net");
        assert_eq!(j["refused"][0]["reply"]["code"], 550);
        assert!(r.stderr.contains("bad@example.net refused"), "{}", r.stderr);
    });
}

#[test]
fn every_recipient_refused_sends_nothing_even_with_allow_partial() {
    with_and_without_pipelining(|script| {
        let server =
            Server::start(script.fault(At::AnyRcpt, Action::Reply(550, "5.1.1 no such user")));
        let r = run(send_to(&server).args([
            "--json",
            "--allow-partial",
            "--from",
            "a@example.com",
            "--to",
            "x@example.net,y@example.net",
            "--subject",
            "s",
            "--text",
            "t",
        ]));
        assert_eq!(r.code, 65, "{}", r.stderr);
        assert!(server.messages().is_empty() && server.unanswered().is_empty());
        assert!(
            r.stderr.contains("every recipient was refused"),
            "{}",
            r.stderr
        );
        assert_eq!(r.json()["error"]["stage"], "rcpt");
        assert!(
            server.all_commands().iter().any(|c| c == "RSET"),
            "the transaction is reset"
        );
    });
}

#[test]
fn failover_tries_the_other_region_once_after_the_retries() {
    let eu = Server::start(
        Script::default().fault(At::Connect, Action::Reply(421, "4.3.2 shedding load")),
    );
    let us = Server::start(Script::default());
    let r = run(crate::util::ahasmtp()
        .args([
            "send",
            "--json",
            "--region",
            "eu",
            "--failover",
            "--retries",
            "1",
            "--ca-file",
        ])
        .arg(us.ca_file())
        .args(["--user", crate::server::USER])
        .args(MINIMAL)
        .env("AHASEND_SMTP_PASSWORD", crate::server::PASSWORD)
        .env(
            "AHASMTP_TEST_REGION_HOSTS",
            format!("eu={},us={}", eu.addr(), us.addr()),
        ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(eu.connections(), 2);
    assert_eq!(us.connections(), 1);
    assert_eq!(us.messages().len(), 1);
    assert!(
        r.stderr.contains("failing over to the US region"),
        "{}",
        r.stderr
    );
    assert_eq!(r.json()["attempts"], 3);
}
