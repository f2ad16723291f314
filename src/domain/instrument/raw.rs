//! The instrument file as written, before it is checked. Required fields default to empty so that
//! a missing one becomes a problem reported alongside all the others instead of a
//! deserialisation error that hides them.

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInstrument {
    #[serde(default)]
    pub(super) key: String,
    #[serde(default)]
    pub(super) version: String,
    pub(super) title: Option<RawText>,
    pub(super) intro: Option<RawText>,
    #[serde(default)]
    pub(super) sections: Vec<RawSection>,
    #[serde(default)]
    pub(super) code_lists: Vec<RawCodeList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawText {
    #[serde(default)]
    pub(super) es: String,
    #[serde(default)]
    pub(super) en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCodeList {
    #[serde(default)]
    pub(super) key: String,
    pub(super) label: Option<RawText>,
    #[serde(default)]
    pub(super) options: Vec<RawOption>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOption {
    #[serde(default)]
    pub(super) key: String,
    pub(super) label: Option<RawText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSection {
    #[serde(default)]
    pub(super) key: String,
    pub(super) title: Option<RawText>,
    pub(super) intro: Option<RawText>,
    #[serde(default)]
    pub(super) dimension: bool,
    pub(super) items: Option<Vec<RawItem>>,
    pub(super) grid: Option<RawGrid>,
    pub(super) mechanisms: Option<RawMechanisms>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGrid {
    #[serde(default)]
    pub(super) list: String,
    #[serde(default)]
    pub(super) columns: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMechanisms {
    #[serde(default)]
    pub(super) fields: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawItem {
    #[serde(default)]
    pub(super) key: String,
    #[serde(default)]
    pub(super) kind: String,
    pub(super) label: Option<RawText>,
    pub(super) help: Option<RawText>,
    #[serde(default)]
    pub(super) required: bool,
    pub(super) relevant_when: Option<RawRelevance>,
    pub(super) levels: Option<Vec<RawText>>,
    pub(super) list: Option<String>,
    pub(super) options: Option<Vec<RawOption>>,
    pub(super) min: Option<f64>,
    pub(super) max: Option<f64>,
    pub(super) integer: Option<bool>,
    pub(super) max_length: Option<usize>,
    pub(super) multiline: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRelevance {
    #[serde(default)]
    pub(super) item: String,
    #[serde(default)]
    pub(super) equals: Vec<String>,
}
