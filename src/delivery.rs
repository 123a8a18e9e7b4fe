//! Delivering one prepared message: attempts on new connections, backoff, deadline and failover.
//!
//! Each transaction (at most 50 recipients) is sent once: a retry resends only the transactions
//! not yet accepted. 5xx replies, TLS verification failures and refused AUTH are never retried;
//! nor is a connection lost after the whole message was sent, which may have been queued.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::{Credentials, Endpoint, RetryPolicy, Settings};
use crate::error::{Failure, Stage};
use crate::reply::Reply;
use crate::session::{self, Accepted, Session, TlsInfo, Transcript, Wire};

/// One message to deliver.
pub struct Job<'a> {
    pub envelope_from: &'a str,
    /// Transactions of at most 50 recipients each.
    pub transactions: Vec<Vec<String>>,
    pub wire: &'a Wire,
    pub allow_partial: bool,
}

/// What one attempt did, for the transcript and the JSON `attempt_log`.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub attempt: u32,
    pub server: String,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long the backoff waited before the next attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<u64>,
}

pub struct Outcome {
    pub accepted: Vec<Accepted>,
    pub failure: Option<Failure>,
    pub attempts: Vec<Attempt>,
    pub server: String,
    pub tls: Option<TlsInfo>,
}

/// Waits before attempt `n + 1`: exponential from `base`, capped, with full jitter.
pub fn backoff(policy: &RetryPolicy, failed_attempts: u32) -> Duration {
    let exp = policy
        .base
        .saturating_mul(2u32.saturating_pow(failed_attempts.saturating_sub(1)));
    let cap = exp.min(policy.max_wait.max(policy.base));
    cap.mul_f64(fastrand::f64())
}

pub fn deliver(
    settings: &Settings,
    credentials: Option<&Credentials>,
    job: Job<'_>,
    out: &mut dyn Transcript,
) -> Outcome {
    let policy = &settings.retry;
    let mut endpoint = settings.endpoint.value.clone();
    let mut pending = job.transactions.clone();
    let mut outcome = Outcome {
        accepted: Vec::new(),
        failure: None,
        attempts: Vec::new(),
        server: endpoint.to_string(),
        tls: None,
    };
    let mut failed_over = false;
    loop {
        let n = outcome.attempts.len() as u32 + 1;
        if n > 1 {
            out.info(&format!(
                "Attempt {n} of {}",
                policy.retries + 1 + u32::from(failed_over)
            ));
        }
        outcome.server = endpoint.to_string();
        let result = attempt(
            settings,
            &endpoint,
            credentials,
            &job,
            &mut pending,
            &mut outcome,
            out,
        );
        let Err(failure) = result else {
            outcome.attempts.push(record(n, &endpoint, None));
            return outcome;
        };
        outcome.attempts.push(record(n, &endpoint, Some(&failure)));
        let retries_left = n <= policy.retries + u32::from(failed_over);
        if !failure.transient {
            outcome.failure = Some(failure);
            return outcome;
        }
        out.info(&format!("Attempt {n} failed: {}", failure.message));
        if retries_left {
            let wait = backoff(policy, n);
            if let Some(deadline) = policy.deadline {
                if Instant::now() + wait >= deadline {
                    outcome.failure = Some(session::deadline_passed(failure.stage));
                    return outcome;
                }
            }
            out.info(&format!(
                "Transient failure: waiting {:.1} s before the next attempt",
                wait.as_secs_f64()
            ));
            outcome.attempts.last_mut().expect("pushed").wait_ms = Some(wait.as_millis() as u64);
            std::thread::sleep(wait);
            continue;
        }
        match endpoint.region {
            Some(region) if policy.failover && !failed_over => {
                failed_over = true;
                let other = settings.regions.endpoint(region.other(), endpoint.port);
                out.info(&format!(
                    "Retries exhausted on {endpoint}; failing over to the {} region, {other}",
                    format!("{:?}", region.other()).to_ascii_uppercase()
                ));
                endpoint = other;
            }
            _ => {
                outcome.failure = Some(failure);
                return outcome;
            }
        }
    }
}

fn record(n: u32, endpoint: &Endpoint, failure: Option<&Failure>) -> Attempt {
    Attempt {
        attempt: n,
        server: endpoint.to_string(),
        outcome: match failure {
            None => "sent",
            Some(f) if f.maybe_delivered => "unknown",
            Some(_) => "failed",
        },
        stage: failure.map(|f| f.stage),
        code: failure.and_then(|f| f.reply.as_ref().map(|r| r.code)),
        error: failure.map(|f| f.message.clone()),
        wait_ms: None,
    }
}

/// One connection: open, send every pending transaction, quit. Accepted transactions leave
/// `pending` as they succeed, so a later attempt does not send them again.
fn attempt(
    settings: &Settings,
    endpoint: &Endpoint,
    credentials: Option<&Credentials>,
    job: &Job<'_>,
    pending: &mut Vec<Vec<String>>,
    outcome: &mut Outcome,
    out: &mut dyn Transcript,
) -> Result<(), Failure> {
    let mut session = Session::open(
        settings,
        endpoint,
        credentials,
        settings.retry.deadline,
        Box::new(&mut *out),
    )?;
    outcome.tls = session.tls.clone();
    while let Some(rcpts) = pending.first() {
        let accepted = session.send(job.envelope_from, rcpts, job.wire, job.allow_partial);
        match accepted {
            Ok(a) => {
                pending.remove(0);
                outcome.accepted.push(a);
            }
            Err(f) => {
                if session.is_usable() && !f.transient {
                    session.quit();
                }
                return Err(f);
            }
        }
    }
    session.quit();
    Ok(())
}

/// Recipients the server refused in accepted transactions (`--allow-partial`).
pub fn refused(outcome: &Outcome) -> Vec<(String, Reply)> {
    outcome
        .accepted
        .iter()
        .flat_map(|a| a.refused.iter().cloned())
        .collect()
}

/// The hard stop for `--deadline`. Socket timeouts end most steps in time, but a server that
/// trickles a byte a second never trips a per-read timeout, and lettre owns the socket: at the
/// deadline (plus a short grace for the orderly path to report first) this ends the process
/// with 75, printing the failure as the run would have.
pub fn watch_deadline(deadline: Option<Instant>, json: bool) {
    let Some(deadline) = deadline else { return };
    std::thread::spawn(move || {
        std::thread::sleep(
            deadline.saturating_duration_since(Instant::now()) + Duration::from_millis(250),
        );
        let f = session::deadline_passed(Stage::Deadline).with_hint(
            "the run was stopped mid-step; if the message had been sent, its delivery is unknown",
        );
        crate::output::Printer {
            quiet: true,
            color: false,
            show_data: false,
        }
        .failure(&f);
        if json {
            crate::output::print_json(&serde_json::json!({
                "status": "failed",
                "error": crate::output::ErrorJson::from(&f),
            }));
        }
        std::process::exit(i32::from(f.exit.code()));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(base_ms: u64, max_ms: u64) -> RetryPolicy {
        RetryPolicy {
            retries: 3,
            base: Duration::from_millis(base_ms),
            max_wait: Duration::from_millis(max_ms),
            deadline: None,
            failover: false,
        }
    }

    #[test]
    fn backoff_grows_exponentially_within_the_cap() {
        let p = policy(1000, 30_000);
        for _ in 0..200 {
            assert!(backoff(&p, 1) <= Duration::from_secs(1));
            assert!(backoff(&p, 3) <= Duration::from_secs(4));
            assert!(backoff(&p, 20) <= Duration::from_secs(30));
        }
        // Full jitter: over many draws, waits spread across the range.
        let max = (0..500).map(|_| backoff(&p, 3)).max().unwrap();
        let min = (0..500).map(|_| backoff(&p, 3)).min().unwrap();
        assert!(max > Duration::from_secs(3) && min < Duration::from_secs(1));
    }
}
