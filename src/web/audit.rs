//! The organizers' audit log page, which browses and filters the log, and its CSV export.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::client::ClientAddress;
use super::context::{Ctx, Organizer};
use super::view::Pager;
use super::{App, render};
use crate::error::AppError;
use crate::i18n::tr;
use crate::service::audit::{self as service, Action, FilterInput, FilterProblems};
use crate::service::records::AuditEntry;

/// One row of the page, ready to show.
pub struct EntryView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub assessment: String,
    pub details: String,
    pub address: String,
}

/// One choice of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    ctx: Ctx,
    input: FilterInput,
    errors: super::forms::FormErrors,
    actions: Vec<Choice>,
    assessments: Vec<Choice>,
    entries: Vec<EntryView>,
    pager: Option<Pager>,
    csv_url: String,
    /// The zone the times are in.
    zone_name: &'static str,
}

fn object_label(lang: crate::domain::Lang, entry: &AuditEntry) -> String {
    let kind = match entry.object_type.as_deref() {
        Some("user") => tr(lang, "audit.object.user"),
        Some("invitation") => tr(lang, "audit.object.invitation"),
        Some("response") => tr(lang, "audit.object.response"),
        Some("assessment") => tr(lang, "audit.object.assessment"),
        Some("mechanism") => tr(lang, "audit.object.mechanism"),
        Some("organization") => tr(lang, "audit.object.organization"),
        Some("email") => tr(lang, "audit.object.email"),
        Some("session") => tr(lang, "audit.object.session"),
        Some(other) => other.to_owned().into(),
        None => return String::new(),
    };
    match entry.object_id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => format!("{kind} {id}"),
        None => kind.into_owned(),
    }
}

fn action_label(lang: crate::domain::Lang, key: &str) -> String {
    match Action::parse(key) {
        Some(action) => tr(lang, &action.label_key()).into_owned(),
        None => key.to_owned(),
    }
}

/// The filter as query pairs (for page links and the CSV link), without empty values.
fn query_of(input: &FilterInput, page: Option<i64>) -> String {
    let page = page.map(|p| p.to_string());
    let pairs: Vec<(&str, &str)> = [
        ("action", input.action.as_str()),
        ("actor", input.actor.as_str()),
        ("from", input.from.as_str()),
        ("to", input.to.as_str()),
        ("assessment", input.assessment.as_str()),
        ("page", page.as_deref().unwrap_or_default()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.trim().is_empty())
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

fn form_errors(ctx: &Ctx, problems: &FilterProblems) -> super::forms::FormErrors {
    let mut errors = super::forms::FormErrors::default();
    for (field, key) in problems {
        errors.add(field, ctx.t(key).into_owned());
    }
    errors
}

/// `/organizer/audit`: the log, newest first, 100 a page, with its filters.
pub async fn page(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    query: web::Query<FilterInput>,
) -> Result<HttpResponse, AppError> {
    let input = query.into_inner();
    let parsed = service::parse_filter(&input, state.config.time_zone);
    let filter = parsed.as_ref().ok().map(|(f, p)| (f.clone(), *p));
    let (assessments, found) = state
        .run(move |conn| service::log_page(conn, filter))
        .await?;
    let lang = ctx.lang;
    // The log belongs to no one assessment: its times are in the configured default zone.
    let when = ctx.times(state.config.time_zone);
    let titles: HashMap<String, String> = assessments
        .iter()
        .map(|a| (a.id.clone(), a.title(lang).to_owned()))
        .collect();
    let assessment_choices = assessments
        .iter()
        .map(|a| Choice {
            value: a.id.clone(),
            label: a.title(lang).to_owned(),
        })
        .collect();
    let actions = Action::ALL
        .into_iter()
        .map(|a| Choice {
            value: a.key().to_owned(),
            label: tr(lang, &a.label_key()).into_owned(),
        })
        .collect();
    let csv_url = with_query("/organizer/audit.csv", &query_of(&input, None));
    let (status, errors, entries, pager) = match (parsed, found) {
        (Ok(_), Some(found)) => {
            let pager = Pager::new(
                usize::try_from(found.total).unwrap_or(0),
                usize::try_from(service::PAGE_SIZE).unwrap_or(100),
                usize::try_from(found.page).ok(),
                |n| with_query("/organizer/audit", &query_of(&input, i64::try_from(n).ok())),
            );
            let entries = found
                .entries
                .iter()
                .map(|e| EntryView {
                    at: when.at_precise(e.at),
                    actor: e.actor_email.clone(),
                    action: action_label(lang, &e.action),
                    object: object_label(lang, e),
                    assessment: e
                        .assessment_id
                        .as_ref()
                        .map(|id| titles.get(id).cloned().unwrap_or_else(|| id.clone()))
                        .unwrap_or_default(),
                    details: e.details.clone(),
                    address: e.client_address.clone().unwrap_or_default(),
                })
                .collect();
            (
                StatusCode::OK,
                super::forms::FormErrors::default(),
                entries,
                Some(pager),
            )
        }
        (Err(problems), _) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            form_errors(&ctx, &problems),
            Vec::new(),
            None,
        ),
        (Ok(_), None) => return Err(AppError::internal("audit page without rows")),
    };
    render(
        status,
        &AuditPage {
            zone_name: when.zone_name(),
            ctx,
            input,
            errors,
            actions,
            assessments: assessment_choices,
            entries,
            pager,
            csv_url,
        },
    )
}

/// Name of the downloaded file.
const CSV_FILE: &str = "audit.csv";

/// `/organizer/audit.csv`: every row the filter selects, newest first; the export is itself
/// recorded. Cells a spreadsheet would run as formulas are neutralised.
pub async fn csv(
    ctx: Ctx,
    Organizer(user): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    query: web::Query<FilterInput>,
) -> Result<HttpResponse, AppError> {
    let input = query.into_inner();
    let zone = state.config.time_zone;
    let filter = match service::parse_filter(&input, zone) {
        Ok((filter, _)) => filter,
        // The page shows the same filter with its messages.
        Err(_) => return page(ctx, Organizer(user), state, web::Query(input)).await,
    };
    let actor = client.actor(&user);
    let now = state.clock.now();
    let entries = state
        .run(move |conn| service::export(conn, &filter, zone, &actor, now))
        .await?;
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    let header = [
        "at",
        "actor_user_id",
        "actor_email",
        "action",
        "object_type",
        "object_id",
        "assessment_id",
        "details",
        "client_address",
    ];
    writer.write_record(header).map_err(AppError::internal)?;
    for e in &entries {
        let row = [
            crate::domain::time::iso(e.at, state.config.time_zone),
            e.actor_user_id.clone().unwrap_or_default(),
            e.actor_email.clone(),
            e.action.clone(),
            e.object_type.clone().unwrap_or_default(),
            e.object_id.clone().unwrap_or_default(),
            e.assessment_id.clone().unwrap_or_default(),
            e.details.clone(),
            e.client_address.clone().unwrap_or_default(),
        ];
        writer
            .write_record(row.iter().map(|cell| super::view::neutralize(cell)))
            .map_err(AppError::internal)?;
    }
    let body = super::view::with_bom(writer.into_inner().map_err(AppError::internal)?);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{CSV_FILE}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_the_filter() {
        let input = FilterInput {
            action: "login".into(),
            actor: "ana maría".into(),
            ..FilterInput::default()
        };
        assert_eq!(
            query_of(&input, Some(2)),
            "action=login&actor=ana+mar%C3%ADa&page=2"
        );
        assert_eq!(with_query("/organizer/audit", ""), "/organizer/audit");
    }
}
