//! Start-up of the server process: opens the database, builds the [`App`], binds the HTTP
//! server (`web`) and runs the background jobs (`jobs`) beside it until it stops.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};

use crate::app::{App, Pool};
use crate::config::Config;
use crate::service::{Clock, SystemClock};

/// The server as a future: it runs the HTTP server and, alongside, the background jobs (outbox
/// delivery, reminders), which stop when the server stops.
pub type ServerFuture = std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<()>>>>;

/// A server bound and ready, not yet awaited.
pub struct Running {
    pub addr: SocketAddr,
    pub server: ServerFuture,
    pub handle: ServerHandle,
    pub state: Arc<App>,
    /// The one-time setup token, when no organizer exists yet.
    pub setup_token: Option<String>,
}

/// Errors of starting the server, reported on the console.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Opens the database (running migrations), binds the address and builds the server.
pub fn start(config: Config) -> Result<Running, StartError> {
    let pool = crate::app::open_pool(&config).map_err(StartError)?;
    let listener = TcpListener::bind(&config.bind)
        .map_err(|e| StartError(format!("cannot listen on {}: {e}", config.bind)))?;
    start_on(config, pool, listener)
}

/// Builds the server on an open pool and a bound listener (tests bind port 0).
pub fn start_on(config: Config, pool: Pool, listener: TcpListener) -> Result<Running, StartError> {
    start_with_clock(config, pool, listener, Arc::new(SystemClock))
}

/// Like [`start_on`], with a clock of the caller's (tests move time by hand).
pub fn start_with_clock(
    config: Config,
    pool: Pool,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
) -> Result<Running, StartError> {
    let addr = listener
        .local_addr()
        .map_err(|e| StartError(e.to_string()))?;
    let (app, setup_token) = App::new(config, pool, clock).map_err(StartError)?;
    let state = Arc::new(app);
    let server =
        crate::web::http_server(state.clone(), listener).map_err(|e| StartError(e.to_string()))?;
    let handle = server.handle();
    let server = with_background_jobs(server, state.clone());
    Ok(Running {
        addr,
        server,
        handle,
        state,
        setup_token,
    })
}

/// Runs the background jobs while the server runs (when the configuration asks for them). They
/// start with the first poll of the returned future and are told to stop when the server ends.
fn with_background_jobs(server: Server, state: Arc<App>) -> ServerFuture {
    Box::pin(async move {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let jobs = state
            .config
            .mail
            .background_jobs
            .then(|| actix_web::rt::spawn(crate::jobs::run(state.clone(), stopped)));
        let result = server.await;
        let _ = stop.send(true);
        if let Some(jobs) = jobs {
            // A job stuck on the network must not keep the process alive.
            let _ = actix_web::rt::time::timeout(std::time::Duration::from_secs(35), jobs).await;
        }
        result
    })
}
