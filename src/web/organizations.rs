//! Organizer pages for organizations: list, create, edit, and CSV import.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::context::{Ctx, Organizer};
use super::forms::{FormErrors, field_message};
use super::{AppState, db, render, see_other};
use crate::domain::Lang;
use crate::domain::account::FieldError;
use crate::domain::instrument;
use crate::domain::organization::{
    ImportError, ImportRow, OrganizationField, OrganizationInput, RowProblem, SectorOption,
    parse_import, parse_organization,
};
use crate::error::AppError;
use crate::i18n;
use crate::service::organizations::{self, SaveError};
use crate::store;
use crate::store::organizations::Organization;

/// The sectors of the bundled instrument, read once (organizations are shared by all
/// assessments; parsing the instrument on every request would be wasted work).
static SECTORS: std::sync::LazyLock<Vec<SectorOption>> = std::sync::LazyLock::new(|| {
    instrument::forum_instrument()
        .map(|forum| organizations::sectors(&forum))
        .unwrap_or_default()
});

fn sector_options() -> Result<Vec<SectorOption>, AppError> {
    if SECTORS.is_empty() {
        return Err(AppError::internal("the bundled instrument has no sectors"));
    }
    Ok(SECTORS.clone())
}

/// A sector's label in a language, or its key when unknown.
pub fn sector_label(sectors: &[SectorOption], key: &str, lang: Lang) -> String {
    sectors
        .iter()
        .find(|s| s.key == key)
        .map(|s| match lang {
            Lang::Es => s.label_es.clone(),
            Lang::En => s.label_en.clone(),
        })
        .unwrap_or_else(|| key.to_owned())
}

pub struct OrganizationListRow {
    pub org: Organization,
    pub sector: String,
}

#[derive(Template)]
#[template(path = "organizations.html")]
struct ListPage {
    ctx: Ctx,
    rows: Vec<OrganizationListRow>,
}

pub async fn list(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let sectors = sector_options()?;
    let orgs = db(&state, |conn| Ok(store::organizations::list(conn)?)).await?;
    let rows = orgs
        .into_iter()
        .map(|org| OrganizationListRow {
            sector: sector_label(&sectors, &org.sector, ctx.lang),
            org,
        })
        .collect();
    render(StatusCode::OK, &ListPage { ctx, rows })
}

#[derive(Debug, Default, Deserialize)]
pub struct OrganizationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    acronym: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
}

impl OrganizationForm {
    fn input(&self) -> OrganizationInput {
        OrganizationInput {
            name: self.name.clone(),
            acronym: self.acronym.clone(),
            sector: self.sector.clone(),
            contact_name: self.contact_name.clone(),
            contact_email: self.contact_email.clone(),
        }
    }
}

pub struct SectorChoice {
    pub key: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "organization_form.html")]
struct FormPage {
    ctx: Ctx,
    /// None when creating.
    id: Option<String>,
    form: OrganizationForm,
    sectors: Vec<SectorChoice>,
    errors: FormErrors,
}

fn sector_choices(lang: Lang) -> Result<Vec<SectorChoice>, AppError> {
    Ok(sector_options()?
        .into_iter()
        .map(|s| SectorChoice {
            label: match lang {
                Lang::Es => s.label_es,
                Lang::En => s.label_en,
            },
            key: s.key,
        })
        .collect())
}

pub async fn new_form(ctx: Ctx, _: Organizer) -> Result<HttpResponse, AppError> {
    let sectors = sector_choices(ctx.lang)?;
    render(
        StatusCode::OK,
        &FormPage {
            ctx,
            id: None,
            form: OrganizationForm::default(),
            sectors,
            errors: FormErrors::default(),
        },
    )
}

pub async fn edit_form(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let org = {
        let id = id.clone();
        db(&state, move |conn| {
            Ok(store::organizations::find(conn, &id)?)
        })
        .await?
    };
    let sectors = sector_choices(ctx.lang)?;
    render(
        StatusCode::OK,
        &FormPage {
            ctx,
            id: Some(id),
            form: OrganizationForm {
                name: org.name,
                acronym: org.acronym,
                sector: org.sector,
                contact_name: org.contact_name.unwrap_or_default(),
                contact_email: org.contact_email.unwrap_or_default(),
            },
            sectors,
            errors: FormErrors::default(),
        },
    )
}

pub async fn create(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<AppState>,
    session: Session,
    form: web::Form<OrganizationForm>,
) -> Result<HttpResponse, AppError> {
    save(ctx, state, session, None, form.into_inner()).await
}

pub async fn update(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<OrganizationForm>,
) -> Result<HttpResponse, AppError> {
    save(
        ctx,
        state,
        session,
        Some(path.into_inner()),
        form.into_inner(),
    )
    .await
}

async fn save(
    ctx: Ctx,
    state: web::Data<AppState>,
    session: Session,
    id: Option<String>,
    form: OrganizationForm,
) -> Result<HttpResponse, AppError> {
    let sectors = sector_options()?;
    let mut errors = FormErrors::default();
    let draft = match parse_organization(&form.input(), &sectors) {
        Ok(draft) => Some(draft),
        Err(problems) => {
            for (field, error) in problems {
                errors.add(field.as_str(), field_message(ctx.lang, error));
            }
            None
        }
    };
    if let Some(draft) = draft {
        let now = state.clock.now();
        let target = id.clone();
        let result = db(&state, move |conn| {
            Ok(match &target {
                None => organizations::create(conn, &draft, now).map(|_| ()),
                Some(id) => organizations::update(conn, id, &draft, now),
            })
        })
        .await?;
        match result {
            Ok(()) => {
                super::context::flash(&session, "organizations.saved");
                return Ok(see_other("/organizer/organizations"));
            }
            Err(SaveError::Duplicate(fields)) => {
                for field in fields {
                    errors.add(
                        field.as_str(),
                        field_message(ctx.lang, FieldError::Duplicate),
                    );
                }
            }
            Err(SaveError::Other(e)) => return Err(e),
        }
    }
    let sectors = sector_choices(ctx.lang)?;
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &FormPage {
            ctx,
            id,
            form,
            sectors,
            errors,
        },
    )
}

/// A row of the import error table.
pub struct ProblemRow {
    pub line: usize,
    pub column: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "organizations_import.html")]
struct ImportPage {
    ctx: Ctx,
    problems: Vec<ProblemRow>,
    imported: Vec<ImportRow>,
    skipped: Vec<ImportRow>,
    done: bool,
}

pub async fn import_form(ctx: Ctx, _: Organizer) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &ImportPage {
            ctx,
            problems: Vec::new(),
            imported: Vec::new(),
            skipped: Vec::new(),
            done: false,
        },
    )
}

fn column_label(lang: Lang, column: Option<OrganizationField>) -> String {
    match column {
        Some(field) => {
            i18n::tr(lang, &format!("organizations.field.{}", field.as_str())).into_owned()
        }
        None => String::new(),
    }
}

fn problem_message(lang: Lang, problem: &RowProblem) -> String {
    match &problem.error {
        ImportError::Field(error) => field_message(lang, *error),
        ImportError::MissingColumn(name) => {
            i18n::tr_args(lang, problem.error.message_key(), &[("column", name)])
        }
        ImportError::UnknownColumn(name) => {
            i18n::tr_args(lang, problem.error.message_key(), &[("column", name)])
        }
        ImportError::TooManyRows => i18n::tr_args(
            lang,
            problem.error.message_key(),
            &[(
                "n",
                &crate::domain::organization::IMPORT_MAX_ROWS.to_string(),
            )],
        ),
        other => i18n::tr(lang, other.message_key()).into_owned(),
    }
}

/// Receives the uploaded CSV (multipart, field `file`); checks every row; imports all or none.
pub async fn import(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let parts = super::multipart::parts(req.headers(), body).await?;
    let file = parts
        .into_iter()
        .find(|p| p.name == "file")
        .map(|p| p.data)
        .unwrap_or_default();
    let sectors = sector_options()?;
    let lang = ctx.lang;
    let rows = match parse_import(&file, &sectors) {
        Ok(rows) => rows,
        Err(problems) => {
            let problems = problems
                .iter()
                .map(|p| ProblemRow {
                    line: p.line,
                    column: column_label(lang, p.column),
                    message: problem_message(lang, p),
                })
                .collect();
            return render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ImportPage {
                    ctx,
                    problems,
                    imported: Vec::new(),
                    skipped: Vec::new(),
                    done: false,
                },
            );
        }
    };
    let now = state.clock.now();
    let outcome = db(&state, move |conn| organizations::import(conn, rows, now)).await?;
    render(
        StatusCode::OK,
        &ImportPage {
            ctx,
            problems: Vec::new(),
            imported: outcome.imported,
            skipped: outcome.skipped,
            done: true,
        },
    )
}
