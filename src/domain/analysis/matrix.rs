//! The capacity matrix: one organization's cell per dimension and overall, and the column
//! statistics and rounding the matrix pages show.

use super::Answers;
use crate::domain::answers::AnswerValue;
use crate::domain::instrument::{Instrument, MAX_LEVEL, Section};

/// One capacity-matrix cell: one organization, one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Cell {
    /// Mean of the levels (0-4) of the dimension's items that have a level; None when none has.
    pub mean: Option<f64>,
    /// Items with a level 0-4 (what the mean is over).
    pub scored: usize,
    /// Items answered "not applicable" or "don't know" (answered, excluded from the mean).
    pub excluded: usize,
    /// Maturity items in the dimension.
    pub items: usize,
}

impl Cell {
    /// Share of the dimension's items answered at all (scored + excluded) / items, 0.0..=1.0; 0 when items == 0.
    pub fn share_answered(&self) -> f64 {
        if self.items == 0 {
            return 0.0;
        }
        // Clamped so that a malformed cell built by hand never reads as more than complete.
        ((self.scored + self.excluded) as f64 / self.items as f64).min(1.0)
    }

    /// The mean rounded to one decimal (half away from zero), for display and export.
    pub fn mean_rounded(&self) -> Option<f64> {
        self.mean.map(round1)
    }
}

/// Running sums for a cell: the mean is taken once at the end so that the overall cell can sum
/// levels across dimensions instead of averaging their means.
#[derive(Default, Clone, Copy)]
pub(super) struct Tally {
    pub(super) sum: u64,
    pub(super) scored: usize,
    pub(super) excluded: usize,
    pub(super) items: usize,
}

impl Tally {
    pub(super) fn add(&mut self, other: Tally) {
        self.sum += other.sum;
        self.scored += other.scored;
        self.excluded += other.excluded;
        self.items += other.items;
    }

    pub(super) fn cell(self) -> Cell {
        Cell {
            mean: (self.scored > 0).then(|| self.sum as f64 / self.scored as f64),
            scored: self.scored,
            excluded: self.excluded,
            items: self.items,
        }
    }
}

pub(super) fn tally(dimension: &Section, answers: &Answers) -> Tally {
    let mut tally = Tally::default();
    for item in dimension.items().iter().filter(|item| item.is_maturity()) {
        tally.items += 1;
        match answers.get(&item.key) {
            // A level above the scale cannot come from the form; if one slips in (an old row, a
            // hand-made import) it counts as no answer rather than bending the mean.
            Some(AnswerValue::Level(level)) if *level <= MAX_LEVEL => {
                tally.sum += u64::from(*level);
                tally.scored += 1;
            }
            Some(AnswerValue::NotApplicable | AnswerValue::DontKnow) => tally.excluded += 1,
            _ => {}
        }
    }
    tally
}

/// The cell of one dimension section for one organization (only ItemKind::Maturity items count).
pub fn cell(dimension: &Section, answers: &Answers) -> Cell {
    tally(dimension, answers).cell()
}

/// The overall cell: the mean over ALL scored items of all dimensions (not the mean of the dimension means); scored/excluded/items summed.
pub fn overall(instrument: &Instrument, answers: &Answers) -> Cell {
    let mut total = Tally::default();
    for dimension in instrument.dimensions() {
        total.add(tally(dimension, answers));
    }
    total.cell()
}

/// One matrix row: the cell of each dimension in instrument order (instrument.dimensions()), then the overall.
pub fn row(instrument: &Instrument, answers: &Answers) -> (Vec<Cell>, Cell) {
    // One look-up per item: the overall is summed from the same tallies as the cells.
    let mut total = Tally::default();
    let cells = instrument
        .dimensions()
        .map(|dimension| {
            let tally = tally(dimension, answers);
            total.add(tally);
            tally.cell()
        })
        .collect();
    (cells, total.cell())
}

/// Column statistics over the cells that have a mean (n = how many); all None when n == 0.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ColumnStats {
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub n: usize,
}

/// Computed from the unrounded means; median of an even count is the mean of the two middle values.
pub fn column_stats(values: impl IntoIterator<Item = Option<f64>>) -> ColumnStats {
    // NaN has no place in an order; a cell never produces one, so one passed in is ignored.
    let mut sorted: Vec<f64> = values
        .into_iter()
        .flatten()
        .filter(|v| !v.is_nan())
        .collect();
    if sorted.is_empty() {
        return ColumnStats::default();
    }
    sorted.sort_unstable_by(f64::total_cmp);
    let n = sorted.len();
    let middle = n / 2;
    let median = if n % 2 == 1 {
        sorted.get(middle).copied()
    } else {
        match (sorted.get(middle - 1), sorted.get(middle)) {
            (Some(low), Some(high)) => Some((low + high) / 2.0),
            _ => None,
        }
    };
    ColumnStats {
        mean: Some(sorted.iter().sum::<f64>() / n as f64),
        median,
        min: sorted.first().copied(),
        max: sorted.last().copied(),
        n,
    }
}

/// x rounded to one decimal, half away from zero (2.25 -> 2.3, 2.24 -> 2.2).
pub fn round1(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let tenths = x * 10.0;
    let fraction = (tenths - tenths.trunc()).abs();
    // A mean such as 23/20 is stored as 1.1499999...; readers see 1.15 and expect 1.2, so a
    // fraction within float noise of one half is treated as exactly one half.
    let tolerance = 1e-9 * tenths.abs().max(1.0);
    let rounded = if (fraction - 0.5).abs() <= tolerance {
        tenths.trunc() + tenths.signum()
    } else {
        tenths.round()
    } / 10.0;
    // -0.0 would print as "-0" in exports.
    if rounded == 0.0 { 0.0 } else { rounded }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::analysis::test_support::*;
    use crate::domain::analysis::*;

    #[test]
    fn cell_excludes_not_applicable_and_dont_know_from_the_mean() {
        let instrument = forum();
        let legal = instrument.section("legal").unwrap();
        let given = answers(&[
            ("legal.mandate", Level(3)),
            ("legal.confidentiality", Level(1)),
            ("legal.sharing", NotApplicable),
            ("legal.coordination", DontKnow),
            // Answers of other sections do not leak into the cell.
            ("collection.inventory", Level(4)),
        ]);
        let cell = cell(legal, &given);
        assert_eq!(
            cell,
            Cell {
                mean: Some(2.0),
                scored: 2,
                excluded: 2,
                items: 4
            }
        );
        assert_eq!(cell.share_answered(), 1.0);
        assert_eq!(cell.mean_rounded(), Some(2.0));
    }

    #[test]
    fn cell_without_any_level_has_no_mean() {
        let instrument = forum();
        let legal = instrument.section("legal").unwrap();
        let only_excluded = cell(legal, &answers(&[("legal.mandate", NotApplicable)]));
        assert_eq!(only_excluded.mean, None);
        assert_eq!(only_excluded.mean_rounded(), None);
        assert_eq!((only_excluded.scored, only_excluded.excluded), (0, 1));
        assert_eq!(only_excluded.share_answered(), 0.25);

        let empty = cell(legal, &Answers::new());
        assert_eq!(
            empty,
            Cell {
                mean: None,
                scored: 0,
                excluded: 0,
                items: 4
            }
        );
        assert_eq!(empty.share_answered(), 0.0);
    }

    #[test]
    fn cell_counts_only_maturity_levels() {
        let instrument = forum();
        // A section without maturity items has nothing to count.
        let about = instrument.section("about").unwrap();
        let none = cell(
            about,
            &answers(&[("about.staff", AnswerValue::Number(3.0))]),
        );
        assert_eq!(none, Cell::default());
        assert_eq!(none.share_answered(), 0.0);
        // A value of the wrong kind, or a level off the scale, is no answer.
        let legal = instrument.section("legal").unwrap();
        let odd = cell(
            legal,
            &answers(&[
                ("legal.mandate", AnswerValue::Choice("3".into())),
                ("legal.sharing", Level(9)),
                ("legal.coordination", Level(2)),
            ]),
        );
        assert_eq!((odd.mean, odd.scored, odd.excluded), (Some(2.0), 1, 0));
    }

    #[test]
    fn overall_is_the_mean_over_items_not_the_mean_of_dimension_means() {
        let instrument = forum();
        let given = answers(&[
            ("legal.mandate", Level(4)),
            ("legal.confidentiality", Level(4)),
            ("legal.sharing", Level(4)),
            ("legal.coordination", Level(4)),
            ("use.products", Level(0)),
            ("use.decisions", DontKnow),
        ]);
        let total = overall(&instrument, &given);
        // Mean of the two dimension means would be (4 + 0) / 2 = 2.0; over items it is 16 / 5.
        assert!(close(total.mean, 3.2), "{total:?}");
        assert_eq!((total.scored, total.excluded, total.items), (5, 1, 30));
        assert_eq!(total.mean_rounded(), Some(3.2));

        let (cells, row_total) = row(&instrument, &given);
        assert_eq!(row_total, total);
        let keys: Vec<&str> = instrument.dimensions().map(|d| d.key.as_str()).collect();
        assert_eq!(cells.len(), keys.len());
        assert_eq!(keys.first(), Some(&"legal"));
        let use_index = keys.iter().position(|key| *key == "use").unwrap();
        assert_eq!(cells[0].mean, Some(4.0));
        assert_eq!(cells[use_index].mean, Some(0.0));
        assert_eq!(cells[use_index].excluded, 1);
        assert_eq!(cells.iter().map(|c| c.items).sum::<usize>(), 30);
        assert!(
            cells
                .iter()
                .enumerate()
                .all(|(i, c)| i == 0 || i == use_index || c.mean.is_none())
        );
    }

    #[test]
    fn round1_rounds_half_away_from_zero() {
        assert_eq!(round1(2.25), 2.3);
        assert_eq!(round1(2.24), 2.2);
        assert_eq!(round1(2.35), 2.4);
        // 23/20 and 0.95 are stored just below the half; readers still expect them to round up.
        assert_eq!(round1(23.0 / 20.0), 1.2);
        assert_eq!(round1(0.95), 1.0);
        assert_eq!(round1(0.05), 0.1);
        assert_eq!(round1(1.0 / 3.0), 0.3);
        assert_eq!(round1(2.0 / 3.0), 0.7);
        assert_eq!(round1(4.0), 4.0);
        assert_eq!(round1(0.0), 0.0);
        assert_eq!(round1(-2.25), -2.3);
        assert_eq!(round1(-2.24), -2.2);
        let tiny = round1(-0.04);
        assert_eq!(tiny, 0.0);
        assert!(tiny.is_sign_positive());
        assert!(round1(f64::NAN).is_nan());
        assert_eq!(round1(f64::INFINITY), f64::INFINITY);
    }

    #[test]
    fn column_stats_odd_even_and_empty() {
        let odd = column_stats([Some(3.0), None, Some(1.0), Some(2.5)]);
        assert_eq!(odd.n, 3);
        assert!(close(odd.mean, 6.5 / 3.0));
        assert_eq!(odd.median, Some(2.5));
        assert_eq!((odd.min, odd.max), (Some(1.0), Some(3.0)));

        let even = column_stats([Some(4.0), Some(1.0), Some(3.0), Some(2.0)]);
        assert_eq!(even.n, 4);
        assert_eq!(even.mean, Some(2.5));
        assert_eq!(even.median, Some(2.5));
        assert_eq!((even.min, even.max), (Some(1.0), Some(4.0)));

        // Unrounded: 1.25 and 1.5 would round to 1.3 and 1.5 first otherwise.
        let unrounded = column_stats([Some(1.25), Some(1.5)]);
        assert_eq!(unrounded.median, Some(1.375));

        let one = column_stats([Some(2.0)]);
        assert_eq!((one.mean, one.median, one.n), (Some(2.0), Some(2.0), 1));

        assert_eq!(column_stats([None, None]), ColumnStats::default());
        assert_eq!(column_stats(Vec::new()), ColumnStats::default());
        let cells = [Cell::default(), Cell::default()];
        assert_eq!(column_stats(cells.iter().map(|c| c.mean)).n, 0);
    }

    // ---- scores of one response (read model) -----------------------------------------------
}
