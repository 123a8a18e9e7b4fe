//! One `Settings` resolved from flags, environment, config-file profile and defaults, in that order.
//!
//! This is the only module that reads the environment, the config file or the terminal; everything
//! after it takes `&Settings`. Secrets are fetched lazily (`Settings::credentials`) so that a
//! message that fails its pre-checks never runs a password command or prompts.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::cli::{ConnectionArgs, Region, RetryArgs, SandboxResult, TlsMode};
use crate::error::Failure;
use crate::secret::Secret;

pub const DEFAULT_PORT: u16 = 587;
pub const DEFAULT_TIMEOUT: u64 = 30;
pub const DEFAULT_RETRIES: u32 = 3;
pub const DEFAULT_RETRY_MAX_WAIT: u64 = 30;
/// The environment variable that pins EHLO name, Date, Message-ID, MIME boundaries and backoff.
pub const TEST_MODE_VAR: &str = "AHASMTP_TEST_MODE";

impl Region {
    pub fn host(self) -> &'static str {
        match self {
            Region::Eu => "send.ahasend.com",
            Region::Us => "send-us.ahasend.com",
        }
    }

    pub fn other(self) -> Region {
        match self {
            Region::Eu => Region::Us,
            Region::Us => Region::Eu,
        }
    }

    fn parse(s: &str) -> Option<Region> {
        match s.to_ascii_lowercase().as_str() {
            "eu" => Some(Region::Eu),
            "us" => Some(Region::Us),
            _ => None,
        }
    }
}

/// A `[profile.NAME]` table. Unknown keys are errors that name the key and the file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub region: Option<Region>,
    pub server: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<TlsMode>,
    pub user: Option<String>,
    pub password_command: Option<String>,
    pub password_file: Option<String>,
    pub from: Option<String>,
    pub rewrite_from: Option<bool>,
    pub ca_file: Option<String>,
    pub timeout: Option<u64>,
    pub helo: Option<String>,
    pub tags: Option<Vec<String>>,
    pub track_opens: Option<bool>,
    pub track_clicks: Option<bool>,
    pub sandbox: Option<bool>,
    pub sandbox_result: Option<SandboxResult>,
    pub metadata_retention: Option<u8>,
    pub data_retention: Option<u8>,
    pub retries: Option<u32>,
    pub retry_max_wait: Option<u64>,
    pub failover: Option<bool>,
    pub split: Option<bool>,
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profile: BTreeMap<String, Profile>,
}

/// Where a setting came from, for `check --show-config` and for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    Profile,
    Default,
}

impl Source {
    pub fn describe(&self, profile: &str) -> String {
        match self {
            Source::Flag(f) => format!("flag {f}"),
            Source::Env(v) => format!("environment {v}"),
            Source::Profile => format!("profile {profile}"),
            Source::Default => "default".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

/// The first of flag, environment, profile that is set, else the default.
fn pick<T>(
    flag: Option<T>,
    flag_name: &'static str,
    env: Option<T>,
    env_name: &'static str,
    profile: Option<T>,
    default: Option<T>,
) -> Option<Sourced<T>> {
    let s = |value, source| Some(Sourced { value, source });
    match (flag, env, profile, default) {
        (Some(v), ..) => s(v, Source::Flag(flag_name)),
        (None, Some(v), ..) => s(v, Source::Env(env_name)),
        (None, None, Some(v), _) => s(v, Source::Profile),
        (None, None, None, Some(v)) => s(v, Source::Default),
        _ => None,
    }
}

/// Where the SMTP password comes from. Resolved to a `Secret` only when about to connect.
#[derive(Debug, Clone)]
pub enum PasswordSource {
    Env,
    File(PathBuf, Source),
    Command(String, Source),
    Prompt,
}

impl PasswordSource {
    /// How `check --show-config` shows the password: its source, never its value.
    pub fn describe(&self, profile: &str) -> String {
        match self {
            PasswordSource::Env => "<set from environment AHASEND_SMTP_PASSWORD>".into(),
            PasswordSource::File(p, s) => {
                format!(
                    "<set from password_file {} ({})>",
                    p.display(),
                    s.describe(profile)
                )
            }
            PasswordSource::Command(_, s) => {
                format!("<set from password_command ({})>", s.describe(profile))
            }
            PasswordSource::Prompt => "<asked on the terminal>".into(),
        }
    }
}

pub struct Credentials {
    pub user: String,
    pub password: Secret,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    /// Set when the endpoint is AhaSend's, so failover knows the other region.
    pub region: Option<Region>,
}

/// In test mode only, `AHASMTP_TEST_REGION_HOSTS=eu=127.0.0.1:2525,us=127.0.0.1:2526` points the
/// regions at loopback test servers, so failover is tested without leaving the machine.
#[derive(Debug, Clone, Default)]
pub struct RegionHosts(Vec<(Region, String, u16)>);

impl RegionHosts {
    fn from_env(env: Env) -> Result<RegionHosts, Failure> {
        let (Some(_), Some(spec)) = (env(TEST_MODE_VAR), env("AHASMTP_TEST_REGION_HOSTS")) else {
            return Ok(RegionHosts::default());
        };
        let mut hosts = Vec::new();
        for item in spec.split(',') {
            let parsed = item.split_once('=').and_then(|(r, hp)| {
                let (h, p) = split_host_port(hp).ok()?;
                Some((Region::parse(r)?, h, p?))
            });
            hosts.push(parsed.ok_or_else(|| {
                Failure::config(format!("AHASMTP_TEST_REGION_HOSTS: cannot read {item:?}"))
            })?);
        }
        Ok(RegionHosts(hosts))
    }

    pub fn endpoint(&self, region: Region, port: u16) -> Endpoint {
        match self.0.iter().find(|(r, ..)| *r == region) {
            Some((_, host, port)) => Endpoint {
                host: host.clone(),
                port: *port,
                region: Some(region),
            },
            None => Endpoint {
                host: region.host().into(),
                port,
                region: Some(region),
            },
        }
    }
}

impl Endpoint {
    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') && !self.host.starts_with('[') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub retries: u32,
    /// The first backoff; doubles each attempt. One second, one millisecond in test mode.
    pub base: Duration,
    pub max_wait: Duration,
    pub deadline: Option<Instant>,
    pub failover: bool,
}

/// Everything a command needs to know about where and how to send.
#[derive(Debug)]
pub struct Settings {
    pub endpoint: Sourced<Endpoint>,
    pub regions: RegionHosts,
    pub tls: Sourced<TlsMode>,
    pub ca_file: Option<Sourced<PathBuf>>,
    pub timeout: Duration,
    pub helo: String,
    pub user: Option<Sourced<String>>,
    pub password: Option<PasswordSource>,
    pub profile_name: String,
    pub profile: Profile,
    pub config_path: Option<PathBuf>,
    pub retry: RetryPolicy,
    /// `AHASEND_FROM_EMAIL`, the sender when no --from is given.
    pub from_env: Option<String>,
    pub test_mode: bool,
    pub color: bool,
    pub stdin_is_terminal: bool,
    /// Printed once on stderr by the caller: world-readable files and the like.
    pub warnings: Vec<String>,
}

/// The process environment, as a function so resolution can be tested as a table.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

impl Settings {
    /// Resolves the settings for this process: its environment, its config file, its terminal.
    pub fn from_process(conn: &ConnectionArgs, retry: &RetryArgs) -> Result<Settings, Failure> {
        let env = &process_env;
        let mut settings = Settings::resolve(conn, retry, env)?;
        settings.color = std::io::stderr().is_terminal() && env("NO_COLOR").is_none();
        settings.stdin_is_terminal = std::io::stdin().is_terminal();
        Ok(settings)
    }

    /// Flags, then environment, then profile, then defaults. Reads the config file; no terminal.
    pub fn resolve(
        conn: &ConnectionArgs,
        retry: &RetryArgs,
        env: Env,
    ) -> Result<Settings, Failure> {
        if conn.password.is_some() {
            return Err(Failure::usage(
                "there is no --password flag: a password on the command line leaks into shell history and `ps`",
            )
            .with_hint(
                "set AHASEND_SMTP_PASSWORD, or use --password-file PATH, --password-command CMD or a config profile",
            ));
        }
        let mut warnings = Vec::new();
        let (config_path, profile_name, profile) = load_profile(conn, env, &mut warnings)?;
        let regions = RegionHosts::from_env(env)?;
        let endpoint = resolve_endpoint(conn, env, &profile, &regions)?;
        let tls = pick(
            conn.tls,
            "--tls",
            None,
            "",
            profile.tls,
            Some(TlsMode::Starttls),
        )
        .expect("a default is given");
        let ca_file = pick(
            conn.ca_file.clone(),
            "--ca-file",
            env("AHASMTP_CA_FILE").map(PathBuf::from),
            "AHASMTP_CA_FILE",
            profile.ca_file.as_deref().map(expand_tilde),
            None,
        );
        let timeout = conn.timeout.or(profile.timeout).unwrap_or(DEFAULT_TIMEOUT);
        if timeout == 0 {
            return Err(Failure::usage("--timeout must be at least 1 second"));
        }
        let test_mode = env(TEST_MODE_VAR).is_some();
        let helo = match conn.helo.clone().or(profile.helo.clone()) {
            Some(h) => h,
            None if test_mode => "ahasmtp.test".into(),
            None => lettre::transport::smtp::extension::ClientId::default().to_string(),
        };
        let user = pick(
            conn.user.clone(),
            "--user",
            env("AHASEND_SMTP_USERNAME"),
            "AHASEND_SMTP_USERNAME",
            profile.user.clone(),
            None,
        );
        let password = resolve_password_source(conn, env, &profile);
        let retry = RetryPolicy {
            retries: retry.retries.or(profile.retries).unwrap_or(DEFAULT_RETRIES),
            base: if test_mode {
                Duration::from_millis(1)
            } else {
                Duration::from_secs(1)
            },
            max_wait: Duration::from_secs(
                retry
                    .retry_max_wait
                    .or(profile.retry_max_wait)
                    .unwrap_or(DEFAULT_RETRY_MAX_WAIT),
            ),
            deadline: retry
                .deadline
                .map(|s| Instant::now() + Duration::from_secs(s)),
            failover: retry.failover || profile.failover.unwrap_or(false),
        };
        Ok(Settings {
            endpoint,
            regions,
            tls,
            ca_file,
            timeout: Duration::from_secs(timeout),
            helo,
            user,
            password,
            profile_name,
            profile,
            config_path,
            retry,
            from_env: env("AHASEND_FROM_EMAIL"),
            test_mode,
            color: false,
            stdin_is_terminal: false,
            warnings,
        })
    }

    /// AUTH credentials, or none for a relay that needs none. Runs the password command or asks
    /// on the terminal only now, just before connecting. AhaSend's endpoints always need them.
    pub fn credentials(&self) -> Result<Option<Credentials>, Failure> {
        let aha = self.endpoint.value.region.is_some();
        let Some(user) = &self.user else {
            if aha {
                return Err(Failure::config(
                    "no SMTP credentials: AhaSend needs a username and a password",
                )
                .with_hint(
                    "set AHASEND_SMTP_USERNAME and AHASEND_SMTP_PASSWORD, or a config profile with user and password_command (see `ahasmtp check --help`)",
                ));
            }
            return Ok(None);
        };
        let password = match &self.password {
            Some(PasswordSource::Env) => {
                Secret::new(process_env("AHASEND_SMTP_PASSWORD").unwrap_or_default())
            }
            Some(PasswordSource::File(path, _)) => read_password_file(path)?,
            Some(PasswordSource::Command(cmd, _)) => run_password_command(cmd)?,
            Some(PasswordSource::Prompt) | None => prompt_password(&user.value)?,
        };
        Ok(Some(Credentials {
            user: user.value.clone(),
            password,
        }))
    }

    /// The sender: --from, else AHASEND_FROM_EMAIL, else the profile's `from`.
    pub fn from_address(&self, flag: Option<&str>) -> Option<String> {
        flag.map(str::to_owned)
            .or_else(|| self.from_env.clone())
            .or_else(|| self.profile.from.clone())
    }

    /// The resolved settings and where each came from, for `check --show-config`. Secrets appear
    /// only as their source.
    pub fn describe(&self) -> Vec<(String, String)> {
        let p = &self.profile_name;
        let mut rows = vec![
            (
                "config file".into(),
                self.config_path
                    .as_ref()
                    .map(|c| c.display().to_string())
                    .unwrap_or_else(|| "(none found)".into()),
            ),
            ("profile".into(), p.clone()),
            (
                "server".into(),
                format!(
                    "{} ({})",
                    self.endpoint.value,
                    self.endpoint.source.describe(p)
                ),
            ),
            (
                "tls".into(),
                format!(
                    "{} ({})",
                    match self.tls.value {
                        TlsMode::Starttls => "starttls",
                        TlsMode::None => "none",
                    },
                    self.tls.source.describe(p)
                ),
            ),
            (
                "ca file".into(),
                self.ca_file
                    .as_ref()
                    .map(|c| format!("{} ({})", c.value.display(), c.source.describe(p)))
                    .unwrap_or_else(|| "system roots (built in)".into()),
            ),
            ("timeout".into(), format!("{} s", self.timeout.as_secs())),
            ("helo".into(), self.helo.clone()),
            (
                "user".into(),
                self.user
                    .as_ref()
                    .map(|u| format!("{} ({})", u.value, u.source.describe(p)))
                    .unwrap_or_else(|| "(none: no AUTH)".into()),
            ),
            (
                "password".into(),
                match (&self.user, &self.password) {
                    (None, _) => "(none)".into(),
                    (Some(_), Some(src)) => src.describe(p),
                    (Some(_), None) => "<asked on the terminal when one is attached>".into(),
                },
            ),
            (
                "from".into(),
                self.from_address(None)
                    .unwrap_or_else(|| "(none: give --from)".into()),
            ),
            ("retries".into(), self.retry.retries.to_string()),
            (
                "retry max wait".into(),
                format!("{} s", self.retry.max_wait.as_secs()),
            ),
            ("failover".into(), self.retry.failover.to_string()),
        ];
        if !self.profile.aliases.is_empty() {
            let aliases = self
                .profile
                .aliases
                .iter()
                .map(|(k, v)| format!("{k} → {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            rows.push(("aliases".into(), aliases));
        }
        rows
    }
}

fn load_profile(
    conn: &ConnectionArgs,
    env: Env,
    warnings: &mut Vec<String>,
) -> Result<(Option<PathBuf>, String, Profile), Failure> {
    let explicit_name = conn.profile.clone().or_else(|| env("AHASMTP_PROFILE"));
    let name = explicit_name.clone().unwrap_or_else(|| "default".into());
    let explicit_path = conn
        .config
        .clone()
        .or_else(|| env("AHASMTP_CONFIG").map(PathBuf::from));
    let path = match explicit_path {
        Some(p) => {
            if !p.exists() {
                return Err(Failure::config(format!(
                    "config file {} does not exist (from --config or AHASMTP_CONFIG)",
                    p.display()
                )));
            }
            Some(p)
        }
        None => default_config_paths(env).into_iter().find(|p| p.exists()),
    };
    let Some(path) = path else {
        if let Some(name) = explicit_name {
            return Err(Failure::config(format!(
                "profile {name:?} asked for, but there is no config file"
            ))
            .with_hint("create $XDG_CONFIG_HOME/ahasmtp/config.toml or /etc/ahasmtp.toml, or give --config"));
        }
        return Ok((None, name, Profile::default()));
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Failure::config(format!("cannot read config file {}: {e}", path.display())))?;
    if let Some(w) = permission_warning(&path) {
        warnings.push(w);
    }
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        Failure::config(format!(
            "config file {}: {}",
            path.display(),
            e.to_string().trim_end().replace('\n', "\n    ")
        ))
    })?;
    match file.profile.get(&name) {
        Some(p) => Ok((Some(path), name, p.clone())),
        None if explicit_name.is_none() => Ok((Some(path), name, Profile::default())),
        None => {
            let known = file.profile.keys().cloned().collect::<Vec<_>>().join(", ");
            Err(Failure::config(format!(
                "no profile {name:?} in {} (it has: {})",
                path.display(),
                if known.is_empty() { "none" } else { &known }
            )))
        }
    }
}

fn default_config_paths(env: Env) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(xdg) = env("XDG_CONFIG_HOME") {
        paths.push(PathBuf::from(xdg).join("ahasmtp/config.toml"));
    } else if let Some(home) = env("HOME") {
        paths.push(PathBuf::from(home).join(".config/ahasmtp/config.toml"));
    }
    paths.push(PathBuf::from("/etc/ahasmtp.toml"));
    paths
}

fn resolve_endpoint(
    conn: &ConnectionArgs,
    env: Env,
    profile: &Profile,
    regions: &RegionHosts,
) -> Result<Sourced<Endpoint>, Failure> {
    let env_region =
        match env("AHASMTP_REGION") {
            Some(r) => Some(Region::parse(&r).ok_or_else(|| {
                Failure::config(format!("AHASMTP_REGION={r:?}: expected eu or us"))
            })?),
            None => None,
        };
    let env_port =
        match env("AHASMTP_PORT") {
            Some(p) => Some(p.parse::<u16>().map_err(|_| {
                Failure::config(format!("AHASMTP_PORT={p:?}: expected a port number"))
            })?),
            None => None,
        };
    // --server and --region are one choice: the first layer that sets either wins.
    enum Choice {
        Server(String),
        Region(Region),
    }
    let choice = pick(
        conn.server
            .clone()
            .map(Choice::Server)
            .or(conn.region.map(Choice::Region)),
        if conn.server.is_some() {
            "--server"
        } else {
            "--region"
        },
        env("AHASMTP_SERVER")
            .map(Choice::Server)
            .or(env_region.map(Choice::Region)),
        if env("AHASMTP_SERVER").is_some() {
            "AHASMTP_SERVER"
        } else {
            "AHASMTP_REGION"
        },
        profile
            .server
            .clone()
            .map(Choice::Server)
            .or(profile.region.map(Choice::Region)),
        Some(Choice::Region(Region::Eu)),
    )
    .expect("a default is given");
    let port = conn.port.or(env_port).or(profile.port);
    let endpoint = match choice.value {
        Choice::Region(region) => regions.endpoint(region, port.unwrap_or(DEFAULT_PORT)),
        Choice::Server(server) => {
            let (host, server_port) = split_host_port(&server)?;
            Endpoint {
                host,
                port: server_port.or(port).unwrap_or(DEFAULT_PORT),
                region: None,
            }
        }
    };
    Ok(Sourced {
        value: endpoint,
        source: choice.source,
    })
}

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 address.
pub fn split_host_port(server: &str) -> Result<(String, Option<u16>), Failure> {
    let bad = || {
        Failure::usage(format!(
            "--server {server:?}: expected HOST or HOST:PORT (IPv6 as [ADDR]:PORT)"
        ))
    };
    if let Some(rest) = server.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().map_err(|_| bad())?),
            None if after.is_empty() => None,
            None => return Err(bad()),
        };
        return Ok((host.to_owned(), port));
    }
    match server.matches(':').count() {
        0 if !server.is_empty() => Ok((server.to_owned(), None)),
        1 => {
            let (host, port) = server.split_once(':').expect("one colon");
            if host.is_empty() {
                return Err(bad());
            }
            Ok((host.to_owned(), Some(port.parse().map_err(|_| bad())?)))
        }
        n if n > 1 => Ok((server.to_owned(), None)),
        _ => Err(bad()),
    }
}

fn resolve_password_source(
    conn: &ConnectionArgs,
    env: Env,
    profile: &Profile,
) -> Option<PasswordSource> {
    if let Some(p) = &conn.password_file {
        return Some(PasswordSource::File(
            p.clone(),
            Source::Flag("--password-file"),
        ));
    }
    if let Some(c) = &conn.password_command {
        return Some(PasswordSource::Command(
            c.clone(),
            Source::Flag("--password-command"),
        ));
    }
    if env("AHASEND_SMTP_PASSWORD").is_some() {
        return Some(PasswordSource::Env);
    }
    if let Some(p) = &profile.password_file {
        return Some(PasswordSource::File(expand_tilde(p), Source::Profile));
    }
    if let Some(c) = &profile.password_command {
        return Some(PasswordSource::Command(c.clone(), Source::Profile));
    }
    None
}

pub fn expand_tilde(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), process_env("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ if path == "~" => process_env("HOME").map(PathBuf::from).unwrap_or_default(),
        _ => PathBuf::from(path),
    }
}

/// msmtp refuses a secret file others can read; we warn and name the fix.
fn permission_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    let mode = meta.permissions().mode();
    (meta.is_file() && mode & 0o077 != 0).then(|| {
        format!(
            "{} is readable by group or others (mode {:o}): run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        )
    })
}

fn read_password_file(path: &Path) -> Result<Secret, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::config(format!("cannot read password file {}: {e}", path.display()))
    })?;
    if let Some(w) = permission_warning(path) {
        eprintln!("warning: {w}");
    }
    let text = zeroize::Zeroizing::new(text);
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(Failure::config(format!(
            "password file {} is empty: its first line is the password",
            path.display()
        )));
    }
    Ok(Secret::new(line.to_owned()))
}

/// Runs the command directly (split like a shell would), or through `sh -c` when it uses pipes,
/// variables or other shell syntax. Its first line of output is the password.
fn run_password_command(cmd: &str) -> Result<Secret, Failure> {
    // Errors name the program only: the rest of a command line can itself hold a secret.
    let program = cmd.split_whitespace().next().unwrap_or("");
    let shown = if program.len() < cmd.trim().len() {
        format!("{program} …")
    } else {
        program.to_owned()
    };
    let needs_shell = cmd.contains(['|', '&', ';', '<', '>', '$', '`', '(', ')', '*', '?', '~']);
    let mut command = if needs_shell {
        let mut c = Command::new("sh");
        c.arg("-c").arg(cmd);
        c
    } else {
        let words = shlex::split(cmd).filter(|w| !w.is_empty()).ok_or_else(|| {
            Failure::config(format!("password_command `{shown}`: unbalanced quotes"))
        })?;
        let mut c = Command::new(&words[0]);
        c.args(&words[1..]);
        c
    };
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .map_err(|e| Failure::config(format!("password_command `{shown}` could not run: {e}")))?;
    let stdout = zeroize::Zeroizing::new(output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(Failure::config(format!(
            "password_command `{shown}` failed ({}){}",
            output.status,
            if stderr.trim().is_empty() {
                String::new()
            } else {
                format!(":\n    {}", stderr.trim().replace('\n', "\n    "))
            }
        )));
    }
    let text = std::str::from_utf8(&stdout).map_err(|_| {
        Failure::config(format!("password_command `{shown}` printed invalid UTF-8"))
    })?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(Failure::config(format!(
            "password_command `{shown}` printed nothing: its first line of output is the password"
        )));
    }
    Ok(Secret::new(line.to_owned()))
}

/// Asks on the controlling terminal (never stdin, which may carry the message). Without one,
/// fails at once: cron and CI must never hang on a prompt.
fn prompt_password(user: &str) -> Result<Secret, Failure> {
    let no_secret = || {
        Failure::config(format!("no password for SMTP user {user:?} and no terminal to ask on"))
            .with_hint("set AHASEND_SMTP_PASSWORD, or use --password-file, --password-command or a profile's password_command")
    };
    if std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_err()
    {
        return Err(no_secret());
    }
    match rpassword::prompt_password(format!("SMTP password for {user}: ")) {
        Ok(p) if !p.is_empty() => Ok(Secret::new(p)),
        Ok(_) => Err(Failure::config("empty password given at the prompt")),
        Err(_) => Err(no_secret()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve_with(args: ConnectionArgs, vars: &[(&str, &str)]) -> Result<Settings, Failure> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // No config file unless the table names one; never the developer's own.
        let env = move |k: &str| match k {
            "XDG_CONFIG_HOME" | "HOME" => map.get(k).cloned().or(Some("/nonexistent".into())),
            _ => map.get(k).cloned(),
        };
        Settings::resolve(&args, &RetryArgs::default(), &env)
    }

    fn config_file(text: &str) -> tempfile::NamedTempFile {
        use std::io::Write;
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    const PROFILE: &str = r#"
[profile.default]
server = "relay.example:2525"
user = "profile-user"
from = "Alerts <alerts@example.com>"

[profile.us]
region = "us"
user = "us-user"
"#;

    #[test]
    fn precedence_is_flag_then_env_then_profile_then_default() {
        let file = config_file(PROFILE);
        let path = file.path().to_str().unwrap();
        // (flags, env, expected endpoint, expected user)
        let flag =
            |server: Option<&str>, region: Option<Region>, user: Option<&str>| ConnectionArgs {
                server: server.map(Into::into),
                region,
                user: user.map(Into::into),
                config: Some(path.into()),
                ..Default::default()
            };
        type Row<'a> = (
            ConnectionArgs,
            Vec<(&'a str, &'a str)>,
            &'a str,
            Option<&'a str>,
        );
        let table: Vec<Row> = vec![
            (
                flag(None, None, None),
                vec![],
                "relay.example:2525",
                Some("profile-user"),
            ),
            (
                flag(None, None, None),
                vec![
                    ("AHASMTP_REGION", "us"),
                    ("AHASEND_SMTP_USERNAME", "env-user"),
                ],
                "send-us.ahasend.com:587",
                Some("env-user"),
            ),
            (
                flag(None, Some(Region::Eu), Some("flag-user")),
                vec![
                    ("AHASMTP_SERVER", "env.example:25"),
                    ("AHASEND_SMTP_USERNAME", "env-user"),
                ],
                "send.ahasend.com:587",
                Some("flag-user"),
            ),
            (
                flag(Some("flag.example:1025"), None, None),
                vec![("AHASMTP_REGION", "us")],
                "flag.example:1025",
                Some("profile-user"),
            ),
            (
                flag(None, None, None),
                vec![("AHASMTP_PROFILE", "us")],
                "send-us.ahasend.com:587",
                Some("us-user"),
            ),
        ];
        for (i, (args, env, endpoint, user)) in table.into_iter().enumerate() {
            let s = resolve_with(args, &env).unwrap_or_else(|e| panic!("row {i}: {e}"));
            assert_eq!(s.endpoint.value.to_string(), endpoint, "row {i}");
            assert_eq!(s.user.map(|u| u.value).as_deref(), user, "row {i}");
        }
    }

    #[test]
    fn defaults_without_any_config() {
        let s = resolve_with(ConnectionArgs::default(), &[]).unwrap();
        assert_eq!(s.endpoint.value.to_string(), "send.ahasend.com:587");
        assert_eq!(s.endpoint.source, Source::Default);
        assert_eq!(s.tls.value, TlsMode::Starttls);
        assert_eq!(s.timeout, Duration::from_secs(30));
        assert_eq!(s.retry.retries, 3);
        assert!(s.user.is_none());
    }

    #[test]
    fn port_flag_applies_to_region_and_server_port_wins() {
        let args = ConnectionArgs {
            port: Some(2525),
            ..Default::default()
        };
        let s = resolve_with(args, &[]).unwrap();
        assert_eq!(s.endpoint.value.to_string(), "send.ahasend.com:2525");
        let args = ConnectionArgs {
            port: Some(2525),
            server: Some("127.0.0.1:1025".into()),
            ..Default::default()
        };
        assert_eq!(resolve_with(args, &[]).unwrap().endpoint.value.port, 1025);
    }

    #[test]
    fn password_flag_is_a_usage_error_naming_the_alternatives() {
        let args = ConnectionArgs {
            password: Some(Some("hunter2".into())),
            ..Default::default()
        };
        let err = resolve_with(args, &[]).unwrap_err();
        assert_eq!(err.exit, crate::error::Exit::Usage);
        let text = format!("{} {}", err.message, err.hint.unwrap());
        assert!(text.contains("AHASEND_SMTP_PASSWORD") && text.contains("--password-file"));
        assert!(!text.contains("hunter2"));
    }

    #[test]
    fn unknown_key_names_the_key_and_file() {
        let file = config_file("[profile.default]\nservr = \"x\"\n");
        let args = ConnectionArgs {
            config: Some(file.path().into()),
            ..Default::default()
        };
        let err = resolve_with(args, &[]).unwrap_err();
        assert_eq!(err.exit, crate::error::Exit::Config);
        assert!(err.message.contains("servr"), "{}", err.message);
        assert!(err.message.contains(file.path().to_str().unwrap()));
    }

    #[test]
    fn missing_named_profile_is_a_config_error() {
        let file = config_file(PROFILE);
        let args = ConnectionArgs {
            config: Some(file.path().into()),
            profile: Some("staging".into()),
            ..Default::default()
        };
        let err = resolve_with(args, &[]).unwrap_err();
        assert!(err.message.contains("staging") && err.message.contains("default, us"));
    }

    #[test]
    fn password_sources_follow_precedence() {
        let args = ConnectionArgs {
            password_command: Some("echo x".into()),
            ..Default::default()
        };
        let s = resolve_with(args, &[("AHASEND_SMTP_PASSWORD", "p")]).unwrap();
        assert!(matches!(s.password, Some(PasswordSource::Command(..))));
        let s = resolve_with(ConnectionArgs::default(), &[("AHASEND_SMTP_PASSWORD", "p")]).unwrap();
        assert!(matches!(s.password, Some(PasswordSource::Env)));
    }

    #[test]
    fn server_forms() {
        assert_eq!(split_host_port("h").unwrap(), ("h".into(), None));
        assert_eq!(split_host_port("h:25").unwrap(), ("h".into(), Some(25)));
        assert_eq!(
            split_host_port("[::1]:25").unwrap(),
            ("::1".into(), Some(25))
        );
        assert_eq!(split_host_port("::1").unwrap(), ("::1".into(), None));
        assert!(split_host_port("h:x").is_err());
        assert!(split_host_port(":25").is_err());
    }

    #[test]
    fn loopback_hosts() {
        let e = |h: &str| Endpoint {
            host: h.into(),
            port: 25,
            region: None,
        };
        assert!(e("127.0.0.1").is_loopback());
        assert!(e("localhost").is_loopback());
        assert!(e("::1").is_loopback());
        assert!(!e("send.ahasend.com").is_loopback());
        assert!(!e("10.0.0.1").is_loopback());
    }
}
