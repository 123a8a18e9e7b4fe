//! `ahasmtp generate`: shell completions and man pages from the clap model, for `completions/`
//! and `man/` (checked in; a test fails when they are stale).

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, Generated};
use crate::error::{Exit, Failure};

pub fn run(what: Generated, dir: &Path) -> Result<Exit, Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::input(format!("cannot create {}: {e}", dir.display())))?;
    match what {
        Generated::Completions => completions(dir),
        Generated::Man => man_pages(dir),
    }
    .map_err(|e| Failure::input(format!("cannot write into {}: {e}", dir.display())))?;
    Ok(Exit::Ok)
}

fn completions(dir: &Path) -> std::io::Result<()> {
    let mut cmd = Cli::command();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        clap_complete::generate_to(shell, &mut cmd, "ahasmtp", dir)?;
    }
    Ok(())
}

const ENVIRONMENT: &str = r#".SH ENVIRONMENT
.TP
\fBAHASEND_SMTP_USERNAME\fR, \fBAHASEND_SMTP_PASSWORD\fR
SMTP credentials. There is no password flag: a password on the command line leaks into shell history and \fBps\fR.
.TP
\fBAHASEND_FROM_EMAIL\fR
The sender when \fB\-\-from\fR is not given.
.TP
\fBAHASMTP_REGION\fR, \fBAHASMTP_SERVER\fR, \fBAHASMTP_PORT\fR, \fBAHASMTP_CA_FILE\fR
As \fB\-\-region\fR, \fB\-\-server\fR, \fB\-\-port\fR, \fB\-\-ca\-file\fR.
.TP
\fBAHASMTP_PROFILE\fR, \fBAHASMTP_CONFIG\fR
As \fB\-\-profile\fR and \fB\-\-config\fR.
.TP
\fBNO_COLOR\fR
No colour in the transcript.
.PP
Precedence: command line, then environment, then the config profile, then defaults.
"#;

const FILES: &str = r#".SH FILES
.TP
\fI$XDG_CONFIG_HOME/ahasmtp/config.toml\fR (else \fI~/.config/ahasmtp/config.toml\fR), then \fI/etc/ahasmtp.toml\fR
TOML profiles: \fB[profile.NAME]\fR with region or server, port, user, password_command or password_file, from, rewrite_from, ca_file, aliases, and defaults for the AhaSend headers. A file readable by group or others gets a warning naming \fBchmod 600\fR.
"#;

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
sent: every transaction accepted
.TP
\fB64\fR EX_USAGE
bad flags or arguments
.TP
\fB65\fR EX_DATAERR
the message or an address is invalid, too large, too many recipients; permanent 5xx refusal (550, 552, 553)
.TP
\fB66\fR EX_NOINPUT
an input file cannot be read
.TP
\fB69\fR EX_UNAVAILABLE
permanent refusal of the account or domain (521, 556)
.TP
\fB75\fR EX_TEMPFAIL
transient failure after the retries (421, 451, 4xx, connection lost, timeout, DNS)
.TP
\fB76\fR EX_PROTOCOL
protocol or TLS failure (STARTTLS missing, certificate invalid)
.TP
\fB77\fR EX_NOPERM
authentication refused (500 at AUTH, 535)
.TP
\fB78\fR EX_CONFIG
missing credentials or invalid configuration
"#;

fn examples(name: &str) -> &'static str {
    match name {
        "ahasmtp-send" => {
            r#".SH EXAMPLES
.nf
ahasmtp send \-\-dry\-run \-\-from me@example.com \-\-to you@example.com \-\-subject hi \-\-text hello
ahasmtp send \-\-sandbox \-\-from 'Bot <bot@example.com>' \-\-to dev@example.com \-\-subject test \-\-text @body.txt
make 2>&1 | ahasmtp send \-\-from ci@example.com \-\-to dev@example.com \-\-subject 'build log'
.fi
"#
        }
        "ahasmtp-sendmail" => {
            r#".SH EXAMPLES
.nf
ln \-s "$(command \-v ahasmtp)" /usr/sbin/sendmail
printf 'Subject: hi\en\enbody\en' | sendmail \-t you@example.com
.fi
"#
        }
        "ahasmtp-check" => {
            r#".SH EXAMPLES
.nf
ahasmtp check
ahasmtp check \-\-region us \-\-json
ahasmtp check \-\-show\-config
.fi
"#
        }
        "ahasmtp-batch" => {
            r#".SH EXAMPLES
.nf
ahasmtp batch \-\-from shop@example.com \-\-subject 'Your receipt' orders.jsonl \-\-results out.jsonl
ahasmtp batch \-\-resume out.jsonl \-\-results out2.jsonl orders.jsonl
.fi
"#
        }
        "ahasmtp-explain" => {
            r#".SH EXAMPLES
.nf
ahasmtp explain 553
ahasmtp explain \-\-all
.fi
"#
        }
        _ => {
            r#".SH EXAMPLES
.nf
ahasmtp send \-\-dry\-run \-\-from me@example.com \-\-to you@example.com \-\-subject hi \-\-text hello
ahasmtp check
ahasmtp explain 535
.fi
"#
        }
    }
}

fn man_pages(dir: &Path) -> std::io::Result<()> {
    let cmd = Cli::command();
    write_page(dir, "ahasmtp", cmd.clone())?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("ahasmtp-{}", sub.get_name());
        write_page(
            dir,
            &name,
            sub.clone()
                .name(name.clone())
                .version(env!("CARGO_PKG_VERSION")),
        )?;
    }
    Ok(())
}

fn write_page(dir: &Path, name: &str, cmd: clap::Command) -> std::io::Result<()> {
    let man = clap_mangen::Man::new(cmd)
        .date("")
        .source(format!("ahasmtp {}", env!("CARGO_PKG_VERSION")));
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    man.render_subcommands_section(&mut buf)?;
    buf.write_all(ENVIRONMENT.as_bytes())?;
    buf.write_all(FILES.as_bytes())?;
    buf.write_all(EXIT_STATUS.as_bytes())?;
    buf.write_all(examples(name).as_bytes())?;
    man.render_version_section(&mut buf)?;
    std::fs::write(dir.join(format!("{name}.1")), buf)
}
