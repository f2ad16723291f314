//! The mechanism entries of a response: the list, the entry form (new, change) with the
//! conflict check, and removing an entry.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::fields::{ItemView, item_view, mechanism_summary, raw_values};
use super::{read, section_page_next, wants_json};
use crate::domain::Lang;
use crate::domain::answers::{self, AnswerValue};
use crate::domain::instrument::{Instrument, ItemKind, MechanismGroup};
use crate::domain::section_form;
use crate::error::AppError;
use crate::i18n;
use crate::service::records::{Mechanism, Organization};
use crate::service::responses::{
    self as service, EditBlock, MechanismEntry, MechanismList, MechanismOutcome, ResponseContext,
};
use crate::web::client::{ClientAddress, client_address};
use crate::web::context::{self, Ctx, CurrentUser};
use crate::web::view::{display_value, mechanism_label};
use crate::web::{App, render, see_other};

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
    let MechanismList {
        response,
        mechanisms,
        partners,
    } = read(&state, &user, path.into_inner(), service::mechanism_list).await?;
    let (section, group) = response
        .instrument
        .mechanisms()
        .map(|(s, g)| (s.clone(), g.clone()))
        .ok_or(AppError::NotFound)?;
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

/// Opens a response the user may change now, with the partners an entry may name.
async fn mechanism_form(
    state: &web::Data<App>,
    user: &CurrentUser,
    id: String,
) -> Result<(ResponseContext, Vec<Organization>), AppError> {
    let app = state.clone();
    let actor = user.reader();
    let now = state.clock.now();
    state
        .run(move |conn| service::open_for_mechanism_form(conn, &app.instruments, &id, &actor, now))
        .await
}

/// A mechanism entry of a response (404 when it is not there) and the partners it may name;
/// with `editable_at`, only when the user may change the response then.
async fn mechanism_entry(
    state: &web::Data<App>,
    user: &CurrentUser,
    path: MechanismPath,
    editable_at: Option<NaiveDateTime>,
) -> Result<MechanismEntry, AppError> {
    let app = state.clone();
    let actor = user.reader();
    state
        .run(move |conn| {
            service::mechanism_entry(
                conn,
                &app.instruments,
                (&path.id, &path.mechanism),
                &actor,
                editable_at,
            )
        })
        .await
}

pub async fn new_mechanism(
    ctx: Ctx,
    user: CurrentUser,
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (response, partners) = mechanism_form(&state, &user, path.into_inner()).await?;
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
    let MechanismEntry {
        response,
        mechanism,
        partners,
    } = mechanism_entry(&state, &user, path.into_inner(), None).await?;
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
    let client = ClientAddress(client_address(&req));
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
    let (response, partners) = mechanism_form(&state, &user, response_id).await?;
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
            service::save_mechanism(
                conn,
                &saving,
                id.as_deref(),
                version,
                &values,
                &user_id,
                &actor,
                now,
            )
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
    group: &MechanismGroup,
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
    let now = state.clock.now();
    let MechanismEntry {
        response,
        mechanism,
        partners,
    } = mechanism_entry(&state, &user, path.into_inner(), Some(now)).await?;
    let group = response
        .instrument
        .mechanisms()
        .map(|(_, g)| g.clone())
        .ok_or(AppError::NotFound)?;
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
    let now = state.clock.now();
    let app = state.clone();
    let (id, mechanism) = (path.id.clone(), path.mechanism.clone());
    let (reader, by) = (user.reader(), client.actor(&user));
    let deleted = state
        .run(move |conn| {
            service::remove_mechanism(conn, &app.instruments, (&id, &mechanism), &reader, &by, now)
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
