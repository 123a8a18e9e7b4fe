//! The command-line model (clap). Syntax only: meaning is resolved in `config`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Deserialize;

const ENVIRONMENT: &str = "\
Environment:
  AHASEND_SMTP_USERNAME   SMTP username (as --user)
  AHASEND_SMTP_PASSWORD   SMTP password (there is no password flag)
  AHASEND_FROM_EMAIL      sender (as --from)
  AHASMTP_REGION, AHASMTP_SERVER, AHASMTP_PORT, AHASMTP_CA_FILE, AHASMTP_PROFILE, AHASMTP_CONFIG
  NO_COLOR                no colour in the transcript";

#[derive(Parser, Debug)]
#[command(
    name = "ahasmtp",
    version,
    about = "Send email through AhaSend's SMTP service, with a transcript and errors that say what to do",
    after_help = "Run 'ahasmtp <command> --help' for examples.",
    after_long_help = ENVIRONMENT,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run: the size difference between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compose one message from flags, files and stdin, pre-check it, send it
    #[command(after_help = SEND_EXAMPLES)]
    Send(SendArgs),
    /// Read a complete message on stdin and send it, as sendmail does (for cron, mailx, git…)
    #[command(
        disable_help_flag = true,
        after_help = "Flags as sendmail's: -t -i -oi -f ADDR -r ADDR -F NAME -o X -B TYPE -odi -oem -v --. \
                      Also chosen when ahasmtp runs under the name 'sendmail'."
    )]
    Sendmail(SendmailArgs),
    /// Connect, STARTTLS and authenticate, send nothing: prove endpoint and credentials
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Send many messages from JSON Lines over persistent connections
    #[command(after_help = BATCH_EXAMPLES)]
    Batch(BatchArgs),
    /// Offline: what an SMTP reply means for AhaSend, what to do, and the exit status
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainArgs),
    /// Write shell completions or man pages (for packagers)
    #[command(hide = true)]
    Generate(GenerateArgs),
}

const SEND_EXAMPLES: &str = "\
Examples:
  ahasmtp send --dry-run --from me@example.com --to you@example.com --subject hi --text hello
  ahasmtp send --sandbox --from 'Bot <bot@example.com>' --to dev@example.com --subject test --text @body.txt
  make 2>&1 | ahasmtp send --from ci@example.com --to dev@example.com --subject 'build log'
  ahasmtp send --from a@example.com --to b@example.com --subject report --html @r.html --attach r.pdf --json";

const CHECK_EXAMPLES: &str = "\
Examples:
  ahasmtp check                      # the default profile or AHASEND_SMTP_* variables
  ahasmtp check --region us --json
  ahasmtp check --show-config        # resolved settings and where each came from; no network";

const BATCH_EXAMPLES: &str = "\
Examples:
  ahasmtp batch --from 'Shop <shop@example.com>' --subject 'Your receipt' orders.jsonl --results out.jsonl
  ahasmtp batch --resume out.jsonl --results out2.jsonl orders.jsonl
  cut -d, -f1 list.csv | jq -Rc '{to:[.]}' | ahasmtp batch --from news@example.com --subject News --html @news.html -";

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  ahasmtp explain 553
  ahasmtp explain 552 message size exceeds fixed limit
  ahasmtp explain --all";

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    /// send.ahasend.com (Germany)
    Eu,
    /// send-us.ahasend.com (Oregon, USA)
    Us,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// STARTTLS, required: stop before AUTH if the server does not offer it
    Starttls,
    /// no TLS: local relays and test servers only; credentials only to a loopback host
    None,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxResult {
    Deliver,
    Bounce,
    Defer,
    Fail,
    Suppress,
}

/// Where to connect and how to authenticate.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// AhaSend region: eu (send.ahasend.com) or us (send-us.ahasend.com) [env: AHASMTP_REGION] [default: eu]
    #[arg(long, value_enum)]
    pub region: Option<Region>,
    /// Any other SMTP endpoint, overriding --region [env: AHASMTP_SERVER]
    #[arg(long, value_name = "HOST[:PORT]")]
    pub server: Option<String>,
    /// Port: 587, 2525 or 25 for AhaSend [env: AHASMTP_PORT] [default: 587]
    #[arg(long)]
    pub port: Option<u16>,
    /// starttls (required, the default) or none (local relays only)
    #[arg(long, value_enum, value_name = "MODE")]
    pub tls: Option<TlsMode>,
    /// Extra trusted CA certificates, PEM [env: AHASMTP_CA_FILE]
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Seconds to wait for each reply [default: 30]
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// The EHLO name [default: this host's name]
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
    /// SMTP username [env: AHASEND_SMTP_USERNAME]
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Read the password from the first line of this file
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    /// Run this command and use the first line it prints as the password
    #[arg(long, value_name = "CMD")]
    pub password_command: Option<String>,
    /// Refused: a password on the command line leaks into shell history and `ps`
    #[arg(long, hide = true, num_args = 0..=1, value_name = "VALUE")]
    pub password: Option<Option<String>>,
    /// Profile of the config file [env: AHASMTP_PROFILE] [default: default]
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Config file [env: AHASMTP_CONFIG] [default: $XDG_CONFIG_HOME/ahasmtp/config.toml, then /etc/ahasmtp.toml]
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// How hard to try.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Retries")]
pub struct RetryArgs {
    /// Retry transient failures (421, 451, 4xx, connection lost) this many times; 5xx never [default: 3]
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Longest wait between attempts, in seconds (exponential backoff with jitter) [default: 30]
    #[arg(long, value_name = "SECS")]
    pub retry_max_wait: Option<u64>,
    /// End the whole run, retries included, by this many seconds (exit 75)
    #[arg(long, value_name = "SECS")]
    pub deadline: Option<u64>,
    /// After the retries, try the other AhaSend region once
    #[arg(long)]
    pub failover: bool,
}

/// What the message says. For `batch`, these are the defaults of every line.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Message")]
pub struct MessageArgs {
    /// Sender: addr or 'Display Name <addr>' [env: AHASEND_FROM_EMAIL]
    #[arg(long, value_name = "ADDR")]
    pub from: Option<String>,
    /// Recipient; repeatable, and each takes a comma-separated list
    #[arg(long, value_name = "ADDR")]
    pub to: Vec<String>,
    /// Copy recipient; repeatable, comma lists
    #[arg(long, value_name = "ADDR")]
    pub cc: Vec<String>,
    /// Blind copy recipient: in the envelope, never in the message; repeatable, comma lists
    #[arg(long, value_name = "ADDR")]
    pub bcc: Vec<String>,
    /// Reply-To address
    #[arg(long, value_name = "ADDR")]
    pub reply_to: Option<String>,
    /// Subject (UTF-8; encoded as RFC 2047 when needed)
    #[arg(long, value_name = "TEXT")]
    pub subject: Option<String>,
    /// Plain-text body: TEXT, @FILE, or - for stdin
    #[arg(long, value_name = "TEXT|@FILE|-")]
    pub text: Option<String>,
    /// HTML body: TEXT, @FILE, or - for stdin (with --text: multipart/alternative)
    #[arg(long, value_name = "TEXT|@FILE|-")]
    pub html: Option<String>,
    /// Attach a file; repeatable. Override type and name: 'PATH;type=MIME;filename=NAME'
    #[arg(long, value_name = "PATH")]
    pub attach: Vec<String>,
    /// Extra header 'Name: value'; repeatable
    #[arg(long, value_name = "NAME: VALUE")]
    pub header: Vec<String>,
    /// A complete RFC 5322 message, sent as it is: @FILE or -
    #[arg(long, value_name = "@FILE|-", conflicts_with_all = ["text", "html", "attach", "subject", "reply_to"])]
    pub data: Option<String>,

    /// AhaSend open tracking for this message
    #[arg(long, value_name = "BOOL", help_heading = "AhaSend headers")]
    pub track_opens: Option<bool>,
    /// AhaSend click tracking for this message
    #[arg(long, value_name = "BOOL", help_heading = "AhaSend headers")]
    pub track_clicks: Option<bool>,
    /// AhaSend tag; repeatable or a comma list (at most 10, each at most 64 characters)
    #[arg(long, value_name = "TAG", help_heading = "AhaSend headers")]
    pub tag: Vec<String>,
    /// AhaSend sandbox: processed and webhooks fire, nothing delivered, no credits used
    #[arg(long, help_heading = "AhaSend headers")]
    pub sandbox: bool,
    /// Simulated outcome in the sandbox
    #[arg(
        long,
        value_enum,
        value_name = "RESULT",
        help_heading = "AhaSend headers"
    )]
    pub sandbox_result: Option<SandboxResult>,
    /// Days AhaSend keeps metadata and delivery logs (1-30)
    #[arg(long, value_name = "DAYS", help_heading = "AhaSend headers")]
    pub metadata_retention: Option<u8>,
    /// Days AhaSend keeps the body and attachments (0-30; 0 deletes after processing)
    #[arg(long, value_name = "DAYS", help_heading = "AhaSend headers")]
    pub data_retention: Option<u8>,
}

/// How the result is shown.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Print one JSON object on stdout and nothing else
    #[arg(long)]
    pub json: bool,
    /// Print nothing on success; errors still go to stderr
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct SendArgs {
    #[command(flatten)]
    pub message: MessageArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub retry: RetryArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// More than 50 recipients: send the same message in transactions of at most 50
    #[arg(long, help_heading = "Message")]
    pub split: bool,
    /// Build and pre-check, print the message and envelope; no network
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
    /// When some recipients are refused, send to the accepted ones and report the refused (exit 65)
    #[arg(long, help_heading = "Message")]
    pub allow_partial: bool,
    /// Print the message itself in the transcript (never the AUTH line)
    #[arg(long, help_heading = "Output")]
    pub show_data: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Print the resolved settings and where each came from, secrets as their source; no network
    #[arg(long)]
    pub show_config: bool,
}

#[derive(Args, Debug)]
pub struct BatchArgs {
    /// JSON Lines, one message per line, or - for stdin
    #[arg(value_name = "FILE|-")]
    pub input: String,
    #[command(flatten)]
    pub message: MessageArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    #[command(flatten)]
    pub retry: RetryArgs,
    /// Write one JSON result per input line here, flushed as each finishes [default: stdout]
    #[arg(long, value_name = "PATH", help_heading = "Batch")]
    pub results: Option<PathBuf>,
    /// Skip every line a previous results file marks sent
    #[arg(long, value_name = "PATH", help_heading = "Batch")]
    pub resume: Option<PathBuf>,
    /// Persistent connections in parallel
    #[arg(long, value_name = "N", default_value_t = 2, help_heading = "Batch")]
    pub connections: usize,
    /// Reconnect before this many MAIL FROM on one connection
    #[arg(long, value_name = "N", default_value_t = crate::limits::MAX_PER_CONNECTION, help_heading = "Batch")]
    pub max_per_connection: usize,
    /// At most N messages a second in all
    #[arg(long, value_name = "N", help_heading = "Batch")]
    pub rate: Option<f64>,
    /// No progress bar, and no summary line when every message was sent; errors still go to stderr
    #[arg(short, long, help_heading = "Batch")]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The reply code (e.g. 553), optionally followed by the reply's text
    #[arg(value_name = "CODE", required_unless_present = "all")]
    pub code: Option<String>,
    #[arg(value_name = "TEXT", trailing_var_arg = true)]
    pub text: Vec<String>,
    /// Print the whole table
    #[arg(long, conflicts_with = "code")]
    pub all: bool,
    /// As JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SendmailArgs {
    /// sendmail's flags and the recipients, parsed by sendmail's own rules
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pub args: Vec<OsString>,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[arg(value_enum)]
    pub what: Generated,
    pub dir: PathBuf,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum Generated {
    Completions,
    Man,
}
