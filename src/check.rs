//! `ahasmtp check`: connect, STARTTLS, EHLO, AUTH, QUIT. Proves endpoint and credentials; sends
//! nothing. `--show-config` prints the resolved settings without connecting.

use std::time::Instant;

use serde::Serialize;

use crate::cli::CheckArgs;
use crate::config::Settings;
use crate::error::{Exit, Failure};
use crate::output::{print_json, ErrorJson, Printer};
use crate::session::{Capabilities, Session, TlsInfo};

/// A certificate this close to expiry gets a warning.
const EXPIRY_WARNING_DAYS: i64 = 14;

#[derive(Serialize)]
struct CheckReport {
    status: &'static str,
    server: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    peer: Option<String>,
    tls: Option<TlsInfo>,
    capabilities: Option<Capabilities>,
    auth: &'static str,
    profile: String,
    config_file: Option<String>,
    user: Option<String>,
    password_source: Option<String>,
    elapsed_ms: u64,
    error: Option<ErrorJson>,
}

pub fn run(args: CheckArgs) -> Exit {
    let mut printer = Printer {
        quiet: args.output.quiet,
        color: false,
        show_data: false,
    };
    let settings = match Settings::from_process(&args.connection, &Default::default()) {
        Ok(s) => s,
        Err(f) => return fail_early(&printer, &f, args.output.json),
    };
    printer.color = settings.color;
    for w in &settings.warnings {
        printer.warning(w);
    }
    if args.show_config {
        show_config(&settings, args.output.json);
        return Exit::Ok;
    }
    let started = Instant::now();
    let credentials = match settings.credentials() {
        Ok(c) => c,
        Err(f) => return fail_early(&printer, &f, args.output.json),
    };
    let endpoint = settings.endpoint.value.clone();
    let mut report = CheckReport {
        status: "ok",
        server: endpoint.to_string(),
        peer: None,
        tls: None,
        capabilities: None,
        auth: if credentials.is_some() {
            "accepted"
        } else {
            "skipped (no credentials)"
        },
        profile: settings.profile_name.clone(),
        config_file: settings
            .config_path
            .as_ref()
            .map(|p| p.display().to_string()),
        user: settings.user.as_ref().map(|u| u.value.clone()),
        password_source: settings
            .user
            .as_ref()
            .and(settings.password.as_ref())
            .map(|p| p.describe(&settings.profile_name)),
        elapsed_ms: 0,
        error: None,
    };
    let reporter = printer;
    let result = Session::open(
        &settings,
        &endpoint,
        credentials.as_ref(),
        settings.retry.deadline,
        Box::new(&mut printer),
    );
    let exit = match result {
        Ok(session) => {
            report.peer = Some(session.peer.to_string());
            report.tls = session.tls.clone();
            report.capabilities = Some(session.caps.clone());
            session.quit();
            Exit::Ok
        }
        Err(f) => {
            reporter.failure(&f);
            report.status = "failed";
            report.auth = if f.stage == crate::error::Stage::Auth {
                "refused"
            } else {
                "not reached"
            };
            report.error = Some(ErrorJson::from(&f));
            f.exit
        }
    };
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    if let Some(t) = report
        .tls
        .as_ref()
        .filter(|t| t.days_left < EXPIRY_WARNING_DAYS)
    {
        reporter.warning(&format!(
            "the server's certificate expires in {} days ({})",
            t.days_left, t.not_after
        ));
    }
    if args.output.json {
        print_json(&report);
    } else if exit == Exit::Ok && !args.output.quiet {
        print_summary(&report);
    }
    exit
}

fn fail_early(printer: &Printer, f: &Failure, json: bool) -> Exit {
    printer.failure(f);
    if json {
        print_json(&serde_json::json!({"status": "failed", "error": ErrorJson::from(f)}));
    }
    f.exit
}

fn print_summary(r: &CheckReport) {
    println!("ok: {} ({})", r.server, r.peer.as_deref().unwrap_or("?"));
    match &r.tls {
        Some(t) => println!(
            "tls: {}; certificate {}; issuer {}; expires {} ({} days)",
            t.protocol, t.subject, t.issuer, t.not_after, t.days_left
        ),
        None => println!("tls: none (--tls none)"),
    }
    if let Some(c) = &r.capabilities {
        let size = match c.size {
            Some(0) => "SIZE (no limit given)".to_owned(),
            Some(n) => format!("SIZE {n} ({})", crate::limits::human_bytes(n)),
            None => "no SIZE".to_owned(),
        };
        let flag = |on: bool, name: &str| {
            if on {
                name.to_owned()
            } else {
                format!("no {name}")
            }
        };
        println!(
            "capabilities: {size}, {}, {}, {}, {}, AUTH {}",
            flag(c.pipelining, "PIPELINING"),
            flag(c.eight_bit_mime, "8BITMIME"),
            flag(c.smtputf8, "SMTPUTF8"),
            flag(c.enhanced_status_codes, "ENHANCEDSTATUSCODES"),
            if c.auth.is_empty() {
                "none".to_owned()
            } else {
                c.auth.join(" ")
            }
        );
    }
    println!("auth: {}", r.auth);
    println!(
        "profile: {} ({}); user: {}; password: {}",
        r.profile,
        r.config_file.as_deref().unwrap_or("no config file"),
        r.user.as_deref().unwrap_or("(none)"),
        r.password_source.as_deref().unwrap_or("(none)")
    );
}

fn show_config(settings: &Settings, json: bool) {
    let rows = settings.describe();
    if json {
        let map: serde_json::Map<String, serde_json::Value> = rows
            .into_iter()
            .map(|(k, v)| (k.replace(' ', "_"), serde_json::Value::String(v)))
            .collect();
        print_json(&map);
        return;
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in rows {
        println!("{k:<width$}  {v}");
    }
}
