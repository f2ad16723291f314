//! The command line (every flag with an environment variable) and the configuration value built
//! from it once and passed in; nothing here is global.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::mail::{MailConfig, TransportConfig};

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "sqlite://data/capacity-survey.db";
pub const DEFAULT_DATA_DIR: &str = "data";
/// Largest request body accepted by default (form posts); bigger ones get 413.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;
/// Seconds a client has, after a request's head, to send its body (then 408).
pub const DEFAULT_BODY_READ_SECONDS: u64 = 10;
/// Connections one address may hold open at once (trusted proxies are not counted).
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 64;
/// Database connections per process unless `--pool-size` says otherwise.
pub const DEFAULT_POOL_SIZE: u32 = 8;
/// The zone of the bundled forum (Panama); see `--time-zone`.
pub const DEFAULT_TIME_ZONE: &str = "America/Panama";

#[derive(Debug, Parser)]
#[command(
    name = "capacity-survey",
    version,
    about = "Runs institutional capacity assessments for a migration statistics forum",
    long_about = "Runs institutional capacity assessments for a migration statistics forum.\n\
                  With no subcommand it serves the web application (same as `serve`).",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// The `serve` flags, also accepted without the subcommand.
    #[command(flatten)]
    pub serve: ServeArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

// Parsed once at start-up: the size of the serve flags costs nothing worth boxing them for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web application (the default).
    Serve(ServeArgs),
    /// Run the pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Create an organizer account; the password is read from standard input.
    CreateOrganizer(CreateOrganizerArgs),
    /// Load the Panama demo forum (idempotent) and print how to log in.
    Demo(DatabaseArgs),
    /// Write a consistent copy of a live SQLite database to FILE (for PostgreSQL use pg_dump).
    Backup(BackupArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Where to write the copy; it must not exist yet.
    pub file: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database URL: sqlite://path/to/file.db (relative to the working directory) or
    /// postgres://user:password@host/database.
    #[arg(long, env = "CAPACITY_SURVEY_DATABASE", default_value = DEFAULT_DATABASE)]
    pub database: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "CAPACITY_SURVEY_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,

    #[command(flatten)]
    pub db: DatabaseArgs,

    /// Public URL of the site, used in links (setup, invitations, emails); its scheme decides
    /// whether cookies are marked Secure. Defaults to http://<bind>.
    #[arg(long, env = "CAPACITY_SURVEY_BASE_URL")]
    pub base_url: Option<String>,

    /// Folder for local state: the session key file (and, by default, the SQLite database).
    #[arg(long, env = "CAPACITY_SURVEY_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,

    /// Key that signs and encrypts session cookies: 128 hex characters (64 bytes). Give every
    /// instance the same key; without it the key is kept in <data-dir>/session.key.
    #[arg(long, env = "CAPACITY_SURVEY_SESSION_KEY", hide_env_values = true)]
    pub session_key: Option<String>,

    /// Number of HTTP worker threads (default: one per core).
    #[arg(long, env = "CAPACITY_SURVEY_WORKERS")]
    pub workers: Option<usize>,

    /// Database connections kept by this process (1 to 1000). On PostgreSQL, every instance's
    /// pool together must stay under the server's max_connections.
    #[arg(long, env = "CAPACITY_SURVEY_POOL_SIZE", default_value_t = DEFAULT_POOL_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub pool_size: u32,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "CAPACITY_SURVEY_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Connections one client address may hold open at once; 0 for no cap. Trusted proxies
    /// (`--trusted-proxies`) are not counted: every visitor behind them shares their address.
    #[arg(long, env = "CAPACITY_SURVEY_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS)]
    pub max_connections_per_address: usize,

    /// SMTP server for outgoing mail: smtp://user:password@host:587 (STARTTLS required),
    /// smtps://user:password@host:465 (TLS), or smtp://host:25?tls=none (plain, loopback relays).
    /// Without it, mail is written as .eml files to the outbox folder.
    #[arg(long, env = "CAPACITY_SURVEY_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Folder for mail when no SMTP server is given (one .eml file per message).
    /// Defaults to <data-dir>/outbox.
    #[arg(long, env = "CAPACITY_SURVEY_OUTBOX_DIR")]
    pub outbox_dir: Option<PathBuf>,

    /// Sender of every email: "Name <address>" or an address.
    #[arg(long, env = "CAPACITY_SURVEY_MAIL_FROM", default_value = crate::mail::DEFAULT_FROM)]
    pub mail_from: String,

    /// Where replies go (e.g. the organizers' mailbox); none by default.
    #[arg(long, env = "CAPACITY_SURVEY_MAIL_REPLY_TO")]
    pub mail_reply_to: Option<String>,

    /// Time zone (IANA name) offered for new assessments and used on pages tied to none (audit
    /// log, undelivered emails).
    #[arg(long, env = "CAPACITY_SURVEY_TIME_ZONE", default_value = DEFAULT_TIME_ZONE)]
    pub time_zone: String,

    /// Reverse proxies in front of the server, comma-separated IP addresses. When a request comes
    /// from one of them, the client address (audit log, throttling) is the right-most
    /// X-Forwarded-For entry that is not one of them; otherwise it is the peer address.
    #[arg(long, env = "CAPACITY_SURVEY_TRUSTED_PROXIES")]
    pub trusted_proxies: Option<String>,

    /// Hours a logged-in session may stay unused before it ends (the next request asks to log in
    /// again).
    #[arg(long, env = "CAPACITY_SURVEY_SESSION_IDLE_HOURS", default_value_t = DEFAULT_SESSION_IDLE_HOURS)]
    pub session_idle_hours: u32,

    /// Days after logging in when a session ends even while in use (also the cookie's lifetime).
    #[arg(long, env = "CAPACITY_SURVEY_SESSION_MAX_DAYS", default_value_t = DEFAULT_SESSION_MAX_DAYS)]
    pub session_max_days: u32,
}

/// Default of `--session-idle-hours`.
pub const DEFAULT_SESSION_IDLE_HOURS: u32 = 12;
/// Default of `--session-max-days`.
pub const DEFAULT_SESSION_MAX_DAYS: u32 = 7;

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            bind: DEFAULT_BIND.to_owned(),
            db: DatabaseArgs {
                database: DEFAULT_DATABASE.to_owned(),
            },
            base_url: None,
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            session_key: None,
            workers: None,
            pool_size: DEFAULT_POOL_SIZE,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            smtp_url: None,
            outbox_dir: None,
            mail_from: crate::mail::DEFAULT_FROM.to_owned(),
            mail_reply_to: None,
            time_zone: DEFAULT_TIME_ZONE.to_owned(),
            trusted_proxies: None,
            session_idle_hours: DEFAULT_SESSION_IDLE_HOURS,
            session_max_days: DEFAULT_SESSION_MAX_DAYS,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct CreateOrganizerArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Email address of the organizer (used to log in).
    #[arg(long)]
    pub email: String,
    /// Full name of the organizer.
    #[arg(long)]
    pub name: String,
}

/// The running configuration of the web application.
#[derive(Clone)]
pub struct Config {
    pub bind: String,
    pub database_url: String,
    /// Without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    /// 64 bytes: signing and encryption key of the session cookie.
    pub session_key: Vec<u8>,
    pub workers: Option<usize>,
    /// Database connections of the pool (`--pool-size`).
    pub pool_size: u32,
    pub max_body_bytes: usize,
    /// Mail transport, sender and the background delivery and reminder jobs.
    pub mail: MailConfig,
    /// Reverse proxies whose X-Forwarded-For is believed (see `--trusted-proxies`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The default time zone (see `--time-zone`).
    pub time_zone: chrono_tz::Tz,
    /// Seconds to send a request's body after its head (see `web::limits`).
    pub body_read_seconds: u64,
    /// Open connections per client address (0: no cap; see `web::limits`).
    pub max_connections_per_address: usize,
    /// Hours unused after which a session ends (see `--session-idle-hours`).
    pub session_idle_hours: u32,
    /// Days after logging in when a session ends (see `--session-max-days`).
    pub session_max_days: u32,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field(
                "database_url",
                &crate::domain::text::redact_url(&self.database_url),
            )
            .field("base_url", &self.base_url)
            .field("session_key", &"..")
            .field("workers", &self.workers)
            .field("pool_size", &self.pool_size)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("mail", &self.mail.describe())
            .field("trusted_proxies", &self.trusted_proxies)
            .field("time_zone", &self.time_zone.name())
            .field("body_read_seconds", &self.body_read_seconds)
            .field(
                "max_connections_per_address",
                &self.max_connections_per_address,
            )
            .field("session_idle_hours", &self.session_idle_hours)
            .field("session_max_days", &self.session_max_days)
            .finish()
    }
}

impl Config {
    /// A configuration for tests and embedding: the given database, a random session key.
    pub fn for_database(database_url: &str) -> Config {
        Config {
            bind: "127.0.0.1:0".to_owned(),
            database_url: database_url.to_owned(),
            base_url: "http://127.0.0.1".to_owned(),
            session_key: random_key(),
            workers: Some(2),
            pool_size: DEFAULT_POOL_SIZE,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            // Mail of tests and embedded runs lands in a scratch folder, never on a network.
            mail: MailConfig::folder(std::env::temp_dir().join("capacity-survey-outbox")),
            trusted_proxies: Vec::new(),
            time_zone: crate::domain::time::DEFAULT_ZONE,
            body_read_seconds: DEFAULT_BODY_READ_SECONDS,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            session_idle_hours: DEFAULT_SESSION_IDLE_HOURS,
            session_max_days: DEFAULT_SESSION_MAX_DAYS,
        }
    }

    /// Builds the configuration from the `serve` flags, reading or creating the session key file.
    pub fn from_serve_args(args: &ServeArgs) -> Result<Config, String> {
        let base_url = match &args.base_url {
            Some(url) => normalize_base_url(url)?,
            None => format!("http://{}", args.bind),
        };
        let session_key = match &args.session_key {
            Some(hex) => parse_key(hex)?,
            None => load_or_create_key(&args.data_dir.join("session.key"))?,
        };
        if args.session_idle_hours == 0 || args.session_max_days == 0 {
            return Err(
                "--session-idle-hours and --session-max-days must be at least 1".to_owned(),
            );
        }
        if args.max_body_bytes < 1024 {
            return Err("--max-body-bytes must be at least 1024".to_owned());
        }
        let transport = match args.smtp_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => {
                crate::mail::lettre_smtp_url(url).map_err(|e| format!("--smtp-url: {e}"))?;
                TransportConfig::Smtp(url.to_owned())
            }
            _ => TransportConfig::Folder(
                args.outbox_dir
                    .clone()
                    .unwrap_or_else(|| args.data_dir.join("outbox")),
            ),
        };
        crate::mail::parse_mailbox(&args.mail_from).map_err(|e| format!("--mail-from: {e}"))?;
        if let Some(reply_to) = args
            .mail_reply_to
            .as_deref()
            .filter(|r| !r.trim().is_empty())
        {
            crate::mail::parse_mailbox(reply_to).map_err(|e| format!("--mail-reply-to: {e}"))?;
        }
        let mail = MailConfig {
            transport,
            from: args.mail_from.clone(),
            reply_to: args.mail_reply_to.clone(),
            ..MailConfig::folder(PathBuf::new())
        };
        Ok(Config {
            bind: args.bind.clone(),
            database_url: args.db.database.clone(),
            base_url,
            session_key,
            workers: args.workers,
            pool_size: args.pool_size,
            max_body_bytes: args.max_body_bytes,
            mail,
            trusted_proxies: parse_trusted_proxies(args.trusted_proxies.as_deref())?,
            time_zone: crate::domain::time::parse_zone(&args.time_zone).ok_or_else(|| {
                format!(
                    "--time-zone: unknown time zone {:?}; give an IANA name such as America/Panama",
                    args.time_zone
                )
            })?,
            body_read_seconds: DEFAULT_BODY_READ_SECONDS,
            max_connections_per_address: args.max_connections_per_address,
            session_idle_hours: args.session_idle_hours,
            session_max_days: args.session_max_days,
        })
    }

    /// Cookies are Secure exactly when the site is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// Parses `--trusted-proxies`: comma-separated IP addresses (blank entries ignored).
pub fn parse_trusted_proxies(raw: Option<&str>) -> Result<Vec<std::net::IpAddr>, String> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<std::net::IpAddr>().map_err(|_| {
                format!("--trusted-proxies: {s:?} is not an IP address (give addresses, comma-separated)")
            })
        })
        .collect()
}

fn normalize_base_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.contains(char::is_whitespace)
    {
        return Err(format!(
            "--base-url {url:?} must start with http:// or https://"
        ));
    }
    Ok(url.to_owned())
}

fn random_key() -> Vec<u8> {
    let mut key = vec![0u8; 64];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
    key
}

fn parse_key(hex: &str) -> Result<Vec<u8>, String> {
    let hex = hex.trim();
    if hex.len() != 128 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("the session key must be 128 hexadecimal characters (64 bytes)".to_owned());
    }
    (0..64)
        .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

fn load_or_create_key(path: &Path) -> Result<Vec<u8>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_key(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            let key = random_key();
            write_private(path, &crate::domain::token::to_hex(&key))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_arguments_means_serve_with_defaults() {
        let cli = Cli::try_parse_from(["capacity-survey"]).unwrap();
        assert!(cli.command.is_none());
        let defaults = ServeArgs::default();
        assert_eq!(defaults.bind, "127.0.0.1:8080");
        assert_eq!(defaults.db.database, "sqlite://data/capacity-survey.db");
    }

    #[test]
    fn serve_flags_parse() {
        let cli = Cli::try_parse_from([
            "capacity-survey",
            "serve",
            "--bind",
            "0.0.0.0:9000",
            "--database",
            "postgres://u:p@h/db",
            "--base-url",
            "https://forum.example.org/",
        ])
        .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("expected serve");
        };
        let dir = std::env::temp_dir().join(format!("cs-config-{}", crate::store::new_id()));
        let args = ServeArgs {
            data_dir: dir.clone(),
            ..args
        };
        let config = Config::from_serve_args(&args).unwrap();
        assert_eq!(config.bind, "0.0.0.0:9000");
        assert_eq!(config.base_url, "https://forum.example.org");
        assert!(config.secure_cookies());
        assert_eq!(config.session_key.len(), 64);
        // The key is kept, so a restart keeps sessions valid.
        let again = Config::from_serve_args(&args).unwrap();
        assert_eq!(config.session_key, again.session_key);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_pool_size_is_a_flag_with_the_old_default() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["capacity-survey", "serve"];
            argv.extend_from_slice(extra);
            match Cli::try_parse_from(argv).map(|cli| cli.command) {
                Ok(Some(Command::Serve(args))) => Ok(args.pool_size),
                Ok(_) => panic!("expected serve"),
                Err(e) => Err(e.to_string()),
            }
        };
        assert_eq!(parse(&[]), Ok(DEFAULT_POOL_SIZE));
        assert_eq!(DEFAULT_POOL_SIZE, 8);
        assert_eq!(parse(&["--pool-size", "32"]), Ok(32));
        assert!(parse(&["--pool-size", "0"]).is_err());
        assert!(parse(&["--pool-size", "many"]).is_err());
        let args = ServeArgs {
            pool_size: 16,
            session_key: Some("00".repeat(64)),
            ..ServeArgs::default()
        };
        assert_eq!(Config::from_serve_args(&args).unwrap().pool_size, 16);
    }

    #[test]
    fn bad_values_are_refused_clearly() {
        let args = ServeArgs {
            base_url: Some("forum.example.org".into()),
            session_key: Some("00".repeat(64)),
            ..ServeArgs::default()
        };
        assert!(
            Config::from_serve_args(&args)
                .unwrap_err()
                .contains("--base-url")
        );
        let args = ServeArgs {
            session_key: Some("zz".into()),
            ..ServeArgs::default()
        };
        assert!(Config::from_serve_args(&args).unwrap_err().contains("128"));
    }

    #[test]
    fn mail_goes_to_the_outbox_folder_unless_an_smtp_server_is_given() {
        let dir = std::env::temp_dir().join(format!("cs-config-{}", crate::store::new_id()));
        let args = ServeArgs {
            data_dir: dir.clone(),
            ..ServeArgs::default()
        };
        let config = Config::from_serve_args(&args).unwrap();
        assert_eq!(
            config.mail.transport,
            TransportConfig::Folder(dir.join("outbox"))
        );
        let cli = Cli::try_parse_from([
            "capacity-survey",
            "serve",
            "--smtp-url",
            "smtp://forum:secret@mail.example.org:587",
            "--mail-from",
            "Foro <foro@example.org>",
            "--mail-reply-to",
            "organizers@example.org",
        ])
        .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("expected serve");
        };
        let config = Config::from_serve_args(&ServeArgs {
            data_dir: dir.clone(),
            ..args.clone()
        })
        .unwrap();
        assert!(matches!(config.mail.transport, TransportConfig::Smtp(_)));
        assert_eq!(
            config.mail.reply_to.as_deref(),
            Some("organizers@example.org")
        );
        assert!(!format!("{config:?}").contains("secret"));
        for (flag, bad) in [
            (
                "--smtp-url",
                ServeArgs {
                    smtp_url: Some("http://x".into()),
                    ..args.clone()
                },
            ),
            (
                "--mail-from",
                ServeArgs {
                    mail_from: "nobody".into(),
                    ..args.clone()
                },
            ),
            (
                "--mail-reply-to",
                ServeArgs {
                    mail_reply_to: Some("a@b.example\r\nBcc: c@d.example".into()),
                    ..args.clone()
                },
            ),
        ] {
            let err = Config::from_serve_args(&ServeArgs {
                data_dir: dir.clone(),
                ..bad
            })
            .unwrap_err();
            assert!(err.contains(flag), "{err}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_time_zone_defaults_to_panama_and_must_be_an_iana_name() {
        let dir = std::env::temp_dir().join(format!("cs-config-{}", crate::store::new_id()));
        let config = Config::from_serve_args(&ServeArgs {
            data_dir: dir.clone(),
            ..ServeArgs::default()
        })
        .unwrap();
        assert_eq!(config.time_zone, chrono_tz::America::Panama);
        let cli = Cli::try_parse_from([
            "capacity-survey",
            "serve",
            "--time-zone",
            "America/New_York",
        ])
        .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("expected serve");
        };
        let config = Config::from_serve_args(&ServeArgs {
            data_dir: dir.clone(),
            ..args.clone()
        })
        .unwrap();
        assert_eq!(config.time_zone, chrono_tz::America::New_York);
        let err = Config::from_serve_args(&ServeArgs {
            data_dir: dir.clone(),
            time_zone: "Panama City".into(),
            ..args
        })
        .unwrap_err();
        assert!(err.contains("--time-zone"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn trusted_proxies_are_ip_addresses() {
        assert_eq!(parse_trusted_proxies(None), Ok(vec![]));
        assert_eq!(
            parse_trusted_proxies(Some(" 10.0.0.1, ::1 ,")),
            Ok(vec!["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()])
        );
        let err = parse_trusted_proxies(Some("10.0.0.1,proxy.local")).unwrap_err();
        assert!(
            err.contains("--trusted-proxies") && err.contains("proxy.local"),
            "{err}"
        );
        let cli =
            Cli::try_parse_from(["capacity-survey", "serve", "--trusted-proxies", "127.0.0.1"])
                .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("expected serve");
        };
        assert_eq!(args.trusted_proxies.as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn database_password_is_redacted() {
        assert_eq!(
            crate::domain::text::redact_url("postgres://user:secret@host/db"),
            "postgres://user:***@host/db"
        );
        assert_eq!(
            crate::domain::text::redact_url("sqlite://data/x.db"),
            "sqlite://data/x.db"
        );
    }

    #[test]
    fn session_limits_default_to_twelve_hours_and_seven_days_and_must_be_positive() {
        let dir = std::env::temp_dir().join(format!("cs-config-{}", crate::store::new_id()));
        let config = Config::from_serve_args(&ServeArgs {
            data_dir: dir.clone(),
            ..ServeArgs::default()
        })
        .unwrap();
        assert_eq!(
            (config.session_idle_hours, config.session_max_days),
            (12, 7)
        );
        let cli = Cli::try_parse_from([
            "capacity-survey",
            "serve",
            "--session-idle-hours",
            "2",
            "--session-max-days",
            "1",
        ])
        .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("expected serve");
        };
        let config = Config::from_serve_args(&ServeArgs {
            data_dir: dir.clone(),
            ..args.clone()
        })
        .unwrap();
        assert_eq!((config.session_idle_hours, config.session_max_days), (2, 1));
        let err = Config::from_serve_args(&ServeArgs {
            data_dir: dir.clone(),
            session_idle_hours: 0,
            ..args
        })
        .unwrap_err();
        assert!(err.contains("--session-idle-hours"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
