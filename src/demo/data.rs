//! The demo forum's data: `forum.toml`, compiled into the binary, read into these structs once.

use std::sync::LazyLock;

use serde::Deserialize;

use crate::error::AppError;

/// Everything the demo loads, as `forum.toml` holds it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Forum {
    /// The capacity dimensions, in the order of [`Org::levels`].
    pub(super) dimensions: Vec<String>,
    pub(super) organizations: Vec<Org>,
    /// Answers that are "not applicable" or "don't know" instead of a level.
    pub(super) not_levels: Vec<NotLevel>,
    /// Evidence texts that go with maturity answers.
    pub(super) evidence: Vec<Evidence>,
    pub(super) mechanisms: Vec<Exchange>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum Stage {
    /// Submitted on this day of July 2023.
    Submitted { day: u32 },
    /// Still a draft: part D, the first `dimensions` dimensions and, with `grid`, the domain grid.
    Draft {
        day: u32,
        dimensions: usize,
        grid: bool,
    },
}

/// A data domain the institution produces (a row of the grid).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Produced {
    pub(super) domain: String,
    pub(super) collects: String,
    pub(super) sources: Vec<String>,
    pub(super) disaggregations: Vec<String>,
    pub(super) frequency: String,
    pub(super) published: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Org {
    pub(super) acronym: String,
    pub(super) name: String,
    pub(super) sector: String,
    pub(super) sector_other: Option<String>,
    /// The focal point, who is also the representative.
    pub(super) contact: String,
    pub(super) position: String,
    pub(super) contact_email: String,
    /// The representative's login.
    pub(super) login: String,
    pub(super) units: String,
    pub(super) staff: u32,
    pub(super) priorities: String,
    /// Level by dimension, in the order of [`Forum::dimensions`].
    pub(super) levels: [u8; 8],
    pub(super) produces: Vec<Produced>,
    pub(super) needs: Vec<String>,
    pub(super) stage: Stage,
}

/// An answer that is "not applicable" (`dont_know` false) or "don't know" (true).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NotLevel {
    pub(super) acronym: String,
    pub(super) item: String,
    pub(super) dont_know: bool,
}

/// The evidence text of one organization's answer to one maturity item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Evidence {
    pub(super) acronym: String,
    pub(super) item: String,
    pub(super) text: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum Partner {
    /// A forum organization, by acronym.
    Forum(String),
    /// An outside body, by name.
    Outside(String),
}

/// One mechanism entry as a reporter records it. Personal data: yes exactly when `protection`
/// lists measures.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Exchange {
    pub(super) reporter: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) partner: Partner,
    pub(super) direction: String,
    pub(super) domains: Vec<String>,
    pub(super) level: String,
    pub(super) legal_basis: String,
    pub(super) legal_reference: Option<String>,
    pub(super) channel: String,
    pub(super) format: String,
    pub(super) frequency: String,
    pub(super) delay_days: i64,
    pub(super) disaggregations: Vec<String>,
    pub(super) protection: Vec<String>,
    pub(super) status: String,
    pub(super) problems: Option<String>,
    /// Day of July 2023 the entry was recorded.
    pub(super) day: u32,
}

static FORUM: LazyLock<Result<Forum, String>> =
    LazyLock::new(|| toml::from_str(include_str!("forum.toml")).map_err(|e| e.to_string()));

/// The demo forum's data, read on first use.
pub(super) fn forum() -> Result<&'static Forum, AppError> {
    FORUM
        .as_ref()
        .map_err(|e| AppError::internal(format!("the demo forum data does not load: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forum_data_loads() {
        let forum = forum().map_err(|e| e.to_string());
        let forum = forum.as_ref().map_err(String::as_str);
        assert!(forum.is_ok(), "{forum:?}");
        if let Ok(forum) = forum {
            assert_eq!(forum.organizations.len(), 16);
            assert_eq!(forum.mechanisms.len(), 32);
            assert_eq!(forum.dimensions.len(), 8);
        }
    }
}
