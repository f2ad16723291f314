//! The read model of per-response scores and progress (`response_scores`): read for a whole
//! assessment, written in the transaction of a save, dropped when an answer is written elsewhere.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{response_scores, responses};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = response_scores)]
pub struct ScoresRow {
    pub response_id: String,
    pub dimensions: String,
    pub domains: String,
}

/// What is stored of one response: its scores in their stored form and its progress.
#[derive(Debug, Clone, Copy)]
pub struct NewScores<'a> {
    pub dimensions: &'a str,
    pub domains: &'a str,
    pub progress_required: i64,
    pub progress_answered: i64,
}

/// The read model's rows of an assessment's responses.
fn of_responses_of(
    assessment_id: &str,
) -> diesel::dsl::Filter<
    diesel::dsl::InnerJoin<response_scores::table, responses::table>,
    diesel::dsl::Eq<responses::assessment_id, &str>,
> {
    response_scores::table
        .inner_join(responses::table)
        .filter(responses::assessment_id.eq(assessment_id))
}

/// The response id and some `columns` of the read model's rows of an assessment's responses,
/// read on SQLite from the covering index `response_scores_summary` alone.
fn from_summary<R>(
    conn: &mut diesel::SqliteConnection,
    columns: &str,
    assessment_id: &str,
) -> QueryResult<Vec<R>>
where
    R: diesel::QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    diesel::sql_query(format!(
        "SELECT s.response_id, {columns} \
         FROM response_scores AS s INDEXED BY response_scores_summary \
         INNER JOIN responses AS r ON r.id = s.response_id \
         WHERE r.assessment_id = ?"
    ))
    .bind::<diesel::sql_types::Text, _>(assessment_id)
    .load::<R>(conn)
}

/// The stored progress of every response of an assessment that has it: (response id, required,
/// answered). On SQLite it is read from the covering index `response_scores_summary` (see
/// [`dimensions_of_assessment`]).
pub fn progress_of_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<(String, i64, i64)>> {
    match conn {
        DbConnection::Sqlite(c) => Ok(from_summary::<ProgressRow>(
            c,
            "s.progress_required, s.progress_answered",
            assessment_id,
        )?
        .into_iter()
        .map(|row| (row.response_id, row.required, row.answered))
        .collect()),
        DbConnection::Postgres(c) => of_responses_of(assessment_id)
            .select((
                response_scores::response_id,
                response_scores::progress_required,
                response_scores::progress_answered,
            ))
            .load(c),
    }
}

#[derive(QueryableByName)]
struct ProgressRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    response_id: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    #[diesel(column_name = progress_required)]
    required: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    #[diesel(column_name = progress_answered)]
    answered: i64,
}

/// The stored scores of every response of an assessment that has them.
pub fn of_assessment(conn: &mut DbConnection, assessment_id: &str) -> QueryResult<Vec<ScoresRow>> {
    of_responses_of(assessment_id)
        .select(ScoresRow::as_select())
        .load(conn)
}

/// The stored dimension scores of every response of an assessment that has them: (response id,
/// dimensions). On SQLite they are read from the covering index `response_scores_summary`,
/// named because the planner, without statistics, prefers the primary key's index and a look-up
/// into the table (~700-byte rows) per response.
pub fn dimensions_of_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<(String, String)>> {
    match conn {
        DbConnection::Sqlite(c) => {
            Ok(
                from_summary::<DimensionsRow>(c, "s.dimensions", assessment_id)?
                    .into_iter()
                    .map(|row| (row.response_id, row.dimensions))
                    .collect(),
            )
        }
        DbConnection::Postgres(c) => of_responses_of(assessment_id)
            .select((response_scores::response_id, response_scores::dimensions))
            .load(c),
    }
}

#[derive(QueryableByName)]
struct DimensionsRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    response_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    dimensions: String,
}

/// Writes (or rewrites) the scores of one response.
pub fn put(
    conn: &mut DbConnection,
    response_id: &str,
    scores: NewScores<'_>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(response_scores::table.find(response_id))
        .set((
            response_scores::dimensions.eq(scores.dimensions),
            response_scores::domains.eq(scores.domains),
            response_scores::progress_required.eq(scores.progress_required),
            response_scores::progress_answered.eq(scores.progress_answered),
            response_scores::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        insert_missing(conn, response_id, scores, now)?;
    }
    Ok(())
}

/// Stores scores computed while reading, unless a save stored newer ones meanwhile (those win).
pub fn insert_missing(
    conn: &mut DbConnection,
    response_id: &str,
    scores: NewScores<'_>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let values = (
        response_scores::response_id.eq(response_id),
        response_scores::dimensions.eq(scores.dimensions),
        response_scores::domains.eq(scores.domains),
        response_scores::progress_required.eq(scores.progress_required),
        response_scores::progress_answered.eq(scores.progress_answered),
        response_scores::updated_at.eq(now),
    );
    match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(response_scores::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(c),
        DbConnection::Postgres(c) => diesel::insert_into(response_scores::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(c),
    }
    .map(|_| ())
}

/// Forgets the scores of a response whose answers changed; the next read recomputes them.
pub fn forget(conn: &mut DbConnection, response_id: &str) -> QueryResult<()> {
    diesel::delete(response_scores::table.find(response_id))
        .execute(conn)
        .map(|_| ())
}
