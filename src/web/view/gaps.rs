//! The gap list with labels (the domains page, the report annex and the exports).

use super::mechanism_label;
use crate::domain::Lang;
use crate::domain::analysis::Gaps;
use crate::service::analysis::AssessmentData;

/// The gap list with labels.
pub struct GapsView {
    pub needed_not_produced: Vec<String>,
    pub without_sex_or_age: Vec<(String, String)>,
    pub weak_dimensions: Vec<(String, usize, usize)>,
}

pub fn gaps_view(data: &AssessmentData, gaps: &Gaps, lang: Lang) -> GapsView {
    let domain_label = |d: &str| mechanism_label(&data.instrument, "domains", d, lang);
    let disaggregation_label = |d: &str| {
        data.instrument
            .option_label("disaggregations", d, lang)
            .unwrap_or(d)
            .to_owned()
    };
    GapsView {
        needed_not_produced: gaps
            .needed_not_produced
            .iter()
            .map(|d| domain_label(d))
            .collect(),
        without_sex_or_age: gaps
            .produced_without_sex_or_age
            .iter()
            .map(|(d, missing)| {
                (
                    domain_label(d),
                    missing
                        .iter()
                        .map(|m| disaggregation_label(m))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
            .collect(),
        weak_dimensions: gaps
            .weak_dimensions
            .iter()
            .map(|(key, low, n)| {
                (
                    data.instrument
                        .section(key)
                        .map(|s| s.title.get(lang).to_owned())
                        .unwrap_or_else(|| key.clone()),
                    *low,
                    *n,
                )
            })
            .collect(),
    }
}
