//! Organizer pages that read an assessment: the capacity matrix, a cell's answers, a dimension,
//! the mechanism inventory, the exchange network with reconciliation, domains and gaps, the
//! report annex; and a representative's own scores. One file per page; what several of them
//! (or the exports) show is in `web::view`.

pub mod annex;
pub mod dimension;
pub mod domains;
pub mod inventory;
pub mod matrix;
pub mod network;
pub mod scores;

pub use annex::{annex, annex_css};
pub use dimension::dimension;
pub use domains::domains;
pub use inventory::inventory;
pub use matrix::matrix;
pub use network::network;
pub use scores::{cell, scores};

/// One tab of an assessment's views.
pub struct Tab {
    pub url: String,
    pub label_key: &'static str,
    /// The page shown is this view (or a page within it, e.g. a dimension of the matrix).
    pub current: bool,
}

/// The tabs of an assessment's views, the progress page first; `path` is the page shown.
pub fn assessment_tabs(assessment_id: &str, path: &str) -> Vec<Tab> {
    let base = format!("/organizer/assessments/{assessment_id}");
    let rest = path.strip_prefix(base.as_str());
    // (the view's path after the assessment's, its label, the paths within it)
    let views: [(&str, &'static str, &[&str]); 7] = [
        ("", "nav.tabs.progress", &[]),
        ("/matrix", "nav.tabs.matrix", &["/dimensions/"]),
        ("/mechanisms", "nav.tabs.inventory", &[]),
        ("/network", "nav.tabs.network", &[]),
        ("/domains", "nav.tabs.domains", &[]),
        ("/exports", "nav.tabs.exports", &[]),
        ("/annex", "nav.tabs.annex", &[]),
    ];
    views
        .into_iter()
        .map(|(suffix, label_key, within)| Tab {
            url: format!("{base}{suffix}"),
            label_key,
            current: rest
                .is_some_and(|rest| rest == suffix || within.iter().any(|w| rest.starts_with(w))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_tab_is_the_view_shown() {
        let current = |path: &str| -> Vec<&'static str> {
            assessment_tabs("a1", path)
                .into_iter()
                .filter(|t| t.current)
                .map(|t| t.label_key)
                .collect()
        };
        assert_eq!(current("/organizer/assessments/a1"), ["nav.tabs.progress"]);
        assert_eq!(
            current("/organizer/assessments/a1/dimensions/legal"),
            ["nav.tabs.matrix"]
        );
        assert_eq!(
            current("/organizer/assessments/a1/annex"),
            ["nav.tabs.annex"]
        );
        assert!(current("/organizer/assessments/a1/reminders").is_empty());
        assert!(current("/organizer/assessments/a12/matrix").is_empty());
        let tabs = assessment_tabs("a1", "/organizer");
        assert_eq!(tabs[1].url, "/organizer/assessments/a1/matrix");
    }
}
