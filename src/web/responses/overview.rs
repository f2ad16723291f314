//! The response overview: the instrument's introduction and each section's progress.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::{read, section_url};
use crate::domain::Lang;
use crate::domain::answers::{AnswerValue, Progress};
use crate::domain::instrument::SectionBody;
use crate::error::AppError;
use crate::service::records::Mechanism;
use crate::service::responses::{self as service, EditBlock, Overview, ResponseContext};
use crate::web::context::{Ctx, CurrentUser};
use crate::web::{App, render};

pub struct SectionLink {
    pub key: String,
    pub title: String,
    pub progress: Progress,
    pub url: String,
    pub is_mechanisms: bool,
}

fn section_links(
    ctx: &ResponseContext,
    answers: &BTreeMap<String, AnswerValue>,
    mechanisms: &[Mechanism],
    lang: Lang,
) -> (Vec<SectionLink>, Progress) {
    let (per_section, total) = service::progress(ctx, answers, mechanisms);
    let links = ctx
        .instrument
        .sections
        .iter()
        .zip(per_section)
        .map(|(section, (_, progress))| SectionLink {
            key: section.key.clone(),
            title: section.title.get(lang).to_owned(),
            progress,
            url: section_url(&ctx.response.id, section),
            is_mechanisms: matches!(section.body, SectionBody::Mechanisms(_)),
        })
        .collect();
    (links, total)
}

#[derive(Template)]
#[template(path = "response.html")]
struct OverviewPage {
    ctx: Ctx,
    response: ResponseContext,
    sections: Vec<SectionLink>,
    total: Progress,
    block: Option<EditBlock>,
    instrument_intro: String,
}

pub async fn overview(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let Overview {
        response,
        answers,
        mechanisms,
    } = read(&state, &user, path.into_inner(), service::overview).await?;
    let (sections, total) = section_links(&response, &answers.values, &mechanisms, ctx.lang);
    let block = response.edit_block(state.clock.now());
    render(
        StatusCode::OK,
        &OverviewPage {
            instrument_intro: response.instrument.intro.get(ctx.lang).to_owned(),
            ctx,
            response,
            sections,
            total,
            block,
        },
    )
}
