//! Storage: the connection pool over SQLite or PostgreSQL, migrations, the schema and the queries.
//!
//! Functions here are synchronous and take a connection; only the service layer calls them (it
//! owns transactions), and [`run_blocking`] runs them off the async workers.
//!
//! A row is looked up by its key with `get_result`, never with `first`: `first` binds a
//! `LIMIT ?`, and the bundled SQLite plans with a bound LIMIT's value, so it re-prepares such a
//! statement each time it runs, on the busiest pages' every request; clippy.toml refuses `first`.
//! Paged lists (`limit`) pay it once per page, which is fine.

pub mod assessments;
pub mod audit;
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

use crate::error::AppError;
use diesel::connection::{
    AnsiTransactionManager, InstrumentationEvent, SimpleConnection, TransactionManager,
};
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
                // A page cache per connection eight times SQLite's default: the analysis views
                // read scores and organizations of every participant, which otherwise come back
                // through a system call per page on every request. It fills only as pages are read.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                     PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = NORMAL; \
                     PRAGMA cache_size = -16384;"
                ))
                .map_err(|e| StoreError::Connect(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn =
                    PgConnection::establish(url).map_err(|e| StoreError::Connect(e.to_string()))?;
                conn.set_instrumentation(note_retryable_failure);
                Ok(DbConnection::Postgres(conn))
            }
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

    /// Asked when a connection comes back to the pool: one whose transaction was left open (a
    /// panic) or whose transaction manager is in error (PostgreSQL marks it so when the server
    /// closed the connection under a query) is dropped instead of lent again.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || DbConnection::is_broken_transaction_manager(conn)
    }
}

/// How many times [`write`] runs a PostgreSQL transaction that lost a serialization or deadlock
/// race before giving the error back.
const WRITE_ATTEMPTS: u32 = 5;

thread_local! {
    /// Set when a statement on this thread's PostgreSQL connection failed in a way that a new
    /// attempt of the whole transaction can cure. Read by [`write`], which runs its transaction
    /// on one thread; the error value itself may already be an `AppError` that kept only text.
    static RETRYABLE_FAILURE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Instrumentation of every PostgreSQL connection: notes a serialization failure (40001) or a
/// deadlock (40P01; diesel has no kind for it, so the server's message, which libpq gives in
/// English unless `lc_messages` says otherwise) of any statement, COMMIT included.
fn note_retryable_failure(event: InstrumentationEvent<'_>) {
    if let InstrumentationEvent::FinishQuery {
        error: Some(error), ..
    } = event
        && is_retryable(error)
    {
        RETRYABLE_FAILURE.with(|seen| seen.set(true));
    }
}

fn is_retryable(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            info.message().starts_with("deadlock detected")
        }
        _ => false,
    }
}

/// Runs `f` as one write transaction; every write transaction goes through here (clippy.toml
/// refuses `Connection::transaction`), so no path can forget how each backend must begin one.
///
/// - SQLite: `BEGIN IMMEDIATE`, which takes the write lock first and waits for it (busy_timeout).
///   A deferred transaction that reads before it writes cannot wait: when another writer commits
///   in between, its upgrade fails at once with "database is locked".
/// - PostgreSQL: a plain transaction, run again (up to [`WRITE_ATTEMPTS`] times, with a short
///   pause) when it failed on a serialization failure or a deadlock, so `f` may run more than
///   once and must do nothing outside the connection that cannot be repeated.
///
/// Inside a transaction already open, `f` runs in a savepoint of it.
pub fn write<T, E, F>(conn: &mut DbConnection, mut f: F) -> Result<T, E>
where
    F: FnMut(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let open = DbConnection::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_some();
    if open {
        #[allow(clippy::disallowed_methods)] // a savepoint inside the caller's transaction
        return conn.transaction(f);
    }
    let mut attempt = 1;
    loop {
        RETRYABLE_FAILURE.with(|seen| seen.set(false));
        match conn {
            DbConnection::Sqlite(c) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
            }
            DbConnection::Postgres(_) => DbConnection::begin_transaction(conn)?,
        }
        let outcome = match f(conn) {
            Ok(value) => DbConnection::commit_transaction(conn)
                .map(|()| value)
                .map_err(E::from),
            Err(e) => {
                DbConnection::rollback_transaction(conn)?;
                Err(e)
            }
        };
        let again = outcome.is_err()
            && attempt < WRITE_ATTEMPTS
            && matches!(conn, DbConnection::Postgres(_))
            && RETRYABLE_FAILURE.with(|seen| seen.get());
        if !again {
            return outcome;
        }
        tracing::info!(attempt, "a write transaction lost a race; running it again");
        std::thread::sleep(Duration::from_millis(5 << attempt));
        attempt += 1;
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
    // No `SELECT 1` on every check-out (r2d2's default): a connection that died is noticed by
    // the query that uses it, which fails once, and `has_broken` drops it on its way back.
    r2d2::Pool::builder()
        .test_on_check_out(false)
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

/// Runs a synchronous database function on the blocking thread pool with a connection of `pool`.
pub async fn run_blocking<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?
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
    fn the_pool_lends_connections_without_a_round_trip_and_drops_broken_ones() {
        let dir = std::env::temp_dir().join(format!("cs-store-{}", new_id()));
        let url = format!("sqlite://{}/t.db", dir.display());
        let pool = open(&url, &PoolOptions::default()).unwrap();
        assert!(!pool.test_on_check_out());
        let manager = ConnectionManager::new(DatabaseUrl::parse(&url).unwrap());
        let mut conn = manager.connect().unwrap();
        assert!(!manager.has_broken(&mut conn));
        // A transaction left open (its owner panicked or forgot it) must not be lent again.
        DbConnection::begin_transaction(&mut conn).unwrap();
        assert!(manager.has_broken(&mut conn));
        drop(conn);
        drop(pool);
        let _ = std::fs::remove_dir_all(dir);
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
