//! Queries on stored instrument versions (the source text an assessment pins).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::instruments;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = instruments)]
pub struct InstrumentVersion {
    pub key: String,
    pub version: String,
    pub title_es: String,
    pub title_en: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = instruments)]
pub struct NewInstrument<'a> {
    pub key: &'a str,
    pub version: &'a str,
    pub title_es: &'a str,
    pub title_en: &'a str,
    pub source: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<InstrumentVersion>> {
    instruments::table
        .order((instruments::key, instruments::version.desc()))
        .select(InstrumentVersion::as_select())
        .load(conn)
}

pub fn source(conn: &mut DbConnection, key: &str, version: &str) -> QueryResult<String> {
    instruments::table
        .find((key, version))
        .select(instruments::source)
        .get_result(conn)
}

pub fn exists(conn: &mut DbConnection, key: &str, version: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(instruments::table.find((key, version)))).get_result(conn)
}

pub fn insert(conn: &mut DbConnection, row: &NewInstrument<'_>) -> QueryResult<()> {
    diesel::insert_into(instruments::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}
