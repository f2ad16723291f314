//! What each subcommand does; `main` only parses the arguments and calls these.

use std::io::BufRead;
use std::process::ExitCode;

use crate::config::{Cli, Command, Config, CreateOrganizerArgs, DatabaseArgs, ServeArgs};
use crate::domain::Lang;
use crate::domain::account::{EmailAddress, NewPassword, PersonName};
use crate::service::{self, accounts};
use crate::store;

/// Runs the command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Migrate(args)) => migrate(&args),
        Some(Command::CreateOrganizer(args)) => create_organizer(&args),
        Some(Command::Demo(args)) => demo(&args),
        Some(Command::Backup(args)) => backup(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    let config = Config::from_serve_args(&args)?;
    tracing::info!(?config, "starting");
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let running = crate::server::start(config).map_err(|e| e.to_string())?;
        let base = running.state.config.base_url.clone();
        let backend = store::DatabaseUrl::parse(&running.state.config.database_url)
            .map(|u| u.backend_name())
            .unwrap_or("?");
        println!("capacity-survey is serving {base} ({backend} database)");
        if let Some(token) = &running.setup_token {
            println!();
            println!("No organizer account exists yet. Open this one-time link to create it:");
            println!("  {base}/setup?token={token}");
            println!();
        }
        running.server.await.map_err(|e| e.to_string())
    })
}

fn migrate(args: &DatabaseArgs) -> Result<(), String> {
    let url = store::DatabaseUrl::parse(&args.database).map_err(|e| e.to_string())?;
    let options = store::PoolOptions {
        max_size: 1,
        run_migrations: false,
        ..store::PoolOptions::default()
    };
    let pool = store::open(&args.database, &options).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let applied = store::run_migrations(&mut conn).map_err(|e| e.to_string())?;
    if applied.is_empty() {
        println!("The {} database is up to date.", url.backend_name());
    } else {
        for version in &applied {
            println!("applied {version}");
        }
        println!("{} migration(s) applied.", applied.len());
    }
    Ok(())
}

fn create_organizer(args: &CreateOrganizerArgs) -> Result<(), String> {
    let describe = |e| crate::web::forms::field_message(Lang::En, e);
    let email =
        EmailAddress::parse(&args.email).map_err(|e| format!("--email: {}", describe(e)))?;
    let name = PersonName::parse(&args.name).map_err(|e| format!("--name: {}", describe(e)))?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let raw = line.trim_end_matches(['\n', '\r']);
    let password = NewPassword::parse(raw).map_err(|e| format!("password: {}", describe(e)))?;
    let pool = store::open(&args.db.database, &store::PoolOptions::default())
        .map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    match accounts::create_organizer(
        &mut conn,
        &email,
        &name,
        &password,
        false,
        None,
        service::now(),
    ) {
        Ok(user) => {
            println!("Organizer {} <{}> created.", user.name, user.email);
            Ok(())
        }
        Err(accounts::CreateAccountError::EmailTaken) => Err(format!(
            "an account with the email {email} already exists; nothing was changed"
        )),
        Err(accounts::CreateAccountError::AlreadySetUp) => Err("setup already done".to_owned()),
        Err(accounts::CreateAccountError::Other(e)) => Err(e.to_string()),
    }
}

fn demo(args: &DatabaseArgs) -> Result<(), String> {
    let pool =
        store::open(&args.database, &store::PoolOptions::default()).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let summary = crate::demo::load(&mut conn, service::now()).map_err(|e| e.to_string())?;
    let counts = format!(
        "{} organizations, {} responses, {} mechanisms",
        summary.organizations, summary.responses, summary.mechanisms
    );
    if summary.created {
        println!(
            "Loaded the Panama demo forum \"{}\": {counts}.",
            crate::demo::ASSESSMENT_TITLE_ES
        );
    } else {
        println!("The Panama demo forum is already loaded ({counts}); nothing was changed.");
    }
    println!();
    println!("Start the server (capacity-survey serve) and log in at http://127.0.0.1:8080/login");
    println!(
        "  organizer:        {} / {}",
        crate::demo::ORGANIZER_EMAIL,
        crate::demo::PASSWORD
    );
    if let Some((acronym, email)) = crate::demo::representatives().next() {
        println!(
            "  representatives:  one per institution, e.g. {email} ({acronym}), same password"
        );
    }
    Ok(())
}

/// A consistent copy of a live SQLite database, taken by SQLite itself (`VACUUM INTO`), safe
/// while the server runs and writes.
fn backup(args: &crate::config::BackupArgs) -> Result<(), String> {
    let url = store::DatabaseUrl::parse(&args.db.database).map_err(|e| e.to_string())?;
    if let store::DatabaseUrl::Postgres(_) = url {
        return Err(
            "backup copies SQLite databases; for PostgreSQL use pg_dump (see README, \"Backups\")"
                .to_owned(),
        );
    }
    if args.file.exists() {
        return Err(format!(
            "{} exists already; nothing was written",
            args.file.display()
        ));
    }
    let target = args
        .file
        .to_str()
        .ok_or("the backup path is not UTF-8")?
        .to_owned();
    let options = store::PoolOptions {
        max_size: 1,
        run_migrations: false,
        ..store::PoolOptions::default()
    };
    let pool = store::open(&args.db.database, &options).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    store::backup_sqlite(&mut conn, &target).map_err(|e| e.to_string())?;
    println!("Backup written to {target}.");
    Ok(())
}
