//! The data domains page: who produces and needs each domain, and the gaps.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::analysis::{self, DomainSummary};
use crate::error::AppError;
use crate::service::analysis::{self as service, Participant, Scope};
use crate::service::records::Assessment;
use crate::web::context::{Ctx, Organizer};
use crate::web::view::{GapsView, ViewQuery, gaps_view, load_data};
use crate::web::{App, render};

/// One organization's answers for one domain, as shown in the domain table.
pub struct DomainCell {
    pub collects: String,
    pub class: &'static str,
    pub detail: String,
}

pub struct DomainRowView {
    pub label: String,
    pub summary: DomainSummary,
    pub cells: Vec<DomainCell>,
    pub sex: usize,
    pub age: usize,
}

#[derive(Template)]
#[template(path = "domains.html")]
struct DomainsPage {
    ctx: Ctx,
    assessment: Assessment,
    organizations: Vec<String>,
    rows: Vec<DomainRowView>,
    gaps: GapsView,
    drafts: bool,
    /// Organizations left out of the domain x organization table (too many columns to read).
    capped: Option<usize>,
}

/// Most organizations shown as columns of the domain table.
pub const DOMAIN_TABLE_MAX: usize = 60;

pub async fn domains(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<ViewQuery>,
) -> Result<HttpResponse, AppError> {
    let data = load_data(&state, path.into_inner(), Scope::Scores).await?;
    let query = query.into_inner();
    let selection = query.selection();
    let lang = ctx.lang;
    let summaries = data.domain_summaries(&selection);
    let grid_section = data.grid_section().unwrap_or("domains").to_owned();
    let all_selected: Vec<&Participant> = data.selected(&selection).collect();
    let capped = (all_selected.len() > DOMAIN_TABLE_MAX).then_some(DOMAIN_TABLE_MAX);
    let selected: Vec<&Participant> = all_selected.into_iter().take(DOMAIN_TABLE_MAX).collect();
    // Only the organizations shown as columns need their answers read.
    let shown_answers = {
        let ids: Vec<String> = selected.iter().map(|p| p.response.id.clone()).collect();
        let instrument = data.instrument.clone();
        state
            .run(move |conn| service::answers_of_responses(conn, &instrument, &ids))
            .await?
    };
    let no_answers = analysis::Answers::new();
    let option = |list: &str, key: &str| {
        data.instrument
            .option_label(list, key, lang)
            .unwrap_or(key)
            .to_owned()
    };
    let rows = summaries
        .into_iter()
        .map(|summary| {
            let cells = selected
                .iter()
                .map(|p| {
                    let a = analysis::domain_answer(
                        &grid_section,
                        &summary.domain,
                        shown_answers.get(&p.response.id).unwrap_or(&no_answers),
                    );
                    let mut detail = Vec::new();
                    if !a.disaggregations.is_empty() {
                        detail.push(
                            a.disaggregations
                                .iter()
                                .map(|d| option("disaggregations", d))
                                .collect::<Vec<_>>()
                                .join(", "),
                        );
                    }
                    if let Some(f) = &a.frequency {
                        detail.push(option("grid_frequency", f));
                    }
                    if a.published == Some(true) {
                        detail.push(ctx.t("domain_view.published").into_owned());
                    }
                    if a.needed == Some(true) {
                        detail.push(ctx.t("domain_view.needs").into_owned());
                    }
                    DomainCell {
                        class: match a.collects.as_deref() {
                            Some("yes") => "collects-yes",
                            Some("partly") => "collects-partly",
                            Some("no") => "collects-no",
                            _ => "collects-none",
                        },
                        collects: a
                            .collects
                            .as_deref()
                            .map(|c| option("collects", c))
                            .unwrap_or_else(|| "–".to_owned()),
                        detail: detail.join(" · "),
                    }
                })
                .collect();
            DomainRowView {
                label: option(
                    data.instrument
                        .grid()
                        .map(|(_, g)| g.list.as_str())
                        .unwrap_or("domains"),
                    &summary.domain,
                ),
                sex: summary
                    .disaggregations
                    .get("sex")
                    .copied()
                    .unwrap_or_default(),
                age: summary
                    .disaggregations
                    .get("age")
                    .copied()
                    .unwrap_or_default(),
                summary,
                cells,
            }
        })
        .collect();
    let gaps = gaps_view(&data, &data.gaps(&selection), lang);
    render(
        StatusCode::OK,
        &DomainsPage {
            ctx,
            organizations: selected
                .iter()
                .map(|p| p.organization.acronym.clone())
                .collect(),
            rows,
            gaps,
            drafts: selection.include_drafts,
            capped,
            assessment: data.assessment,
        },
    )
}
