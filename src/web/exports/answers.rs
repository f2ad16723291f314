//! The long answers CSV, streamed a page of responses at a time.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use actix_web::{HttpResponse, web};

use crate::domain::Lang;
use crate::domain::instrument::Instrument;
use crate::error::AppError;
use crate::i18n::tr;
use crate::service::analysis::{AssessmentData, Scope, Selection};
use crate::service::exports as service;
use crate::service::records::AssessmentAnswer;
use crate::web::App;
use crate::web::view::{display_value, load_data, with_bom};

use super::{attachment_of, csv_bytes, csv_writer, write_row};

/// How many responses each page of the streamed export reads (about 150 answers each).
pub(super) const RESPONSES_PER_PAGE: usize = 200;

/// What every page of the streamed answers export needs, shared by the pages.
pub(super) struct AnswersExport {
    data: AssessmentData,
    /// Response id -> (acronym, name) of the selected organizations.
    responses: HashMap<String, (String, String)>,
    sections: BTreeMap<String, String>,
    lang: Lang,
}

impl AnswersExport {
    /// The CSV rows of one page of answers.
    fn page(&self, answers: &[AssessmentAnswer]) -> Result<Vec<u8>, AppError> {
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
pub(super) async fn answers_csv(
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
                    let answers = service::answer_rows(conn, &batch)?;
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
pub(super) fn section_titles(instrument: &Instrument, lang: Lang) -> BTreeMap<String, String> {
    instrument
        .sections
        .iter()
        .map(|s| (s.key.clone(), s.title.get(lang).to_owned()))
        .collect()
}

/// (section title, item label, value label) of a stored answer.
pub(super) fn describe_answer(
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
        let label = instrument
            .slot_kind(key)
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
