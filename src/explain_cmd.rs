//! `ahasmtp explain`: the explain table, offline, for people and scripts.

use crate::cli::ExplainArgs;
use crate::error::{Exit, Failure};
use crate::explain::{lookup, Entry, TABLE};
use crate::output::print_json;

pub fn run(args: ExplainArgs) -> Exit {
    if args.all {
        print_all(args.json);
        return Exit::Ok;
    }
    let raw = args.code.unwrap_or_default();
    let Some(code) = parse_code(&raw) else {
        let f = Failure::usage(format!(
            "explain {raw:?}: expected a three-digit SMTP reply code such as 553"
        ));
        crate::output::Printer {
            quiet: true,
            color: false,
            show_data: false,
        }
        .failure(&f);
        return f.exit;
    };
    let mut text = args.text.join(" ");
    // `explain "553 5.1.2 text"` as one argument: the rest is the text.
    if let Some(rest) = raw.get(3..).map(str::trim).filter(|r| !r.is_empty()) {
        text = format!("{rest} {text}").trim().to_owned();
    }
    let e = lookup(code, &text, None);
    if args.json {
        print_json(&entry_json(&e));
    } else {
        print_entry(&e);
    }
    Exit::Ok
}

fn parse_code(s: &str) -> Option<u16> {
    let digits = s.get(..3)?;
    let code: u16 = digits.parse().ok()?;
    let next_ok = s[3..].chars().next().is_none_or(|c| c == ' ' || c == '-');
    ((200..600).contains(&code) && next_ok).then_some(code)
}

fn entry_json(e: &Entry) -> serde_json::Value {
    serde_json::json!({
        "code": e.code,
        "meaning": e.meaning,
        "action": e.action,
        "retryable": e.retryable,
        "exit_code": e.exit.code(),
        "exit_name": e.exit.name(),
    })
}

fn print_entry(e: &Entry) {
    println!("{}: {}", e.code, e.meaning);
    println!("What to do: {}", e.action);
    println!(
        "Retryable: {}",
        if e.retryable {
            "yes: ahasmtp retries it with backoff (--retries)"
        } else {
            "no"
        }
    );
    println!("Exit status: {} ({})", e.exit.code(), e.exit.name());
}

fn print_all(json: bool) {
    if json {
        let replies: Vec<_> = TABLE.iter().map(entry_json).collect();
        let exits: Vec<_> = Exit::all()
            .iter()
            .map(
                |e| serde_json::json!({"code": e.code(), "name": e.name(), "meaning": e.meaning()}),
            )
            .collect();
        print_json(&serde_json::json!({"replies": replies, "exit_status": exits}));
        return;
    }
    println!("Reply codes (AhaSend's documented meanings first, then the standard ones)");
    println!(
        "{:<5} {:<6} {:<5} meaning / what to do",
        "code", "retry", "exit"
    );
    for e in TABLE {
        println!(
            "{:<5} {:<6} {:<5} {}\n{:18}{}",
            e.code,
            if e.retryable { "yes" } else { "no" },
            e.exit.code(),
            e.meaning,
            "",
            e.action
        );
    }
    println!("other 4xx: transient, retried, exit 75; other 5xx: permanent, exit 65");
    println!();
    println!("Exit status");
    for e in Exit::all() {
        println!("{:<4} {:<15} {}", e.code(), e.name(), e.meaning());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_parsed_with_or_without_text() {
        assert_eq!(parse_code("553"), Some(553));
        assert_eq!(parse_code("553 5.1.2 toxic"), Some(553));
        assert_eq!(parse_code("553-more"), Some(553));
        assert_eq!(parse_code("5534"), None);
        assert_eq!(parse_code("abc"), None);
        assert_eq!(parse_code("99"), None);
        assert_eq!(parse_code("700"), None);
    }
}
