//! The gap list: unmet data needs, missing core disaggregations and weak dimensions.

use super::{Cell, DomainSummary};
use crate::domain::instrument::Instrument;

/// The gap list of an assessment.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Gaps {
    /// Domains some organization needs but no organization produces.
    pub needed_not_produced: Vec<String>,
    /// Domains where producers said which disaggregations they offer, and none of those offers
    /// sex, or none offers age: (domain, missing keys among "sex", "age"). Producers that left the
    /// question unanswered say nothing either way, so a domain none of whose producers answered
    /// it is not listed.
    pub produced_without_sex_or_age: Vec<(String, Vec<String>)>,
    /// Dimensions where more than half of the organizations with a mean score <= 1.0: (dimension key, organizations at <= 1, organizations with a mean).
    pub weak_dimensions: Vec<(String, usize, usize)>,
}

/// Disaggregations the Global Compact (Objective 1) asks of every domain, checked in this order.
const CORE_DISAGGREGATIONS: [&str; 2] = ["sex", "age"];

/// At or below this mean a dimension is ad hoc at best (level 1).
const WEAK_MEAN: f64 = 1.0;

/// `rows` are the matrix rows (per organization, cells in instrument.dimensions() order).
pub fn gaps(instrument: &Instrument, summaries: &[DomainSummary], rows: &[Vec<Cell>]) -> Gaps {
    let needed_not_produced = summaries
        .iter()
        .filter(|summary| summary.needers > 0 && summary.producers == 0)
        .map(|summary| summary.domain.clone())
        .collect();

    let produced_without_sex_or_age = summaries
        .iter()
        .filter(|summary| summary.disaggregations_answered > 0)
        .filter_map(|summary| {
            let missing: Vec<String> = CORE_DISAGGREGATIONS
                .iter()
                .filter(|key| summary.disaggregations.get(**key).copied().unwrap_or(0) == 0)
                .map(|key| key.to_string())
                .collect();
            (!missing.is_empty()).then(|| (summary.domain.clone(), missing))
        })
        .collect();

    let weak_dimensions = instrument
        .dimensions()
        .enumerate()
        .filter_map(|(index, dimension)| {
            let mut weak = 0;
            let mut with_mean = 0;
            // A row shorter than the dimension list has no mean for the missing dimensions.
            for mean in rows.iter().filter_map(|cells| cells.get(index)?.mean) {
                with_mean += 1;
                if mean <= WEAK_MEAN {
                    weak += 1;
                }
            }
            (weak * 2 > with_mean).then(|| (dimension.key.clone(), weak, with_mean))
        })
        .collect();

    Gaps {
        needed_not_produced,
        produced_without_sex_or_age,
        weak_dimensions,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::analysis::test_support::*;
    use crate::domain::analysis::*;

    fn mean(value: Option<f64>) -> Cell {
        Cell {
            mean: value,
            scored: usize::from(value.is_some()),
            excluded: 0,
            items: 4,
        }
    }

    #[test]
    fn gaps_list_unmet_needs_missing_disaggregations_and_weak_dimensions() {
        let instrument = forum();
        let summaries = domain_summaries(&instrument, &grid_responses());
        let width = instrument.dimensions().count();
        // Legal: 2 of 3 organizations at or below 1 (1.0 counts). Collection: 1 of 2 with a mean.
        let rows: Vec<Vec<Cell>> = [
            (Some(1.0), Some(1.0)),
            (Some(0.5), None),
            (Some(3.0), Some(2.0)),
        ]
        .into_iter()
        .map(|(legal, collection)| {
            let mut cells = vec![mean(None); width];
            cells[0] = mean(legal);
            cells[1] = mean(collection);
            cells
        })
        .collect();
        let found = gaps(&instrument, &summaries, &rows);
        assert_eq!(found.needed_not_produced, strings(&["returns"]));
        // Work permits: its producer answered "sex" only. Health is produced too, but its
        // producer did not answer the disaggregation question: not a gap. Asylum: sex and age.
        assert_eq!(
            found.produced_without_sex_or_age,
            vec![("work_permits".to_string(), strings(&["age"]))]
        );
        assert_eq!(found.weak_dimensions, vec![("legal".to_string(), 2, 3)]);

        // Just above 1 is not weak, and short rows count as no mean.
        let above = vec![vec![mean(Some(1.25))], vec![mean(Some(1.01))], vec![]];
        assert!(gaps(&instrument, &[], &above).weak_dimensions.is_empty());
        assert_eq!(gaps(&instrument, &[], &[]), Gaps::default());
    }

    #[test]
    fn unanswered_disaggregations_are_not_missing_ones_in_stored_scores_either() {
        let instrument = forum();
        // One producer of asylum answered (nationality only), another did not; border flows has
        // two producers, neither of which answered.
        let responses = vec![
            answers(&[
                ("domains.asylum.collects", choice("yes")),
                ("domains.asylum.disaggregations", choices(&["nationality"])),
                ("domains.border_flows.collects", choice("yes")),
            ]),
            answers(&[
                ("domains.asylum.collects", choice("partly")),
                ("domains.asylum.frequency", choice("monthly")),
                ("domains.border_flows.collects", choice("partly")),
            ]),
        ];
        let stored: Vec<StoredScores> = responses
            .iter()
            .map(|a| StoredScores::of(&ResponseScores::from_answers(&instrument, a)))
            .collect();
        let summaries = domain_summaries_of_stored(&instrument, &stored);
        assert_eq!(summaries, domain_summaries(&instrument, &responses));
        let asylum = summaries.iter().find(|s| s.domain == "asylum").unwrap();
        assert_eq!((asylum.producers, asylum.disaggregations_answered), (2, 1));
        let found = gaps(&instrument, &summaries, &[]);
        assert_eq!(
            found.produced_without_sex_or_age,
            vec![("asylum".to_string(), strings(&["sex", "age"]))]
        );
    }

    #[test]
    fn matrix_rows_feed_the_gaps() {
        let instrument = forum();
        let low = answers(&[("people.staff", Level(1)), ("people.training", Level(0))]);
        let high = answers(&[("people.staff", Level(3))]);
        let rows: Vec<Vec<Cell>> = [&low, &low, &high]
            .into_iter()
            .map(|answers| row(&instrument, answers).0)
            .collect();
        let found = gaps(&instrument, &[], &rows);
        assert_eq!(found.weak_dimensions, vec![("people".to_string(), 2, 3)]);
    }
}
