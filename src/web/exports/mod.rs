//! Exports of an assessment in the chosen language: CSV per view (the long answers file is
//! streamed page by page), one XLSX workbook with a sheet per view, and JSON
//! (docs/export-json.md). Text that a spreadsheet would run as a formula is neutralised.
//! The handlers are here; the tables in `tables`, the streamed answers in `answers`, the
//! workbook's pipeline in `workbook`, the JSON document in `json`. What they read comes from
//! `service::exports` and `service::analysis`.

mod answers;
mod json;
mod tables;
mod workbook;

use answers::answers_csv;
use json::json_export;
use tables::{domains_header, domains_rows, flows_table, matrix_table, mechanisms_table};
use workbook::{WORKBOOK_BATCH, built_workbook, file_chunks};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::AppError;
use crate::service::analysis::{AssessmentData, Participant, Scope};
use crate::service::exports as service;
use crate::service::records::{Assessment, Mechanism};
use crate::web::context::{Ctx, Organizer};
use crate::web::view::{ViewQuery, load_data, neutralize, with_bom};
use crate::web::{App, render};

#[derive(Template)]
#[template(path = "exports.html")]
struct ExportsPage {
    ctx: Ctx,
    assessment: Assessment,
    /// Whether the links include drafts.
    drafts: bool,
    /// What every download link ends with: `?drafts=1` or nothing.
    suffix: &'static str,
}

pub async fn page(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<ViewQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let assessment = state
        .run(move |conn| crate::service::analysis::find_assessment(conn, &id))
        .await?;
    let drafts = query.into_inner().selection().include_drafts;
    render(
        StatusCode::OK,
        &ExportsPage {
            ctx,
            assessment,
            drafts,
            suffix: if drafts { "?drafts=1" } else { "" },
        },
    )
}

/// The files [`export`] serves; any other name is a 404 and is not recorded.
const EXPORT_FILES: [&str; 7] = [
    "matrix.csv",
    "mechanisms.csv",
    "flows.csv",
    "domains.csv",
    "answers.csv",
    "workbook.xlsx",
    "assessment.json",
];

/// Records an export of an assessment (kind in the details) before it is served. An unknown
/// assessment is a 404 and writes nothing.
async fn record_export(
    state: &App,
    user: &crate::web::context::CurrentUser,
    client: &crate::web::client::ClientAddress,
    assessment_id: &str,
    file: &str,
) -> Result<(), AppError> {
    if !EXPORT_FILES.contains(&file) {
        return Ok(());
    }
    let actor = client.actor(user);
    let (id, file) = (assessment_id.to_owned(), file.to_owned());
    let now = state.clock.now();
    state
        .run(move |conn| crate::service::audit::record_export(conn, &actor, &id, &file, now))
        .await
}

#[derive(Debug, Deserialize)]
pub struct ExportPath {
    id: String,
    file: String,
}

/// `matrix.csv`, `mechanisms.csv`, `domains.csv`, `flows.csv`, `answers.csv` (streamed),
/// `workbook.xlsx`, `assessment.json`.
pub async fn export(
    ctx: Ctx,
    Organizer(user): Organizer,
    client: super::client::ClientAddress,
    state: web::Data<App>,
    path: web::Path<ExportPath>,
    query: web::Query<ViewQuery>,
) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    record_export(&state, &user, &client, &path.id, &path.file).await?;
    let selection = query.into_inner().selection();
    let lang = ctx.lang;
    tracing::info!(user = %user.id, assessment = %path.id, file = %path.file, "export");
    let table_csv = |table: Vec<Vec<String>>, name: &str| -> Result<HttpResponse, AppError> {
        let mut writer = csv_writer();
        for row in &table {
            write_row(&mut writer, row)?;
        }
        Ok(attachment(
            "text/csv; charset=utf-8",
            name,
            with_bom(csv_bytes(writer)?),
        ))
    };
    match path.file.as_str() {
        "matrix.csv" => {
            let data = load_data(&state, path.id, Scope::Matrix).await?;
            table_csv(matrix_table(&data, &selection, lang), "matrix.csv")
        }
        "mechanisms.csv" => {
            let data = load_data(&state, path.id, Scope::Participants).await?;
            let rows = mechanism_rows(&state, &data).await?;
            table_csv(
                mechanisms_table(&data, &rows, &selection, lang)?,
                "mechanisms.csv",
            )
        }
        "flows.csv" => {
            let data = load_data(&state, path.id, Scope::Flows).await?;
            table_csv(flows_table(&data, &selection, lang)?, "flows.csv")
        }
        "domains.csv" => {
            let app = state.clone();
            let id = path.id;
            let table = state
                .run(move |conn| {
                    service::read_in_batches(
                        conn,
                        &app.instruments,
                        &id,
                        Scope::Participants,
                        |data, mut batches| {
                            let participants: Vec<&Participant> =
                                data.selected(&selection).collect();
                            let mut table = domains_header(data, lang);
                            for batch in participants.chunks(WORKBOOK_BATCH) {
                                let (_, grids) = batches.answers_and_grids(
                                    &data.instrument,
                                    &service::response_ids(batch),
                                    &[],
                                )?;
                                table.extend(domains_rows(data, batch, &grids, lang));
                            }
                            Ok(table)
                        },
                    )
                })
                .await?;
            table_csv(table, "domains.csv")
        }
        "answers.csv" => answers_csv(state, path.id, selection, lang).await,
        "workbook.xlsx" => {
            let file = built_workbook(&state, path.id, selection, lang).await?;
            let length = file.metadata().map_err(AppError::internal)?.len();
            Ok(attachment_of(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "assessment.xlsx",
            )
            .body(actix_web::body::SizedStream::new(length, file_chunks(file))))
        }
        "assessment.json" => {
            let data = load_data(&state, path.id, Scope::ScoresAndFlows).await?;
            let rows = mechanism_rows(&state, &data).await?;
            let value = json_export(&data, &rows, &selection, lang);
            let body = serde_json::to_vec_pretty(&value).map_err(AppError::internal)?;
            Ok(attachment("application/json", "assessment.json", body))
        }
        _ => Err(AppError::NotFound),
    }
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new().from_writer(Vec::new())
}

fn csv_bytes(writer: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, AppError> {
    writer.into_inner().map_err(AppError::internal)
}

fn write_row(writer: &mut csv::Writer<Vec<u8>>, row: &[String]) -> Result<(), AppError> {
    writer
        .write_record(row.iter().map(|v| neutralize(v)))
        .map_err(AppError::internal)
}

fn attachment(content_type: &str, filename: &str, body: Vec<u8>) -> HttpResponse {
    attachment_of(content_type, filename).body(body)
}

/// A download's response before its body: its type, its file name, never cached.
fn attachment_of(content_type: &str, filename: &str) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::Ok();
    response
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header(("Cache-Control", "no-store"));
    response
}

/// The full rows of an assessment's mechanisms, for the exports that list every field.
async fn mechanism_rows(
    state: &web::Data<App>,
    data: &AssessmentData,
) -> Result<Vec<Mechanism>, AppError> {
    let id = data.assessment.id.clone();
    state
        .run(move |conn| service::mechanisms_of_assessment(conn, &id))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for risky in ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x"] {
            assert!(neutralize(risky).starts_with('\''), "{risky:?}");
        }
        assert_eq!(neutralize("Ley 3 de 2008"), "Ley 3 de 2008");
        assert_eq!(neutralize(""), "");
    }
}
