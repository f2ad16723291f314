//! Error pages: every 4xx and 5xx without a page of its own is rendered in the layout, in the
//! user's language. Internal errors are logged with a request id; the page shows only the id.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::error::UrlencodedError;
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use super::context::Ctx;
use crate::domain::token;
use crate::error::AppError;

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(AppError::status_code(self))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::LoginRequired { next } => {
                let query =
                    serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
                super::see_other(&format!("/login?{query}"))
            }
            // The body is left empty: the error page handler renders it with the request at hand.
            _ => HttpResponse::new(ResponseError::status_code(self)),
        }
    }
}

/// Maps form decoding errors: too large is 413, anything else 400.
pub fn payload_error(e: UrlencodedError) -> actix_web::Error {
    match e {
        UrlencodedError::Overflow { .. } => AppError::PayloadTooLarge.into(),
        other => AppError::BadRequest(other.to_string()).into(),
    }
}

pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Ctx,
    status: u16,
    title_key: String,
    message_key: &'static str,
    request_id: Option<String>,
}

/// Renders an error page for a response that has no page of its own.
pub fn render_error_page<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let has_error = res.response().error().is_some();
    let empty = matches!(
        res.response().body().size(),
        actix_web::body::BodySize::Sized(0)
    );
    if !has_error && !empty {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let app_error = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>());
    let message_key = match app_error {
        Some(e) => e.message_key(),
        None => generic_message_key(status),
    };
    let request_id = status.is_server_error().then(|| token::random_hex(8));
    if let Some(id) = &request_id {
        let cause = res
            .response()
            .error()
            .map(|e| e.to_string())
            .unwrap_or_default();
        tracing::error!(request_id = %id, path = %res.request().path(), error = %cause, "request failed");
    }
    let (req, old) = res.into_parts();
    let page = ErrorPage {
        ctx: Ctx::from_request(&req),
        status: status.as_u16(),
        title_key: title_key(status),
        message_key,
        request_id,
    };
    let response = build(status, &page, &old);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

fn build<B>(status: StatusCode, page: &ErrorPage, old: &HttpResponse<B>) -> HttpResponse {
    let body = page
        .render()
        .unwrap_or_else(|_| format!("Error {}", status.as_u16()));
    let mut response = HttpResponse::build(status);
    // Keep what the original response said beyond its body (Allow, Retry-After, cookies).
    for (name, value) in old.headers() {
        if name != "content-type" && name != "content-length" {
            response.append_header((name.clone(), value.clone()));
        }
    }
    response
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

fn title_key(status: StatusCode) -> String {
    match status.as_u16() {
        400 | 403 | 404 | 405 | 413 | 422 | 429 | 503 => {
            format!("errors.title.{}", status.as_u16())
        }
        s if s >= 500 => "errors.title.500".to_owned(),
        _ => "errors.title.400".to_owned(),
    }
}

fn generic_message_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        403 => "errors.page.403",
        404 => "errors.page.404",
        405 => "errors.page.405",
        413 => "errors.page.413",
        422 => "errors.page.422",
        429 => "errors.page.429",
        503 => "errors.page.503",
        s if s >= 500 => "errors.page.500",
        _ => "errors.page.400",
    }
}
