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

#[actix_web::test]
async fn backup_copies_a_live_sqlite_database() {
    let app = crate::support::TestApp::spawn().await;
    if crate::support::on_postgres() {
        return; // The backup command copies SQLite files; PostgreSQL uses pg_dump.
    }
    app.create_organizer("org@mire.gob.pa", "Olga Organizer");
    app.create_representative("rep@snm.gob.pa", "Rita");
    // The server is running and serving while the copy is taken.
    assert_eq!(app.get("/healthz").await.status(), 200);
    let dir = std::env::temp_dir().join(format!(
        "capacity-survey-backup-{}",
        capacity_survey::store::new_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("copy's backup.db");
    let file_arg = file.to_str().unwrap();
    let output = run(&["backup", "--database", &app.database_url, file_arg], "");
    assert!(output.status.success(), "{output:?}");
    let copy = capacity_survey::store::open(
        &format!("sqlite://{file_arg}"),
        &capacity_survey::store::PoolOptions::default(),
    )
    .unwrap();
    let users = capacity_survey::store::users::count(&mut copy.get().unwrap()).unwrap();
    assert_eq!(users, 2);
    // It never overwrites, and it points PostgreSQL users to pg_dump.
    let again = run(&["backup", "--database", &app.database_url, file_arg], "");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    let pg = run(
        &[
            "backup",
            "--database",
            "postgres://x@127.0.0.1/none",
            "/tmp/x.db",
        ],
        "",
    );
    assert_eq!(pg.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&pg.stderr).contains("pg_dump"));
    let _ = std::fs::remove_dir_all(dir);
}
