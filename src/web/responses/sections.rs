//! A section page of the questionnaire (items, or the data-domain grid) and its save, with the
//! conflict check and the save indicator.

use std::borrow::Cow;
use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::fields::{DomainView, ItemView, ctx_domain_label, item_view, raw_values};
use super::{accepted, section_page_next, wants_json};
use crate::domain::Lang;
use crate::domain::answers::{self, Progress};
use crate::domain::instrument::{Section, SectionBody};
use crate::domain::section_form::{self, SectionInput, Slot};
use crate::error::AppError;
use crate::i18n;
use crate::service::responses::{
    self as service, EditBlock, LastSave, ResponseContext, SaveOutcome, SavedAnswers, SectionRead,
};
use crate::web::client::{ClientAddress, client_address};
use crate::web::context::{self, Ctx, Login};
use crate::web::view::display_value;
use crate::web::{App, render, see_other};

/// Where the section's answers stand, as the save indicator says it.
pub enum SaveState {
    /// Nothing saved yet.
    Never,
    /// Saved, at this time (as the page shows times).
    Saved(String),
    /// The form holds values that are not saved (a page answering a refused save).
    Unsaved,
}

impl SaveState {
    pub fn key(&self) -> &'static str {
        match self {
            SaveState::Never => "never",
            SaveState::Saved(_) => "saved",
            SaveState::Unsaved => "unsaved",
        }
    }

    pub fn text(&self, lang: Lang) -> String {
        match self {
            SaveState::Never => i18n::tr(lang, "questionnaire.live.never_saved").into_owned(),
            SaveState::Saved(at) => {
                i18n::tr_args(lang, "questionnaire.live.saved_at", &[("time", at)])
            }
            SaveState::Unsaved => i18n::tr(lang, "questionnaire.live.unsaved").into_owned(),
        }
    }
}

/// A save time as the section page shows it: the page and the autosave's answer give the same
/// text for the same save, from the server's clock, in the assessment's time zone (the time of
/// day with the zone's abbreviation; the date too when the save was on another day).
pub fn saved_time(
    at: NaiveDateTime,
    now: NaiveDateTime,
    zone: chrono_tz::Tz,
    lang: Lang,
) -> String {
    crate::domain::time::moment_since(at, now, zone, lang)
}

/// A follow-up question the answers opened and that has no answer yet (listed after "Save and
/// continue" stayed on the section for it).
pub struct OpenedLink {
    /// The first such question of the row (or the item), to link to.
    pub id: String,
    pub label: String,
    /// For a grid row: the row's new questions.
    pub detail: String,
}

/// Who made the save a refused one met, as the conflict box says it.
pub struct ConflictView {
    pub title: String,
}

impl ConflictView {
    fn new(
        saved: Option<&LastSave>,
        user_id: &str,
        (now, zone): (NaiveDateTime, chrono_tz::Tz),
        lang: Lang,
    ) -> ConflictView {
        let time = saved
            .map(|s| saved_time(s.at, now, zone, lang))
            .unwrap_or_default();
        let title = match saved {
            Some(saved) if saved.is_by(user_id) => {
                i18n::tr_args(lang, "questionnaire.conflict.title_you", &[("time", &time)])
            }
            _ => i18n::tr_args(
                lang,
                "questionnaire.conflict.title_other",
                &[("name", &saver_name(saved, lang)), ("time", &time)],
            ),
        };
        ConflictView { title }
    }
}

/// The name of whoever made a save ("someone else" when the account is gone).
fn saver_name(saved: Option<&LastSave>, lang: Lang) -> String {
    saved
        .and_then(|s| s.by_name.clone())
        .unwrap_or_else(|| i18n::tr(lang, "questionnaire.conflict.someone").into_owned())
}

#[derive(Template)]
#[template(path = "section.html")]
struct SectionPage {
    ctx: Ctx,
    response: ResponseContext,
    section_key: String,
    title: String,
    intro: Option<String>,
    position: usize,
    count: usize,
    items: Vec<ItemView>,
    domains: Vec<DomainView>,
    version: i64,
    readonly: bool,
    block: Option<EditBlock>,
    save_state: SaveState,
    error_summary: Vec<(String, String)>,
    conflict: Option<ConflictView>,
    progress: Progress,
    next_url: String,
    /// When the section was last saved, in milliseconds since 1970 (0: never), so the script can
    /// tell whether a copy kept in the browser is newer.
    saved_ms: i64,
    /// Whether the page may offer a copy kept in the browser: only a page of the saved answers
    /// (one answering a refused save already holds what the person typed).
    restorable: bool,
    /// After "Save and continue" stayed on the section: the follow-ups still unanswered.
    opened: Vec<OpenedLink>,
}

impl SectionPage {
    fn url(&self) -> String {
        format!(
            "/responses/{}/sections/{}",
            self.response.response.id, self.section_key
        )
    }

    fn progress_text(&self) -> String {
        i18n::tr_args(
            self.ctx.lang,
            "questionnaire.live.progress",
            &[
                ("answered", &self.progress.answered.to_string()),
                ("required", &self.progress.required.to_string()),
            ],
        )
    }
}

#[derive(Debug, Deserialize)]
pub struct SectionPath {
    id: String,
    section: String,
}

/// What the section page shows in each slot.
struct Shown<'a> {
    values: &'a BTreeMap<String, Vec<String>>,
    evidence: &'a BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    theirs: BTreeMap<String, String>,
}

/// Builds a section page. A slot that does not apply to the answers shown is on the page, hidden
/// and not posted, when its condition looks at an answer on the same page that may be changed,
/// so that the page's script can show it as soon as that answer changes; otherwise it is left out.
fn section_page(
    ctx: Ctx,
    response: ResponseContext,
    section: &Section,
    answers: &SavedAnswers,
    shown: Shown<'_>,
    version: i64,
    block: Option<EditBlock>,
) -> SectionPage {
    let lang = ctx.lang;
    let instrument = response.instrument.clone();
    let readonly = block.is_some();
    let slots = section_form::slots(&instrument, section);
    // Relevance follows what is shown: the saved answers with the typed values on top (a copy
    // only when something was typed).
    let mut effective = Cow::Borrowed(&answers.values);
    for slot in &slots {
        if let Some(raw) = shown.values.get(&slot.key) {
            match answers::parse_answer(slot.item, &instrument, raw) {
                Ok(Some(v)) => {
                    effective.to_mut().insert(slot.key.clone(), v);
                }
                Ok(None) => {
                    effective.to_mut().remove(&slot.key);
                }
                Err(_) => {}
            }
        }
    }
    let view_of = |slot: &Slot<'_>, relevant: bool| {
        let values = shown
            .values
            .get(&slot.key)
            .cloned()
            .unwrap_or_else(|| raw_values(answers.values.get(&slot.key)));
        let evidence = shown
            .evidence
            .get(&slot.key)
            .or_else(|| answers.evidence.get(&slot.key))
            .map(String::as_str);
        let mut view = item_view(
            &instrument,
            &slot.key,
            slot.item,
            lang,
            &values,
            evidence,
            shown.errors.get(&slot.key).cloned(),
        );
        view.theirs = shown.theirs.get(&slot.key).cloned();
        view.hidden = !relevant;
        if let Some((key, equals)) = section_form::condition_slot(section, slot) {
            view.when = format!("{}{key}", section_form::VALUE_PREFIX);
            view.equals = equals.join(" ");
        }
        view
    };
    let mut items = Vec::new();
    let mut domains: Vec<DomainView> = Vec::new();
    for slot in &slots {
        let relevant = section_form::slot_is_relevant(section, slot, &effective);
        // A slot that does not apply is left out where nothing on the page can change that.
        if !relevant && (readonly || section_form::condition_slot(section, slot).is_none()) {
            continue;
        }
        match slot.domain {
            None => items.push(view_of(slot, relevant)),
            Some(domain) => {
                if domains.last().is_none_or(|d| d.key != domain) {
                    let label = ctx_domain_label(&instrument, section, domain, lang);
                    domains.push(DomainView {
                        key: domain.to_owned(),
                        label,
                        cells: Vec::new(),
                    });
                }
                if let Some(last) = domains.last_mut() {
                    last.cells.push(view_of(slot, relevant));
                }
            }
        }
    }
    let error_summary = items
        .iter()
        .chain(domains.iter().flat_map(|d| d.cells.iter()))
        .filter(|v| !v.hidden)
        .filter_map(|v| {
            v.error
                .as_ref()
                .map(|e| (v.id.clone(), format!("{}: {e}", v.label)))
        })
        .collect();
    let position = instrument
        .sections
        .iter()
        .position(|s| s.key == section.key)
        .unwrap_or_default();
    let next_url = section_page_next(&response, section);
    let progress = answers::progress(&instrument, section, &answers.values);
    SectionPage {
        section_key: section.key.clone(),
        title: section.title.get(lang).to_owned(),
        intro: section.intro.as_ref().map(|t| t.get(lang).to_owned()),
        position: position + 1,
        count: instrument.sections.len(),
        items,
        domains,
        version,
        readonly,
        block,
        save_state: SaveState::Never,
        error_summary,
        conflict: None,
        progress,
        next_url,
        saved_ms: 0,
        restorable: false,
        opened: Vec::new(),
        ctx,
        response,
    }
}

/// The follow-ups of a section page that apply and have no answer, a grid row in one entry.
fn unanswered_follow_ups(page: &SectionPage) -> Vec<OpenedLink> {
    let open = |v: &&ItemView| {
        !v.when.is_empty()
            && !v.hidden
            && v.value.is_empty()
            && !v.options.iter().any(|o| o.checked)
    };
    let mut links: Vec<OpenedLink> = page
        .items
        .iter()
        .filter(open)
        .map(|v| OpenedLink {
            id: v.id.clone(),
            label: v.label.clone(),
            detail: String::new(),
        })
        .collect();
    for domain in &page.domains {
        let cells: Vec<&ItemView> = domain.cells.iter().filter(open).collect();
        if let Some(first) = cells.first() {
            links.push(OpenedLink {
                id: first.id.clone(),
                label: domain.label.clone(),
                detail: cells
                    .iter()
                    .map(|v| v.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    links
}

/// The message left when "Save and continue" stays on a section for the questions it opened.
const OPENED_FLASH: &str = "questionnaire.live.opened";

pub async fn section(
    ctx: Ctx,
    login: Login,
    state: web::Data<App>,
    path: web::Path<SectionPath>,
) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    let app = state.clone();
    let key = login.key().clone();
    let (id, section_key) = (path.id.clone(), path.section.clone());
    let found = state
        .run(move |conn| service::open_section(conn, &app.instruments, &key, &id, &section_key))
        .await?;
    let (_, response, SectionRead { answers, saved }) = accepted(&login, found)?;
    // The section borrowed from the instrument (shared), not copied with all its items.
    let instrument = response.instrument.clone();
    let section = instrument
        .section(&path.section)
        .ok_or(AppError::NotFound)?;
    if matches!(section.body, SectionBody::Mechanisms(_)) {
        return Ok(see_other(&format!("/responses/{}/mechanisms", path.id)));
    }
    let block = response.edit_block(state.clock.now());
    let list_opened = ctx.flash.as_deref() == Some(OPENED_FLASH);
    let (page_zone, page_lang) = (response.assessment.zone(), ctx.lang);
    let mut page = section_page(
        ctx,
        response,
        section,
        &answers,
        Shown {
            values: &BTreeMap::new(),
            evidence: &BTreeMap::new(),
            errors: BTreeMap::new(),
            theirs: BTreeMap::new(),
        },
        saved.as_ref().map_or(0, |s| s.version),
        block,
    );
    if let Some(saved) = &saved {
        page.save_state = SaveState::Saved(saved_time(
            saved.at,
            state.clock.now(),
            page_zone,
            page_lang,
        ));
    }
    page.saved_ms = saved
        .map(|s| s.at.and_utc().timestamp_millis())
        .unwrap_or(0);
    page.restorable = true;
    if list_opened {
        page.opened = unanswered_follow_ups(&page);
    }
    render(StatusCode::OK, &page)
}

/// Saves a section. The form carries the version it was loaded at; a colleague's save in between
/// makes this a conflict (409) that shows both values and keeps everything typed. "Save and
/// continue" stays on the section when the save opened questions the form did not show.
pub async fn save_section(
    ctx: Ctx,
    login: Login,
    state: web::Data<App>,
    session: Session,
    req: actix_web::HttpRequest,
    path: web::Path<SectionPath>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // The page's script autosaves with `Accept: application/json` and gets JSON back.
    let wants_json = wants_json(&req);
    let path = path.into_inner();
    let app = state.clone();
    let key = login.key().clone();
    let (id, section_key) = (path.id.clone(), path.section.clone());
    let found = state
        .run(move |conn| {
            service::open_section_for_save(conn, &app.instruments, &key, &id, &section_key)
        })
        .await?;
    let (user, response, current) = accepted(&login, found)?;
    response.check_editable(state.clock.now())?;
    // The section borrowed from the instrument (shared), not copied with all its items.
    let instrument = response.instrument.clone();
    let section = instrument
        .section(&path.section)
        .ok_or(AppError::NotFound)?;
    if matches!(section.body, SectionBody::Mechanisms(_)) {
        return Err(AppError::NotFound);
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let fields = section_form::group_fields(pairs);
    let version: i64 = fields
        .get("version")
        .and_then(|v| v.first())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest("missing version".into()))?;
    let continue_after = fields
        .get("action")
        .and_then(|v| v.first())
        .is_some_and(|a| a == "continue");
    let input = match section_form::read_section_form(
        &response.instrument,
        section,
        &fields,
        &current.values,
    ) {
        Ok(input) => input,
        Err(unknown) => {
            return Err(AppError::Denied {
                status: 422,
                message_key: "section.unknown_item",
            })
            .inspect_err(|_| tracing::info!(item = %unknown.0, "refused an unknown item"));
        }
    };
    let lang = ctx.lang;
    if !input.errors.is_empty() {
        let errors: BTreeMap<String, String> = input
            .errors
            .iter()
            .map(|(k, e)| (k.clone(), e.message(lang)))
            .collect();
        if wants_json {
            return Ok(
                HttpResponse::UnprocessableEntity().json(serde_json::json!({ "errors": errors }))
            );
        }
        let page = typed_page(ctx, response, section, &current, &input, errors, version);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let now = state.clock.now();
    let zone = response.assessment.zone();
    let saving = response.clone();
    let key = section.key.clone();
    let user_id = user.id.clone();
    let to_save = input.clone();
    let actor = ClientAddress(client_address(&req)).actor(&user);
    let outcome = state
        .run(move |conn| {
            service::save_section(
                conn, &saving, &key, version, &to_save, &user_id, &actor, now,
            )
        })
        .await?;
    match outcome {
        SaveOutcome::Saved { version } if wants_json => Ok(HttpResponse::Ok().json(
            serde_json::json!({ "version": version, "saved_at": saved_time(now, now, zone, lang) }),
        )),
        SaveOutcome::Conflict {
            current_version,
            current,
            saved,
        } if wants_json => {
            let theirs = conflicts(&response, section, &input, &current, lang);
            Ok(HttpResponse::Conflict().json(serde_json::json!({
                "conflict": true,
                "version": current_version,
                "theirs": theirs,
                "saved_at": saved.as_ref().map(|s| saved_time(s.at, now, zone, lang)),
                "saved_by": saver_name(saved.as_ref(), lang),
                "by_you": saved.as_ref().is_some_and(|s| s.is_by(&user.id)),
            })))
        }
        SaveOutcome::Saved { .. } => {
            let here = format!(
                "/responses/{}/sections/{}",
                response.response.id, section.key
            );
            let target = if continue_after && !input.opened.is_empty() {
                context::flash(&session, OPENED_FLASH);
                here
            } else if continue_after {
                context::flash(&session, "section.saved");
                section_page_next(&response, section)
            } else {
                context::flash(&session, "section.saved");
                format!("{here}#saved")
            };
            Ok(see_other(&target))
        }
        SaveOutcome::Conflict {
            current_version,
            current,
            saved,
        } => {
            let theirs = conflicts(&response, section, &input, &current, lang);
            let conflict = ConflictView::new(saved.as_ref(), &user.id, (now, zone), lang);
            let mut page = typed_page(
                ctx,
                response,
                section,
                &current,
                &input,
                BTreeMap::new(),
                current_version,
            );
            for view in page
                .items
                .iter_mut()
                .chain(page.domains.iter_mut().flat_map(|d| d.cells.iter_mut()))
            {
                view.theirs = theirs.get(&view.key).cloned();
            }
            page.conflict = Some(conflict);
            render(StatusCode::CONFLICT, &page)
        }
    }
}

/// For each slot where the colleague's saved value differs from what this user sent: the
/// colleague's value as text.
fn conflicts(
    response: &ResponseContext,
    section: &Section,
    input: &SectionInput,
    current: &SavedAnswers,
    lang: Lang,
) -> BTreeMap<String, String> {
    let mut theirs = BTreeMap::new();
    for slot in section_form::slots(&response.instrument, section) {
        let Some(change) = input.changes.get(&slot.key) else {
            continue;
        };
        let saved = current.values.get(&slot.key);
        let saved_evidence = current.evidence.get(&slot.key);
        if saved != change.value.as_ref() || saved_evidence != change.evidence.as_ref() {
            let mut text = match saved {
                Some(value) => display_value(&response.instrument, slot.item, value, lang, &[]),
                None => i18n::tr(lang, "section.no_answer").into_owned(),
            };
            if let Some(evidence) = saved_evidence {
                text = format!("{text} — {evidence}");
            }
            theirs.insert(slot.key.clone(), text);
        }
    }
    theirs
}

/// The section page answering a refused save: the values as typed, not saved.
fn typed_page(
    ctx: Ctx,
    response: ResponseContext,
    section: &Section,
    current: &SavedAnswers,
    input: &SectionInput,
    errors: BTreeMap<String, String>,
    version: i64,
) -> SectionPage {
    let mut page = section_page(
        ctx,
        response,
        section,
        current,
        Shown {
            values: &input.typed,
            evidence: &input.typed_evidence,
            errors,
            theirs: BTreeMap::new(),
        },
        version,
        None,
    );
    page.save_state = SaveState::Unsaved;
    page
}
