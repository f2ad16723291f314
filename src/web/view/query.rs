//! The selection of responses the analysis pages and exports read, and its data loaded.

use actix_web::web;
use serde::Deserialize;

use crate::error::AppError;
use crate::service::analysis::{self as service, AssessmentData, Scope, Selection};
use crate::web::App;

/// Query parameters shared by the analysis pages.
#[derive(Debug, Default, Deserialize)]
pub struct ViewQuery {
    #[serde(default)]
    pub sector: String,
    /// "1" to include responses not submitted yet.
    #[serde(default)]
    pub drafts: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub dir: String,
    /// 1-based page of long tables.
    #[serde(default)]
    pub page: Option<usize>,
}

impl ViewQuery {
    pub fn selection(&self) -> Selection {
        Selection {
            sector: Some(self.sector.clone()).filter(|s| !s.is_empty()),
            include_drafts: self.drafts == "1",
        }
    }

    /// The selection as query parameters for links.
    pub fn selection_query(&self) -> String {
        let mut pairs = Vec::new();
        if !self.sector.is_empty() {
            pairs.push(("sector", self.sector.as_str()));
        }
        if self.drafts == "1" {
            pairs.push(("drafts", "1"));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

pub async fn load_data(
    state: &web::Data<App>,
    assessment_id: String,
    scope: Scope,
) -> Result<AssessmentData, AppError> {
    let app = state.clone();
    state
        .run(move |conn| service::load(conn, &app.instruments, &assessment_id, scope))
        .await
}
