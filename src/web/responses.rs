//! Filling in a response: the overview with progress, section pages (items and the data-domain
//! grid) with the conflict check, mechanism entries, review and submission; and reopening.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client::ClientAddress;
use super::context::{self, Ctx, CurrentUser, Login, Organizer};
use super::view::{display_value, mechanism_label};
use super::{App, render, see_other};
use crate::domain::Lang;
use crate::domain::answers::{self, AnswerValue, Progress};
use crate::domain::instrument::{Instrument, Item, ItemKind, Section, SectionBody};
use crate::domain::section_form::{self, SectionInput, Slot};
use crate::error::AppError;
use crate::i18n;
use crate::service::audit::{self as audit_log, Written};
use crate::service::responses::{
    self as service, Actor, EditBlock, LastSave, MechanismOutcome, Missing, ResponseContext,
    SaveOutcome, SavedAnswers, SubmitOutcome,
};
use crate::store::mechanisms::Mechanism;
use crate::store::organizations::Organization;
use crate::store::{self, DbConnection};

fn actor(user: &CurrentUser) -> Actor {
    Actor {
        user_id: user.id.clone(),
        role: user.role,
    }
}

/// Loads a response the user may read, or 403/404.
pub(super) async fn open(
    state: &web::Data<App>,
    user: &CurrentUser,
    id: &str,
) -> Result<ResponseContext, AppError> {
    let app = state.clone();
    let actor = actor(user);
    let id = id.to_owned();
    state
        .run(move |conn| service::open(conn, &app.instruments, &id, &actor))
        .await
}

/// One trip to the database for the questionnaire's busiest requests: the session's user
/// checked ([`Login`]), the response opened for them (403/404 as [`open`]), and what `then`
/// reads from it.
async fn open_with<T, F>(
    state: &web::Data<App>,
    login: &Login,
    id: &str,
    then: F,
) -> Result<(CurrentUser, ResponseContext, T), AppError>
where
    F: FnOnce(&mut DbConnection, &ResponseContext) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let app = state.clone();
    let key = login.key().clone();
    let id = id.to_owned();
    let found = state
        .run(move |conn| {
            let Some(user) = Login::check(conn, &key)? else {
                return Ok(None);
            };
            let response = service::open(conn, &app.instruments, &id, &actor(&user))?;
            let read = then(conn, &response)?;
            Ok(Some((user, response, read)))
        })
        .await?;
    match found {
        Some((user, response, read)) => Ok((login.accept(Some(user))?, response, read)),
        None => Err(login.reject()),
    }
}

/// Loads a response the user may change today, or the page that says why not.
async fn open_for_edit(
    state: &web::Data<App>,
    user: &CurrentUser,
    id: &str,
) -> Result<ResponseContext, AppError> {
    let ctx = open(state, user, id).await?;
    editable(&ctx, state)?;
    Ok(ctx)
}

/// Nothing, when the user may change the response today; otherwise the page that says why not.
fn editable(ctx: &ResponseContext, state: &App) -> Result<(), AppError> {
    match ctx.edit_block(state.clock.now()) {
        None => Ok(()),
        Some(block) => Err(AppError::Denied {
            status: match block {
                EditBlock::NotMember => 403,
                _ => 409,
            },
            message_key: block.message_key(),
        }),
    }
}

/// The id of a form control for an answer key (dots are awkward in CSS selectors).
pub fn html_id(key: &str) -> String {
    format!("q-{}", key.replace('.', "-"))
}

pub struct SectionLink {
    pub key: String,
    pub title: String,
    pub progress: Progress,
    pub url: String,
    pub is_mechanisms: bool,
}

fn section_url(response_id: &str, section: &Section) -> String {
    match section.body {
        SectionBody::Mechanisms(_) => format!("/responses/{response_id}/mechanisms"),
        _ => format!("/responses/{response_id}/sections/{}", section.key),
    }
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
    let response = open(&state, &user, &path).await?;
    let loaded = response.clone();
    let now = state.clock.now();
    let is_member = response.is_member;
    let (answers, mechanisms) = state
        .run(move |conn| {
            if is_member {
                store::responses::touch_opened(conn, &loaded.response.id, now)?;
            }
            Ok((
                service::saved_answers(conn, &loaded)?,
                store::mechanisms::list_for_response(conn, &loaded.response.id)?,
            ))
        })
        .await?;
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

/// One choice of a radio group, checkbox group or select.
pub struct OptionView {
    pub value: String,
    pub label: String,
    /// For maturity levels: the level's own description.
    pub description: Option<String>,
    pub checked: bool,
}

/// Everything a template needs to show one answer slot.
pub struct ItemView {
    pub key: String,
    pub id: String,
    pub label: String,
    pub help: Option<String>,
    /// maturity, single, multiple, yes_no, number, text, textarea.
    pub kind: &'static str,
    pub required: bool,
    pub options: Vec<OptionView>,
    pub value: String,
    /// Maturity items take evidence text.
    pub evidence: Option<String>,
    pub error: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub integer: bool,
    pub max_length: usize,
    /// In a conflict: what the colleague saved, as shown text.
    pub theirs: Option<String>,
    /// Not shown (nor posted) because it does not apply to the answers given; the page's script
    /// shows it when the answer it depends on changes.
    pub hidden: bool,
    /// The field whose answer decides whether this item applies (`v.<slot>`), when it is on the
    /// same page, and the answers that make it apply, separated by spaces.
    pub when: String,
    pub equals: String,
}

impl ItemView {
    pub fn evidence_id(&self) -> String {
        format!("{}-evidence", self.id)
    }

    pub fn describedby(&self) -> String {
        let mut ids = Vec::new();
        if self.help.is_some() {
            ids.push(format!("{}-help", self.id));
        }
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id));
        }
        ids.join(" ")
    }
}

/// The raw form values of a saved answer.
fn raw_values(value: Option<&AnswerValue>) -> Vec<String> {
    match value {
        None => Vec::new(),
        Some(AnswerValue::Choices(keys)) => keys.clone(),
        Some(other) => vec![other.encode()],
    }
}

fn code_options(
    instrument: &Instrument,
    list: &str,
    lang: Lang,
    chosen: &[String],
) -> Vec<OptionView> {
    instrument
        .code_list(list)
        .map(|list| {
            list.options
                .iter()
                .map(|o| OptionView {
                    checked: chosen.contains(&o.key),
                    value: o.key.clone(),
                    label: o.label.get(lang).to_owned(),
                    description: None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Builds the view of one slot from what to show: the typed values (after an error) or the saved
/// ones.
fn item_view(
    instrument: &Instrument,
    key: &str,
    item: &Item,
    lang: Lang,
    values: &[String],
    evidence: Option<&str>,
    error: Option<String>,
) -> ItemView {
    let mut view = ItemView {
        key: key.to_owned(),
        id: html_id(key),
        label: item.label.get(lang).to_owned(),
        help: item.help.as_ref().map(|h| h.get(lang).to_owned()),
        kind: "text",
        required: item.required,
        options: Vec::new(),
        value: values.first().cloned().unwrap_or_default(),
        evidence: None,
        error,
        min: None,
        max: None,
        integer: false,
        max_length: 0,
        theirs: None,
        hidden: false,
        when: String::new(),
        equals: String::new(),
    };
    let chosen = values.to_vec();
    match &item.kind {
        ItemKind::Maturity { levels } => {
            view.kind = "maturity";
            let mut options: Vec<OptionView> = levels
                .iter()
                .enumerate()
                .map(|(level, text)| OptionView {
                    value: level.to_string(),
                    label: level.to_string(),
                    description: Some(text.get(lang).to_owned()),
                    checked: chosen.contains(&level.to_string()),
                })
                .collect();
            for (value, key) in [
                ("na", "section.not_applicable"),
                ("dk", "section.dont_know"),
            ] {
                options.push(OptionView {
                    value: value.to_owned(),
                    label: i18n::tr(lang, key).into_owned(),
                    description: None,
                    checked: chosen.iter().any(|c| c == value),
                });
            }
            view.options = options;
            view.evidence = Some(evidence.unwrap_or_default().to_owned());
        }
        ItemKind::SingleChoice { list } => {
            view.kind = "single";
            view.options = code_options(instrument, list, lang, &chosen);
        }
        ItemKind::MultipleChoice { list } => {
            view.kind = "multiple";
            view.options = code_options(instrument, list, lang, &chosen);
        }
        ItemKind::YesNo => {
            view.kind = "yes_no";
            view.options = [("yes", "section.yes"), ("no", "section.no")]
                .into_iter()
                .map(|(value, label)| OptionView {
                    value: value.to_owned(),
                    label: i18n::tr(lang, label).into_owned(),
                    description: None,
                    checked: chosen.iter().any(|c| c == value),
                })
                .collect();
        }
        ItemKind::Number { min, max, integer } => {
            view.kind = "number";
            view.min = *min;
            view.max = *max;
            view.integer = *integer;
        }
        ItemKind::Text {
            max_length,
            multiline,
        } => {
            view.kind = if *multiline { "textarea" } else { "text" };
            view.max_length = *max_length;
        }
        ItemKind::Partner => view.kind = "text",
    }
    view
}

/// A row of the data-domain grid.
pub struct DomainView {
    pub key: String,
    pub label: String,
    pub cells: Vec<ItemView>,
}

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

fn ctx_domain_label(
    instrument: &Instrument,
    section: &Section,
    domain: &str,
    lang: Lang,
) -> String {
    match &section.body {
        SectionBody::DomainGrid(grid) => instrument
            .option_label(&grid.list, domain, lang)
            .unwrap_or(domain)
            .to_owned(),
        _ => domain.to_owned(),
    }
}

fn find_section<'a>(instrument: &'a Instrument, key: &str) -> Result<&'a Section, AppError> {
    instrument.section(key).ok_or(AppError::NotFound)
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
    let key = path.section.clone();
    let (_, response, (answers, saved)) =
        open_with(&state, &login, &path.id, move |conn, loaded| {
            let section = find_section(&loaded.instrument, &key)?;
            // The version and time only: the saver's name is for conflicts.
            let saved = store::responses::section_saved(conn, &loaded.response.id, &key)?;
            let answers = service::saved_answers_of_section(conn, loaded, section)?;
            Ok((answers, saved))
        })
        .await?;
    // The section borrowed from the instrument (shared), not copied with all its items.
    let instrument = response.instrument.clone();
    let section = find_section(&instrument, &path.section)?;
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

/// Whether the page's script asked for a JSON answer (autosave, adding and removing mechanism
/// entries without a reload); the form without script gets pages and redirects.
fn wants_json(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
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
    let key = path.section.clone();
    let (user, response, current) = open_with(&state, &login, &path.id, move |conn, loaded| {
        let section = find_section(&loaded.instrument, &key)?;
        service::saved_answers_of_section(conn, loaded, section)
    })
    .await?;
    editable(&response, &state)?;
    // The section borrowed from the instrument (shared), not copied with all its items.
    let instrument = response.instrument.clone();
    let section = find_section(&instrument, &path.section)?;
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
    let actor = ClientAddress(super::client::client_address(&req)).actor(&user);
    let outcome = state
        .run(move |conn| {
            // One row per save: the section's code, never the values.
            let (response_id, assessment_id) = (&saving.response.id, &saving.assessment.id);
            let row = |o: &SaveOutcome| {
                matches!(o, SaveOutcome::Saved { .. }).then(|| {
                    Written::new(
                        audit_log::Action::SectionSaved,
                        audit_log::kind::RESPONSE,
                        response_id,
                    )
                    .in_assessment(assessment_id)
                    .details(key.as_str())
                })
            };
            audit_log::recorded(
                conn,
                &actor,
                now,
                |conn| service::save_section(conn, &saving, &key, version, &to_save, &user_id, now),
                row,
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

fn section_page_next(response: &ResponseContext, section: &Section) -> String {
    let sections = &response.instrument.sections;
    let position = sections
        .iter()
        .position(|s| s.key == section.key)
        .unwrap_or_default();
    match sections.get(position + 1) {
        Some(next) => section_url(&response.response.id, next),
        None => format!("/responses/{}/review", response.response.id),
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

// ---------------------------------------------------------------------------------------------
// Mechanisms

pub struct MechanismRow {
    pub mechanism: Mechanism,
    pub partner: String,
    pub direction: String,
    pub status: String,
    pub complete: bool,
}

#[derive(Template)]
#[template(path = "mechanisms.html")]
struct MechanismsPage {
    ctx: Ctx,
    response: ResponseContext,
    title: String,
    intro: Option<String>,
    rows: Vec<MechanismRow>,
    readonly: bool,
    block: Option<EditBlock>,
    next_url: String,
}

/// The label of a mechanism field's option, or nothing when the field is empty.
fn option_label(instrument: &Instrument, field: &str, value: Option<&str>, lang: Lang) -> String {
    value
        .map(|v| mechanism_label(instrument, field, v, lang))
        .unwrap_or_default()
}

pub async fn mechanisms(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let response = open(&state, &user, &path).await?;
    let (section, group) = response
        .instrument
        .mechanisms()
        .map(|(s, g)| (s.clone(), g.clone()))
        .ok_or(AppError::NotFound)?;
    let loaded = response.clone();
    let (mechanisms, partners) = state
        .run(move |conn| {
            Ok((
                store::mechanisms::list_for_response(conn, &loaded.response.id)?,
                service::partner_options(conn, &loaded)?,
            ))
        })
        .await?;
    let lang = ctx.lang;
    let instrument = response.instrument.clone();
    let rows = mechanisms
        .into_iter()
        .map(|m| {
            let values = service::mechanism_values(&m);
            let partner = match (values.get("partner"), group.field("partner")) {
                (Some(value), Some(item)) => {
                    display_value(&instrument, item, value, lang, &partners)
                }
                _ => String::new(),
            };
            MechanismRow {
                partner,
                direction: option_label(&instrument, "direction", m.direction.as_deref(), lang),
                status: option_label(&instrument, "status", m.status.as_deref(), lang),
                complete: answers::missing_mechanism_fields(&group, &values).is_empty(),
                mechanism: m,
            }
        })
        .collect();
    let block = response.edit_block(state.clock.now());
    let next_url = section_page_next(&response, &section);
    render(
        StatusCode::OK,
        &MechanismsPage {
            title: section.title.get(lang).to_owned(),
            intro: section.intro.as_ref().map(|t| t.get(lang).to_owned()),
            ctx,
            response,
            rows,
            readonly: block.is_some(),
            block,
            next_url,
        },
    )
}

#[derive(Template)]
#[template(path = "mechanism_form.html")]
struct MechanismPage {
    ctx: Ctx,
    response: ResponseContext,
    mechanism_id: Option<String>,
    version: i64,
    fields: Vec<ItemView>,
    partners: Vec<Organization>,
    partner_org: String,
    partner_name: String,
    partner_error: Option<String>,
    error_summary: Vec<(String, String)>,
    conflict: bool,
    /// In a conflict, the entry as the colleague left it (None: they removed it).
    theirs: Vec<(String, String)>,
    readonly: bool,
}

#[derive(Debug, Deserialize)]
pub struct MechanismPath {
    id: String,
    mechanism: String,
}

const PARTNER_ORG_FIELD: &str = "partner_org";
const PARTNER_NAME_FIELD: &str = "partner_name";

fn mechanism_field_views(
    instrument: &Instrument,
    typed: &BTreeMap<String, Vec<String>>,
    errors: &BTreeMap<String, String>,
    lang: Lang,
) -> Vec<ItemView> {
    let Some((_, group)) = instrument.mechanisms() else {
        return Vec::new();
    };
    group
        .fields
        .iter()
        .filter(|f| !matches!(f.kind, ItemKind::Partner))
        .map(|field| {
            let values = typed.get(&field.key).cloned().unwrap_or_default();
            let mut view = item_view(
                instrument,
                &field.key,
                field,
                lang,
                &values,
                None,
                errors.get(&field.key).cloned(),
            );
            view.id = format!("m-{}", field.key);
            view
        })
        .collect()
}

fn typed_from_mechanism(m: &Mechanism) -> BTreeMap<String, Vec<String>> {
    service::mechanism_values(m)
        .into_iter()
        .filter(|(k, _)| k != "partner")
        .map(|(k, v)| (k, raw_values(Some(&v))))
        .collect()
}

async fn partners_of(
    state: &web::Data<App>,
    response: &ResponseContext,
) -> Result<Vec<Organization>, AppError> {
    let loaded = response.clone();
    state
        .run(move |conn| service::partner_options(conn, &loaded))
        .await
}

/// A mechanism entry of a response (404 when it is not there) and the partners it may name.
async fn mechanism_and_partners(
    state: &web::Data<App>,
    response: &ResponseContext,
    id: &str,
) -> Result<(Mechanism, Vec<Organization>), AppError> {
    let loaded = response.clone();
    let id = id.to_owned();
    state
        .run(move |conn| {
            Ok((
                store::mechanisms::find(conn, &loaded.response.id, &id)?,
                service::partner_options(conn, &loaded)?,
            ))
        })
        .await
}

pub async fn new_mechanism(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let response = open_for_edit(&state, &user, &path).await?;
    let partners = partners_of(&state, &response).await?;
    let fields = mechanism_field_views(
        &response.instrument,
        &BTreeMap::new(),
        &BTreeMap::new(),
        ctx.lang,
    );
    render(
        StatusCode::OK,
        &MechanismPage {
            ctx,
            response,
            mechanism_id: None,
            version: 0,
            fields,
            partners,
            partner_org: String::new(),
            partner_name: String::new(),
            partner_error: None,
            error_summary: Vec::new(),
            conflict: false,
            theirs: Vec::new(),
            readonly: false,
        },
    )
}

pub async fn edit_mechanism(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    path: web::Path<MechanismPath>,
) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    let response = open(&state, &user, &path.id).await?;
    let (mechanism, partners) = mechanism_and_partners(&state, &response, &path.mechanism).await?;
    let typed = typed_from_mechanism(&mechanism);
    let fields = mechanism_field_views(&response.instrument, &typed, &BTreeMap::new(), ctx.lang);
    let readonly = response.edit_block(state.clock.now()).is_some();
    render(
        StatusCode::OK,
        &MechanismPage {
            ctx,
            response,
            mechanism_id: Some(mechanism.id.clone()),
            version: mechanism.version,
            fields,
            partners,
            partner_org: mechanism
                .partner_organization_id
                .clone()
                .unwrap_or_default(),
            partner_name: mechanism.partner_name.clone().unwrap_or_default(),
            partner_error: None,
            error_summary: Vec::new(),
            conflict: false,
            theirs: Vec::new(),
            readonly,
        },
    )
}

pub async fn create_mechanism(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    session: Session,
    req: actix_web::HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let json = wants_json(&req);
    let client = ClientAddress(super::client::client_address(&req));
    save_mechanism(
        ctx,
        (user, client),
        state,
        session,
        path.into_inner(),
        None,
        body,
        json,
    )
    .await
}

pub async fn update_mechanism(
    ctx: Ctx,
    user: CurrentUser,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<MechanismPath>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    save_mechanism(
        ctx,
        (user, client),
        state,
        session,
        path.id,
        Some(path.mechanism),
        body,
        false,
    )
    .await
}

/// Saves a new or changed entry. With `json` (the mechanisms page's script adding an entry in
/// place), success answers 201 with the entry's id instead of a redirect; invalid input still
/// answers the form page (422) so the script can show the same messages.
#[allow(clippy::too_many_arguments)]
async fn save_mechanism(
    ctx: Ctx,
    (user, client): (CurrentUser, ClientAddress),
    state: web::Data<App>,
    session: Session,
    response_id: String,
    mechanism_id: Option<String>,
    body: web::Bytes,
    json: bool,
) -> Result<HttpResponse, AppError> {
    let response = open_for_edit(&state, &user, &response_id).await?;
    let group = response
        .instrument
        .mechanisms()
        .map(|(_, g)| g.clone())
        .ok_or(AppError::NotFound)?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let fields = section_form::group_fields(pairs);
    // As on section forms: a value for a field the entry does not have is refused, not dropped.
    if let Some(unknown) = unknown_mechanism_field(&group, &fields) {
        tracing::info!(field = %unknown, "refused an unknown mechanism field");
        return Err(AppError::Denied {
            status: 422,
            message_key: "mechanisms.unknown_field",
        });
    }
    let first = |name: &str| {
        fields
            .get(name)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    };
    let version: i64 = first("version").parse().unwrap_or(0);
    let lang = ctx.lang;
    let partners = partners_of(&state, &response).await?;
    let partner_org = first(PARTNER_ORG_FIELD);
    let partner_name = first(PARTNER_NAME_FIELD);
    let mut typed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut values: BTreeMap<String, AnswerValue> = BTreeMap::new();
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    let mut partner_error = None;
    for field in &group.fields {
        if matches!(field.kind, ItemKind::Partner) {
            let raw = if !partner_org.is_empty() {
                if !partners.iter().any(|p| p.id == partner_org) {
                    partner_error =
                        Some(i18n::tr(lang, "errors.field.unknown_option").into_owned());
                    continue;
                }
                vec![format!("org:{partner_org}")]
            } else if !partner_name.trim().is_empty() {
                vec![format!("ext:{}", partner_name.trim())]
            } else {
                Vec::new()
            };
            match answers::parse_answer(field, &response.instrument, &raw) {
                Ok(Some(v)) => {
                    values.insert(field.key.clone(), v);
                }
                Ok(None) => {}
                Err(e) => partner_error = Some(e.message(lang)),
            }
            continue;
        }
        let raw = fields
            .get(&format!("{}{}", section_form::VALUE_PREFIX, field.key))
            .cloned()
            .unwrap_or_default();
        typed.insert(field.key.clone(), raw.clone());
        match answers::parse_answer(field, &response.instrument, &raw) {
            Ok(Some(v)) => {
                values.insert(field.key.clone(), v);
            }
            Ok(None) => {}
            Err(e) => {
                errors.insert(field.key.clone(), e.message(lang));
            }
        }
    }
    // An entry needs at least its name; the rest may come later (the review lists what is missing).
    if !values.contains_key("name") && !errors.contains_key("name") {
        errors.insert(
            "name".to_owned(),
            i18n::tr(lang, "errors.field.required").into_owned(),
        );
    }
    let page = |ctx: Ctx,
                response: ResponseContext,
                version: i64,
                errors: BTreeMap<String, String>,
                partner_error: Option<String>,
                conflict: bool,
                theirs: Vec<(String, String)>| {
        let fields = mechanism_field_views(&response.instrument, &typed, &errors, ctx.lang);
        let mut error_summary: Vec<(String, String)> = fields
            .iter()
            .filter_map(|f| {
                f.error
                    .as_ref()
                    .map(|e| (f.id.clone(), format!("{}: {e}", f.label)))
            })
            .collect();
        if let Some(e) = &partner_error {
            error_summary.insert(0, ("m-partner_org".to_owned(), e.clone()));
        }
        MechanismPage {
            ctx,
            response,
            mechanism_id: mechanism_id.clone(),
            version,
            fields,
            partners: partners.clone(),
            partner_org: partner_org.clone(),
            partner_name: partner_name.clone(),
            partner_error,
            error_summary,
            conflict,
            theirs,
            readonly: false,
        }
    };
    if !errors.is_empty() || partner_error.is_some() {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(
                ctx,
                response,
                version,
                errors,
                partner_error,
                false,
                Vec::new(),
            ),
        );
    }
    let now = state.clock.now();
    let saving = response.clone();
    let id = mechanism_id.clone();
    let user_id = user.id.clone();
    let actor = client.actor(&user);
    let outcome = state
        .run(move |conn| {
            let action = match id {
                None => audit_log::Action::MechanismCreated,
                Some(_) => audit_log::Action::MechanismUpdated,
            };
            let (response_id, assessment_id) = (&saving.response.id, &saving.assessment.id);
            let row = |o: &MechanismOutcome| match o {
                MechanismOutcome::Saved { id } => Some(
                    Written::new(action, audit_log::kind::MECHANISM, id)
                        .in_assessment(assessment_id)
                        .details(format!("response={response_id}")),
                ),
                MechanismOutcome::Conflict { .. } => None,
            };
            let write = |conn: &mut DbConnection| {
                service::save_mechanism(
                    conn,
                    &saving,
                    id.as_deref(),
                    version,
                    &values,
                    &user_id,
                    now,
                )
            };
            audit_log::recorded(conn, &actor, now, write, row)
        })
        .await?;
    match outcome {
        MechanismOutcome::Saved { id } if json => Ok(HttpResponse::Created()
            .json(serde_json::json!({ "id": id, "message": i18n::tr(lang, "mechanisms.saved") }))),
        MechanismOutcome::Saved { .. } => {
            context::flash(&session, "mechanisms.saved");
            Ok(see_other(&format!(
                "/responses/{}/mechanisms",
                response.response.id
            )))
        }
        MechanismOutcome::Conflict { current } => {
            let (version, theirs) = match &current {
                Some(m) => (
                    m.version,
                    mechanism_summary(&response.instrument, &group, m, lang, &partners),
                ),
                None => (0, Vec::new()),
            };
            render(
                StatusCode::CONFLICT,
                &page(ctx, response, version, BTreeMap::new(), None, true, theirs),
            )
        }
    }
}

/// The first posted name that asks for a field the mechanism form does not have: a value (`v.`)
/// or an `_items` entry for anything but the group's own fields (the partner comes as
/// `partner_org` / `partner_name`), or any evidence (`e.`), which entries do not take.
fn unknown_mechanism_field(
    group: &crate::domain::instrument::MechanismGroup,
    fields: &BTreeMap<String, Vec<String>>,
) -> Option<String> {
    let is_field = |key: &str| {
        group
            .fields
            .iter()
            .any(|f| f.key == key && !matches!(f.kind, ItemKind::Partner))
    };
    for (name, values) in fields {
        if name == section_form::SHOWN_FIELD {
            if let Some(key) = values.iter().find(|k| !is_field(k)) {
                return Some(key.clone());
            }
        } else if name.starts_with(section_form::EVIDENCE_PREFIX) {
            return Some(name.clone());
        } else if let Some(key) = name.strip_prefix(section_form::VALUE_PREFIX)
            && !is_field(key)
        {
            return Some(name.clone());
        }
    }
    None
}

/// (label, value) of every filled field of an entry, for conflicts and the review page.
pub fn mechanism_summary(
    instrument: &Instrument,
    group: &crate::domain::instrument::MechanismGroup,
    m: &Mechanism,
    lang: Lang,
    partners: &[Organization],
) -> Vec<(String, String)> {
    let values = service::mechanism_values(m);
    group
        .fields
        .iter()
        .filter_map(|field| {
            values.get(&field.key).map(|v| {
                (
                    field.label.get(lang).to_owned(),
                    display_value(instrument, field, v, lang, partners),
                )
            })
        })
        .collect()
}

#[derive(Template)]
#[template(path = "mechanism_delete.html")]
struct MechanismDeletePage {
    ctx: Ctx,
    response: ResponseContext,
    mechanism: Mechanism,
    /// (label, value) of the entry's filled fields, so the person sees what goes.
    summary: Vec<(String, String)>,
}

/// Asks before removing a mechanism entry (the page's script asks in the list instead).
pub async fn confirm_delete_mechanism(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    path: web::Path<MechanismPath>,
) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    let response = open_for_edit(&state, &user, &path.id).await?;
    let group = response
        .instrument
        .mechanisms()
        .map(|(_, g)| g.clone())
        .ok_or(AppError::NotFound)?;
    let (mechanism, partners) = mechanism_and_partners(&state, &response, &path.mechanism).await?;
    let summary = mechanism_summary(
        &response.instrument,
        &group,
        &mechanism,
        ctx.lang,
        &partners,
    );
    render(
        StatusCode::OK,
        &MechanismDeletePage {
            ctx,
            response,
            mechanism,
            summary,
        },
    )
}

pub async fn delete_mechanism(
    ctx: Ctx,
    user: CurrentUser,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    req: actix_web::HttpRequest,
    path: web::Path<MechanismPath>,
) -> Result<HttpResponse, AppError> {
    let path = path.into_inner();
    let response = open_for_edit(&state, &user, &path.id).await?;
    let now = state.clock.now();
    let deleting = response.clone();
    let id = path.mechanism.clone();
    let actor = client.actor(&user);
    let deleted = state
        .run(move |conn| {
            let (response_id, assessment_id) = (&deleting.response.id, &deleting.assessment.id);
            let row = |deleted: &bool| {
                deleted.then(|| {
                    Written::new(
                        audit_log::Action::MechanismDeleted,
                        audit_log::kind::MECHANISM,
                        &id,
                    )
                    .in_assessment(assessment_id)
                    .details(format!("response={response_id}"))
                })
            };
            let write =
                |conn: &mut DbConnection| service::delete_mechanism(conn, &deleting, &id, now);
            audit_log::recorded(conn, &actor, now, write, row)
        })
        .await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    if wants_json(&req) {
        return Ok(HttpResponse::Ok().json(serde_json::json!({
            "deleted": true,
            "message": i18n::tr(ctx.lang, "mechanisms.deleted"),
        })));
    }
    context::flash(&session, "mechanisms.deleted");
    Ok(see_other(&format!("/responses/{}/mechanisms", path.id)))
}

// ---------------------------------------------------------------------------------------------
// Review, submission, reopening

pub struct ReviewItem {
    pub label: String,
    pub value: Option<String>,
    pub evidence: Option<String>,
    pub missing: bool,
    pub url: String,
}

pub struct ReviewSection {
    pub key: String,
    pub title: String,
    pub url: String,
    pub items: Vec<ReviewItem>,
}

/// A mechanism entry on the review page: name, (label, value) of its fields, edit link.
pub type ReviewMechanism = (String, Vec<(String, String)>, String);

pub struct MissingLink {
    pub label: String,
    pub section: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    ctx: Ctx,
    response: ResponseContext,
    sections: Vec<ReviewSection>,
    mechanisms: Vec<ReviewMechanism>,
    missing: Vec<MissingLink>,
    total: Progress,
    block: Option<EditBlock>,
    is_organizer: bool,
    submitted_by: Option<String>,
    reopen_error: Option<String>,
    reason: String,
}

fn missing_links(
    response: &ResponseContext,
    missing: &[Missing],
    mechanisms: &[Mechanism],
    lang: Lang,
) -> Vec<MissingLink> {
    let instrument = &response.instrument;
    missing
        .iter()
        .map(|m| {
            let section = instrument.section(&m.section);
            let section_title = section
                .map(|s| s.title.get(lang).to_owned())
                .unwrap_or_default();
            if let Some(id) = m.key.strip_prefix("mechanism:") {
                let name = mechanisms
                    .iter()
                    .find(|x| x.id == id)
                    .map(|x| x.name.clone())
                    .unwrap_or_default();
                return MissingLink {
                    label: i18n::tr_args(lang, "review.incomplete_mechanism", &[("name", &name)]),
                    section: section_title,
                    url: format!("/responses/{}/mechanisms/{id}", response.response.id),
                };
            }
            let label = match (instrument.item(&m.key), section) {
                (Some(item), _) => item.label.get(lang).to_owned(),
                (None, Some(section)) => {
                    // A grid cell: "<domain>: <column>".
                    let rest = m
                        .key
                        .strip_prefix(&format!("{}.", section.key))
                        .unwrap_or(&m.key);
                    let (domain, column) = rest.split_once('.').unwrap_or((rest, ""));
                    match &section.body {
                        SectionBody::DomainGrid(grid) => format!(
                            "{}: {}",
                            instrument
                                .option_label(&grid.list, domain, lang)
                                .unwrap_or(domain),
                            grid.column(column)
                                .map(|c| c.label.get(lang))
                                .unwrap_or(column)
                        ),
                        _ => m.key.clone(),
                    }
                }
                _ => m.key.clone(),
            };
            MissingLink {
                label,
                section: section_title,
                url: format!(
                    "/responses/{}/sections/{}#{}",
                    response.response.id,
                    m.section,
                    html_id(&m.key)
                ),
            }
        })
        .collect()
}

async fn review_page(
    ctx: Ctx,
    user: &CurrentUser,
    state: &web::Data<App>,
    response: ResponseContext,
    missing_override: Option<Vec<Missing>>,
    reopen_error: Option<String>,
    reason: String,
) -> Result<ReviewPage, AppError> {
    let loaded = response.clone();
    let (answers, mechanisms, partners, submitted_by) = state
        .run(move |conn| {
            let submitted_by = match &loaded.response.submitted_by {
                Some(id) => Some(store::users::find(conn, id)?.name),
                None => None,
            };
            Ok((
                service::saved_answers(conn, &loaded)?,
                store::mechanisms::list_for_response(conn, &loaded.response.id)?,
                service::partner_options(conn, &loaded)?,
                submitted_by,
            ))
        })
        .await?;
    let lang = ctx.lang;
    let instrument = response.instrument.clone();
    let missing = missing_override
        .unwrap_or_else(|| service::missing(&response, &answers.values, &mechanisms));
    let missing_keys: Vec<&str> = missing.iter().map(|m| m.key.as_str()).collect();
    let mut sections = Vec::new();
    for section in &instrument.sections {
        if matches!(section.body, SectionBody::Mechanisms(_)) {
            continue;
        }
        let items = section_form::slots(&instrument, section)
            .into_iter()
            .filter(|slot| section_form::slot_is_relevant(section, slot, &answers.values))
            .filter(|slot| {
                answers.values.contains_key(&slot.key) || missing_keys.contains(&slot.key.as_str())
            })
            .map(|slot| {
                let mut label = slot.item.label.get(lang).to_owned();
                if let Some(domain) = slot.domain {
                    label = format!(
                        "{} · {label}",
                        ctx_domain_label(&instrument, section, domain, lang)
                    );
                }
                ReviewItem {
                    value: answers
                        .values
                        .get(&slot.key)
                        .map(|v| display_value(&instrument, slot.item, v, lang, &partners)),
                    evidence: answers.evidence.get(&slot.key).cloned(),
                    missing: missing_keys.contains(&slot.key.as_str()),
                    url: format!(
                        "/responses/{}/sections/{}#{}",
                        response.response.id,
                        section.key,
                        html_id(&slot.key)
                    ),
                    label,
                }
            })
            .collect();
        sections.push(ReviewSection {
            key: section.key.clone(),
            title: section.title.get(lang).to_owned(),
            url: section_url(&response.response.id, section),
            items,
        });
    }
    let mechanism_views = match instrument.mechanisms() {
        Some((_, group)) => mechanisms
            .iter()
            .map(|m| {
                (
                    m.name.clone(),
                    mechanism_summary(&instrument, group, m, lang, &partners),
                    format!("/responses/{}/mechanisms/{}", response.response.id, m.id),
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let (_, total) = service::progress(&response, &answers.values, &mechanisms);
    let missing = missing_links(&response, &missing, &mechanisms, lang);
    let block = response.edit_block(state.clock.now());
    Ok(ReviewPage {
        ctx,
        response,
        sections,
        mechanisms: mechanism_views,
        missing,
        total,
        block,
        is_organizer: user.is_organizer(),
        submitted_by,
        reopen_error,
        reason,
    })
}

pub async fn review(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let response = open(&state, &user, &path).await?;
    let page = review_page(ctx, &user, &state, response, None, None, String::new()).await?;
    render(StatusCode::OK, &page)
}

pub async fn submit(
    ctx: Ctx,
    user: CurrentUser,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let response = open_for_edit(&state, &user, &path).await?;
    let now = state.clock.now();
    let submitting = response.clone();
    let by = client.actor(&user);
    let app = state.clone();
    let outcome = state
        .run(move |conn| service::submit(conn, app.mail_env(), &submitting, &by, now))
        .await?;
    match outcome {
        SubmitOutcome::Submitted => {
            tracing::info!(response = %response.response.id, user = %user.id, "response submitted");
            context::flash(&session, "review.submitted");
            Ok(see_other(&format!(
                "/responses/{}/review",
                response.response.id
            )))
        }
        SubmitOutcome::Incomplete(missing) => {
            let page = review_page(
                ctx,
                &user,
                &state,
                response,
                Some(missing),
                None,
                String::new(),
            )
            .await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ReopenForm {
    #[serde(default)]
    reason: String,
}

pub const REOPEN_REASON_MAX: usize = 1000;

pub async fn reopen(
    ctx: Ctx,
    Organizer(user): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<ReopenForm>,
) -> Result<HttpResponse, AppError> {
    let response = open(&state, &user, &path).await?;
    let reason = form.into_inner().reason;
    let problem = match crate::domain::account::parse_line(&reason, REOPEN_REASON_MAX) {
        Ok(_) => None,
        Err(e) => Some(super::forms::field_message(ctx.lang, e)),
    };
    if let Some(problem) = problem {
        let page = review_page(ctx, &user, &state, response, None, Some(problem), reason).await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let now = state.clock.now();
    let id = response.response.id.clone();
    let trimmed = reason.trim().to_owned();
    let app = state.clone();
    let by = client.actor(&user);
    let reopened = state
        .run(move |conn| service::reopen(conn, app.mail_env(), &id, &trimmed, &by, now))
        .await?;
    if !reopened {
        return Err(AppError::Denied {
            status: 409,
            message_key: "review.not_submitted",
        });
    }
    tracing::info!(response = %response.response.id, user = %user.id, "response reopened");
    context::flash(&session, "review.reopened");
    Ok(see_other(&format!(
        "/responses/{}/review",
        response.response.id
    )))
}

/// The representative's start page: their responses.
pub struct HomeRow {
    pub response_id: String,
    pub assessment: String,
    pub organization: String,
    pub status: String,
    pub closes_on: chrono::NaiveDate,
}

pub async fn my_responses(
    state: &web::Data<App>,
    user: &CurrentUser,
    lang: Lang,
) -> Result<Vec<HomeRow>, AppError> {
    let id = user.id.clone();
    let rows = state
        .run(move |conn| Ok(store::responses::list_for_user(conn, &id)?))
        .await?;
    Ok(rows
        .into_iter()
        .map(|(response, assessment, organization)| HomeRow {
            response_id: response.id,
            assessment: assessment.title(lang).to_owned(),
            organization: organization.name,
            status: response.status,
            closes_on: assessment.closes_on,
        })
        .collect())
}
