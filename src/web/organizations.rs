//! Organizer pages for organizations: list, create, edit, and CSV import.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client::ClientAddress;
use super::context::{Ctx, Organizer};
use super::forms::{FormErrors, field_message};
use super::{App, render, see_other};
use crate::domain::Lang;
use crate::domain::account::FieldError;
use crate::domain::instrument;
use crate::domain::organization::{
    ImportError, ImportRow, OrganizationField, OrganizationInput, RowProblem, SectorOption,
    parse_import, parse_organization,
};
use crate::error::AppError;
use crate::i18n;
use crate::service::audit::Actor;
use crate::service::organizations::{self, SaveError};
use crate::service::records::Organization;

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

pub async fn list(ctx: Ctx, _: Organizer, state: web::Data<App>) -> Result<HttpResponse, AppError> {
    let sectors = sector_options()?;
    let orgs = state.run(organizations::list).await?;
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
    state: web::Data<App>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let org = {
        let id = id.clone();
        state
            .run(move |conn| organizations::find(conn, &id))
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
    Organizer(user): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    form: web::Form<OrganizationForm>,
) -> Result<HttpResponse, AppError> {
    let actor = client.actor(&user);
    save(ctx, state, session, actor, None, form.into_inner()).await
}

pub async fn update(
    ctx: Ctx,
    Organizer(user): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    path: web::Path<String>,
    form: web::Form<OrganizationForm>,
) -> Result<HttpResponse, AppError> {
    save(
        ctx,
        state,
        session,
        client.actor(&user),
        Some(path.into_inner()),
        form.into_inner(),
    )
    .await
}

async fn save(
    ctx: Ctx,
    state: web::Data<App>,
    session: Session,
    actor: Actor,
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
        let result = state
            .run(move |conn| organizations::save_by(conn, &actor, target.as_deref(), &draft, now))
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

/// Where the import page stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStep {
    /// Choose a file (again, after problems).
    Upload,
    /// The rows to be created and skipped, and the button that imports them.
    Review,
    /// Imported.
    Done,
}

#[derive(Template)]
#[template(path = "organizations_import.html")]
struct ImportPage {
    ctx: Ctx,
    step: ImportStep,
    problems: Vec<ProblemRow>,
    imported: Vec<ImportRow>,
    /// Each with the label of the field it shares with a registered organization.
    skipped: Vec<(ImportRow, String)>,
    /// The reviewed file, carried to the confirmation in a hidden field (nothing is stored
    /// before), its line breaks as `\n`.
    file_text: String,
    /// A message above the upload form (e.g. the review no longer matches).
    message: Option<&'static str>,
}

impl ImportPage {
    /// The review of a clean file (with the file to carry), or what its import did.
    fn outcome(
        ctx: Ctx,
        step: ImportStep,
        outcome: organizations::ImportOutcome,
        file_text: String,
    ) -> ImportPage {
        let skipped = skipped_labels(ctx.lang, outcome.skipped);
        ImportPage {
            ctx,
            step,
            problems: Vec::new(),
            imported: outcome.imported,
            skipped,
            file_text,
            message: None,
        }
    }

    fn upload(ctx: Ctx, problems: Vec<ProblemRow>, message: Option<&'static str>) -> ImportPage {
        ImportPage {
            ctx,
            step: ImportStep::Upload,
            problems,
            imported: Vec::new(),
            skipped: Vec::new(),
            file_text: String::new(),
            message,
        }
    }
}

/// The session key holding the SHA-256 of the file under review: the confirmation imports only
/// the file this organizer reviewed, unchanged.
const SESSION_IMPORT_DIGEST: &str = "import_digest";

pub async fn import_form(ctx: Ctx, _: Organizer) -> Result<HttpResponse, AppError> {
    render(StatusCode::OK, &ImportPage::upload(ctx, Vec::new(), None))
}

/// The file's text with every line break as `\n`: what a browser sends back from a hidden
/// field is compared with what was reviewed.
fn normalized_text(file: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(file).ok()?;
    Some(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// The file part of a multipart body.
async fn posted_file(req: &HttpRequest, body: web::Bytes, name: &str) -> Result<Vec<u8>, AppError> {
    Ok(super::multipart::parts(req.headers(), body)
        .await?
        .into_iter()
        .find(|p| p.name == name)
        .map(|p| p.data)
        .unwrap_or_default())
}

fn skipped_labels(
    lang: Lang,
    skipped: Vec<(ImportRow, OrganizationField)>,
) -> Vec<(ImportRow, String)> {
    skipped
        .into_iter()
        .map(|(row, field)| {
            let key = match field {
                OrganizationField::Name => "organizations.review.same_name",
                _ => "organizations.review.same_acronym",
            };
            (row, i18n::tr(lang, key).into_owned())
        })
        .collect()
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

/// The rows of a file, or the page that lists its problems (422).
fn checked_rows(ctx: &Ctx, file: &[u8]) -> Result<Result<Vec<ImportRow>, HttpResponse>, AppError> {
    let sectors = sector_options()?;
    let lang = ctx.lang;
    match parse_import(file, &sectors) {
        Ok(rows) => Ok(Ok(rows)),
        Err(problems) => {
            let problems = problems
                .iter()
                .map(|p| ProblemRow {
                    line: p.line,
                    column: column_label(lang, p.column),
                    message: problem_message(lang, p),
                })
                .collect();
            Ok(Err(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ImportPage::upload(ctx.clone(), problems, None),
            )?))
        }
    }
}

/// Receives the uploaded CSV (multipart, field `file`) and checks every row; a clean file is
/// shown for review (rows to create, rows skipped and why) and nothing is imported yet.
pub async fn import(
    ctx: Ctx,
    _: Organizer,
    state: web::Data<App>,
    session: Session,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let file = posted_file(&req, body, "file").await?;
    let rows = match checked_rows(&ctx, &file)? {
        Ok(rows) => rows,
        Err(page) => return Ok(page),
    };
    let outcome = state
        .run(move |conn| organizations::review_import(conn, rows))
        .await?;
    // A file that parsed is UTF-8.
    let file_text = normalized_text(&file).unwrap_or_default();
    session
        .insert(
            SESSION_IMPORT_DIGEST,
            crate::domain::token::hash(&file_text),
        )
        .map_err(AppError::internal)?;
    render(
        StatusCode::OK,
        &ImportPage::outcome(ctx, ImportStep::Review, outcome, file_text),
    )
}

/// Imports the reviewed file: only the one this session reviewed, byte for byte; the rows are
/// checked again, and any organization registered since the review is skipped, not doubled.
pub async fn confirm_import(
    ctx: Ctx,
    Organizer(user): Organizer,
    client: ClientAddress,
    state: web::Data<App>,
    session: Session,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let posted = normalized_text(&posted_file(&req, body, "file_text").await?);
    let reviewed = session.get::<String>(SESSION_IMPORT_DIGEST).ok().flatten();
    let file = posted.filter(|text| {
        reviewed.is_some_and(|digest| {
            crate::domain::token::constant_time_eq(&digest, &crate::domain::token::hash(text))
        })
    });
    let Some(file) = file else {
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ImportPage::upload(ctx, Vec::new(), Some("organizations.review.expired")),
        );
    };
    let rows = match checked_rows(&ctx, file.as_bytes())? {
        Ok(rows) => rows,
        Err(page) => return Ok(page),
    };
    let now = state.clock.now();
    let actor = client.actor(&user);
    let outcome = state
        .run(move |conn| organizations::import_by(conn, &actor, rows, now))
        .await?;
    session.remove(SESSION_IMPORT_DIGEST);
    render(
        StatusCode::OK,
        &ImportPage::outcome(ctx, ImportStep::Done, outcome, String::new()),
    )
}
