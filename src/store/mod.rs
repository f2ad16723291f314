//! Storage: the connection pool over SQLite or PostgreSQL, migrations, the schema and the queries.
//!
//! Functions here are synchronous and take a connection; the web layer runs them off the async
//! workers, and the service layer owns transactions.
//!
//! A row is looked up by its key with `get_result`, never with `first`: `first` binds a
//! `LIMIT ?`, and the bundled SQLite (3.53) plans with a bound LIMIT's value, so it re-prepares
//! such a statement each time it runs. That was a fifth of the CPU of a questionnaire page;
//! clippy.toml refuses `first`. Paged lists (`limit`) pay it once per page, which is fine.

pub mod assessments;
pub mod audit;
pub mod bulk;
pub mod instruments;
pub mod invitations;
pub mod mechanisms;
pub mod organizations;
pub mod outbox;
pub mod password_resets;
pub mod reminders;
pub mod responses;
pub mod schema;
pub mod scores;
pub mod sessions;
pub mod throttle;
pub mod users;

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long SQLite waits on a lock held by another connection before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

/// One connection, to whichever backend the database URL names.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Errors of opening or preparing the database.
#[derive(Debug)]
pub enum StoreError {
    BadUrl(String),
    Connect(String),
    Migration(String),
    Query(diesel::result::Error),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::BadUrl(m) => write!(f, "invalid database URL: {m}"),
            StoreError::Connect(m) => write!(f, "cannot connect to the database: {m}"),
            StoreError::Migration(m) => write!(f, "database migration failed: {m}"),
            StoreError::Query(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::Query(e)
    }
}

/// The backend a database URL points at, decided by its scheme alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path (relative to the working directory unless absolute).
    Sqlite(PathBuf),
    /// A libpq connection URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// Accepts `sqlite://relative/path.db`, `sqlite:///absolute/path.db`, `sqlite:path.db`,
    /// and `postgres://` or `postgresql://` URLs.
    pub fn parse(url: &str) -> Result<DatabaseUrl, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                StoreError::BadUrl(format!(
                    "{url:?} (use sqlite://path/to/file.db or postgres://user@host/database)"
                ))
            })?;
        if path.is_empty() || path.contains('?') {
            return Err(StoreError::BadUrl(format!(
                "{url:?}: give a file path after sqlite://"
            )));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

/// Opens connections of the backend chosen from the URL (never by trying each in turn) and
/// prepares every SQLite connection the same way.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        ConnectionManager { url }
    }

    fn open(&self) -> Result<DbConnection, StoreError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let path = path
                    .to_str()
                    .ok_or_else(|| StoreError::BadUrl("the SQLite path is not UTF-8".into()))?;
                let mut conn = SqliteConnection::establish(path)
                    .map_err(|e| StoreError::Connect(format!("{path}: {e}")))?;
                // A 16 MB page cache per connection (the default is 2 MB): the analysis views
                // read a few MB of scores and organizations, which otherwise come back through a
                // system call per page on every request. It fills only as pages are read.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                     PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = NORMAL; \
                     PRAGMA cache_size = -16384;"
                ))
                .map_err(|e| StoreError::Connect(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => PgConnection::establish(url)
                .map(DbConnection::Postgres)
                .map_err(|e| StoreError::Connect(e.to_string())),
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConnection, StoreError> {
        self.open()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        ping(conn).map_err(StoreError::Query)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// One trivial round trip; used by the pool and by `/healthz`.
pub fn ping(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}

/// A real read of the schema, so that a damaged or unreachable database is noticed.
pub fn health_check(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    diesel::sql_query("SELECT COUNT(*) FROM __diesel_schema_migrations")
        .execute(conn)
        .map(|_| ())
}

/// Options for [`open`].
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connection_timeout: Duration,
    pub run_migrations: bool,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 8,
            connection_timeout: Duration::from_secs(5),
            run_migrations: true,
        }
    }
}

/// Opens the database named by `url`: creates the SQLite folder, switches SQLite to WAL and runs
/// the migrations on one connection first (a pool opening a fresh file in parallel sees "database
/// is locked"), then builds the pool.
pub fn open(url: &str, options: &PoolOptions) -> Result<Pool, StoreError> {
    let url = DatabaseUrl::parse(url)?;
    if let DatabaseUrl::Sqlite(path) = &url {
        create_parent_folder(path)?;
    }
    let manager = ConnectionManager::new(url.clone());
    {
        let mut conn = manager.open()?;
        if let DbConnection::Sqlite(c) = &mut conn {
            c.batch_execute("PRAGMA journal_mode = WAL;")
                .map_err(|e| StoreError::Connect(e.to_string()))?;
        }
        if options.run_migrations {
            run_migrations(&mut conn)?;
        }
    }
    r2d2::Pool::builder()
        .max_size(options.max_size)
        .connection_timeout(options.connection_timeout)
        .build(manager)
        .map_err(|e| StoreError::Connect(e.to_string()))
}

fn create_parent_folder(path: &Path) -> Result<(), StoreError> {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent)
            .map_err(|e| StoreError::Connect(format!("cannot create {}: {e}", parent.display()))),
        _ => Ok(()),
    }
}

/// Runs the pending migrations of the connection's backend; returns the versions applied.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
        DbConnection::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect()),
    };
    applied.map_err(|e| StoreError::Migration(e.to_string()))
}

/// Writes a consistent copy of a SQLite database to `target` with `VACUUM INTO`.
pub fn backup_sqlite(conn: &mut DbConnection, target: &str) -> Result<(), StoreError> {
    let DbConnection::Sqlite(c) = conn else {
        return Err(StoreError::BadUrl("backup needs a SQLite database".into()));
    };
    // The path is a bound parameter, so quotes in it are data.
    diesel::sql_query("VACUUM INTO ?")
        .bind::<diesel::sql_types::Text, _>(target)
        .execute(c)
        .map(|_| ())
        .map_err(StoreError::Query)
}

/// A new random identifier for a row: 128 bits, hex.
pub fn new_id() -> String {
    crate::domain::token::random_hex(16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(dir: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{dir}: {e}"))
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn migration_sets_have_the_same_versions() {
        let sqlite = versions(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"));
        let postgres = versions(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"));
        assert!(!sqlite.is_empty());
        assert_eq!(
            sqlite, postgres,
            "migrations/sqlite and migrations/postgres drifted"
        );
        for dir in ["sqlite", "postgres"] {
            for version in &sqlite {
                for file in ["up.sql", "down.sql"] {
                    let path = format!(
                        "{}/migrations/{dir}/{version}/{file}",
                        env!("CARGO_MANIFEST_DIR")
                    );
                    assert!(Path::new(&path).is_file(), "{path} is missing");
                }
            }
        }
    }

    #[test]
    fn database_url_scheme_decides_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("data/x.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("/tmp/x.db"))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://postgres@127.0.0.1/test").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("data/x.db").is_err());
    }

    #[test]
    fn sqlite_connections_have_wal_foreign_keys_and_busy_timeout() {
        #[derive(diesel::QueryableByName)]
        struct Value {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let dir = std::env::temp_dir().join(format!("cs-store-{}", new_id()));
        let url = format!("sqlite://{}/t.db", dir.display());
        let pool = open(&url, &PoolOptions::default()).unwrap();
        let mut conn = pool.get().unwrap();
        let DbConnection::Sqlite(c) = &mut *conn else {
            panic!("expected SQLite");
        };
        let read = |c: &mut SqliteConnection, pragma: &str| -> String {
            diesel::sql_query(format!("SELECT CAST({pragma} AS TEXT) AS value"))
                .get_result::<Value>(c)
                .unwrap()
                .value
        };
        assert_eq!(
            read(c, "(SELECT journal_mode FROM pragma_journal_mode)"),
            "wal"
        );
        assert_eq!(
            read(c, "(SELECT foreign_keys FROM pragma_foreign_keys)"),
            "1"
        );
        assert_eq!(
            read(c, "(SELECT timeout FROM pragma_busy_timeout)"),
            SQLITE_BUSY_TIMEOUT_MS.to_string()
        );
        drop(conn);
        drop(pool);
        let _ = std::fs::remove_dir_all(dir);
    }
}
