//! Completions and man pages are generated from the clap model and checked in; `--help` shows
//! examples for each subcommand.

use std::path::Path;

use crate::util::{ahasmtp, run};

const REFRESH: &str =
    "cargo run -- generate completions completions && cargo run -- generate man man";

fn assert_same_tree(checked_in: &str, what: &str) {
    let fresh = tempfile::tempdir().unwrap();
    let r = run(ahasmtp().args(["generate", what]).arg(fresh.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(checked_in);
    let mut names: Vec<_> = std::fs::read_dir(fresh.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in &names {
        let want = std::fs::read(fresh.path().join(name)).unwrap();
        let have = std::fs::read(dir.join(name)).unwrap_or_default();
        assert!(
            want == have,
            "{checked_in}/{} is stale: run `{REFRESH}`",
            name.to_string_lossy()
        );
    }
    let checked: usize = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(
        checked,
        names.len(),
        "{checked_in}/ has files the generator no longer writes: run `{REFRESH}`"
    );
}

#[test]
fn completions_are_current() {
    assert_same_tree("completions", "completions");
}

#[test]
fn man_pages_are_current() {
    assert_same_tree("man", "man");
}

#[test]
fn every_subcommand_help_has_examples() {
    for sub in ["send", "check", "batch", "explain"] {
        let r = run(ahasmtp().args([sub, "--help"]));
        assert_eq!(r.code, 0);
        assert!(
            r.stdout.contains("Examples:"),
            "{sub} --help has no examples"
        );
    }
    let r = run(ahasmtp().arg("--help"));
    assert!(
        r.stdout.contains("AHASEND_SMTP_PASSWORD"),
        "long help names the environment"
    );
}

/// The README's config examples and the packaged example are what users copy: each must load.
#[test]
fn readme_and_packaged_config_examples_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut examples: Vec<String> = readme
        .split("```toml\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().to_owned())
        .collect();
    assert!(examples.len() >= 2, "the README shows its config examples");
    examples.push(std::fs::read_to_string(root.join("packaging/ahasmtp.toml.example")).unwrap());
    let dir = tempfile::tempdir().unwrap();
    for (i, text) in examples.iter().enumerate() {
        let path = crate::util::write(dir.path(), &format!("example{i}.toml"), text.as_bytes());
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let r = run(ahasmtp()
            .args(["check", "--show-config", "--config"])
            .arg(&path));
        assert_eq!(
            r.code, 0,
            "example {i} does not load:\n{text}\n{}",
            r.stderr
        );
        assert!(r.stdout.contains("ahasend.com"), "{}", r.stdout);
    }
}
