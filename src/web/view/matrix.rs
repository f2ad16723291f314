//! Matrix cells, rows and column statistics as shown; national averages; the matrix order.

use super::sort_by_acronym;
use crate::domain::analysis::{self, Cell, ColumnStats};
use crate::domain::instrument::Instrument;
use crate::service::analysis::MatrixRow;
use crate::web::charts::{self};

/// A number with one decimal, or a dash.
pub fn fmt1(value: Option<f64>) -> String {
    match value {
        Some(v) => format!("{:.1}", analysis::round1(v)),
        None => "–".to_owned(),
    }
}

/// The view of one matrix cell.
pub struct CellView {
    pub text: String,
    pub class: &'static str,
    /// e.g. "75 %" of the items answered.
    pub share: String,
    pub url: String,
    pub label: String,
}

pub struct RowView {
    pub acronym: String,
    pub name: String,
    pub response_id: String,
    pub submitted: bool,
    pub cells: Vec<CellView>,
    pub overall: CellView,
}

pub struct ColumnView {
    pub key: String,
    pub title: String,
    pub sort_url: String,
    pub aria_sort: &'static str,
    pub url: Option<String>,
}

pub struct StatsView {
    pub label_key: &'static str,
    pub values: Vec<String>,
}

pub fn cell_view(cell: &Cell, url: String, label: String) -> CellView {
    CellView {
        text: fmt1(cell.mean),
        class: charts::heat_class(cell.mean),
        share: format!("{:.0} %", cell.share_answered() * 100.0),
        url,
        label,
    }
}

pub fn stats_views(stats: &[ColumnStats]) -> Vec<StatsView> {
    let pick = |f: fn(&ColumnStats) -> Option<f64>| stats.iter().map(|s| fmt1(f(s))).collect();
    vec![
        StatsView {
            label_key: "matrix.stats.mean",
            values: pick(|s| s.mean),
        },
        StatsView {
            label_key: "matrix.stats.median",
            values: pick(|s| s.median),
        },
        StatsView {
            label_key: "matrix.stats.min",
            values: pick(|s| s.min),
        },
        StatsView {
            label_key: "matrix.stats.max",
            values: pick(|s| s.max),
        },
        StatsView {
            label_key: "matrix.stats.n",
            values: stats.iter().map(|s| s.n.to_string()).collect(),
        },
    ]
}

/// Sorts matrix rows by a column key: `organization`, `overall` or a dimension key.
pub fn sort_rows(
    rows: &mut [MatrixRow<'_>],
    instrument: &Instrument,
    sort: &str,
    descending: bool,
) {
    let index = instrument.dimensions().position(|d| d.key == sort);
    let mean = |row: &MatrixRow<'_>| match (sort, index) {
        ("overall", _) => row.overall.mean,
        (_, Some(i)) => row.cells.get(i).and_then(|c| c.mean),
        _ => None,
    };
    if sort == "overall" || index.is_some() {
        rows.sort_by(|a, b| {
            let order = cmp_mean(mean(a), mean(b));
            if descending { order.reverse() } else { order }
        });
    } else {
        sort_by_acronym(rows, |r| &r.participant.organization.acronym, descending);
    }
}

/// Means compare numerically; a missing mean sorts before any number.
pub fn cmp_mean(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (a, b) => a.is_some().cmp(&b.is_some()),
    }
}

/// A national average and how many organizations it is the mean of.
pub struct NationalAverage {
    pub mean: String,
    pub n: usize,
}

impl NationalAverage {
    pub fn of(stats: analysis::ColumnStats) -> NationalAverage {
        NationalAverage {
            mean: fmt1(stats.mean),
            n: stats.n,
        }
    }
}
