//! AhaSend's limits and the pure pre-checks that run before any connection is opened.

use std::time::Duration;

use crate::error::Failure;

/// Consecutive RCPT TO in one transaction (To + Cc + Bcc, deduplicated).
pub const MAX_RECIPIENTS: usize = 50;
/// The whole formatted message: 20 MB taken as 20 MiB.
pub const MAX_MESSAGE_BYTES: u64 = 20 * 1024 * 1024;
/// Consecutive MAIL FROM on one connection.
pub const MAX_PER_CONNECTION: usize = 10_000;
/// AhaSend closes a connection that sends nothing for this long.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// RFC 5322 2.1.1: a line is at most 998 characters, CRLF excluded.
pub const MAX_LINE: usize = 998;

/// Removes duplicate addresses (case-insensitively, first spelling kept), keeping order.
pub fn dedupe(addresses: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    addresses
        .into_iter()
        .filter(|a| seen.insert(a.to_ascii_lowercase()))
        .collect()
}

/// Recipients that fit one transaction each, or a refusal naming the fix.
pub fn transactions(recipients: &[String], split: bool) -> Result<Vec<Vec<String>>, Failure> {
    if recipients.is_empty() {
        return Err(Failure::data(
            "no recipients: give --to, --cc or --bcc (or To/Cc/Bcc headers with --data)",
        ));
    }
    if recipients.len() > MAX_RECIPIENTS && !split {
        return Err(Failure::data(format!(
            "{} recipients, but AhaSend takes at most {MAX_RECIPIENTS} per message",
            recipients.len()
        ))
        .with_hint(
            "add --split to send the same message in transactions of at most 50 recipients",
        ));
    }
    Ok(recipients
        .chunks(MAX_RECIPIENTS)
        .map(<[String]>::to_vec)
        .collect())
}

/// The formatted size against the limit: AhaSend's 20 MB, or the SIZE the server advertised.
pub fn check_size(size: u64, limit: u64, whose: &str) -> Result<(), Failure> {
    if size > limit {
        return Err(Failure::data(format!(
            "the message is {} ({size} bytes), over {whose} limit of {} ({limit} bytes)",
            human_bytes(size),
            human_bytes(limit),
        ))
        .with_hint(
            "attachments grow by a third in base64: send smaller files, or a link to them",
        ));
    }
    Ok(())
}

/// Refuses a header value that would start another header (CR or LF): header injection.
pub fn check_header_value(what: &str, value: &str) -> Result<(), Failure> {
    if value.contains(['\r', '\n']) {
        return Err(Failure::data(format!(
            "{what} contains a line break (CR or LF), which would inject a header: remove it"
        )));
    }
    Ok(())
}

/// A header name as RFC 5322 allows it: printable ASCII without a colon or space.
pub fn check_header_name(name: &str) -> Result<(), Failure> {
    if name.is_empty() || !name.bytes().all(|b| (33..=126).contains(&b) && b != b':') {
        return Err(Failure::data(format!(
            "--header: {name:?} is not a valid header name (printable ASCII, no spaces or colons)"
        )));
    }
    Ok(())
}

/// The first line of a raw message longer than RFC 5322 allows, as (1-based line, length).
pub fn long_line(message: &[u8]) -> Option<(usize, usize)> {
    message
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).len())
        .enumerate()
        .find(|&(_, len)| len > MAX_LINE)
        .map(|(i, len)| (i + 1, len))
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Exit;

    fn addrs(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("r{i}@example.com")).collect()
    }

    #[test]
    fn fifty_recipients_fit_one_transaction() {
        assert_eq!(transactions(&addrs(50), false).unwrap().len(), 1);
    }

    #[test]
    fn fifty_one_recipients_are_refused_without_split() {
        let err = transactions(&addrs(51), false).unwrap_err();
        assert_eq!(err.exit, Exit::DataErr);
        assert!(err.hint.unwrap().contains("--split"));
    }

    #[test]
    fn split_makes_transactions_of_at_most_fifty() {
        let t = transactions(&addrs(120), true).unwrap();
        assert_eq!(t.iter().map(Vec::len).collect::<Vec<_>>(), [50, 50, 20]);
    }

    #[test]
    fn duplicates_are_removed_case_insensitively() {
        let d = dedupe(vec!["A@x.com".into(), "b@x.com".into(), "a@X.com".into()]);
        assert_eq!(d, ["A@x.com", "b@x.com"]);
    }

    #[test]
    fn size_limit_is_inclusive() {
        assert!(check_size(MAX_MESSAGE_BYTES, MAX_MESSAGE_BYTES, "AhaSend's").is_ok());
        let err = check_size(MAX_MESSAGE_BYTES + 1, MAX_MESSAGE_BYTES, "AhaSend's").unwrap_err();
        assert!(err.message.contains("20.0 MiB"), "{}", err.message);
    }

    #[test]
    fn header_values_with_line_breaks_are_refused() {
        assert!(check_header_value("--subject", "hi\r\nBcc: x@y").is_err());
        assert!(check_header_value("--subject", "hi\nBcc: x@y").is_err());
        assert!(check_header_value("--subject", "hi there ✓").is_ok());
    }

    #[test]
    fn header_names_are_checked() {
        assert!(check_header_name("X-Order").is_ok());
        assert!(check_header_name("X Order").is_err());
        assert!(check_header_name("").is_err());
        assert!(check_header_name("X:Y").is_err());
    }

    #[test]
    fn long_lines_are_found_with_their_number() {
        let mut m = b"a\r\nb\r\n".to_vec();
        m.extend(vec![b'x'; 999]);
        m.extend(b"\r\n");
        assert_eq!(long_line(&m), Some((3, 999)));
        assert_eq!(long_line(b"short\r\nlines\r\n"), None);
    }
}
