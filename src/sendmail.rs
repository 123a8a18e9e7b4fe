//! `sendmail` mode: a drop-in for the programs that pipe a message into `/usr/sbin/sendmail`.
//!
//! Flags follow sendmail's own getopt grammar (`-oi` is `-o` with `i`, `-fADDR` or `-f ADDR`,
//! `-ti` is `-t -i`), not clap's. Silent on success; one stderr block and a sysexits status on
//! failure. The whole of stdin is read before connecting.

use std::ffi::OsString;
use std::str::FromStr;

use lettre::message::Mailbox;

use crate::cli::{ConnectionArgs, RetryArgs};
use crate::config::Settings;
use crate::delivery::{self, Job};
use crate::error::{Exit, Failure};
use crate::limits;
use crate::message::{Pinned, RawMessage};
use crate::output::Printer;
use crate::session::Wire;

/// What the caller asked for, in sendmail's terms.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Args {
    /// `-t`: recipients from To, Cc and Bcc of the message, plus the arguments.
    pub read_recipients: bool,
    /// `-i`/`-oi`: a line with a single dot does not end the message.
    pub ignore_dots: bool,
    /// `-f`/`-r`: the envelope sender (and From, when the message has none).
    pub sender: Option<String>,
    /// `-F`: the sender's full name.
    pub full_name: Option<String>,
    /// `-v`: show the SMTP transcript on stderr.
    pub verbose: bool,
    /// `-C`: another config file.
    pub config: Option<String>,
    pub recipients: Vec<String>,
}

/// Flags that take a value (in the same word or the next).
const WITH_VALUE: &[char] = &[
    'f', 'r', 'F', 'o', 'B', 'N', 'R', 'X', 'V', 'h', 'L', 'C', 'O', 'b', 'q', 'p', 'e', 'A',
];
/// Flags without a value that are accepted and ignored (or handled below).
const PLAIN: &[char] = &['t', 'i', 'v', 'n', 'm', 'U', 'G', 'd', 's', 'x'];

pub fn parse(argv: &[String]) -> Result<Args, Failure> {
    let mut args = Args::default();
    let mut i = 0;
    while i < argv.len() {
        let word = &argv[i];
        i += 1;
        if word == "--" {
            args.recipients.extend(argv[i..].iter().cloned());
            break;
        }
        if word.starts_with("--") {
            return Err(Failure::usage(format!(
                "sendmail mode: unknown option {word}; it takes sendmail's flags (-t -i -f ADDR -F NAME -oi …)"
            )));
        }
        let Some(flags) = word.strip_prefix('-').filter(|f| !f.is_empty()) else {
            args.recipients.push(word.clone());
            continue;
        };
        for (pos, c) in flags.char_indices() {
            if WITH_VALUE.contains(&c) {
                let rest = &flags[pos + c.len_utf8()..];
                let value = if !rest.is_empty() {
                    rest.to_owned()
                } else if i < argv.len() {
                    i += 1;
                    argv[i - 1].clone()
                } else {
                    return Err(Failure::usage(format!("sendmail mode: -{c} needs a value")));
                };
                option(&mut args, c, value)?;
                break;
            } else if PLAIN.contains(&c) {
                match c {
                    't' => args.read_recipients = true,
                    'i' => args.ignore_dots = true,
                    'v' => args.verbose = true,
                    _ => {}
                }
            } else {
                return Err(Failure::usage(format!(
                    "sendmail mode: unknown flag -{c} (in {word})"
                )));
            }
        }
    }
    args.recipients = args
        .recipients
        .iter()
        .flat_map(|r| r.split(','))
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .collect();
    Ok(args)
}

fn option(args: &mut Args, flag: char, value: String) -> Result<(), Failure> {
    match flag {
        'f' | 'r' => args.sender = Some(value),
        'F' => args.full_name = Some(value),
        'C' => args.config = Some(value),
        'o' if value == "i" => args.ignore_dots = true,
        'b' => match value.as_str() {
            "m" => {}
            "s" => {
                return Err(Failure::usage(
                    "sendmail mode: -bs (SMTP on stdin and stdout) is not supported; pipe the message and use -t or name the recipients",
                ))
            }
            other => {
                return Err(Failure::usage(format!(
                    "sendmail mode: -b{other} is not supported; ahasmtp only sends (-bm), it keeps no queue, aliases database or daemon"
                )))
            }
        },
        'q' => {
            return Err(Failure::usage(
                "sendmail mode: -q (queue runs) is not supported: ahasmtp sends at once and keeps no queue",
            ))
        }
        // -o X, -B TYPE, -N DSN, -R RET, -X LOG, -V ENVID, -h N, -L TAG, -O OPT, -p, -e, -A: harmless
        // for a relay client, accepted and ignored as msmtp and the mail catchers learned to.
        _ => {}
    }
    Ok(())
}

/// Is this a bare local name (`root`, `www-data`) rather than an address?
fn is_local(name: &str) -> bool {
    !name.contains('@')
}

/// Maps bare local names through the profile's aliases (`default` catches the rest).
pub fn resolve_aliases(
    recipients: Vec<String>,
    aliases: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<String>, Failure> {
    let mut out = Vec::new();
    for r in recipients {
        if !is_local(&r) {
            out.push(r);
            continue;
        }
        let target = aliases.get(&r).or_else(|| aliases.get("default")).ok_or_else(|| {
            Failure::data(format!(
                "recipient {r:?} is a local name, and the profile has no alias for it (nor a `default`)"
            ))
            .with_hint(format!(
                "add it to the config file: [profile.default.aliases] {r} = \"you@example.com\" (or default = …)"
            ))
        })?;
        out.extend(
            target
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty()),
        );
    }
    Ok(limits::dedupe(out))
}

/// Without `-i`, a line with a single dot ends the message, as in sendmail.
fn cut_at_dot(mut input: Vec<u8>) -> Vec<u8> {
    let mut start = 0;
    for line in input.split_inclusive(|&b| b == b'\n') {
        let l = line.strip_suffix(b"\n").unwrap_or(line);
        if l.strip_suffix(b"\r").unwrap_or(l) == b"." {
            input.truncate(start);
            return input;
        }
        start += line.len();
    }
    input
}

pub fn run(argv: Vec<OsString>) -> Exit {
    let argv: Vec<String> = argv
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut printer = Printer {
        quiet: true,
        color: false,
        show_data: false,
    };
    match sendmail(&argv, &mut printer) {
        Ok(exit) => exit,
        Err(f) => {
            printer.failure(&f);
            f.exit
        }
    }
}

fn sendmail(argv: &[String], printer: &mut Printer) -> Result<Exit, Failure> {
    let args = parse(argv)?;
    printer.quiet = !args.verbose;
    let conn = ConnectionArgs {
        config: args.config.clone().map(Into::into),
        ..Default::default()
    };
    let settings = Settings::from_process(&conn, &RetryArgs::default())?;
    for w in &settings.warnings {
        printer.warning(w);
    }
    let mut input = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut input)
        .map_err(|e| Failure::input(format!("cannot read the message on stdin: {e}")))?;
    if !args.ignore_dots {
        input = cut_at_dot(input);
    }
    let mut raw = RawMessage::new(input, "stdin")?;

    let mut recipients = args.recipients.clone();
    if args.read_recipients {
        recipients.extend(raw.recipients());
    }
    if recipients.is_empty() {
        return Err(Failure::usage(
            "no recipients: name them as arguments, or use -t to read To, Cc and Bcc from the message",
        ));
    }
    let recipients = resolve_aliases(recipients, &settings.profile.aliases)?;

    let profile_from = match &settings.profile.from {
        Some(f) => Some(Mailbox::from_str(f).map_err(|e| {
            Failure::config(format!(
                "profile {}: from = {f:?} is not a valid address ({e})",
                settings.profile_name
            ))
        })?),
        None => None,
    };
    let sender = sender(&args, profile_from.as_ref(), &raw)?;
    rewrite_from(&mut raw, &args, &settings, &sender, profile_from.as_ref());
    raw.strip_bcc();
    raw.complete(
        Pinned {
            test_mode: settings.test_mode,
        },
        &sender,
    );
    let prepared = raw.into_prepared(sender, recipients);

    let split = settings.profile.split.unwrap_or(false);
    let transactions = limits::transactions(&prepared.recipients, split).map_err(|f| {
        if split {
            f
        } else {
            f.with_hint("set split = true in the profile to send in transactions of 50")
        }
    })?;
    limits::check_size(prepared.size(), limits::MAX_MESSAGE_BYTES, "AhaSend's")?;
    let credentials = settings.credentials()?;
    delivery::watch_deadline(settings.retry.deadline, false);
    let from = prepared.envelope_from.clone();
    let wire = Wire::new(prepared.bytes);
    let outcome = delivery::deliver(
        &settings,
        credentials.as_ref(),
        Job {
            envelope_from: &from,
            transactions,
            wire: &wire,
            allow_partial: false,
        },
        printer,
    );
    match outcome.failure {
        Some(f) => Err(f),
        None => Ok(Exit::Ok),
    }
}

/// The envelope sender: `-f`/`-r` (unless a bare local name, as cronie's `-f root`), else the
/// profile's `from`, else the message's own From.
fn sender(
    args: &Args,
    profile_from: Option<&Mailbox>,
    raw: &RawMessage,
) -> Result<String, Failure> {
    if let Some(f) = args.sender.as_deref().filter(|f| !is_local(f)) {
        let mbox = Mailbox::from_str(f)
            .map_err(|e| Failure::data(format!("-f {f:?} is not a valid address ({e})")))?;
        return Ok(mbox.email.to_string());
    }
    if let Some(p) = profile_from {
        return Ok(p.email.to_string());
    }
    raw.from_address().filter(|a| !is_local(a)).ok_or_else(|| {
        Failure::config("no sender address: the message's From is not a full address, and the profile has no `from`")
            .with_hint("set from = \"Alerts <alerts@example.com>\" in the profile (/etc/ahasmtp.toml for cron), or pass -f ADDR")
    })
}

/// Adds a From when the message has none. With `rewrite_from = true`, replaces a From the account
/// cannot send from (a bare local name, or another domain than the profile's `from`), keeping the
/// display name: cron's `root (Cron Daemon)` becomes `Cron Daemon <alerts@example.com>`.
fn rewrite_from(
    raw: &mut RawMessage,
    args: &Args,
    settings: &Settings,
    sender: &str,
    profile_from: Option<&Mailbox>,
) {
    let name = raw.from_name().or_else(|| args.full_name.clone());
    let Some(current) = raw.from_address().filter(|_| raw.has_header("From")) else {
        let address = sender.parse().expect("the sender was parsed");
        raw.set_from(&Mailbox::new(name, address));
        return;
    };
    let Some(profile_from) =
        profile_from.filter(|_| settings.profile.rewrite_from.unwrap_or(false))
    else {
        return;
    };
    let domain = |a: &str| a.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
    if is_local(&current) || domain(&current) != domain(profile_from.email.as_ref()) {
        let name = name.or_else(|| profile_from.name.clone());
        raw.set_from(&Mailbox::new(name, profile_from.email.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(argv: &[&str]) -> Args {
        parse(&argv.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn debian_cron() {
        let a = p(&["-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root"]);
        assert_eq!(a.full_name.as_deref(), Some("CronDaemon"));
        assert!(a.ignore_dots && !a.read_recipients);
        assert_eq!(a.recipients, ["root"]);
    }

    #[test]
    fn cronie() {
        let a = p(&[
            "-FCronDaemon",
            "-i",
            "-odi",
            "-oem",
            "-oi",
            "-t",
            "-f",
            "root",
        ]);
        assert!(a.read_recipients && a.ignore_dots);
        assert_eq!(a.sender.as_deref(), Some("root"));
        assert!(a.recipients.is_empty());
    }

    #[test]
    fn git_send_email_and_mutt_and_mailx() {
        let a = p(&["-f", "me@x.com", "-i", "a@x.com", "b@x.com,c@x.com"]);
        assert_eq!(a.sender.as_deref(), Some("me@x.com"));
        assert_eq!(a.recipients, ["a@x.com", "b@x.com", "c@x.com"]);
        let a = p(&[
            "-oem",
            "-oi",
            "-f",
            "me@x.com",
            "-N",
            "failure,delay",
            "--",
            "a@x.com",
        ]);
        assert_eq!(a.recipients, ["a@x.com"]);
        let a = p(&["-i", "-v", "--", "-odd@x.com"]);
        assert!(a.verbose);
        assert_eq!(a.recipients, ["-odd@x.com"]);
    }

    #[test]
    fn logwatch_mdadm_unattended_upgrades() {
        assert!(p(&["-t"]).read_recipients);
        let a = p(&["-oi", "-t"]);
        assert!(a.read_recipients && a.ignore_dots);
    }

    #[test]
    fn combined_and_attached_values() {
        let a = p(&["-ti", "-fme@x.com", "-r", "other@x.com", "-Fname", "-bm"]);
        assert!(a.read_recipients && a.ignore_dots);
        assert_eq!(a.sender.as_deref(), Some("other@x.com"));
        assert_eq!(a.full_name.as_deref(), Some("name"));
    }

    #[test]
    fn unsupported_modes_are_usage_errors() {
        for argv in [
            &["-bs"][..],
            &["-bp"],
            &["-q"],
            &["--help"],
            &["-Z"],
            &["-f"],
        ] {
            let err = parse(&argv.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap_err();
            assert_eq!(err.exit, Exit::Usage, "{argv:?}");
        }
    }

    #[test]
    fn aliases_map_local_names_with_a_default() {
        let mut aliases = std::collections::BTreeMap::new();
        aliases.insert("root".to_owned(), "ops@x.com".to_owned());
        let r = resolve_aliases(vec!["root".into(), "a@x.com".into()], &aliases).unwrap();
        assert_eq!(r, ["ops@x.com", "a@x.com"]);
        assert_eq!(
            resolve_aliases(vec!["www-data".into()], &aliases)
                .unwrap_err()
                .exit,
            Exit::DataErr
        );
        aliases.insert("default".to_owned(), "admin@x.com".to_owned());
        assert_eq!(
            resolve_aliases(vec!["www-data".into()], &aliases).unwrap(),
            ["admin@x.com"]
        );
    }

    #[test]
    fn a_lone_dot_ends_input_without_dash_i() {
        assert_eq!(cut_at_dot(b"a\n.\nb\n".to_vec()), b"a\n");
        assert_eq!(cut_at_dot(b"a\n..\nb\n".to_vec()), b"a\n..\nb\n");
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("-t".to_owned()),
            Just("-i".to_owned()),
            Just("--".to_owned()),
            Just("-f".to_owned()),
            Just("-oi".to_owned()),
            Just("-bs".to_owned()),
            "-[a-zA-Z]{1,4}",
            "-[fFrBoNC][^\\x00]{0,12}",
            "[a-z]{1,8}(@[a-z]{1,6}\\.com)?(,[a-z]{1,5}@x\\.com)?",
            ".{0,12}",
        ]
    }

    proptest! {
        /// Any argv: a usage error or a parse, never a panic; recipients are clean.
        #[test]
        fn argv_never_panics(argv in prop::collection::vec(word(), 0..12)) {
            match parse(&argv) {
                Ok(a) => {
                    for r in &a.recipients {
                        prop_assert!(!r.is_empty() && !r.contains(',') && r.trim() == r);
                    }
                }
                Err(f) => prop_assert_eq!(f.exit, Exit::Usage),
            }
        }

        /// Everything after `--` is a recipient, whatever it looks like.
        #[test]
        fn after_double_dash_all_are_recipients(rcpts in prop::collection::vec("-?[a-z]{1,6}@x\\.com", 1..5)) {
            let mut argv = vec!["-i".to_owned(), "--".to_owned()];
            argv.extend(rcpts.iter().cloned());
            prop_assert_eq!(parse(&argv).unwrap().recipients, rcpts);
        }
    }
}
