//! `sendmail` mode through a `sendmail` symlink: each caller of callers.md with its exact argv
//! and a message shaped like its own.

use std::os::unix::fs::PermissionsExt;

use crate::server::{Action, At, Received, Script, Server, PASSWORD, USER};
use crate::util::{run_with_stdin, sendmail_link, write, Run};

/// A sendmail set-up as /etc/ahasmtp.toml would give cron: server, credentials, from, aliases.
struct Setup {
    server: Server,
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
}

fn setup_with(script: Script, extra: &str) -> Setup {
    let server = Server::start(script);
    let dir = tempfile::tempdir().unwrap();
    let secret = write(dir.path(), "secret", PASSWORD.as_bytes());
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = write(
        dir.path(),
        "ahasmtp.toml",
        format!(
            "[profile.default]\nserver = \"{}\"\nca_file = \"{}\"\nuser = \"{USER}\"\npassword_file = \"{}\"\nfrom = \"Alerts <alerts@example.com>\"\nrewrite_from = true\nretries = 0\n{extra}\n[profile.default.aliases]\nroot = \"ops@example.com\"\n",
            server.addr(),
            server.ca_file().display(),
            secret.display()
        )
        .as_bytes(),
    );
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    Setup {
        server,
        dir,
        config,
    }
}

fn setup() -> Setup {
    setup_with(Script::default(), "")
}

impl Setup {
    fn sendmail(&self, argv: &[&str], message: &str) -> Run {
        run_with_stdin(
            sendmail_link(self.dir.path())
                .env("AHASMTP_CONFIG", &self.config)
                .args(argv),
            message.as_bytes(),
        )
    }

    fn only_message(&self) -> Received {
        let m = self.server.messages();
        assert_eq!(m.len(), 1, "exactly one message");
        m.into_iter().next().unwrap()
    }
}

fn assert_silent_success(r: &Run) {
    assert_eq!(r.code, 0, "stderr:\n{}", r.stderr);
    assert_eq!(r.stdout, "", "sendmail prints nothing on success");
    assert_eq!(r.stderr, "", "sendmail prints nothing on success");
}

fn assert_date_and_message_id_added(m: &Received) {
    let p = m.parsed();
    assert!(p.date().is_some(), "Date added");
    assert_eq!(
        p.message_id(),
        Some("test@example.com"),
        "Message-ID added on the sender's domain"
    );
}

const DEBIAN_CRON: &str = "From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@host> /usr/local/bin/backup\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\nX-Cron-Env: <SHELL=/bin/sh>\nX-Cron-Env: <HOME=/root>\n\nbackup done: 3 files\n.hidden file kept\nGrüße\n";

#[test]
fn debian_cron_without_t_and_a_bare_root() {
    let s = setup();
    let r = s.sendmail(
        &["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"],
        DEBIAN_CRON,
    );
    assert_silent_success(&r);
    let m = s.only_message();
    assert_eq!(m.mail_from, "alerts@example.com");
    assert_eq!(
        m.rcpts,
        ["ops@example.com"],
        "root mapped through the aliases"
    );
    let p = m.parsed();
    let from = p.from().unwrap().first().unwrap();
    assert_eq!(
        (from.name(), from.address()),
        (Some("Cron Daemon"), Some("alerts@example.com")),
        "From rewritten, name kept"
    );
    assert_eq!(
        p.header_values("X-Cron-Env").count(),
        2,
        "other headers kept"
    );
    let text = m.text();
    assert!(
        text.contains("\r\n.hidden file kept\r\n"),
        "a line starting with a dot arrives intact"
    );
    assert!(text.contains("Grüße"), "8-bit body sent as it came");
    assert!(!text.contains("\n\n"), "LF became CRLF");
    assert!(s
        .server
        .all_commands()
        .iter()
        .any(|c| c.contains("BODY=8BITMIME")));
    assert_date_and_message_id_added(&m);
}

#[test]
fn cronie_with_t_and_f_root() {
    let s = setup();
    let msg = "From: \"(Cron Daemon)\" <root>\nTo: root\nSubject: Cron <root@host> date\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\nAuto-Submitted: auto-generated\nPrecedence: bulk\n\nThu Dec  3 16:29:59 UTC 2026\n";
    let r = s.sendmail(
        &[
            "-FCronDaemon",
            "-i",
            "-odi",
            "-oem",
            "-oi",
            "-t",
            "-f",
            "root",
        ],
        msg,
    );
    assert_silent_success(&r);
    let m = s.only_message();
    assert_eq!(
        m.mail_from, "alerts@example.com",
        "-f root counts as no sender"
    );
    assert_eq!(m.rcpts, ["ops@example.com"]);
    let p = m.parsed();
    let from = p.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("alerts@example.com"));
    assert_eq!(from.name(), Some("Cron Daemon"));
    assert_eq!(p.header_raw("Precedence").map(str::trim), Some("bulk"));
    assert_date_and_message_id_added(&m);
}

#[test]
fn git_send_email_with_recipients_as_arguments() {
    let s = setup();
    let patch = "From: Dev <dev@example.com>\nTo: list@example.com\nCc: reviewer@example.com\nSubject: [PATCH] fix the frobnicator\nDate: Thu, 3 Dec 2026 16:00:00 +0000\nMessage-ID: <20261203160000.1-1-dev@example.com>\nX-Mailer: git-send-email 2.47.3\nMIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n\n---\n src/frob.c | 2 +-\n.\n..\ndiff --git a/src/frob.c b/src/frob.c\n-old\n+new\n-- \n2.47.3\n";
    let r = s.sendmail(
        &[
            "-f",
            "dev@example.com",
            "-i",
            "list@example.com",
            "reviewer@example.com",
            "secret-bcc@example.com",
        ],
        patch,
    );
    assert_silent_success(&r);
    let m = s.only_message();
    assert_eq!(m.mail_from, "dev@example.com", "-f is the envelope sender");
    assert_eq!(
        m.rcpts,
        [
            "list@example.com",
            "reviewer@example.com",
            "secret-bcc@example.com"
        ]
    );
    assert!(
        !m.text().contains("secret-bcc"),
        "Bcc recipients only in the envelope"
    );
    let p = m.parsed();
    assert_eq!(
        p.message_id(),
        Some("20261203160000.1-1-dev@example.com"),
        "an existing Message-ID is kept"
    );
    assert_eq!(
        p.from().unwrap().first().unwrap().address(),
        Some("dev@example.com"),
        "same domain as the profile: kept"
    );
    assert!(
        m.text().contains("\r\n.\r\n..\r\ndiff"),
        "lone dots in the patch survive (-i)"
    );
}

#[test]
fn logwatch_and_mdadm_with_t_and_no_date_or_message_id() {
    for (argv, msg) in [
        (vec!["-t"], "To: root\nFrom: Logwatch <root@host.localdomain>\nSubject: Logwatch for host\nAuto-Submitted: auto-generated\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"UTF-8\"\n\n ################### Logwatch ####################\n"),
        (vec!["-t"], "From: mdadm monitoring <root>\nTo: root\nSubject: Fail event on /dev/md0:host\n\nThis is an automatically generated mail message from mdadm\n"),
    ] {
        let s = setup();
        let r = s.sendmail(&argv, msg);
        assert_silent_success(&r);
        let m = s.only_message();
        assert_eq!(m.rcpts, ["ops@example.com"]);
        assert_date_and_message_id_added(&m);
        assert_eq!(m.parsed().from().unwrap().first().unwrap().address(), Some("alerts@example.com"));
    }
}

#[test]
fn unattended_upgrades_with_oi_t_and_a_quoted_printable_body() {
    let s = setup();
    let msg = "Subject: [host] unattended-upgrades result for host: SUCCESS\nFrom: root\nTo: admin@example.com, Bcc-ish <also@example.com>\nBcc: auditor@example.com\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\nMIME-Version: 1.0\n\nUnattended upgrade result: All upgrades installed =E2=9C=93\n";
    let r = s.sendmail(&["-oi", "-t"], msg);
    assert_silent_success(&r);
    let m = s.only_message();
    assert_eq!(
        m.rcpts,
        [
            "admin@example.com",
            "also@example.com",
            "auditor@example.com"
        ]
    );
    assert!(
        !m.text().contains("auditor"),
        "Bcc removed from what is sent"
    );
    let p = m.parsed();
    assert_eq!(
        p.body_text(0).unwrap().trim(),
        "Unattended upgrade result: All upgrades installed ✓"
    );
}

#[test]
fn mailx_and_mutt_with_double_dash() {
    let s = setup();
    let r = s.sendmail(
        &["-i", "--", "a@example.com,b@example.com"],
        "From: me@example.com\nTo: a@example.com\nSubject: mailx\n\nhi\n",
    );
    assert_silent_success(&r);
    assert_eq!(s.only_message().rcpts, ["a@example.com", "b@example.com"]);
    let s = setup();
    let r = s.sendmail(
        &[
            "-oem",
            "-oi",
            "-f",
            "me@example.com",
            "-N",
            "failure,delay",
            "--",
            "c@example.com",
        ],
        "From: Me <me@example.com>\nTo: c@example.com\nSubject: mutt\n\nhi\n",
    );
    assert_silent_success(&r);
    assert_eq!(s.only_message().mail_from, "me@example.com");
}

#[test]
fn without_dash_i_a_lone_dot_ends_the_message() {
    let s = setup();
    let r = s.sendmail(
        &["a@example.com"],
        "Subject: dot\n\nfirst\n.\nnot part of it\n",
    );
    assert_silent_success(&r);
    let text = s.only_message().text();
    assert!(text.ends_with("\r\nfirst\r\n"), "{text:?}");
}

#[test]
fn refusals_have_their_sysexits_status_and_one_block() {
    let s = setup_with(Script::unused(), "");
    let r = s.sendmail(&["-bs"], "");
    assert_eq!(r.code, 64);
    assert!(
        r.stderr
            .contains("-bs (SMTP on stdin and stdout) is not supported"),
        "{}",
        r.stderr
    );
    let r = s.sendmail(&["www-data"], "Subject: x\n\nx\n");
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(
        r.stderr.contains("\"www-data\" is a local name"),
        "{}",
        r.stderr
    );
    let r = s.sendmail(&[], "Subject: x\n\nx\n");
    assert_eq!(r.code, 64, "{}", r.stderr);
    let many: Vec<String> = (0..51).map(|i| format!("r{i}@example.com")).collect();
    let r = s.sendmail(&[&many.join(",")], "Subject: x\n\nx\n");
    assert_eq!(r.code, 65, "{}", r.stderr);
    assert!(r.stderr.contains("split = true"), "{}", r.stderr);
    assert_eq!(s.server.connections(), 0);

    let s = setup_with(
        Script::default().fault(At::Mail, Action::Reply(451, "4.3.0 Internal server error")),
        "",
    );
    let r = s.sendmail(&["a@example.com"], "Subject: x\n\nx\n");
    assert_eq!(
        r.code, 75,
        "transient, so callers' queues retry: {}",
        r.stderr
    );
    assert!(
        r.stderr.starts_with("*** "),
        "one clear block: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("==="), "no transcript without -v");
}

#[test]
fn split_from_the_profile_and_verbose_transcript() {
    let s = setup_with(Script::default(), "split = true");
    let many: Vec<String> = (0..60).map(|i| format!("r{i}@example.com")).collect();
    let r = s.sendmail(&["-v", &many.join(",")], "Subject: x\n\nx\n");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(" ~> AUTH PLAIN <redacted>"),
        "-v shows the transcript"
    );
    assert_eq!(s.server.messages().len(), 2);
}

#[test]
fn sendmail_subcommand_is_the_same_mode() {
    let s = setup();
    let r = run_with_stdin(
        crate::util::ahasmtp()
            .env("AHASMTP_CONFIG", &s.config)
            .args(["sendmail", "-t", "-i"]),
        b"To: x@example.com\nSubject: via subcommand\n\nhi\n",
    );
    assert_silent_success(&r);
    assert_eq!(s.only_message().rcpts, ["x@example.com"]);
}
