//! The command line: `migrate` and `create-organizer`.

use std::io::Write;
use std::process::{Command, Stdio};

fn database() -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!(
        "capacity-survey-cli-{}",
        capacity_survey::store::new_id()
    ));
    let url = format!("sqlite://{}/nested/cli.db", dir.display());
    (dir, url)
}

fn run(args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_capacity-survey"))
        .args(args)
        .env_remove("CAPACITY_SURVEY_DATABASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn migrate_then_create_organizer_and_refuse_a_duplicate() {
    let (dir, url) = database();
    let migrate = run(&["migrate", "--database", &url], "");
    assert!(migrate.status.success(), "{migrate:?}");
    assert!(String::from_utf8_lossy(&migrate.stdout).contains("applied"));
    let again = run(&["migrate", "--database", &url], "");
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));

    let args = [
        "create-organizer",
        "--database",
        &url,
        "--email",
        "Org@MIRE.gob.pa",
        "--name",
        "Olga Organizer",
    ];
    let created = run(&args, "correct horse battery\n");
    assert!(created.status.success(), "{created:?}");
    assert!(String::from_utf8_lossy(&created.stdout).contains("org@mire.gob.pa"));

    let duplicate = run(&args, "another long password\n");
    assert_eq!(duplicate.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&duplicate.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");

    let short = run(
        &[
            "create-organizer",
            "--database",
            &url,
            "--email",
            "other@mire.gob.pa",
            "--name",
            "Other",
        ],
        "short\n",
    );
    assert_eq!(short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10"));

    let bad_url = run(&["migrate", "--database", "mysql://x"], "");
    assert_eq!(bad_url.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad_url.stderr).contains("invalid database URL"));
    let _ = std::fs::remove_dir_all(dir);
}
