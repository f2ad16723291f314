//! The health check: whether the database answers.

use crate::error::AppError;
use crate::store::{self, DbConnection};

/// Ok when the database answers a query on its migrations table.
pub fn database_answers(conn: &mut DbConnection) -> Result<(), AppError> {
    Ok(store::health_check(conn)?)
}
