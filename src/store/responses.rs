//! Queries on responses, their members, section versions and answers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::assessments::Assessment;
use super::organizations::Organization;
use super::schema::{
    answers, assessments, organizations, response_members, response_sections, responses, users,
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = responses)]
pub struct Response {
    pub id: String,
    pub assessment_id: String,
    pub organization_id: String,
    pub status: String,
    pub first_opened_at: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
    pub submitted_at: Option<NaiveDateTime>,
    pub submitted_by: Option<String>,
    pub reopened_at: Option<NaiveDateTime>,
    pub reopen_reason: Option<String>,
    pub created_at: NaiveDateTime,
}

impl Response {
    pub fn is_submitted(&self) -> bool {
        self.status == STATUS_SUBMITTED
    }
}

pub const STATUS_DRAFT: &str = "draft";
pub const STATUS_SUBMITTED: &str = "submitted";
pub const STATUS_REOPENED: &str = "reopened";

#[derive(Debug, Insertable)]
#[diesel(table_name = responses)]
pub struct NewResponse<'a> {
    pub id: &'a str,
    pub assessment_id: &'a str,
    pub organization_id: &'a str,
    pub status: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &NewResponse<'_>) -> QueryResult<()> {
    diesel::insert_into(responses::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Response> {
    responses::table
        .find(id)
        .select(Response::as_select())
        .get_result(conn)
}

/// A response with its assessment and organization, and whether `user_id` is one of its
/// representatives: one query for what every questionnaire page opens with.
pub fn find_opened(
    conn: &mut DbConnection,
    id: &str,
    user_id: &str,
) -> QueryResult<(Response, Assessment, Organization, bool)> {
    responses::table
        .inner_join(assessments::table)
        .inner_join(organizations::table)
        .filter(responses::id.eq(id))
        .select((
            Response::as_select(),
            Assessment::as_select(),
            Organization::as_select(),
            diesel::dsl::exists(
                response_members::table
                    .filter(response_members::response_id.eq(responses::id))
                    .filter(response_members::user_id.eq(user_id)),
            ),
        ))
        .get_result(conn)
}

pub fn find_for(
    conn: &mut DbConnection,
    assessment_id: &str,
    organization_id: &str,
) -> QueryResult<Option<Response>> {
    responses::table
        .filter(responses::assessment_id.eq(assessment_id))
        .filter(responses::organization_id.eq(organization_id))
        .select(Response::as_select())
        .get_result(conn)
        .optional()
}

/// The responses of an assessment joined to their organizations.
type OfAssessment<'a> = diesel::dsl::Filter<
    diesel::dsl::InnerJoin<responses::table, organizations::table>,
    diesel::dsl::Eq<responses::assessment_id, &'a str>,
>;

/// The responses of an assessment joined to their organizations, by organization name.
fn by_organization_name(
    assessment_id: &str,
) -> diesel::dsl::Order<OfAssessment<'_>, organizations::name_key> {
    responses::table
        .inner_join(organizations::table)
        .filter(responses::assessment_id.eq(assessment_id))
        .order(organizations::name_key)
}

/// Every response of an assessment with its organization.
pub fn list_for_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<(Response, Organization)>> {
    by_organization_name(assessment_id)
        .select((Response::as_select(), Organization::as_select()))
        .load(conn)
}

/// Whether an assessment has any response (its instrument is then pinned).
pub fn has_responses(conn: &mut DbConnection, assessment_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        responses::table.filter(responses::assessment_id.eq(assessment_id)),
    ))
    .get_result(conn)
}

/// The responses a user is a member of, with assessment and organization.
pub fn list_for_user(
    conn: &mut DbConnection,
    user_id: &str,
) -> QueryResult<Vec<(Response, super::assessments::Assessment, Organization)>> {
    responses::table
        .inner_join(response_members::table)
        .inner_join(assessments::table)
        .inner_join(organizations::table)
        .filter(response_members::user_id.eq(user_id))
        .order(assessments::closes_on.desc())
        .select((
            Response::as_select(),
            super::assessments::Assessment::as_select(),
            Organization::as_select(),
        ))
        .load(conn)
}

pub fn is_member(conn: &mut DbConnection, response_id: &str, user_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        response_members::table.find((response_id, user_id)),
    ))
    .get_result(conn)
}

pub fn add_member(
    conn: &mut DbConnection,
    response_id: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if is_member(conn, response_id, user_id)? {
        return Ok(());
    }
    diesel::insert_into(response_members::table)
        .values((
            response_members::response_id.eq(response_id),
            response_members::user_id.eq(user_id),
            response_members::joined_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// (response id, user name, user email) of the members of an assessment's responses.
pub fn members_of_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    response_members::table
        .inner_join(responses::table)
        .inner_join(users::table)
        .filter(responses::assessment_id.eq(assessment_id))
        .order(users::name)
        .select((response_members::response_id, users::name, users::email))
        .load(conn)
}

/// (user id, name, email) of the members of a response, by email.
pub fn members(
    conn: &mut DbConnection,
    response_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    response_members::table
        .inner_join(users::table)
        .filter(response_members::response_id.eq(response_id))
        .order(users::email)
        .select((users::id, users::name, users::email))
        .load(conn)
}

pub fn touch_opened(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(
        responses::table
            .find(id)
            .filter(responses::first_opened_at.is_null()),
    )
    .set(responses::first_opened_at.eq(Some(now)))
    .execute(conn)
    .map(|_| ())
}

pub fn touch_activity(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(responses::table.find(id))
        .set(responses::last_activity_at.eq(Some(now)))
        .execute(conn)
        .map(|_| ())
}

/// Marks a draft or reopened response submitted; false when it already was.
pub fn submit(
    conn: &mut DbConnection,
    id: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        responses::table
            .find(id)
            .filter(responses::status.ne(STATUS_SUBMITTED)),
    )
    .set((
        responses::status.eq(STATUS_SUBMITTED),
        responses::submitted_at.eq(Some(now)),
        responses::submitted_by.eq(Some(user_id)),
        responses::last_activity_at.eq(Some(now)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Reopens a submitted response; false when it was not submitted.
pub fn reopen(
    conn: &mut DbConnection,
    id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        responses::table
            .find(id)
            .filter(responses::status.eq(STATUS_SUBMITTED)),
    )
    .set((
        responses::status.eq(STATUS_REOPENED),
        responses::reopened_at.eq(Some(now)),
        responses::reopen_reason.eq(Some(reason)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// The version of a section of a response; 0 before its first save.
pub fn section_version(
    conn: &mut DbConnection,
    response_id: &str,
    section_key: &str,
) -> QueryResult<i64> {
    response_sections::table
        .find((response_id, section_key))
        .select(response_sections::version)
        .get_result(conn)
        .optional()
        .map(|v| v.unwrap_or(0))
}

/// The last save of one section of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionSave {
    pub version: i64,
    pub at: NaiveDateTime,
    /// The saving account's id.
    pub by: Option<String>,
}

/// The version of one section of a response, when and by whom it was last saved; none before its
/// first save.
pub fn section_saved(
    conn: &mut DbConnection,
    response_id: &str,
    section_key: &str,
) -> QueryResult<Option<SectionSave>> {
    response_sections::table
        .find((response_id, section_key))
        .select((
            response_sections::version,
            response_sections::updated_at,
            response_sections::updated_by,
        ))
        .get_result::<(i64, NaiveDateTime, Option<String>)>(conn)
        .optional()
        .map(|row| row.map(|(version, at, by)| SectionSave { version, at, by }))
}

/// Every section version of a response, with when it was last saved.
pub fn section_versions(
    conn: &mut DbConnection,
    response_id: &str,
) -> QueryResult<Vec<(String, i64, NaiveDateTime)>> {
    response_sections::table
        .filter(response_sections::response_id.eq(response_id))
        .select((
            response_sections::section_key,
            response_sections::version,
            response_sections::updated_at,
        ))
        .load(conn)
}

/// Moves a section from version `expected` to `expected + 1`; false when someone else saved it
/// in between (the row changed, or a first save raced another).
pub fn bump_section_version(
    conn: &mut DbConnection,
    response_id: &str,
    section_key: &str,
    expected: i64,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    if expected == 0 {
        // The INSERT alone decides (an existing row is a unique violation): no SELECT first,
        // because on SQLite a transaction that reads before it writes cannot wait for the
        // write lock and fails with "database is locked" when another save committed meanwhile.
        // A savepoint, so that losing a race for the first save leaves the transaction usable
        // (PostgreSQL aborts a transaction on any error otherwise).
        let inserted = super::write(conn, |conn| {
            diesel::insert_into(response_sections::table)
                .values((
                    response_sections::response_id.eq(response_id),
                    response_sections::section_key.eq(section_key),
                    response_sections::version.eq(1i64),
                    response_sections::updated_at.eq(now),
                    response_sections::updated_by.eq(Some(user_id)),
                ))
                .execute(conn)
        });
        return match inserted {
            Ok(_) => Ok(true),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Ok(false),
            Err(e) => Err(e),
        };
    }
    diesel::update(
        response_sections::table
            .find((response_id, section_key))
            .filter(response_sections::version.eq(expected)),
    )
    .set((
        response_sections::version.eq(expected + 1),
        response_sections::updated_at.eq(now),
        response_sections::updated_by.eq(Some(user_id)),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = answers)]
pub struct AnswerRow {
    pub item_key: String,
    pub value: String,
    pub evidence: Option<String>,
}

pub fn answers(conn: &mut DbConnection, response_id: &str) -> QueryResult<Vec<AnswerRow>> {
    answers::table
        .filter(answers::response_id.eq(response_id))
        .select(AnswerRow::as_select())
        .load(conn)
}

diesel::define_sql_function! {
    /// `substr(text, start, length)`, the same in SQLite and PostgreSQL (1-based).
    fn substr(text: diesel::sql_types::Text, start: diesel::sql_types::Integer, length: diesel::sql_types::Integer) -> diesel::sql_types::Text;
}

/// The answers of a response whose keys start with `prefix` (a section's `key.`). The database
/// compares the prefix byte for byte within the response's answers, whatever its collation.
pub fn answers_with_prefix(
    conn: &mut DbConnection,
    response_id: &str,
    prefix: &str,
) -> QueryResult<Vec<AnswerRow>> {
    let length = i32::try_from(prefix.len()).unwrap_or(i32::MAX);
    answers::table
        .filter(answers::response_id.eq(response_id))
        .filter(substr(answers::item_key, 1, length).eq(prefix))
        .select(AnswerRow::as_select())
        .load(conn)
}

#[derive(diesel::QueryableByName)]
struct Packed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    response_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    packed: Option<String>,
}

/// Every answer of some responses (key and value, no evidence), each response's packed by the
/// database into one text that [`unpack_answer_values`] splits: one row per response instead of
/// one per answer, for the exports that read every answer of thousands of responses (decoding
/// a row per answer would be most of their cost). Each answer is its key, a unit separator (U+001F),
/// the value's length in bytes, a unit separator and the value. Returns (response id, packed
/// answers) for the responses that have answers, in no particular order.
pub fn packed_answer_values(
    conn: &mut DbConnection,
    response_ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    use diesel::sql_types::Text;
    if response_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = match conn {
        DbConnection::Sqlite(c) => {
            let marks = vec!["?"; response_ids.len()].join(", ");
            let mut query = diesel::sql_query(format!(
                "SELECT response_id, group_concat(item_key || char(31) \
                 || length(CAST(value AS BLOB)) || char(31) || value, '') AS packed \
                 FROM answers WHERE response_id IN ({marks}) GROUP BY response_id"
            ))
            .into_boxed::<diesel::sqlite::Sqlite>();
            for id in response_ids {
                query = query.bind::<Text, _>(id);
            }
            query.load::<Packed>(c)?
        }
        DbConnection::Postgres(c) => {
            let marks: Vec<String> = (1..=response_ids.len()).map(|i| format!("${i}")).collect();
            let mut query = diesel::sql_query(format!(
                "SELECT response_id, string_agg(item_key || chr(31) || octet_length(value) \
                 || chr(31) || value, '') AS packed \
                 FROM answers WHERE response_id IN ({}) GROUP BY response_id",
                marks.join(", ")
            ))
            .into_boxed::<diesel::pg::Pg>();
            for id in response_ids {
                query = query.bind::<Text, _>(id);
            }
            query.load::<Packed>(c)?
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((row.response_id, row.packed?)))
        .collect())
}

/// The (key, value) pairs of what [`packed_answer_values`] returned, in its order; it stops
/// at anything malformed.
pub fn unpack_answer_values(packed: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = packed;
    std::iter::from_fn(move || {
        let (key, after_key) = rest.split_once('\u{1f}')?;
        let (length, after_length) = after_key.split_once('\u{1f}')?;
        let length: usize = length.parse().ok()?;
        let value = after_length.get(..length)?;
        rest = after_length.get(length..)?;
        Some((key, value))
    })
}

/// One answer of a response, if there is one.
pub fn answer(
    conn: &mut DbConnection,
    response_id: &str,
    item_key: &str,
) -> QueryResult<Option<AnswerRow>> {
    answers::table
        .find((response_id, item_key))
        .select(AnswerRow::as_select())
        .get_result(conn)
        .optional()
}

/// Writes one answer (insert or replace).
pub fn put_answer(
    conn: &mut DbConnection,
    response_id: &str,
    item_key: &str,
    value: &str,
    evidence: Option<&str>,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(answers::table.find((response_id, item_key)))
        .set((
            answers::value.eq(value),
            answers::evidence.eq(evidence),
            answers::updated_at.eq(now),
            answers::updated_by.eq(Some(user_id)),
        ))
        .execute(conn)?;
    // The stored scores no longer match; a save rewrites them before it commits.
    super::scores::forget(conn, response_id)?;
    if updated == 0 {
        diesel::insert_into(answers::table)
            .values((
                answers::response_id.eq(response_id),
                answers::item_key.eq(item_key),
                answers::value.eq(value),
                answers::evidence.eq(evidence),
                answers::updated_at.eq(now),
                answers::updated_by.eq(Some(user_id)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete_answer(
    conn: &mut DbConnection,
    response_id: &str,
    item_key: &str,
) -> QueryResult<()> {
    super::scores::forget(conn, response_id)?;
    diesel::delete(answers::table.find((response_id, item_key)))
        .execute(conn)
        .map(|_| ())
}

/// One stored answer of an assessment, with its response.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = answers)]
pub struct AssessmentAnswer {
    pub response_id: String,
    pub item_key: String,
    pub value: String,
    pub evidence: Option<String>,
}

/// Every answer of an assessment's responses, in no particular order: the callers gather them
/// by response, and an order would cost the database a sort of every row.
pub fn answers_of_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<AssessmentAnswer>> {
    answers::table
        .inner_join(responses::table)
        .filter(responses::assessment_id.eq(assessment_id))
        .select(AssessmentAnswer::as_select())
        .load(conn)
}

/// The answers of the given responses, by response and item: the primary key's order, so the
/// database reads the index range of each response and sorts nothing.
pub fn answers_of_responses(
    conn: &mut DbConnection,
    response_ids: &[String],
) -> QueryResult<Vec<AssessmentAnswer>> {
    answers::table
        .filter(answers::response_id.eq_any(response_ids.to_vec()))
        .order((answers::response_id, answers::item_key))
        .select(AssessmentAnswer::as_select())
        .load(conn)
}

/// A response as the analysis views need it: what it is, where it stands, when it was submitted.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = responses)]
pub struct ResponseHead {
    pub id: String,
    pub status: String,
    pub submitted_at: Option<NaiveDateTime>,
}

impl ResponseHead {
    pub fn is_submitted(&self) -> bool {
        self.status == STATUS_SUBMITTED
    }
}

/// An organization as the analysis views show it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct OrganizationHead {
    pub id: String,
    pub name: String,
    pub acronym: String,
    pub sector: String,
}

/// A response as the progress page and the reminders need it: where it stands.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = responses)]
pub struct ProgressHead {
    pub id: String,
    pub status: String,
    pub first_opened_at: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
}

impl ProgressHead {
    pub fn is_submitted(&self) -> bool {
        self.status == STATUS_SUBMITTED
    }
}

/// The responses of an assessment with their organizations, ordered by organization name: the
/// columns the progress page reads, not the full rows (thousands of them, each with timestamps
/// to parse).
pub fn progress_heads_for_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<(ProgressHead, OrganizationHead)>> {
    by_organization_name(assessment_id)
        .select((ProgressHead::as_select(), OrganizationHead::as_select()))
        .load(conn)
}

/// The responses of an assessment with their organizations, ordered by organization name: only
/// the columns the analysis views read (thousands of rows; every timestamp would be parsed).
pub fn heads_for_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<(ResponseHead, OrganizationHead)>> {
    by_organization_name(assessment_id)
        .select((ResponseHead::as_select(), OrganizationHead::as_select()))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::unpack_answer_values;

    #[test]
    fn packed_answers_split_back_into_keys_and_values() {
        // Values may hold the separator, digits after it, multi-byte characters or nothing.
        let values = [
            ("about.name", "Migración \u{1f}12\u{1f} ñ"),
            ("legal.mandate", ""),
            ("domains.flows.collects", "yes"),
            ("use.note", "3\u{1f}"),
        ];
        let packed: String = values
            .iter()
            .map(|(k, v)| format!("{k}\u{1f}{}\u{1f}{v}", v.len()))
            .collect();
        let read: Vec<(&str, &str)> = unpack_answer_values(&packed).collect();
        assert_eq!(read, values);
    }

    #[test]
    fn packed_answers_stop_at_what_is_malformed() {
        assert_eq!(unpack_answer_values("").count(), 0);
        // A length beyond the text, a length that is not a number, a cut inside a character.
        assert_eq!(
            unpack_answer_values("a\u{1f}1\u{1f}xb\u{1f}9\u{1f}y").collect::<Vec<_>>(),
            [("a", "x")]
        );
        assert_eq!(unpack_answer_values("a\u{1f}x\u{1f}y").count(), 0);
        assert_eq!(unpack_answer_values("a\u{1f}1\u{1f}ñ").count(), 0);
    }
}
