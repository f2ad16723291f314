//! Filling in a response: the overview with progress, section pages (items and the data-domain
//! grid) with the conflict check, mechanism entries, review and submission; and reopening.
//! Each page's handlers live in their own file; this module holds what they share.

mod fields;
mod mechanisms;
mod overview;
mod review;
mod sections;

use actix_web::web;

use super::App;
use super::context::{CurrentUser, Login};
use crate::domain::instrument::{Section, SectionBody};
use crate::error::AppError;
use crate::service::records::Account;
use crate::service::responses::{self as service, ResponseContext};

pub use mechanisms::{
    MechanismPath, MechanismRow, confirm_delete_mechanism, create_mechanism, delete_mechanism,
    edit_mechanism, mechanisms, new_mechanism, update_mechanism,
};
pub use overview::{SectionLink, overview};
pub use review::{
    MissingLink, REOPEN_REASON_MAX, ReopenForm, ReviewItem, ReviewMechanism, ReviewSection, reopen,
    review, submit,
};
pub use sections::{
    ConflictView, OpenedLink, SaveState, SectionPath, save_section, saved_time, section,
};

pub use fields::{DomainView, ItemView, OptionView, mechanism_summary};

/// Runs one of the service's page reads of a response the user may read (403/404 otherwise).
async fn read<T: Send + 'static>(
    state: &web::Data<App>,
    user: &CurrentUser,
    id: String,
    read: service::Read<T>,
) -> Result<T, AppError> {
    let app = state.clone();
    let actor = user.reader();
    state
        .run(move |conn| read(conn, &app.instruments, &id, &actor))
        .await
}

/// The user of a request whose session was checked in the same call as the response was opened
/// (see `service::responses::open_section`): a deleted account or an ended session is logged
/// out and sent to the login page.
fn accepted<T>(
    login: &Login,
    found: Option<(Account, ResponseContext, T)>,
) -> Result<(CurrentUser, ResponseContext, T), AppError> {
    match found {
        Some((account, response, read)) => {
            Ok((login.accept_account(Some(account))?, response, read))
        }
        None => Err(login.reject()),
    }
}

/// The id of a form control for an answer key (dots are awkward in CSS selectors).
pub fn html_id(key: &str) -> String {
    format!("q-{}", key.replace('.', "-"))
}

fn section_url(response_id: &str, section: &Section) -> String {
    match section.body {
        SectionBody::Mechanisms(_) => format!("/responses/{response_id}/mechanisms"),
        _ => format!("/responses/{response_id}/sections/{}", section.key),
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

/// Whether the page's script asked for a JSON answer (autosave, adding and removing mechanism
/// entries without a reload); the form without script gets pages and redirects.
fn wants_json(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}
