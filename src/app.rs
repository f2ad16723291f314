//! The application's shared state, below the web and the background jobs: configuration, the
//! database pool, the mail transport, the clock, the instrument registry and the password hasher.
//! The web layer hands it to handlers; `jobs` runs its passes with it.

use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::domain::token;
use crate::error::AppError;
use crate::mail::Mailer;
use crate::service::email::MailEnv;
use crate::service::hashing::Hasher;
use crate::service::instruments::{self, InstrumentRegistry};
use crate::service::{Clock, accounts};
pub use crate::store::Pool;
use crate::store::run_blocking;
use crate::store::{self, DbConnection};

/// Opens the configured database with the configured pool size, running pending migrations.
pub fn open_pool(config: &Config) -> Result<Pool, String> {
    let options = store::PoolOptions {
        max_size: config.pool_size,
        ..store::PoolOptions::default()
    };
    store::open(&config.database_url, &options).map_err(|e| e.to_string())
}

/// What every handler and every background pass can reach.
pub struct App {
    pub config: Config,
    pub pool: Pool,
    /// Hash of the one-time setup token, while no organizer exists.
    pub setup_token_hash: Mutex<Option<String>>,
    pub instruments: InstrumentRegistry,
    pub clock: Arc<dyn Clock>,
    /// The mail transport of this process (the outbox worker sends with it).
    pub mailer: Arc<Mailer>,
    /// Every argon2 hash and verification of the server, bounded (see `service::hashing`).
    pub hasher: Hasher,
}

impl App {
    /// Builds the state on an open pool: installs the bundled instrument and, while no organizer
    /// exists, makes the one-time setup token (returned in clear once, kept hashed).
    pub fn new(
        config: Config,
        pool: Pool,
        clock: Arc<dyn Clock>,
    ) -> Result<(App, Option<String>), String> {
        let organizer_exists = {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            instruments::install_bundled(&mut conn, clock.now())?;
            accounts::organizer_exists(&mut conn).map_err(|e| e.to_string())?
        };
        let setup_token = (!organizer_exists).then(token::new_secret);
        let mailer = Arc::new(Mailer::new(&config.mail)?);
        let app = App {
            setup_token_hash: Mutex::new(setup_token.as_deref().map(token::hash)),
            config,
            pool,
            instruments: InstrumentRegistry::default(),
            clock,
            mailer,
            hasher: Hasher::for_this_machine(),
        };
        Ok((app, setup_token))
    }

    /// Runs a synchronous service function on the blocking thread pool with a pooled connection.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        run_blocking(&self.pool, f).await
    }

    /// Whether `token` is the current setup token.
    pub fn setup_token_matches(&self, token: &str) -> bool {
        let Ok(guard) = self.setup_token_hash.lock() else {
            return false;
        };
        guard
            .as_deref()
            .is_some_and(|hash| token::constant_time_eq(hash, &token::hash(token)))
    }

    /// What the use cases need to render emails.
    pub fn mail_env(&self) -> MailEnv<'_> {
        MailEnv {
            base_url: &self.config.base_url,
            instruments: &self.instruments,
            reply_to: self.config.mail.reply_to.as_deref(),
        }
    }

    /// Forgets the setup token once the first organizer exists.
    pub fn clear_setup_token(&self) {
        if let Ok(mut guard) = self.setup_token_hash.lock() {
            *guard = None;
        }
    }
}
