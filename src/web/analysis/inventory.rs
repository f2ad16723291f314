//! The mechanism inventory page: every reported mechanism, filtered and paged.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::Lang;
use crate::domain::instrument::Instrument;
use crate::error::AppError;
use crate::service::analysis::{Scope, Selection};
use crate::service::records::Assessment;
use crate::web::context::{Ctx, Organizer};
use crate::web::view::{
    InventoryRow, PAGE_SIZE, Pager, inventory_row, load_data, reported_mechanisms,
};
use crate::web::{App, render};

#[derive(Debug, Default, Deserialize)]
pub struct InventoryQuery {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    partner: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    legal_basis: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    personal_data: String,
    #[serde(default)]
    drafts: String,
    #[serde(default)]
    page: Option<usize>,
}

impl InventoryQuery {
    /// The filters as query parameters, for the pager's links.
    fn filters_query(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("domain", self.domain.as_str()),
            ("partner", self.partner.as_str()),
            ("channel", self.channel.as_str()),
            ("legal_basis", self.legal_basis.as_str()),
            ("status", self.status.as_str()),
            ("personal_data", self.personal_data.as_str()),
            ("drafts", self.drafts.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

pub struct FilterSelect {
    pub name: &'static str,
    pub label_key: &'static str,
    pub options: Vec<(String, String)>,
    pub chosen: String,
}

#[derive(Template)]
#[template(path = "inventory.html")]
struct InventoryPage {
    ctx: Ctx,
    assessment: Assessment,
    rows: Vec<InventoryRow>,
    filters: Vec<FilterSelect>,
    drafts: bool,
    total: usize,
    pager: Pager,
}

fn field_options(instrument: &Instrument, field: &str, lang: Lang) -> Vec<(String, String)> {
    instrument
        .mechanisms()
        .and_then(|(_, g)| g.field(field))
        .and_then(|f| instrument.list_of(f))
        .map(|l| {
            l.options
                .iter()
                .map(|o| (o.key.clone(), o.label.get(lang).to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

pub async fn inventory(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    path: web::Path<String>,
    query: web::Query<InventoryQuery>,
) -> Result<HttpResponse, AppError> {
    let data = load_data(&state, path.into_inner(), Scope::Mechanisms).await?;
    let q = query.into_inner();
    let lang = ctx.lang;
    let selection = Selection {
        sector: None,
        include_drafts: q.drafts == "1",
    };
    // Filtered first, labelled only for the page shown: labels cost more than the filters.
    let all = reported_mechanisms(&data, &selection);
    let total = all.len();
    let matching: Vec<_> = all
        .into_iter()
        .filter(|(_, m)| {
            let matches =
                |wanted: &str, value: Option<&str>| wanted.is_empty() || value == Some(wanted);
            (q.domain.is_empty()
                || m.domains
                    .as_deref()
                    .is_some_and(|d| !d.is_empty() && d.split('|').any(|k| k == q.domain)))
                && (q.partner.is_empty()
                    || m.partner_organization_id.as_deref() == Some(q.partner.as_str())
                    || (q.partner == "outside" && m.partner_organization_id.is_none()))
                && matches(&q.channel, m.channel.as_deref())
                && matches(&q.legal_basis, m.legal_basis.as_deref())
                && matches(&q.status, m.status.as_deref())
                && (q.personal_data.is_empty() || m.personal_data == Some(q.personal_data == "yes"))
        })
        .collect();
    let base = format!(
        "/organizer/assessments/{}/mechanisms?{}",
        data.assessment.id,
        q.filters_query()
    );
    let pager = Pager::new(matching.len(), PAGE_SIZE * 2, q.page, |page| {
        format!("{base}&page={page}")
    });
    let organizations = data.organizations();
    let rows: Vec<InventoryRow> = pager
        .slice(matching)
        .into_iter()
        .map(|(reporter, m)| inventory_row(&data, &organizations, reporter, m, lang))
        .collect();
    let mut partners: Vec<(String, String)> = data
        .participants
        .iter()
        .map(|p| (p.organization.id.clone(), p.organization.acronym.clone()))
        .collect();
    partners.push(("outside".into(), ctx.t("inventory.outside").into_owned()));
    let filters = vec![
        FilterSelect {
            name: "domain",
            label_key: "inventory.domain",
            options: field_options(&data.instrument, "domains", lang),
            chosen: q.domain.clone(),
        },
        FilterSelect {
            name: "partner",
            label_key: "mechanisms.partner",
            options: partners,
            chosen: q.partner.clone(),
        },
        FilterSelect {
            name: "channel",
            label_key: "inventory.channel",
            options: field_options(&data.instrument, "channel", lang),
            chosen: q.channel.clone(),
        },
        FilterSelect {
            name: "legal_basis",
            label_key: "inventory.legal_basis",
            options: field_options(&data.instrument, "legal_basis", lang),
            chosen: q.legal_basis.clone(),
        },
        FilterSelect {
            name: "status",
            label_key: "mechanisms.status",
            options: field_options(&data.instrument, "status", lang),
            chosen: q.status.clone(),
        },
        FilterSelect {
            name: "personal_data",
            label_key: "inventory.personal_data",
            options: vec![
                ("yes".into(), ctx.t("section.yes").into_owned()),
                ("no".into(), ctx.t("section.no").into_owned()),
            ],
            chosen: q.personal_data.clone(),
        },
    ];
    render(
        StatusCode::OK,
        &InventoryPage {
            ctx,
            rows,
            filters,
            drafts: q.drafts == "1",
            total,
            pager,
            assessment: data.assessment,
        },
    )
}
