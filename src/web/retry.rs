//! Answers that ask the client to come back later: the throttle's message and the Retry-After
//! header, and the 503 of a busy password hasher.

use actix_web::HttpResponse;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};

use super::context::Ctx;
use crate::service::hashing::RETRY_AFTER_SECONDS;

/// "Too many failed attempts, try again in N minutes", for `wait` seconds.
pub fn throttled_message(ctx: &Ctx, wait: i64) -> String {
    let minutes = usize::try_from((wait + 59) / 60).unwrap_or(usize::MAX);
    ctx.tn("login.throttled", minutes)
}

/// Adds `Retry-After: wait` to a response.
pub fn with_retry_after(mut response: HttpResponse, wait: i64) -> HttpResponse {
    if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// 503 with Retry-After, for a request that found every password-hashing slot busy (the error
/// page is rendered by the error handlers, which keep the header).
pub fn hashing_busy() -> HttpResponse {
    tracing::warn!("password hashing busy; request refused");
    let wait = i64::try_from(RETRY_AFTER_SECONDS).unwrap_or(1);
    with_retry_after(HttpResponse::ServiceUnavailable().finish(), wait)
}
