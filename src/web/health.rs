//! `GET /healthz`: 200 `ok` when the database answers, 503 otherwise.

use actix_web::{HttpResponse, web};

use super::App;

pub async fn healthz(state: web::Data<App>) -> HttpResponse {
    let result = state.run(crate::service::health::database_answers).await;
    match result {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body("ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .insert_header(("Cache-Control", "no-store"))
                .body("database unavailable")
        }
    }
}
