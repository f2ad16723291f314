//! The printable report annex and the stylesheet of its page margins.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::analysis::{self};
use crate::domain::instrument::Section;
use crate::error::AppError;
use crate::service::analysis::{self as service, FlowFigures, Scope, Selection};
use crate::service::records::Assessment;
use crate::web::context::{Ctx, Organizer};
use crate::web::view::{
    FlowLabeller, FlowRow, GapsView, InventoryRow, RowView, StatsView, cell_view, gaps_view,
    inventory_rows, load_data, sort_rows, stats_views,
};
use crate::web::{App, render};

#[derive(Template)]
#[template(path = "annex.html")]
struct AnnexPage {
    ctx: Ctx,
    assessment: Assessment,
    instrument_title: String,
    /// The day the annex is produced, printed under its title and on every page.
    today: chrono::NaiveDate,
    invited: usize,
    submitted: usize,
    drafts: usize,
    columns: Vec<String>,
    rows: Vec<RowView>,
    stats: Vec<StatsView>,
    gaps: GapsView,
    inventory: Vec<InventoryRow>,
    one_sided: Vec<FlowRow>,
    figures: FlowFigures,
}

/// One printable page with everything for the national report (submitted responses only). Each
/// part is computed by the functions of the page it summarises: the matrix, the gaps, the
/// inventory and the network's figures read here are the ones those pages show by default.
pub async fn annex(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let data = load_data(&state, path.into_inner(), Scope::Summary).await?;
    let lang = ctx.lang;
    let selection = Selection::default();
    let dimensions: Vec<&Section> = data.instrument.dimensions().collect();
    let mut matrix = data.matrix(&selection);
    sort_rows(&mut matrix, &data.instrument, "organization", false);
    let stats = service::matrix_stats(&matrix, dimensions.len());
    let rows = matrix
        .iter()
        .map(|row| RowView {
            acronym: row.participant.organization.acronym.clone(),
            name: row.participant.organization.name.clone(),
            response_id: row.participant.response.id.clone(),
            submitted: true,
            cells: row
                .cells
                .iter()
                .map(|c| cell_view(c, String::new(), String::new()))
                .collect(),
            overall: cell_view(&row.overall, String::new(), String::new()),
        })
        .collect();
    let exchanges = data.exchanges(&selection);
    let flows = analysis::match_flows(&exchanges);
    let figures = FlowFigures::of(&flows);
    let one_sided: Vec<&analysis::MatchedFlow<'_>> =
        flows.iter().filter(|f| !f.is_confirmed()).collect();
    let labeller = FlowLabeller::new(&data, lang, one_sided.iter().copied());
    let one_sided = one_sided.into_iter().map(|f| labeller.row(f)).collect();
    let submitted = data
        .participants
        .iter()
        .filter(|p| p.is_submitted())
        .count();
    render(
        StatusCode::OK,
        &AnnexPage {
            instrument_title: format!(
                "{} · {}",
                data.instrument.title.get(lang),
                data.instrument.version
            ),
            today: crate::domain::time::local_date(state.clock.now(), data.assessment.zone()),
            invited: data.participants.len(),
            submitted,
            drafts: data.participants.len() - submitted,
            columns: dimensions
                .iter()
                .map(|d| d.title.get(lang).to_owned())
                .collect(),
            rows,
            stats: stats_views(&stats),
            gaps: gaps_view(&data, &data.gaps(&selection), lang),
            inventory: inventory_rows(&data, &selection, lang),
            one_sided,
            figures,
            assessment: data.assessment,
            ctx,
        },
    )
}

/// The annex's printed page margins: the forum's name and the date at the top of every page,
/// the page number at the bottom. Margin boxes show only text given in CSS, and the content
/// security policy allows no inline style, hence a stylesheet of the annex's own.
pub async fn annex_css(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let assessment = state
        .run(move |conn| service::find_assessment(conn, &id))
        .await?;
    let today = crate::domain::time::local_date(state.clock.now(), assessment.zone());
    let css = annex_margins_css(
        assessment.title(ctx.lang),
        &ctx.date(today),
        &ctx.t("annex.print.page"),
        &ctx.t("annex.print.of"),
    );
    Ok(HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(css))
}

/// The margin boxes of every printed page of the annex.
fn annex_margins_css(forum: &str, date: &str, page: &str, of: &str) -> String {
    format!(
        "@charset \"utf-8\";\n\
         @page {{\n  @top-left {{ content: {}; }}\n  @top-right {{ content: {}; }}\n  \
         @bottom-right {{ content: {} counter(page) {} counter(pages); }}\n}}\n",
        css_string(forum),
        css_string(date),
        css_string(&format!("{page} ")),
        css_string(&format!(" {of} ")),
    )
}

/// Text as a quoted CSS string: quotes, backslashes and control characters escaped, so that no
/// title can end the string or the rule.
fn css_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\{:x} ", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_cannot_leave_its_css_string() {
        assert_eq!(css_string("Foro \"A\" \\ B"), "\"Foro \\\"A\\\" \\\\ B\"");
        assert_eq!(css_string("a\nb}"), "\"a\\a b}\"");
        let css = annex_margins_css("Foro; } @page { x", "2026-12-07", "Página", "de");
        assert!(css.contains("@top-left { content: \"Foro; } @page { x\"; }"));
        assert!(css.contains("counter(page) \" de \" counter(pages)"));
    }
}
