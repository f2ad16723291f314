//! The web layer: actix handlers, extractors, middleware and page structs. Handlers are thin:
//! parse, call one service function, render or redirect.

pub mod analysis;
pub mod assessments;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod charts;
pub mod client;
pub mod context;
pub mod csrf;
pub mod email;
pub mod errors;
pub mod exports;
pub mod forms;
pub mod health;
pub mod home;
pub mod invitations;
pub mod limits;
pub mod multipart;
pub mod organizations;
pub mod passwords;
pub mod responses;
pub mod retry;
pub mod route_table;
pub mod sessions;
pub mod view;

pub use route_table::routes;

use std::net::TcpListener;
use std::sync::Arc;

use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::middleware::{self, DefaultHeaders, ErrorHandlers};
use actix_web::{App as Routes, HttpResponse, HttpServer, web};
use askama::Template;

pub use crate::app::App;
use crate::config::Config;
use crate::error::AppError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "cs_session";

/// Room reserved for a page before rendering: most pages are 8-40 KB, and growing the buffer
/// from askama's estimate (the template's literal text) copied it several times.
const PAGE_BUFFER_BYTES: usize = 32 * 1024;

/// Renders a page with the given status.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, AppError> {
    let mut body = String::with_capacity(T::SIZE_HINT.max(PAGE_BUFFER_BYTES));
    page.render_into(&mut body).map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

/// A 303 redirect (after a successful POST, or to the login page).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

/// Seconds a client has to send a request's head before the server answers 408.
pub const REQUEST_HEAD_SECONDS: u64 = 5;
/// Seconds an idle kept-alive connection stays open.
pub const KEEP_ALIVE_SECONDS: u64 = 15;

/// The HTTP server of `state` on a bound listener: routes, middleware and time limits. Not yet
/// running; `server::start` runs it with the background jobs beside it.
pub fn http_server(state: Arc<App>, listener: TcpListener) -> std::io::Result<Server> {
    let workers = state.config.workers;
    let connections = limits::ConnectionCounter::new(
        state.config.max_connections_per_address,
        state.config.trusted_proxies.clone(),
    );
    let app_state = web::Data::from(state.clone());
    let mut server = HttpServer::new(move || {
        let config = &app_state.config;
        Routes::new()
            .app_data(app_state.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(config.max_body_bytes)
                    .error_handler(|e, _| errors::payload_error(e)),
            )
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| AppError::BadRequest(e.to_string()).into()),
            )
            .app_data(web::PayloadConfig::default().limit(config.max_body_bytes))
            .configure(routes)
            .default_service(web::to(errors::not_found))
            .wrap(middleware::from_fn(csrf::guard))
            .wrap(middleware::from_fn(limits::guard))
            .wrap(ErrorHandlers::new().default_handler(errors::render_error_page))
            .wrap(middleware::from_fn(context::language))
            .wrap(session_middleware(config))
            .wrap(security_headers(config))
            .wrap(middleware::Compress::default())
            .wrap(
                middleware::Logger::new("%s %{path}xi %Dms")
                    .custom_request_replace("path", loggable_path)
                    .exclude("/healthz"),
            )
    })
    .on_connect(limits::on_connect(connections))
    .listen(listener)?
    // A client gets this long to send a request's head (then 408), an idle kept-alive
    // connection is closed after the next, and a closing one is dropped after the last.
    .client_request_timeout(std::time::Duration::from_secs(REQUEST_HEAD_SECONDS))
    .keep_alive(std::time::Duration::from_secs(KEEP_ALIVE_SECONDS))
    .client_disconnect_timeout(std::time::Duration::from_secs(2))
    .shutdown_timeout(10);
    if let Some(workers) = workers {
        server = server.workers(workers.max(1));
    }
    Ok(server.run())
}

/// Method and path for the access log, without the query and with link tokens masked.
fn loggable_path(req: &actix_web::dev::ServiceRequest) -> String {
    let path = req.path();
    let path = if path.starts_with("/invite/") {
        "/invite/…"
    } else if path.starts_with("/password/reset/") {
        "/password/reset/…"
    } else {
        path
    };
    format!("{} {path}", req.method())
}

fn session_middleware(config: &Config) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(
        CookieSessionStore::default(),
        Key::from(&config.session_key),
    )
    .cookie_name(SESSION_COOKIE.to_owned())
    .cookie_secure(config.secure_cookies())
    .cookie_http_only(true)
    .cookie_same_site(SameSite::Lax)
    .cookie_content_security(CookieContentSecurity::Private)
    .session_lifecycle(
        // The cookie lasts as long as a session can (the server ends it sooner when idle).
        PersistentSession::default().session_ttl(actix_web::cookie::time::Duration::days(
            i64::from(config.session_max_days),
        )),
    )
    .build()
}

/// Headers on every response: a strict Content-Security-Policy (no inline script or style), no
/// framing, no sniffing, no referrer leaks, HSTS behind https.
fn security_headers(config: &Config) -> DefaultHeaders {
    let mut headers = DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ));
    if config.secure_cookies() {
        headers = headers.add(("Strict-Transport-Security", "max-age=31536000"));
    }
    headers
}
