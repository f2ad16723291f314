//! Exports of an assessment in the chosen language: CSV per view (the long answers file is
//! streamed page by page), one XLSX workbook with a sheet per view, and JSON
//! (docs/export-json.md). Text that a spreadsheet would run as a formula is neutralised.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use serde_json::{Value, json};

use super::context::{Ctx, Organizer};
use super::view::{
    FlowLabeller, display_value, mechanism_label, neutralize, neutralized, with_bom,
};
use super::view::{ViewQuery, gaps_view, load_data};
use super::{App, render};
use crate::domain::Lang;
use crate::domain::analysis::{self, Answers, Cell, ColumnStats, DomainAnswer};
use crate::domain::instrument::{Instrument, SectionBody};
use crate::error::AppError;
use crate::i18n::tr;
use crate::service::analysis::{
    AssessmentData, Participant, Scope, Selection, matrix_stats, split_list,
};
use crate::service::responses::slot_kind;
use crate::store::DbConnection;
use crate::store::assessments::Assessment;
use crate::store::mechanisms::Mechanism;

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
        .run(move |conn| Ok(crate::store::assessments::find(conn, &id)?))
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

fn status_label(lang: Lang, status: &str) -> String {
    tr(lang, &format!("response.status.{status}")).into_owned()
}

fn mean_text(value: Option<f64>) -> String {
    value
        .map(|v| format!("{:.1}", analysis::round1(v)))
        .unwrap_or_default()
}

/// The capacity matrix as rows of text, with a header (shared by CSV and XLSX).
fn matrix_table(data: &AssessmentData, selection: &Selection, lang: Lang) -> Vec<Vec<String>> {
    let dimensions: Vec<_> = data.instrument.dimensions().collect();
    let mut header = vec![
        tr(lang, "organizations.field.acronym").into_owned(),
        tr(lang, "organizations.field.name").into_owned(),
        tr(lang, "organizations.field.sector").into_owned(),
        tr(lang, "response.status_label").into_owned(),
    ];
    header.extend(dimensions.iter().map(|d| d.title.get(lang).to_owned()));
    header.push(tr(lang, "matrix.overall").into_owned());
    header.push(tr(lang, "matrix.answered_share").into_owned());
    let rows = data.matrix(selection);
    let mut table = vec![header];
    for row in &rows {
        let org = &row.participant.organization;
        let mut line = vec![
            org.acronym.clone(),
            org.name.clone(),
            data.instrument
                .option_label("sectors", &org.sector, lang)
                .unwrap_or(&org.sector)
                .to_owned(),
            status_label(lang, &row.participant.response.status),
        ];
        line.extend(row.cells.iter().map(|c| mean_text(c.mean)));
        line.push(mean_text(row.overall.mean));
        line.push(format!("{:.0}", row.overall.share_answered() * 100.0));
        table.push(line);
    }
    let stats = matrix_stats(&rows, dimensions.len());
    for (key, pick) in [
        (
            "matrix.stats.mean",
            (|s: &ColumnStats| mean_text(s.mean)) as fn(&ColumnStats) -> String,
        ),
        ("matrix.stats.median", |s| mean_text(s.median)),
        ("matrix.stats.min", |s| mean_text(s.min)),
        ("matrix.stats.max", |s| mean_text(s.max)),
        ("matrix.stats.n", |s| s.n.to_string()),
    ] {
        let mut line = vec![
            tr(lang, key).into_owned(),
            String::new(),
            String::new(),
            String::new(),
        ];
        line.extend(stats.iter().map(pick));
        line.push(String::new());
        table.push(line);
    }
    table
}

/// A sink for rows: tables that can be long hand their rows over one at a time.
type Emit<'e> = &'e mut dyn FnMut(Vec<String>) -> Result<(), AppError>;

/// The organizations taking part by id (from [`AssessmentData::organizations`]).
type Organizations<'a> = foldhash::HashMap<&'a str, &'a crate::store::responses::OrganizationHead>;

/// Collects an emitted table (CSV files are built whole).
fn collect_rows(
    build: impl FnOnce(Emit<'_>) -> Result<(), AppError>,
) -> Result<Vec<Vec<String>>, AppError> {
    let mut table = Vec::new();
    build(&mut |row| {
        table.push(row);
        Ok(())
    })?;
    Ok(table)
}

fn mechanisms_table(
    data: &AssessmentData,
    rows: &[Mechanism],
    selection: &Selection,
    lang: Lang,
) -> Result<Vec<Vec<String>>, AppError> {
    let Some(header) = mechanisms_header(data, lang) else {
        return Ok(Vec::new());
    };
    let participants: Vec<&Participant> = data.selected(selection).collect();
    let organizations = data.organizations();
    collect_rows(|emit| {
        emit(header)?;
        emit_mechanisms(data, &organizations, &participants, rows, lang, emit)
    })
}

/// The header of the mechanisms table: the reporter, then every field (none when the
/// instrument has no mechanism group).
fn mechanisms_header(data: &AssessmentData, lang: Lang) -> Option<Vec<String>> {
    let (_, group) = data.instrument.mechanisms()?;
    let mut header = vec![tr(lang, "inventory.reporter").into_owned()];
    header.extend(group.fields.iter().map(|f| f.label.get(lang).to_owned()));
    Some(header)
}

/// Every field of the mechanisms of some participants, by participant and then in entry order;
/// `rows` are full mechanism rows (the views load only the columns they show), in entry order,
/// and those of other responses are left out.
fn emit_mechanisms(
    data: &AssessmentData,
    organizations: &Organizations<'_>,
    participants: &[&Participant],
    rows: &[Mechanism],
    lang: Lang,
    emit: Emit<'_>,
) -> Result<(), AppError> {
    let Some((_, group)) = data.instrument.mechanisms() else {
        return Ok(());
    };
    let mut by_response: foldhash::HashMap<&str, Vec<&Mechanism>> = foldhash::HashMap::default();
    for m in rows {
        by_response
            .entry(m.response_id.as_str())
            .or_default()
            .push(m);
    }
    let reported = participants.iter().flat_map(|p| {
        by_response
            .get(p.response.id.as_str())
            .into_iter()
            .flatten()
            .map(|m| (p.organization.acronym.as_str(), *m))
    });
    for (reporter, m) in reported {
        let values = crate::service::responses::mechanism_values(m);
        let mut line = vec![reporter.to_owned()];
        for field in &group.fields {
            line.push(match values.get(&field.key) {
                Some(crate::domain::answers::AnswerValue::Partner(
                    crate::domain::answers::PartnerRef::Organization(id),
                )) => organizations
                    .get(id.as_str())
                    .map(|o| o.acronym.clone())
                    .unwrap_or_else(|| id.clone()),
                Some(value) => display_value(&data.instrument, field, value, lang, &[]),
                None => String::new(),
            });
        }
        emit(line)?;
    }
    Ok(())
}

/// The header of the domains table (none when the instrument has no grid).
fn domains_header(data: &AssessmentData, lang: Lang) -> Vec<Vec<String>> {
    let Some((_, grid)) = data.instrument.grid() else {
        return Vec::new();
    };
    let mut header = vec![
        tr(lang, "organizations.field.acronym").into_owned(),
        tr(lang, "inventory.domain").into_owned(),
    ];
    header.extend(grid.columns.iter().map(|c| c.label.get(lang).to_owned()));
    vec![header]
}

/// The rows of the domains table for some participants, their grids (from
/// [`answers_and_grids`](crate::service::analysis::answers_and_grids)) found by response id.
fn domains_rows(
    data: &AssessmentData,
    participants: &[&Participant],
    grids: &HashMap<String, Vec<DomainAnswer>>,
    lang: Lang,
) -> Vec<Vec<String>> {
    let Some((_, grid)) = data.instrument.grid() else {
        return Vec::new();
    };
    let Some(list) = data.instrument.code_list(&grid.list) else {
        return Vec::new();
    };
    let label = |list: &str, key: &str| {
        data.instrument
            .option_label(list, key, lang)
            .unwrap_or(key)
            .to_owned()
    };
    let column_list = |column: &str| match grid.column(column).map(|c| &c.kind) {
        Some(
            crate::domain::instrument::ItemKind::SingleChoice { list }
            | crate::domain::instrument::ItemKind::MultipleChoice { list },
        ) => list.clone(),
        _ => String::new(),
    };
    let yes_no = |value: Option<bool>| match value {
        Some(true) => tr(lang, "section.yes").into_owned(),
        Some(false) => tr(lang, "section.no").into_owned(),
        None => String::new(),
    };
    let mut table = Vec::new();
    for p in participants {
        let Some(row) = grids.get(&p.response.id) else {
            continue;
        };
        for (domain, a) in list.options.iter().zip(row) {
            if *a == DomainAnswer::default() {
                continue;
            }
            let many = |column: &str, keys: &[String]| {
                keys.iter()
                    .map(|k| label(&column_list(column), k))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            table.push(vec![
                p.organization.acronym.clone(),
                domain.label.get(lang).to_owned(),
                a.collects
                    .as_deref()
                    .map(|c| label(&column_list("collects"), c))
                    .unwrap_or_default(),
                many("source", &a.sources),
                many("disaggregations", &a.disaggregations),
                a.frequency
                    .as_deref()
                    .map(|f| label(&column_list("frequency"), f))
                    .unwrap_or_default(),
                yes_no(a.published),
                yes_no(a.needed),
            ]);
        }
    }
    table
}

fn flows_table(
    data: &AssessmentData,
    selection: &Selection,
    lang: Lang,
) -> Result<Vec<Vec<String>>, AppError> {
    collect_rows(|emit| emit_flows(data, selection, lang, emit))
}

fn emit_flows(
    data: &AssessmentData,
    selection: &Selection,
    lang: Lang,
    emit: Emit<'_>,
) -> Result<(), AppError> {
    emit(vec![
        tr(lang, "network.provider").into_owned(),
        tr(lang, "network.receiver").into_owned(),
        tr(lang, "mechanisms.name").into_owned(),
        tr(lang, "inventory.reporter").into_owned(),
        tr(lang, "inventory.domain").into_owned(),
        tr(lang, "mechanisms.status").into_owned(),
        tr(lang, "network.reconciliation").into_owned(),
    ])?;
    let exchanges = data.exchanges(selection);
    let flows = analysis::match_flows(&exchanges);
    let labeller = FlowLabeller::new(data, lang, &flows);
    for r in &flows {
        let f = labeller.row(r);
        let state = if f.confirmed {
            tr(lang, "network.confirmed").into_owned()
        } else {
            crate::i18n::tr_args(lang, "network.only_by", &[("org", &f.reporter)])
        };
        emit(vec![
            f.provider,
            f.receiver,
            f.mechanism,
            f.reporter,
            f.domains,
            f.status,
            state,
        ])?;
    }
    Ok(())
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
    super::audit::record_export(&state, &user, &client, &path.id, &path.file).await?;
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
                    let data = crate::service::analysis::load(
                        conn,
                        &app.instruments,
                        &id,
                        Scope::Participants,
                    )?;
                    let participants: Vec<&Participant> = data.selected(&selection).collect();
                    let mut table = domains_header(&data, lang);
                    for batch in participants.chunks(WORKBOOK_BATCH) {
                        let (_, grids) = crate::service::analysis::answers_and_grids(
                            conn,
                            &data.instrument,
                            &response_ids(batch),
                            &[],
                        )?;
                        table.extend(domains_rows(&data, batch, &grids, lang));
                    }
                    Ok(table)
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

/// One workbook is built at a time: each takes both cores and holds a large assessment's data
/// with a batch of its answers (about 120 MB at 10,000 organizations); others wait their turn.
static WORKBOOK_TURN: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Builds a workbook on threads of its own (a reader and a writer, side by side for the second
/// or two a large assessment takes) rather than on the blocking pool that serves the pages'
/// database calls. The workbook is an anonymous temporary file (gone when closed), read from
/// its start.
async fn built_workbook(
    state: &web::Data<App>,
    assessment_id: String,
    selection: Selection,
    lang: Lang,
) -> Result<std::fs::File, AppError> {
    let _turn = WORKBOOK_TURN.acquire().await.map_err(AppError::internal)?;
    let (done, result) = tokio::sync::oneshot::channel();
    let app = state.clone();
    std::thread::Builder::new()
        .name("workbook-reader".into())
        .spawn(move || {
            let built = app.pool.get().map_err(AppError::from).and_then(|mut conn| {
                let data = crate::service::analysis::load(
                    &mut conn,
                    &app.instruments,
                    &assessment_id,
                    Scope::ScoresAndFlows,
                )?;
                workbook(&mut conn, &data, &selection, lang)
            });
            // The request may have gone: then nobody waits for the workbook.
            let _ = done.send(built);
        })
        .map_err(AppError::internal)?;
    result
        .await
        .map_err(|_| AppError::Internal("the workbook thread stopped".into()))?
}

/// How much of a file each chunk of a streamed download holds.
const FILE_CHUNK: usize = 64 * 1024;

/// A file's content as a response body, read a chunk at a time on the blocking pool (bounded,
/// shared with the database calls) rather than on a thread of its own per download.
fn file_chunks(
    file: std::fs::File,
) -> impl futures_util::Stream<Item = Result<web::Bytes, actix_web::Error>> {
    futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = web::block(move || {
            use std::io::Read;
            let mut chunk = vec![0; FILE_CHUNK];
            let read = file.read(&mut chunk)?;
            chunk.truncate(read);
            Ok::<_, std::io::Error>((chunk, file))
        })
        .await;
        match read {
            Ok(Ok((chunk, _))) if chunk.is_empty() => None,
            Ok(Ok((chunk, file))) => Some((Ok(web::Bytes::from(chunk)), Some(file))),
            Ok(Err(e)) => Some((Err(AppError::internal(e).into()), None)),
            Err(e) => Some((Err(AppError::internal(e).into()), None)),
        }
    })
}

/// The full rows of an assessment's mechanisms, for the exports that list every field.
async fn mechanism_rows(
    state: &web::Data<App>,
    data: &AssessmentData,
) -> Result<Vec<Mechanism>, AppError> {
    let id = data.assessment.id.clone();
    state
        .run(move |conn| Ok(crate::store::mechanisms::list_for_assessment(conn, &id)?))
        .await
}

/// How many responses each page of the streamed export reads (about 150 answers each).
const RESPONSES_PER_PAGE: usize = 200;

/// What every page of the streamed answers export needs, shared by the pages.
struct AnswersExport {
    data: AssessmentData,
    /// Response id -> (acronym, name) of the selected organizations.
    responses: HashMap<String, (String, String)>,
    sections: BTreeMap<String, String>,
    lang: Lang,
}

impl AnswersExport {
    /// The CSV rows of one page of answers.
    fn page(
        &self,
        answers: &[crate::store::responses::AssessmentAnswer],
    ) -> Result<Vec<u8>, AppError> {
        let mut writer = csv_writer();
        for answer in answers {
            let Some((acronym, name)) = self.responses.get(answer.response_id.as_str()) else {
                continue;
            };
            let (section, item_label, label) = describe_answer(
                &self.data.instrument,
                &self.sections,
                &answer.item_key,
                &answer.value,
                self.lang,
            );
            write_row(
                &mut writer,
                &[
                    acronym.clone(),
                    name.clone(),
                    section,
                    item_label,
                    answer.value.clone(),
                    label,
                    answer.evidence.clone().unwrap_or_default(),
                ],
            )?;
        }
        csv_bytes(writer)
    }
}

/// The answers in long format (organization, section, item, value, label, evidence), read page by
/// page and sent as it is written, so memory stays flat whatever the size. Each page borrows a
/// database connection only while it is read (on the blocking pool): a client that stops reading
/// holds no connection, only the next page waits for it.
async fn answers_csv(
    state: web::Data<App>,
    assessment_id: String,
    selection: Selection,
    lang: Lang,
) -> Result<HttpResponse, AppError> {
    let data = load_data(&state, assessment_id, Scope::Participants).await?;
    let responses: HashMap<String, (String, String)> = data
        .selected(&selection)
        .map(|p| {
            (
                p.response.id.clone(),
                (p.organization.acronym.clone(), p.organization.name.clone()),
            )
        })
        .collect();
    let pages: Vec<Vec<String>> = data
        .selected(&selection)
        .map(|p| p.response.id.clone())
        .collect::<Vec<_>>()
        .chunks(RESPONSES_PER_PAGE)
        .map(<[String]>::to_vec)
        .collect();
    let sections = section_titles(&data.instrument, lang);
    let mut head = csv_writer();
    write_row(
        &mut head,
        &[
            tr(lang, "organizations.field.acronym").into_owned(),
            tr(lang, "organizations.field.name").into_owned(),
            tr(lang, "exports.col.section").into_owned(),
            tr(lang, "exports.col.item").into_owned(),
            tr(lang, "exports.col.value").into_owned(),
            tr(lang, "exports.col.label").into_owned(),
            tr(lang, "exports.col.evidence").into_owned(),
        ],
    )?;
    let head = with_bom(csv_bytes(head)?);
    let export = Arc::new(AnswersExport {
        data,
        responses,
        sections,
        lang,
    });
    let first = futures_util::stream::once(async move { Ok(web::Bytes::from(head)) });
    let rest = futures_util::stream::unfold(
        (pages.into_iter(), state, export),
        |(mut pages, state, export)| async move {
            let batch = pages.next()?;
            let reading = export.clone();
            let page = state
                .run(move |conn| {
                    let answers = crate::store::responses::answers_of_responses(conn, &batch)?;
                    reading.page(&answers)
                })
                .await;
            match page {
                Ok(bytes) => Some((Ok(web::Bytes::from(bytes)), (pages, state, export))),
                Err(e) => {
                    tracing::error!(error = %e, "answers export failed");
                    // The rows already sent stay; the broken body tells the client.
                    let ended: std::vec::IntoIter<Vec<String>> = Vec::new().into_iter();
                    Some((Err(actix_web::Error::from(e)), (ended, state, export)))
                }
            }
        },
    );
    use futures_util::StreamExt;
    Ok(attachment_of("text/csv; charset=utf-8", "answers.csv").streaming(first.chain(rest)))
}

/// Section titles by section key.
fn section_titles(instrument: &Instrument, lang: Lang) -> BTreeMap<String, String> {
    instrument
        .sections
        .iter()
        .map(|s| (s.key.clone(), s.title.get(lang).to_owned()))
        .collect()
}

/// (section title, item label, value label) of a stored answer.
fn describe_answer(
    instrument: &Instrument,
    sections: &BTreeMap<String, String>,
    key: &str,
    value: &str,
    lang: Lang,
) -> (String, String, String) {
    if let Some(item) = instrument.item(key) {
        let section = instrument
            .sections
            .iter()
            .find(|s| s.items().iter().any(|i| i.key == key))
            .map(|s| sections.get(&s.key).cloned().unwrap_or_default())
            .unwrap_or_default();
        let label = crate::domain::answers::AnswerValue::decode(&item.kind, value)
            .map(|v| display_value(instrument, item, &v, lang, &[]))
            .unwrap_or_default();
        return (section, item.label.get(lang).to_owned(), label);
    }
    if let Some((section, grid)) = instrument.grid()
        && let Some(rest) = key.strip_prefix(&format!("{}.", section.key))
        && let Some((domain, column)) = rest.split_once('.')
        && let Some(item) = grid.column(column)
    {
        let label = slot_kind(instrument, key)
            .and_then(|k| crate::domain::answers::AnswerValue::decode(k, value))
            .map(|v| display_value(instrument, item, &v, lang, &[]))
            .unwrap_or_default();
        return (
            sections.get(&section.key).cloned().unwrap_or_default(),
            format!(
                "{} · {}",
                instrument
                    .option_label(&grid.list, domain, lang)
                    .unwrap_or(domain),
                item.label.get(lang)
            ),
            label,
        );
    }
    (String::new(), key.to_owned(), String::new())
}

/// Responses whose answers (or mechanisms) the workbook reads at a time: memory stays flat
/// whatever the size.
const WORKBOOK_BATCH: usize = 500;

/// The response ids of a batch of participants, for the reads of a batch.
fn response_ids(batch: &[&Participant]) -> Vec<String> {
    batch.iter().map(|p| p.response.id.clone()).collect()
}

/// Parts waiting for the writer: the reader runs at most this far ahead.
const WORKBOOK_QUEUE: usize = 4;

/// The workbook's zip compression level (1 fastest to 9; the library's default is 6).
const WORKBOOK_ZIP_LEVEL: u8 = 1;

/// Builds rows from what was read and hands them over one at a time.
type BuildRows<'a> = Box<dyn FnOnce(Emit<'_>) -> Result<(), AppError> + Send + 'a>;

/// What the workbook's reader hands its writer.
enum Part<'a> {
    /// A new sheet after the others: its title, and the first column whose cells are numbers
    /// where they parse.
    Sheet { name: String, numbers_from: usize },
    /// The next rows of a sheet (by its place), to be built from what was read; the first row
    /// of a sheet is its header. Sheets are written side by side (each streams to its own file).
    Rows { sheet: usize, build: BuildRows<'a> },
    /// Everything was handed over: the writer saves the workbook.
    End,
}

/// The reader's end of the queue to the writer.
struct SheetQueue<'a> {
    parts: std::sync::mpsc::SyncSender<Part<'a>>,
    lang: Lang,
}

impl<'a> SheetQueue<'a> {
    fn send(&self, part: Part<'a>) -> Result<(), AppError> {
        self.parts
            .send(part)
            .map_err(|_| AppError::Internal("the workbook writer stopped".into()))
    }

    fn sheet(&self, name_key: &str, numbers_from: usize) -> Result<(), AppError> {
        let name = tr(self.lang, name_key).into_owned();
        self.send(Part::Sheet { name, numbers_from })
    }

    /// Rows the writer builds (from what was read and moved in, or borrowed from the loaded
    /// assessment) while this thread reads the next batch.
    fn rows(
        &self,
        sheet: usize,
        build: impl FnOnce(Emit<'_>) -> Result<(), AppError> + Send + 'a,
    ) -> Result<(), AppError> {
        self.send(Part::Rows {
            sheet,
            build: Box::new(build),
        })
    }

    /// A table of rows already built.
    fn table(&self, sheet: usize, table: Vec<Vec<String>>) -> Result<(), AppError> {
        self.rows(sheet, move |emit| table.into_iter().try_for_each(emit))
    }
}

/// One workbook with a sheet per view, on two threads: this one reads from the database, a
/// batch of responses at a time, while a writer builds the rows of the batch before, turns them
/// into cells (constant-memory sheets streamed to temporary files) and zips the result.
fn workbook(
    conn: &mut DbConnection,
    data: &AssessmentData,
    selection: &Selection,
    lang: Lang,
) -> Result<std::fs::File, AppError> {
    let participants: Vec<&Participant> = data.selected(selection).collect();
    let organizations = data.organizations();
    let (sender, receiver) = std::sync::mpsc::sync_channel(WORKBOOK_QUEUE);
    std::thread::scope(|scope| {
        let writer = std::thread::Builder::new()
            .name("workbook-writer".into())
            .spawn_scoped(scope, move || write_workbook(receiver))
            .map_err(AppError::internal)?;
        let queue = SheetQueue {
            parts: sender,
            lang,
        };
        let read = read_workbook(conn, data, selection, &participants, &organizations, queue);
        let written = writer
            .join()
            .map_err(|_| AppError::Internal("the workbook writer panicked".into()))?;
        // When the writer fails it drops its end of the queue and the reader stops at its next
        // hand-over: the writer's error is then the cause.
        match (read, written) {
            (_, Err(e)) | (Err(e), Ok(_)) => Err(e),
            (Ok(()), Ok(bytes)) => Ok(bytes),
        }
    })
}

/// Reads what the workbook's sheets need, in sheet order, and hands the writer how to build
/// their rows.
fn read_workbook<'a>(
    conn: &mut DbConnection,
    data: &'a AssessmentData,
    selection: &'a Selection,
    participants: &'a [&'a Participant],
    organizations: &'a Organizations<'a>,
    out: SheetQueue<'a>,
) -> Result<(), AppError> {
    let lang = out.lang;
    let instrument = &data.instrument;

    // The sheets in their order, with the first column of numbers of each.
    const MATRIX: usize = 0;
    const ANSWERS: usize = 1;
    const MECHANISMS: usize = 2;
    const FLOWS: usize = 3;
    const DOMAINS: usize = 4;
    const GAPS: usize = 5;
    for (name_key, numbers_from) in [
        ("exports.sheet.matrix", 4),
        ("exports.sheet.answers", 2),
        ("exports.sheet.mechanisms", usize::MAX),
        ("exports.sheet.flows", usize::MAX),
        ("exports.sheet.domains", usize::MAX),
        ("exports.sheet.gaps", usize::MAX),
    ] {
        out.sheet(name_key, numbers_from)?;
    }

    // The parts are handed over so that the writer's long ones (the flows are matched and
    // labelled in one go) run while this thread reads the batches.
    out.table(MATRIX, matrix_table(data, selection, lang))?;
    out.rows(FLOWS, move |emit| emit_flows(data, selection, lang, emit))?;
    out.table(ANSWERS, answers_wide_header(data, lang))?;
    out.table(DOMAINS, domains_header(data, lang))?;
    let mechanisms_header = mechanisms_header(data, lang);
    let has_mechanisms = mechanisms_header.is_some();
    if let Some(header) = mechanisms_header {
        out.table(MECHANISMS, vec![header])?;
    }
    let keys = crate::service::analysis::maturity_keys(instrument);
    for batch in participants.chunks(WORKBOOK_BATCH) {
        let ids = response_ids(batch);
        // The answers and domains sheets from one read of each response's answers.
        let (answers, grids) =
            crate::service::analysis::answers_and_grids(conn, instrument, &ids, &keys)?;
        out.rows(ANSWERS, move |emit| {
            answers_wide_rows(data, batch, &answers, lang)
                .into_iter()
                .try_for_each(emit)
        })?;
        out.rows(DOMAINS, move |emit| {
            domains_rows(data, batch, &grids, lang)
                .into_iter()
                .try_for_each(emit)
        })?;
        if has_mechanisms {
            let rows = crate::store::mechanisms::list_for_responses(conn, &ids)?;
            out.rows(MECHANISMS, move |emit| {
                emit_mechanisms(data, organizations, batch, &rows, lang, emit)
            })?;
        }
    }
    out.rows(GAPS, move |emit| {
        gaps_table(data, selection, lang)
            .into_iter()
            .try_for_each(emit)
    })?;
    out.send(Part::End)
}

/// Builds the handed rows into cells (headers bold; scores as numbers from each sheet's
/// `numbers_from` column; any other text neutralised against formulas) and zips the workbook
/// once the reader is done. Without the end mark (the reader failed) nothing is saved.
fn write_workbook(parts: std::sync::mpsc::Receiver<Part<'_>>) -> Result<std::fs::File, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::internal(e);
    let mut workbook = Workbook::new();
    // Deflating the sheets was a fifth of the time at 10,000 organizations; level 1 takes less
    // than half of that for a larger file (18 MB instead of 10 MB there).
    workbook.set_zip_compression_level(WORKBOOK_ZIP_LEVEL);
    let bold = Format::new().set_bold();
    // Each sheet's first number column, next row, and widest text per column (for its width).
    let mut sheets: Vec<(usize, u32, Vec<usize>)> = Vec::new();
    for part in parts {
        match part {
            Part::Sheet { name, numbers_from } => {
                let sheet = workbook
                    .add_worksheet_with_constant_memory()
                    .map_err(xlsx)?;
                sheet.set_name(name).map_err(xlsx)?;
                // The header row stays in view while scrolling.
                sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
                sheets.push((numbers_from, 0, Vec::new()));
            }
            Part::Rows {
                sheet: index,
                build,
            } => {
                let Some((numbers_from, next, widths)) = sheets.get_mut(index) else {
                    return Err(AppError::Internal(
                        "workbook rows of a missing sheet".into(),
                    ));
                };
                let sheet = workbook.worksheet_from_index(index).map_err(xlsx)?;
                build(&mut |row| {
                    let r = *next;
                    *next += 1;
                    for (c, value) in row.into_iter().enumerate() {
                        let chars = value.chars().count();
                        match widths.get_mut(c) {
                            Some(width) => *width = (*width).max(chars),
                            None => widths.push(chars),
                        }
                        let c = u16::try_from(c).map_err(AppError::internal)?;
                        match value.parse::<f64>() {
                            Ok(number) if r > 0 && usize::from(c) >= *numbers_from => {
                                sheet.write_number(r, c, number).map_err(xlsx)?;
                            }
                            _ if r == 0 => {
                                sheet
                                    .write_string_with_format(r, c, neutralized(value), &bold)
                                    .map_err(xlsx)?;
                            }
                            _ => {
                                sheet.write_string(r, c, neutralized(value)).map_err(xlsx)?;
                            }
                        }
                    }
                    Ok(())
                })?;
            }
            Part::End => {
                for (index, (_, rows, widths)) in sheets.iter().enumerate() {
                    let sheet = workbook.worksheet_from_index(index).map_err(xlsx)?;
                    for (c, width) in widths.iter().enumerate() {
                        let c = u16::try_from(c).map_err(AppError::internal)?;
                        sheet
                            .set_column_width(c, column_width(*width))
                            .map_err(xlsx)?;
                    }
                    // Filters on every column of the header, over every row written.
                    if let Some(last_col) = widths.len().checked_sub(1) {
                        let last_col = u16::try_from(last_col).map_err(AppError::internal)?;
                        sheet
                            .autofilter(0, 0, rows.saturating_sub(1), last_col)
                            .map_err(xlsx)?;
                    }
                }
                return saved(&mut workbook);
            }
        }
    }
    Err(AppError::Internal(
        "the workbook reader stopped before the end".into(),
    ))
}

/// A column's width (in characters) for its widest text: room for short codes and numbers, and
/// long names wrapped at a readable width rather than a screen wide.
fn column_width(widest_chars: usize) -> f64 {
    const NARROWEST: usize = 8;
    const WIDEST: usize = 50;
    // A little room for the filter button of the header.
    (widest_chars.clamp(NARROWEST, WIDEST) + 2) as f64
}

/// The workbook zipped into an anonymous temporary file, read from its start. Not a buffer in
/// memory: at 10,000 organizations that buffer grew to 32 MB, and once glibc had given such a
/// block back it kept every later block of up to that size in its arenas (its threshold for
/// mapping large blocks follows the largest one freed), so each workbook left more memory
/// resident than the one before.
fn saved(workbook: &mut rust_xlsxwriter::Workbook) -> Result<std::fs::File, AppError> {
    use std::io::{Seek, Write};
    let mut file = std::io::BufWriter::with_capacity(
        FILE_CHUNK,
        tempfile::tempfile().map_err(AppError::internal)?,
    );
    workbook
        .save_to_writer(&mut file)
        .map_err(AppError::internal)?;
    file.flush().map_err(AppError::internal)?;
    let mut file = file
        .into_inner()
        .map_err(|e| AppError::internal(e.into_error()))?;
    file.rewind().map_err(AppError::internal)?;
    Ok(file)
}

/// The maturity items of the wide answers table: key and label.
fn wide_items(instrument: &Instrument, lang: Lang) -> Vec<(String, String)> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for section in &instrument.sections {
        match &section.body {
            SectionBody::Items(items) => {
                keys.extend(
                    items
                        .iter()
                        .filter(|i| i.is_maturity())
                        .map(|i| (i.key.clone(), i.label.get(lang).to_owned())),
                );
            }
            SectionBody::DomainGrid(_) | SectionBody::Mechanisms(_) => {}
        }
    }
    keys
}

/// The wide answers table: one row per organization, one column per maturity item (Excel's
/// row limit rules out the long format at scale).
fn answers_wide_header(data: &AssessmentData, lang: Lang) -> Vec<Vec<String>> {
    let mut header = vec![
        tr(lang, "organizations.field.acronym").into_owned(),
        tr(lang, "organizations.field.name").into_owned(),
    ];
    header.extend(
        wide_items(&data.instrument, lang)
            .into_iter()
            .map(|(_, label)| label),
    );
    vec![header]
}

fn answers_wide_rows(
    data: &AssessmentData,
    participants: &[&Participant],
    answers: &HashMap<String, Answers>,
    lang: Lang,
) -> Vec<Vec<String>> {
    let keys = wide_items(&data.instrument, lang);
    let no_answers = Answers::new();
    let mut table = Vec::with_capacity(participants.len());
    for p in participants {
        let answers = answers.get(&p.response.id).unwrap_or(&no_answers);
        let mut line = vec![p.organization.acronym.clone(), p.organization.name.clone()];
        line.extend(keys.iter().map(|(key, _)| {
            answers
                .get(key)
                .map(|v| match (v.level(), data.instrument.item(key)) {
                    (Some(level), _) => level.to_string(),
                    // "Not applicable", "Don't know": their label, not their code.
                    (None, Some(item)) => display_value(&data.instrument, item, v, lang, &[]),
                    (None, None) => v.encode(),
                })
                .unwrap_or_default()
        }));
        table.push(line);
    }
    table
}

fn gaps_table(data: &AssessmentData, selection: &Selection, lang: Lang) -> Vec<Vec<String>> {
    let gaps = gaps_view(data, &data.gaps(selection), lang);
    let mut table = vec![vec![
        tr(lang, "exports.col.gap").into_owned(),
        tr(lang, "exports.col.subject").into_owned(),
        tr(lang, "exports.col.detail").into_owned(),
    ]];
    for d in gaps.needed_not_produced {
        table.push(vec![
            tr(lang, "gaps.needed_not_produced").into_owned(),
            d,
            String::new(),
        ]);
    }
    for (d, missing) in gaps.without_sex_or_age {
        table.push(vec![
            tr(lang, "gaps.without_sex_or_age").into_owned(),
            d,
            missing,
        ]);
    }
    for (d, low, n) in gaps.weak_dimensions {
        table.push(vec![
            tr(lang, "gaps.weak_dimensions").into_owned(),
            d,
            format!("{low} / {n}"),
        ]);
    }
    table
}

fn cell_json(cell: &Cell) -> Value {
    json!({
        "mean": cell.mean_rounded(),
        "scored": cell.scored,
        "excluded": cell.excluded,
        "items": cell.items,
    })
}

fn stats_json(stats: &ColumnStats) -> Value {
    json!({
        "mean": stats.mean.map(analysis::round1),
        "median": stats.median.map(analysis::round1),
        "min": stats.min.map(analysis::round1),
        "max": stats.max.map(analysis::round1),
        "n": stats.n,
    })
}

/// The whole assessment as one JSON document (shape in docs/export-json.md).
pub fn json_export(
    data: &AssessmentData,
    mechanism_rows: &[Mechanism],
    selection: &Selection,
    lang: Lang,
) -> Value {
    let dimensions: Vec<_> = data.instrument.dimensions().collect();
    let rows = data.matrix(selection);
    let stats = matrix_stats(&rows, dimensions.len());
    let organizations: Vec<Value> = rows
        .iter()
        .map(|row| {
            let p = row.participant;
            let scores: serde_json::Map<String, Value> = dimensions
                .iter()
                .zip(&row.cells)
                .map(|(d, c)| (d.key.clone(), cell_json(c)))
                .collect();
            json!({
                "id": p.organization.id,
                "name": p.organization.name,
                "acronym": p.organization.acronym,
                "sector": p.organization.sector,
                "response": {
                    "id": p.response.id,
                    "status": p.response.status,
                    "submitted_at": p.response.submitted_at.map(|t| crate::domain::time::iso(t, data.assessment.zone())),
                },
                "scores": scores,
                "overall": cell_json(&row.overall),
            })
        })
        .collect();
    let mut statistics: serde_json::Map<String, Value> = dimensions
        .iter()
        .zip(&stats)
        .map(|(d, s)| (d.key.clone(), stats_json(s)))
        .collect();
    if let Some(overall) = stats.last() {
        statistics.insert("overall".into(), stats_json(overall));
    }
    let org_ids = data.organizations();
    let reporters: HashMap<&str, &str> = data
        .selected(selection)
        .map(|p| (p.response.id.as_str(), p.organization.id.as_str()))
        .collect();
    let mechanisms: Vec<Value> = mechanism_rows
        .iter()
        .filter_map(|m| reporters.get(m.response_id.as_str()).map(|r| (m, *r)))
        .map(|(m, reporter)| {
            json!({
                "id": m.id,
                "reporter": reporter,
                "name": m.name,
                "description": m.description,
                "partner": match (&m.partner_organization_id, &m.partner_name) {
                    (Some(id), _) => json!({ "organization_id": id, "acronym": org_ids.get(id.as_str()).map(|o| o.acronym.clone()) }),
                    (None, Some(name)) => json!({ "name": name }),
                    _ => Value::Null,
                },
                "direction": m.direction,
                "domains": split_list(m.domains.as_deref()),
                "level": m.level,
                "legal_basis": m.legal_basis,
                "legal_reference": m.legal_reference,
                "channel": m.channel,
                "format": m.format,
                "frequency": m.frequency,
                "delay_days": m.delay_days,
                "disaggregations": split_list(m.disaggregations.as_deref()),
                "personal_data": m.personal_data,
                "protection": split_list(m.protection.as_deref()),
                "status": m.status,
                "problems": m.problems,
            })
        })
        .collect();
    let flows: Vec<Value> = data
        .reconciled(selection)
        .into_iter()
        .map(|r| {
            let (confirmed, by) = match &r.confirmation {
                analysis::Confirmation::Confirmed { by } => (true, by.clone()),
                analysis::Confirmation::ReportedOnlyBy { .. } => (false, Vec::new()),
            };
            json!({
                "provider": r.flow.provider,
                "receiver": r.flow.receiver,
                "mechanism_id": r.flow.mechanism_id,
                "reporter": r.flow.reporter,
                "domains": r.flow.domains,
                "status": r.flow.status,
                "confirmed": confirmed,
                "confirmed_by": by,
            })
        })
        .collect();
    let domains: Vec<Value> = data
        .domain_summaries(selection)
        .into_iter()
        .map(|s| {
            json!({
                "domain": s.domain,
                "label": mechanism_label(&data.instrument, "domains", &s.domain, lang),
                "producers": s.producers,
                "needers": s.needers,
                "disaggregations": s.disaggregations,
                "published_by": s.published_by,
            })
        })
        .collect();
    let gaps = data.gaps(selection);
    json!({
        "format": "capacity-survey/assessment",
        "format_version": 1,
        "language": lang.code(),
        "included": if selection.include_drafts { "all" } else { "submitted" },
        "assessment": {
            "id": data.assessment.id,
            "title": { "es": data.assessment.title_es, "en": data.assessment.title_en },
            "instrument": { "key": data.instrument.key, "version": data.instrument.version },
            "opens_on": data.assessment.opens_on.to_string(),
            "closes_on": data.assessment.closes_on.to_string(),
        },
        "dimensions": dimensions.iter().map(|d| json!({ "key": d.key, "title": d.title.get(lang) })).collect::<Vec<_>>(),
        "organizations": organizations,
        "statistics": statistics,
        "mechanisms": mechanisms,
        "flows": flows,
        "domains": domains,
        "gaps": {
            "needed_not_produced": gaps.needed_not_produced,
            "produced_without_sex_or_age": gaps.produced_without_sex_or_age.iter().map(|(d, missing)| json!({ "domain": d, "missing": missing })).collect::<Vec<_>>(),
            "weak_dimensions": gaps.weak_dimensions.iter().map(|(d, low, n)| json!({ "dimension": d, "at_or_below_1": low, "with_score": n })).collect::<Vec<_>>(),
        },
    })
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
