use std::process::ExitCode;

fn main() -> ExitCode {
    let status = ahasmtp::run(std::env::args_os().collect());
    ExitCode::from(status.code())
}
