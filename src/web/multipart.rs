//! Reading a `multipart/form-data` body that is already in memory (the CSRF guard read it, with
//! its size limit), with actix-multipart's parser.

use actix_web::http::header::HeaderMap;
use actix_web::web::Bytes;
use futures_util::StreamExt;

use crate::error::AppError;

/// One field of the form.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub data: Vec<u8>,
}

/// Whether the request body is a multipart form.
pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// Every field of a multipart body, in order.
pub async fn parts(headers: &HeaderMap, body: Bytes) -> Result<Vec<Part>, AppError> {
    let stream =
        futures_util::stream::once(async move { Ok::<_, actix_web::error::PayloadError>(body) });
    let mut multipart = actix_multipart::Multipart::new(headers, stream);
    let mut parts = Vec::new();
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            data.extend_from_slice(&chunk.map_err(|e| AppError::BadRequest(e.to_string()))?);
        }
        parts.push(Part { name, data });
    }
    Ok(parts)
}
