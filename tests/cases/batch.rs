//! `ahasmtp batch`: persistent connections, exactly once, results, resume.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::server::{Action, At, Script, Server, PASSWORD, USER};
use crate::util::{ahasmtp, run, write};

fn jsonl(n: usize) -> String {
    (1..=n)
        .map(|i| {
            format!(
                "{{\"id\":\"m{i}\",\"to\":[\"r{i}@example.com\"],\"subject\":\"Receipt {i}\"}}\n"
            )
        })
        .collect()
}

fn batch_to(server: &Server) -> std::process::Command {
    let mut cmd = ahasmtp();
    cmd.args(["batch", "--server", &server.addr(), "--ca-file"])
        .arg(server.ca_file())
        .args([
            "--user",
            USER,
            "--from",
            "Shop <shop@example.com>",
            "--text",
            "Thank you",
        ])
        .env("AHASEND_SMTP_PASSWORD", PASSWORD);
    cmd
}

fn results(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Each `r{i}` received exactly once, for i in 1..=n.
fn assert_each_once(messages: &[crate::server::Received], n: usize) {
    let mut got: Vec<String> = messages.iter().flat_map(|m| m.rcpts.clone()).collect();
    got.sort();
    let mut want: Vec<String> = (1..=n).map(|i| format!("r{i}@example.com")).collect();
    want.sort();
    assert_eq!(got, want, "every message exactly once");
}

#[test]
fn crosses_the_per_connection_limit_and_retries_transient_replies() {
    // The server refuses MAIL past 25 per connection with 451, as AhaSend does past 10,000,
    // and injects a 421 and a 451 of its own; the client's own limit is 10.
    let server = Server::start(
        Script {
            max_per_connection: Some((25, 451, "4.7.1 too many messages on this connection")),
            ..Script::default()
        }
        .fault_on(1, At::Dot, Action::Reply(451, "4.3.0 try again"))
        .fault_on(3, At::Mail, Action::Reply(421, "4.3.2 shedding load")),
    );
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.jsonl", jsonl(120).as_bytes());
    let out = dir.path().join("results.jsonl");
    let r = run(batch_to(&server)
        .args([
            "--connections",
            "2",
            "--max-per-connection",
            "10",
            "--results",
        ])
        .arg(&out)
        .arg(&input));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_each_once(&server.messages(), 120);
    assert!(
        server.connections() >= 12,
        "reconnected every 10: {}",
        server.connections()
    );
    let res = results(&out);
    assert_eq!(res.len(), 120);
    assert!(res
        .iter()
        .all(|r| r["status"] == "sent" && r["message_id"].is_string()));
    let mut lines: Vec<u64> = res.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    lines.sort();
    assert_eq!(lines, (1..=120).collect::<Vec<_>>());
    assert!(
        res.iter().any(|r| r["attempts"].as_u64().unwrap() > 1),
        "a retry happened"
    );
    assert!(
        r.stderr.contains("batch: 120 sent, 0 failed"),
        "{}",
        r.stderr
    );

    // Past the server's own limit, the transient reply makes the client reconnect.
    let server = Server::start(Script {
        max_per_connection: Some((25, 451, "4.7.1 too many messages on this connection")),
        ..Script::default()
    });
    let input = write(dir.path(), "in2.jsonl", jsonl(60).as_bytes());
    let r = run(batch_to(&server)
        .args(["--connections", "1", "--results"])
        .arg(dir.path().join("r2.jsonl"))
        .arg(&input));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_each_once(&server.messages(), 60);
    assert_eq!(server.connections(), 3);
}

#[test]
fn bad_lines_are_recorded_with_their_number_and_the_batch_goes_on() {
    let server = Server::start(Script::default().fault(
        At::Rcpt("toxic@tempmail.example".into()),
        Action::Reply(
            553,
            "Requested action not taken: recipient domain is toxic or tempmail",
        ),
    ));
    let input = "{\"to\":[\"a@example.com\"]}\n{not json\n{\"to\":[\"not an address\"]}\n\n{\"to\":[\"toxic@tempmail.example\"],\"id\":\"t\"}\n{\"to\":[\"b@example.com\"],\"subjct\":\"typo\"}\n{\"to\":[\"c@example.com\"],\"html\":\"<p>hi</p>\",\"tags\":[\"x\"]}\n";
    let r = crate::util::run_with_stdin(batch_to(&server).arg("-"), input.as_bytes());
    assert_eq!(r.code, 65, "{}", r.stderr);
    let res: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let status = |line: u64| {
        res.iter()
            .find(|r| r["line"] == line)
            .map(|r| r["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status(1).as_deref(), Some("sent"));
    assert_eq!(status(2).as_deref(), Some("failed"));
    assert_eq!(status(3).as_deref(), Some("failed"));
    assert_eq!(status(4), None, "blank lines are skipped silently");
    assert_eq!(status(5).as_deref(), Some("failed"));
    assert_eq!(status(6).as_deref(), Some("failed"));
    assert_eq!(status(7).as_deref(), Some("sent"));
    let line6 = res.iter().find(|r| r["line"] == 6).unwrap();
    assert!(
        line6["error"]["text"].as_str().unwrap().contains("subjct"),
        "{line6}"
    );
    let line5 = res.iter().find(|r| r["line"] == 5).unwrap();
    assert_eq!(line5["reply"]["code"], 553);
    assert!(r.stderr.contains("*** line 2:"), "{}", r.stderr);
    let m = server.messages();
    assert_eq!(m.len(), 2);
    let last = m
        .iter()
        .find(|m| m.rcpts == ["c@example.com"])
        .unwrap()
        .parsed();
    assert_eq!(last.body_html(0).unwrap(), "<p>hi</p>");
    assert_eq!(last.header_raw("ahasend-tags").map(str::trim), Some("x"));
    assert_eq!(
        last.from().unwrap().first().unwrap().name(),
        Some("Shop"),
        "--from is the default"
    );
}

/// Starts a batch that stalls at `r{stall_at}`, waits until everything before it is on disk.
fn run_until_stalled(
    server: &Server,
    input: &std::path::Path,
    out: &std::path::Path,
    stall_at: usize,
) -> std::process::Child {
    let child = batch_to(server)
        .args(["--connections", "1", "--retries", "0", "--results"])
        .arg(out)
        .arg(input)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while results(out).len() < stall_at - 1 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the batch did not progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.messages().len(), stall_at - 1);
    child
}

#[test]
fn resume_after_a_kill_sends_each_remaining_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.jsonl", jsonl(50).as_bytes());
    let first = dir.path().join("first.jsonl");
    let stalling = Server::start(Script::default().fault(
        At::Rcpt("r31@example.com".into()),
        Action::Stall(Duration::from_secs(30)),
    ));
    let mut child = run_until_stalled(&stalling, &input, &first, 31);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    assert_eq!(results(&first).len(), 30, "what finished is on disk");

    let server = Server::start(Script::default());
    let second = dir.path().join("second.jsonl");
    let r = run(batch_to(&server)
        .args(["--resume"])
        .arg(&first)
        .args(["--results"])
        .arg(&second)
        .arg(&input));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(server.messages().len(), 20, "only the remaining ones");
    let mut all = stalling.messages();
    all.extend(server.messages());
    assert_each_once(&all, 50);
    let res = results(&second);
    assert_eq!(res.iter().filter(|r| r["status"] == "skipped").count(), 30);
    assert_eq!(res.iter().filter(|r| r["status"] == "sent").count(), 20);

    // Rerunning a finished batch sends nothing.
    let third = dir.path().join("third.jsonl");
    let again = Server::start(Script::unused());
    let r = run(batch_to(&again)
        .args(["--resume"])
        .arg(&second)
        .args(["--results"])
        .arg(&third)
        .arg(&input));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(again.messages().len(), 0);
}

#[test]
fn sigint_finishes_the_message_in_flight_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.jsonl", jsonl(40).as_bytes());
    let out = dir.path().join("out.jsonl");
    let server = Server::start(Script::default().fault(
        At::Rcpt("r11@example.com".into()),
        Action::Stall(Duration::from_secs(1)),
    ));
    let child = run_until_stalled(&server, &input, &out, 11);
    let pid = child.id().to_string();
    assert!(std::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {pid}")])
        .status()
        .unwrap()
        .success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let res = results(&out);
    assert_eq!(res.len(), 11, "the message in flight got its result line");
    assert_eq!(res.last().unwrap()["line"], 11);
    assert_eq!(server.messages().len(), 10);
}

#[test]
fn refused_credentials_stop_the_batch_with_77() {
    let server = Server::start(Script::default());
    let mut cmd = batch_to(&server);
    cmd.env("AHASEND_SMTP_PASSWORD", "wrong");
    let mut child = cmd
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(jsonl(30).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(77));
    assert!(
        server.connections() <= 3,
        "it stops instead of trying every line: {}",
        server.connections()
    );
}

#[test]
fn disabled_account_stops_the_batch() {
    let server =
        Server::start(Script::default().fault(At::Mail, Action::Reply(521, "Account disabled")));
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.jsonl", jsonl(40).as_bytes());
    let r = run(batch_to(&server).args(["--connections", "1"]).arg(&input));
    assert_eq!(r.code, 69, "{}", r.stderr);
    assert!(
        r.stdout.lines().count() < 5,
        "it stopped instead of failing every line:\n{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("suspended or out of credits"),
        "{}",
        r.stderr
    );
}

#[test]
fn quiet_prints_nothing_when_all_were_sent_and_data_is_refused() {
    let server = Server::start(Script::default());
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.jsonl", jsonl(3).as_bytes());
    let r = run(batch_to(&server)
        .args(["-q", "--results"])
        .arg(dir.path().join("out.jsonl"))
        .arg(&input));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "", "quiet and all sent: no summary");
    assert_eq!(server.messages().len(), 3);

    let failing = Server::start(Script::default().fault(
        At::Rcpt("r2@example.com".into()),
        Action::Reply(550, "5.1.1 no such user"),
    ));
    let r = run(batch_to(&failing)
        .args(["-q", "--results"])
        .arg(dir.path().join("out2.jsonl"))
        .arg(&input));
    assert_eq!(r.code, 65);
    assert!(
        r.stderr.contains("*** line 2") && r.stderr.contains("batch: 2 sent, 1 failed"),
        "{}",
        r.stderr
    );

    let r = run(ahasmtp().args(["batch", "--data", "@x.eml"]).arg(&input));
    assert_eq!(r.code, 64);
    assert!(
        r.stderr.contains("--data is not available in batch"),
        "{}",
        r.stderr
    );
}
