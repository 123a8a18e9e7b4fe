//! Helpers: a hermetic `ahasmtp` command, its output, and the check that no secret leaked.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine;

use crate::server::{Server, PASSWORD, USER};

/// The smallest complete message: what most tests send when the message itself is not the point.
pub const MINIMAL: [&str; 8] = [
    "--from",
    "a@example.com",
    "--to",
    "b@example.com",
    "--subject",
    "s",
    "--text",
    "t",
];

/// An empty config file, so no developer's own config or /etc/ahasmtp.toml is read.
fn empty_config() -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ahasmtp-empty-config.toml");
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(&path, "").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ahasmtp"))
}

/// `ahasmtp` with a clean environment: test mode on, no config, HOME in the target dir.
pub fn ahasmtp() -> Command {
    wrapped(&[])
}

/// `sendmail`, a symlink to the built binary in `dir`, with the hermetic environment. The
/// config comes from the caller (`AHASMTP_CONFIG`), as cron's comes from /etc/ahasmtp.toml.
pub fn sendmail_link(dir: &Path) -> Command {
    let link = dir.join("sendmail");
    if !link.exists() {
        std::os::unix::fs::symlink(bin(), &link).unwrap();
    }
    let mut cmd = Command::new(&link);
    hermetic(&mut cmd);
    cmd
}

/// `ahasmtp` run through another program (`setsid`, `python3 prompt.py …`), same environment.
pub fn wrapped(prefix: &[&str]) -> Command {
    let mut cmd = match prefix.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(bin());
            c
        }
        None => Command::new(bin()),
    };
    hermetic(&mut cmd);
    cmd
}

fn hermetic(cmd: &mut Command) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env!("CARGO_TARGET_TMPDIR"))
        .env("AHASMTP_TEST_MODE", "1")
        .env("AHASMTP_CONFIG", empty_config())
        .stdin(Stdio::null());
}

/// `ahasmtp send` aimed at the test server over STARTTLS, with its CA and the right credentials.
pub fn send_to(server: &Server) -> Command {
    let mut cmd = ahasmtp();
    cmd.args(["send", "--server", &server.addr(), "--ca-file"])
        .arg(server.ca_file())
        .args(["--user", USER])
        .env("AHASEND_SMTP_PASSWORD", PASSWORD);
    cmd
}

pub fn check_to(server: &Server) -> Command {
    let mut cmd = ahasmtp();
    cmd.args(["check", "--server", &server.addr(), "--ca-file"])
        .arg(server.ca_file())
        .args(["--user", USER])
        .env("AHASEND_SMTP_PASSWORD", PASSWORD);
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}):\n{}", self.stdout))
    }
}

/// Runs to completion, asserts that no secret reached stdout or stderr, and returns the output.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("ahasmtp runs");
    finish(out)
}

pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ahasmtp runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    finish(child.wait_with_output().unwrap())
}

fn finish(out: Output) -> Run {
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_no_secret(&run.stdout);
    assert_no_secret(&run.stderr);
    run
}

/// The password, its base64, and the AUTH PLAIN blob must appear nowhere.
pub fn assert_no_secret(text: &str) {
    let b64 = base64::engine::general_purpose::STANDARD;
    let blob = b64.encode(format!("\0{USER}\0{PASSWORD}"));
    for secret in [
        PASSWORD.to_owned(),
        b64.encode(PASSWORD),
        blob.clone(),
        blob[..20].to_owned(),
    ] {
        assert!(
            !text.contains(&secret),
            "a secret leaked into the output:\n{text}"
        );
    }
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}
