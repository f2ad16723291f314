//! Refuses every state-changing request without the session's CSRF token, before any handler
//! runs. The token comes from the `csrf_token` form field or the `X-CSRF-Token` header.

use actix_session::SessionExt;
use actix_web::HttpMessage;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{self, BytesMut};
use futures_util::StreamExt;

use super::App;
use super::context::expected_csrf_token;
use crate::domain::token;
use crate::error::AppError;

pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Text that is not UTF-8 once decoded would reach the handlers as U+FFFD and be stored; a NUL
    // is refused by PostgreSQL in any text (a 500 where the request is at fault).
    if !decodes_to_text(req.path().as_bytes()) || !decodes_to_text(req.query_string().as_bytes()) {
        return Ok(req.error_response(AppError::BadRequest(
            "path or query is not UTF-8 text".into(),
        )));
    }
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let limit = req
        .app_data::<web::Data<App>>()
        .map(|s| s.config.max_body_bytes)
        .unwrap_or(crate::config::DEFAULT_MAX_BODY_BYTES);
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Ok(req.error_response(AppError::PayloadTooLarge));
    }
    // The body is read here (bounded) so the token can be checked before anything else, then
    // handed on unchanged.
    let mut body = BytesMut::new();
    let mut payload = req.take_payload();
    while let Some(chunk) = payload.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(e) => return Ok(req.error_response(AppError::BadRequest(e.to_string()))),
        };
        if body.len() + chunk.len() > limit {
            return Ok(req.error_response(AppError::PayloadTooLarge));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    // Forms come url-encoded or as multipart; a body of any other type is not read as a form.
    if !body.is_empty() && !is_form(&req) && !super::multipart::is_multipart(req.headers()) {
        return Ok(req.error_response(AppError::Denied {
            status: 415,
            message_key: "hostile.unsupported_media_type",
        }));
    }
    if is_form(&req) && !decodes_to_text(&body) {
        return Ok(req.error_response(AppError::BadRequest("form is not UTF-8 text".into())));
    }

    let provided = match req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        Some(header) => Some(header.to_owned()),
        None if is_form(&req) => match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        {
            Ok(pairs) => pairs.into_iter().find(|(k, _)| k == FIELD).map(|(_, v)| v),
            Err(e) => return Ok(req.error_response(AppError::BadRequest(e.to_string()))),
        },
        None if super::multipart::is_multipart(req.headers()) => {
            match super::multipart::parts(req.headers(), body.clone()).await {
                Ok(parts) => parts
                    .into_iter()
                    .find(|p| p.name == FIELD)
                    .and_then(|p| String::from_utf8(p.data).ok()),
                Err(e) => return Ok(req.error_response(e)),
            }
        }
        None => None,
    };
    let expected = expected_csrf_token(&req.get_session());
    let valid = match (&expected, &provided) {
        (Some(expected), Some(provided)) => token::constant_time_eq(expected, provided),
        _ => false,
    };
    if !valid {
        tracing::info!(
            path = req.path(),
            "refused a request without a valid CSRF token"
        );
        return Ok(req.error_response(AppError::Csrf));
    }
    req.set_payload(Payload::from(body));
    Ok(next.call(req).await?.map_into_boxed_body())
}

fn is_form(req: &ServiceRequest) -> bool {
    req.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Whether url-encoded bytes (a path, a query or a form body) decode to UTF-8 text without NUL:
/// what browsers send.
fn decodes_to_text(encoded: &[u8]) -> bool {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut decoded = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while let Some(&byte) = encoded.get(i) {
        let escaped = match (byte, encoded.get(i + 1), encoded.get(i + 2)) {
            (b'%', Some(&high), Some(&low)) => hex(high).zip(hex(low)),
            _ => None,
        };
        match escaped {
            Some((high, low)) => {
                decoded.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                i += 3;
            }
            None => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    !decoded.contains(&0) && std::str::from_utf8(&decoded).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_url_encoded_utf8_text_without_nul_passes() {
        assert!(decodes_to_text(b""));
        assert!(decodes_to_text(b"a=1&b=Pan%C3%A1+m%C3%A1&c=%25&d=%zz&e=%"));
        assert!(decodes_to_text("v=ñ".as_bytes()));
        assert!(!decodes_to_text(b"a=%FF"));
        assert!(!decodes_to_text(b"a=%C3%28"));
        assert!(!decodes_to_text(b"%C3&%A9=x"));
        assert!(!decodes_to_text(b"a=\xff\xfe"));
        assert!(!decodes_to_text(b"a=%ED%A0%80"), "a UTF-16 surrogate");
        assert!(!decodes_to_text(b"a=1%00"));
        assert!(!decodes_to_text(b"/organizer/organizations/%00/edit"));
        assert!(!decodes_to_text(b"a=\0"));
    }
}
