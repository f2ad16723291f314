//! The exchange network page: the flows between organizations drawn, listed and reconciled.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::analysis::{self};
use crate::error::AppError;
use crate::service::analysis::{FlowFigures, Scope};
use crate::service::records::Assessment;
use crate::web::charts::{self, Node};
use crate::web::context::{Ctx, Organizer};
use crate::web::view::{FlowLabeller, FlowRow, PAGE_SIZE, Pager, ViewQuery, load_data};
use crate::web::{App, render};

#[derive(Template)]
#[template(path = "network.html")]
struct NetworkPage {
    ctx: Ctx,
    assessment: Assessment,
    svg: String,
    left_out: usize,
    flows: Vec<FlowRow>,
    one_sided: Vec<FlowRow>,
    figures: FlowFigures,
    drafts: bool,
    pager: Pager,
}

pub async fn network(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<ViewQuery>,
) -> Result<HttpResponse, AppError> {
    let data = load_data(&state, path.into_inner(), Scope::Flows).await?;
    let query = query.into_inner();
    let selection = query.selection();
    let lang = ctx.lang;
    let exchanges = data.exchanges(&selection);
    let reconciled = analysis::match_flows(&exchanges);
    let mut nodes: Vec<Node> = data
        .selected(&selection)
        .map(|p| Node {
            id: p.organization.id.clone(),
            label: p.organization.acronym.clone(),
        })
        .collect();
    // The other side of a reported flow is drawn even when its own response is not included
    // (not submitted yet), so that every flow of the table below is also in the picture.
    // Sets, not scans: with thousands of organizations a scan per organization is quadratic.
    let named: foldhash::HashSet<&str> = reconciled
        .iter()
        .flat_map(|f| [f.provider, f.receiver])
        .collect();
    let mut drawn: foldhash::HashSet<String> = nodes.iter().map(|n| n.id.clone()).collect();
    let others = data.participants.iter().map(|p| &p.organization);
    for organization in others.chain(&data.outside_partners) {
        let id = &organization.id;
        if named.contains(id.as_str()) && drawn.insert(id.clone()) {
            nodes.push(Node {
                id: id.clone(),
                label: organization.acronym.clone(),
            });
        }
    }
    let (svg, left_out) = charts::network(&nodes, &reconciled, &ctx.t("network.title"));
    // Only the flows shown are labelled: the page of the edge table and the start of the
    // one-sided list (long lists are in the flows CSV).
    let figures = FlowFigures::of(&reconciled);
    let is_confirmed_not = |r: &&analysis::MatchedFlow<'_>| !r.is_confirmed();
    let base = format!(
        "/organizer/assessments/{}/network?{}",
        data.assessment.id,
        query.selection_query()
    );
    let pager = Pager::new(figures.flows, PAGE_SIZE * 2, query.page, |page| {
        format!("{base}&page={page}#edges")
    });
    let skip = pager.first.saturating_sub(1);
    let shown: Vec<&analysis::MatchedFlow<'_>> = reconciled
        .iter()
        .skip(skip)
        .take(pager.last - skip)
        .collect();
    let one_sided: Vec<&analysis::MatchedFlow<'_>> = reconciled
        .iter()
        .filter(is_confirmed_not)
        .take(PAGE_SIZE * 2)
        .collect();
    let labeller = FlowLabeller::new(&data, lang, shown.iter().chain(&one_sided).copied());
    let flows: Vec<FlowRow> = shown.into_iter().map(|r| labeller.row(r)).collect();
    let one_sided: Vec<FlowRow> = one_sided.into_iter().map(|r| labeller.row(r)).collect();
    render(
        StatusCode::OK,
        &NetworkPage {
            ctx,
            svg,
            left_out,
            flows,
            one_sided,
            figures,
            pager,
            drafts: selection.include_drafts,
            assessment: data.assessment,
        },
    )
}
