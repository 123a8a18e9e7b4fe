//! An SMTP reply as this tool reports it: code, enhanced status code (RFC 3463) and text.

use lettre::transport::smtp::response::Response;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub code: u16,
    /// `x.y.z` when the server put one at the start of the text. lettre does not parse these.
    pub enhanced: Option<String>,
    /// The text of every line, joined with a space, without the enhanced code.
    pub text: String,
    #[serde(skip)]
    pub lines: Vec<String>,
}

impl Reply {
    pub fn new(code: u16, lines: Vec<String>) -> Reply {
        let enhanced = lines.first().and_then(|l| enhanced_code(l));
        let text = lines
            .iter()
            .map(|l| strip_enhanced(l))
            .collect::<Vec<_>>()
            .join(" ");
        Reply {
            code,
            enhanced,
            text,
            lines,
        }
    }

    pub fn from_response(response: &Response) -> Reply {
        Reply::new(
            u16::from(response.code()),
            response.message().map(str::to_owned).collect(),
        )
    }

    /// A negative reply, which lettre turns into an error holding the code and the joined text.
    pub fn from_error(err: &lettre::transport::smtp::Error) -> Option<Reply> {
        let code = u16::from(err.status()?);
        let text = std::error::Error::source(err)
            .map(|s| s.to_string())
            .unwrap_or_default();
        Some(Reply::new(code, text.lines().map(str::to_owned).collect()))
    }

    /// `553 5.1.2 text`, as one line.
    pub fn one_line(&self) -> String {
        match &self.enhanced {
            Some(e) => format!("{} {} {}", self.code, e, self.text),
            None => format!("{} {}", self.code, self.text),
        }
    }

    /// The reply as the server sent it, one string per line (`250-SIZE 1000`, `250 OK`).
    pub fn wire_lines(&self) -> Vec<String> {
        if self.lines.is_empty() {
            return vec![self.code.to_string()];
        }
        let last = self.lines.len() - 1;
        self.lines
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{}{}{}", self.code, if i == last { ' ' } else { '-' }, l))
            .collect()
    }
}

/// `5.7.8` at the start of a reply line, as RFC 3463 shapes it.
fn enhanced_code(line: &str) -> Option<String> {
    let word = line.split_whitespace().next()?;
    let mut parts = word.split('.');
    let class = parts.next()?;
    let subject = parts.next()?;
    let detail = parts.next()?;
    let ok = parts.next().is_none()
        && matches!(class, "2" | "4" | "5")
        && (1..=3).contains(&subject.len())
        && (1..=3).contains(&detail.len())
        && subject
            .bytes()
            .chain(detail.bytes())
            .all(|b| b.is_ascii_digit());
    ok.then(|| word.to_owned())
}

fn strip_enhanced(line: &str) -> &str {
    match enhanced_code(line) {
        Some(code) => line.trim_start()[code.len()..].trim_start(),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_enhanced_codes() {
        let r = Reply::new(553, vec!["5.1.2 recipient domain is toxic".into()]);
        assert_eq!(r.enhanced.as_deref(), Some("5.1.2"));
        assert_eq!(r.text, "recipient domain is toxic");
        assert_eq!(r.one_line(), "553 5.1.2 recipient domain is toxic");
    }

    #[test]
    fn text_without_enhanced_code_is_kept_whole() {
        let r = Reply::new(
            553,
            vec!["Requested action not taken: recipient domain is toxic or tempmail".into()],
        );
        assert_eq!(r.enhanced, None);
        assert!(r.text.starts_with("Requested action"));
        let r = Reply::new(250, vec!["2.0 not an enhanced code".into()]);
        assert_eq!(r.enhanced, None);
    }

    #[test]
    fn wire_lines_mark_continuations() {
        let r = Reply::new(250, vec!["mx".into(), "SIZE 10".into(), "OK".into()]);
        assert_eq!(r.wire_lines(), ["250-mx", "250-SIZE 10", "250 OK"]);
    }
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_reply_text_parses(code in 200u16..600, lines in prop::collection::vec("[ -~]{0,30}", 0..4)) {
            let r = Reply::new(code, lines);
            let _ = (r.one_line(), r.wire_lines());
            let e = crate::explain::lookup(code, &r.text, Some(crate::error::Stage::Rcpt));
            prop_assert!(!(code >= 500 && e.retryable));
        }
    }
}
