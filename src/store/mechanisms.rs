//! Queries on mechanism entries (the exchange inventory), one row each.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::mechanisms;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable, AsChangeset)]
#[diesel(table_name = mechanisms, treat_none_as_null = true)]
pub struct Mechanism {
    pub id: String,
    pub response_id: String,
    pub version: i64,
    pub name: String,
    pub description: Option<String>,
    pub partner_organization_id: Option<String>,
    pub partner_name: Option<String>,
    pub direction: Option<String>,
    pub domains: Option<String>,
    pub level: Option<String>,
    pub legal_basis: Option<String>,
    pub legal_reference: Option<String>,
    pub channel: Option<String>,
    pub format: Option<String>,
    pub frequency: Option<String>,
    pub delay_days: Option<i64>,
    pub disaggregations: Option<String>,
    pub personal_data: Option<bool>,
    pub protection: Option<String>,
    pub status: Option<String>,
    pub problems: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub updated_by: Option<String>,
}

pub fn list_for_response(
    conn: &mut DbConnection,
    response_id: &str,
) -> QueryResult<Vec<Mechanism>> {
    mechanisms::table
        .filter(mechanisms::response_id.eq(response_id))
        .order((mechanisms::created_at, mechanisms::id))
        .select(Mechanism::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, response_id: &str, id: &str) -> QueryResult<Mechanism> {
    mechanisms::table
        .find(id)
        .filter(mechanisms::response_id.eq(response_id))
        .select(Mechanism::as_select())
        .get_result(conn)
}

pub fn insert(conn: &mut DbConnection, row: &Mechanism) -> QueryResult<()> {
    diesel::insert_into(mechanisms::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Replaces an entry if it is still at `row.version - 1`; false when someone else changed or
/// removed it in between.
pub fn update(conn: &mut DbConnection, row: &Mechanism) -> QueryResult<bool> {
    diesel::update(
        mechanisms::table
            .find(&row.id)
            .filter(mechanisms::response_id.eq(&row.response_id))
            .filter(mechanisms::version.eq(row.version - 1)),
    )
    .set(row)
    .execute(conn)
    .map(|n| n == 1)
}

pub fn delete(conn: &mut DbConnection, response_id: &str, id: &str) -> QueryResult<bool> {
    diesel::delete(
        mechanisms::table
            .find(id)
            .filter(mechanisms::response_id.eq(response_id)),
    )
    .execute(conn)
    .map(|n| n == 1)
}

type Backend = <DbConnection as diesel::Connection>::Backend;

/// The mechanisms of an assessment's responses, in no particular order.
fn in_assessment(assessment_id: &str) -> mechanisms::BoxedQuery<'_, Backend> {
    use super::schema::responses;
    let responses_of_assessment = responses::table
        .filter(responses::assessment_id.eq(assessment_id))
        .select(responses::id);
    mechanisms::table
        .filter(mechanisms::response_id.eq_any(responses_of_assessment))
        .into_boxed()
}

/// By reporting response, then in entry order (the key of the SQLite table).
const ENTRY_ORDER: (
    mechanisms::response_id,
    mechanisms::created_at,
    mechanisms::id,
) = (
    mechanisms::response_id,
    mechanisms::created_at,
    mechanisms::id,
);

/// The mechanisms of an assessment's responses, by reporting response then entry order.
fn of_assessment(assessment_id: &str) -> mechanisms::BoxedQuery<'_, Backend> {
    in_assessment(assessment_id).order(ENTRY_ORDER)
}

/// Every mechanism of some responses, by response and then in entry order.
pub fn list_for_responses(
    conn: &mut DbConnection,
    response_ids: &[String],
) -> QueryResult<Vec<Mechanism>> {
    mechanisms::table
        .filter(mechanisms::response_id.eq_any(response_ids))
        .order(ENTRY_ORDER)
        .select(Mechanism::as_select())
        .load(conn)
}

/// Every mechanism of an assessment, by reporting response.
pub fn list_for_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<Mechanism>> {
    of_assessment(assessment_id)
        .select(Mechanism::as_select())
        .load(conn)
}

/// A mechanism as the analysis views read it (inventory, network, reconciliation): only the
/// columns they show or match on, no timestamps; tens of thousands of rows at a large forum.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mechanisms)]
pub struct MechanismHead {
    pub id: String,
    pub response_id: String,
    pub name: String,
    pub partner_organization_id: Option<String>,
    pub partner_name: Option<String>,
    pub direction: Option<String>,
    pub domains: Option<String>,
    pub legal_basis: Option<String>,
    pub channel: Option<String>,
    pub frequency: Option<String>,
    pub personal_data: Option<bool>,
    pub status: Option<String>,
}

/// The heads of every mechanism of an assessment, in the order of [`list_for_assessment`].
pub fn heads_for_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<MechanismHead>> {
    of_assessment(assessment_id)
        .select(MechanismHead::as_select())
        .load(conn)
}

/// A mechanism as the exchange network reads it (the network page, the flows export and the
/// workbook's flows sheet): who reported it, with whom, which way, what and in which state, and
/// its name for the flows a page labels. The `mechanisms_flows` index holds these columns, so
/// the read never touches the table.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mechanisms)]
pub struct FlowHead {
    pub id: String,
    pub response_id: String,
    pub name: String,
    pub partner_organization_id: Option<String>,
    pub direction: Option<String>,
    pub domains: Option<String>,
    pub status: Option<String>,
}

/// The flow heads of every mechanism of an assessment, in the covering index's order (the
/// network orders its flows itself; an ORDER BY would sort them in a temporary tree).
pub fn flow_heads_for_assessment(
    conn: &mut DbConnection,
    assessment_id: &str,
) -> QueryResult<Vec<FlowHead>> {
    in_assessment(assessment_id)
        .select(FlowHead::as_select())
        .load(conn)
}
