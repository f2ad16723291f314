//! The emails a response's own events send: the confirmation of a submission, the notice of a
//! reopening, and the progress lines they and the reminders show.

use chrono::NaiveDateTime;

use super::{ResponseContext, progress, saved_answers};
use crate::domain::Lang;
use crate::domain::analysis;
use crate::error::AppError;
use crate::mail::Kind;
use crate::mail::templates::{MailCtx, ReopenedEmail, SectionLine, SubmissionEmail};
use crate::service::email::{About, MailEnv, members, queue, render_error};
use crate::store::{self, DbConnection};

/// What an email about this response is about, for the per-organization history.
pub fn about(ctx: &ResponseContext) -> About {
    About {
        assessment_id: Some(ctx.assessment.id.clone()),
        organization_id: Some(ctx.organization.id.clone()),
        response_id: Some(ctx.response.id.clone()),
        reply_to: None,
    }
}

/// Progress per section of a response in `lang` (dimension means included).
pub fn section_lines(
    conn: &mut DbConnection,
    ctx: &ResponseContext,
    lang: Lang,
) -> Result<(Vec<SectionLine>, analysis::Answers, usize), AppError> {
    let answers = saved_answers(conn, ctx)?;
    let mechanisms = store::mechanisms::list_for_response(conn, &ctx.response.id)?;
    let (per_section, _) = progress(ctx, &answers.values, &mechanisms);
    let lines = ctx
        .instrument
        .sections
        .iter()
        .zip(per_section)
        .map(|(section, (_, p))| SectionLine {
            title: section.title.get(lang).to_owned(),
            answered: p.answered.min(p.required),
            required: p.required,
            mean: section
                .dimension
                .then(|| analysis::cell(section, &answers.values).mean_rounded())
                .flatten()
                .map(|m| format!("{m:.1}")),
        })
        .collect();
    Ok((lines, answers.values, mechanisms.len()))
}

/// The confirmation to every representative of a submitted response.
pub fn queue_submission(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    ctx: &ResponseContext,
    submitted_by: &str,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let by = store::users::find(conn, submitted_by)?;
    let recipients = members(conn, &ctx.response.id)?;
    for to in &recipients {
        let (mut sections, _, mechanisms) = section_lines(conn, ctx, to.lang)?;
        // The mechanism entries are counted on their own line below.
        sections.retain(|s| s.required > 0);
        let email = SubmissionEmail {
            ctx: MailCtx::for_assessment(to.lang, ctx.assessment.zone()).replying(env.replies()),
            name: to.name.clone(),
            organization: ctx.organization.name.clone(),
            assessment: ctx.assessment.title(to.lang).to_owned(),
            submitted_by: by.name.clone(),
            submitted_at: now,
            link: format!("{}/responses/{}/review", env.base_url, ctx.response.id),
            sections,
            mechanisms,
        };
        queue(
            conn,
            Kind::Submission,
            to,
            email.render().map_err(render_error)?,
            format!(
                "submission:{}:{}:{}",
                ctx.response.id,
                now.and_utc().timestamp_micros(),
                to.email
            ),
            &about(ctx),
            now,
        )?;
    }
    Ok(recipients.len())
}

/// The notice to every representative that their response was reopened, with the reason.
pub fn queue_reopened(
    conn: &mut DbConnection,
    env: MailEnv<'_>,
    ctx: &ResponseContext,
    reason: &str,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let recipients = members(conn, &ctx.response.id)?;
    for to in &recipients {
        let email = ReopenedEmail {
            ctx: MailCtx::for_assessment(to.lang, ctx.assessment.zone()).replying(env.replies()),
            name: to.name.clone(),
            organization: ctx.organization.name.clone(),
            assessment: ctx.assessment.title(to.lang).to_owned(),
            reason: reason.to_owned(),
            closes_on: ctx.assessment.closes_on,
            link: format!("{}/responses/{}", env.base_url, ctx.response.id),
        };
        queue(
            conn,
            Kind::Reopened,
            to,
            email.render().map_err(render_error)?,
            format!(
                "reopened:{}:{}:{}",
                ctx.response.id,
                now.and_utc().timestamp_micros(),
                to.email
            ),
            &about(ctx),
            now,
        )?;
    }
    Ok(recipients.len())
}
