//! Every way to keep the SMTP secret, none that leaks it; profiles; `ahasmtp check`.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::server::{Action, At, Script, Server, PASSWORD, USER};
use crate::util::{ahasmtp, check_to, run, wrapped, write, MINIMAL};

fn private(path: &std::path::Path) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// `ahasmtp send` to the server with no password in the environment.
fn send_without_password(server: &Server) -> std::process::Command {
    let mut cmd = ahasmtp();
    cmd.args(["send", "--server", &server.addr(), "--ca-file"])
        .arg(server.ca_file())
        .args(MINIMAL);
    cmd
}

fn authenticated(server: &Server) -> bool {
    server
        .messages()
        .first()
        .and_then(|m| m.user.clone())
        .as_deref()
        == Some(USER)
}

#[test]
fn password_file_first_line_is_used() {
    let server = Server::start(Script::default());
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "secret",
        format!("{PASSWORD}\nignored second line\n").as_bytes(),
    );
    private(&file);
    let r = run(send_without_password(&server)
        .args(["--user", USER, "--password-file"])
        .arg(&file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(authenticated(&server));
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}

#[test]
fn readable_password_file_gets_a_chmod_warning() {
    let server = Server::start(Script::default());
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "secret", PASSWORD.as_bytes());
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = run(send_without_password(&server)
        .args(["--user", USER, "--password-file"])
        .arg(&file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("chmod 600 {}", file.display())),
        "{}",
        r.stderr
    );
}

#[test]
fn password_command_runs_with_and_without_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "secret", format!("{PASSWORD}\n").as_bytes());
    private(&file);
    for cmd in [
        format!("cat {}", file.display()),
        format!("cat {} | head -n 1", file.display()),
    ] {
        let server = Server::start(Script::default());
        let r =
            run(send_without_password(&server).args(["--user", USER, "--password-command", &cmd]));
        assert_eq!(r.code, 0, "{cmd}: {}", r.stderr);
        assert!(authenticated(&server), "{cmd}");
    }
}

#[test]
fn failing_password_command_is_78_with_its_stderr() {
    let server = Server::start(Script::unused());
    let r = run(send_without_password(&server).args([
        "--json",
        "--user",
        USER,
        "--password-command",
        &format!("sh -c 'echo vault is locked >&2; echo {PASSWORD}; exit 3'"),
    ]));
    assert_eq!(r.code, 78, "{}", r.stderr);
    assert!(r.stderr.contains("vault is locked"), "{}", r.stderr);
    assert_eq!(r.json()["status"], "failed");
    assert_eq!(server.connections(), 0);
}

#[test]
fn profile_supplies_server_user_password_and_from() {
    let server = Server::start(Script::default());
    let home = tempfile::tempdir().unwrap();
    let secret = write(home.path(), "ahasend.secret", PASSWORD.as_bytes());
    private(&secret);
    let config = write(
        home.path(),
        "config.toml",
        format!(
            "[profile.default]\nserver = \"{}\"\nuser = \"{USER}\"\npassword_file = \"~/ahasend.secret\"\nfrom = \"Alerts <alerts@example.com>\"\nca_file = \"{}\"\ntags = [\"cron\"]\n",
            server.addr(),
            server.ca_file().display()
        )
        .as_bytes(),
    );
    private(&config);
    let r = run(ahasmtp()
        .env("HOME", home.path())
        .env("AHASMTP_CONFIG", &config)
        .args([
            "send",
            "--to",
            "b@example.com",
            "--subject",
            "s",
            "--text",
            "t",
        ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = &server.messages()[0];
    assert_eq!(m.user.as_deref(), Some(USER));
    assert_eq!(m.mail_from, "alerts@example.com");
    assert_eq!(
        m.parsed().header_raw("ahasend-tags").map(str::trim),
        Some("cron")
    );
}

#[test]
fn named_profile_from_environment_and_flag() {
    let server = Server::start(Script::default());
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "config.toml",
        format!(
            "[profile.default]\nserver = \"192.0.2.1:25\"\n\n[profile.test]\nserver = \"{}\"\nuser = \"{USER}\"\npassword_command = \"printf %s {PASSWORD}\"\n",
            server.addr()
        )
        .as_bytes(),
    );
    private(&config);
    let r = run(ahasmtp()
        .env("AHASMTP_CONFIG", &config)
        .env("AHASMTP_PROFILE", "test")
        .args(["send", "--ca-file"])
        .arg(server.ca_file())
        .args(MINIMAL));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(authenticated(&server));
    let r = run(ahasmtp()
        .args(["check", "--show-config", "--profile", "nope", "--config"])
        .arg(&config));
    assert_eq!(r.code, 78);
    assert!(
        r.stderr.contains("no profile \"nope\"") && r.stderr.contains("default, test"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_key_and_wrong_type_name_the_key_and_file() {
    let dir = tempfile::tempdir().unwrap();
    for (text, needle) in [
        ("[profile.default]\npasword_file = \"x\"\n", "pasword_file"),
        ("[profile.default]\nport = \"587\"\n", "port"),
        ("[profle.default]\n", "profle"),
    ] {
        let config = write(dir.path(), "bad.toml", text.as_bytes());
        private(&config);
        let r = run(ahasmtp()
            .args(["check", "--show-config", "--config"])
            .arg(&config));
        assert_eq!(r.code, 78, "{text}");
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
        assert!(r.stderr.contains(config.to_str().unwrap()), "{}", r.stderr);
    }
}

#[test]
fn world_readable_config_gets_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "config.toml",
        b"[profile.default]\nregion = \"us\"\n",
    );
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = run(ahasmtp()
        .args(["check", "--show-config", "--config"])
        .arg(&config));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("readable by group or others") && r.stderr.contains("chmod 600"));
    assert!(
        r.stdout
            .contains("send-us.ahasend.com:587 (profile default)"),
        "{}",
        r.stdout
    );
}

#[test]
fn no_terminal_and_no_secret_fails_at_once() {
    let server = Server::start(Script::unused());
    let started = Instant::now();
    let r = run(wrapped(&["setsid", "-w"])
        .args(["send", "--server", &server.addr(), "--user", USER])
        .args(MINIMAL));
    assert_eq!(r.code, 78, "{}", r.stderr);
    assert!(r.stderr.contains("no terminal to ask on"), "{}", r.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "it must not hang"
    );
    assert_eq!(server.connections(), 0);
}

#[test]
fn prompt_reads_the_password_from_the_terminal_without_echo() {
    let server = Server::start(Script::default());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/prompt.py");
    let ca = server.ca_file();
    let r = run(wrapped(&["python3", script, PASSWORD])
        .args([
            "send",
            "--server",
            &server.addr(),
            "--ca-file",
            ca.to_str().unwrap(),
            "--user",
            USER,
            "-q",
        ])
        .args(MINIMAL));
    assert_eq!(r.code, 0, "terminal showed:\n{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("SMTP password for {USER}:")),
        "{}",
        r.stdout
    );
    assert!(
        authenticated(&server),
        "the password typed at the prompt was used"
    );
    // run() already asserted the typed password never appeared on the terminal (no echo).
}

#[test]
fn check_proves_endpoint_and_credentials_and_sends_nothing() {
    let server = Server::start(Script::default());
    let r = run(check_to(&server).arg("--json"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["status"], "ok");
    assert_eq!(j["auth"], "accepted");
    assert_eq!(j["capabilities"]["size"], 20_971_520);
    assert_eq!(j["capabilities"]["pipelining"], true);
    assert_eq!(j["capabilities"]["auth"][0], "PLAIN");
    assert!(j["tls"]["subject"]
        .as_str()
        .unwrap()
        .contains("mx.test.local"));
    assert!(j["tls"]["days_left"].as_i64().unwrap() > 300);
    assert_eq!(
        j["password_source"],
        "<set from environment AHASEND_SMTP_PASSWORD>"
    );
    let cmds = server.all_commands();
    assert!(cmds.iter().any(|c| c.starts_with("AUTH PLAIN")));
    assert!(
        !cmds.iter().any(|c| c.starts_with("MAIL")),
        "check sends nothing: {cmds:?}"
    );
    assert_eq!(cmds.last().map(String::as_str), Some("QUIT"));

    let r = run(&mut check_to(&server));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("capabilities: SIZE 20971520 (20.0 MiB), PIPELINING, 8BITMIME"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("auth: accepted"));
}

#[test]
fn check_reports_refused_auth_as_77() {
    let server = Server::start(Script::default().fault(
        At::Auth,
        Action::Reply(535, "5.7.8 Authentication credentials invalid"),
    ));
    let r = run(check_to(&server).arg("--json"));
    assert_eq!(r.code, 77, "{}", r.stderr);
    assert_eq!(r.json()["auth"], "refused");
    assert_eq!(r.json()["error"]["code"], 535);
}

#[test]
fn show_config_names_sources_never_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "config.toml",
        format!("[profile.default]\nregion = \"us\"\nuser = \"profile-user\"\npassword_command = \"printf %s {PASSWORD}\"\n\n[profile.default.aliases]\nroot = \"ops@example.com\"\n").as_bytes(),
    );
    private(&config);
    let r = run(ahasmtp()
        .env("AHASMTP_CONFIG", &config)
        .env("AHASEND_SMTP_USERNAME", "env-user")
        .args(["check", "--show-config", "--port", "2525"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("send-us.ahasend.com:2525 (profile default)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("env-user (environment AHASEND_SMTP_USERNAME)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("<set from password_command (profile default)>"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("root → ops@example.com"), "{}", r.stdout);
    let r =
        run(ahasmtp()
            .env("AHASMTP_CONFIG", &config)
            .args(["check", "--show-config", "--json"]));
    assert_eq!(
        r.json()["password"],
        "<set from password_command (profile default)>"
    );
}
