//! The one error type of the application. Its kind decides the status and the page shown; its
//! cause is logged, never shown.

use std::fmt;

/// An error that ends a request.
#[derive(Debug)]
pub enum AppError {
    /// No such page or object (also what a missing row becomes).
    NotFound,
    /// The user may not do this.
    Forbidden,
    /// A refusal with its own explanation (a translation key), e.g. a used setup link.
    Denied {
        status: u16,
        message_key: &'static str,
    },
    /// The page needs a logged-in user; `next` is where to go after logging in.
    LoginRequired { next: String },
    /// A POST without a valid CSRF token.
    Csrf,
    /// Malformed request (unreadable form, bad encoding); the detail is for the log.
    BadRequest(String),
    /// The request body is over the limit.
    PayloadTooLarge,
    /// The database cannot be reached.
    Unavailable(String),
    /// Anything else; logged with a request id.
    Internal(String),
}

impl AppError {
    pub fn internal(e: impl fmt::Display) -> AppError {
        AppError::Internal(e.to_string())
    }

    /// The HTTP status code of this error.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::NotFound => 404,
            AppError::Forbidden | AppError::Csrf => 403,
            AppError::Denied { status, .. } => *status,
            AppError::LoginRequired { .. } => 303,
            AppError::BadRequest(_) => 400,
            AppError::PayloadTooLarge => 413,
            AppError::Unavailable(_) => 503,
            AppError::Internal(_) => 500,
        }
    }

    /// The translation key of the explanation shown on the error page.
    pub fn message_key(&self) -> &'static str {
        match self {
            AppError::Denied { message_key, .. } => message_key,
            AppError::Csrf => "errors.page.csrf",
            _ => match self.status_code() {
                400 => "errors.page.400",
                403 => "errors.page.403",
                404 => "errors.page.404",
                413 => "errors.page.413",
                503 => "errors.page.503",
                _ => "errors.page.500",
            },
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::NotFound => f.write_str("not found"),
            AppError::Forbidden => f.write_str("forbidden"),
            AppError::Denied { message_key, .. } => write!(f, "denied: {message_key}"),
            AppError::LoginRequired { .. } => f.write_str("login required"),
            AppError::Csrf => f.write_str("missing or invalid CSRF token"),
            AppError::BadRequest(m) => write!(f, "bad request: {m}"),
            AppError::PayloadTooLarge => f.write_str("request body too large"),
            AppError::Unavailable(m) => write!(f, "database unavailable: {m}"),
            AppError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for AppError {}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(e.to_string())
    }
}
