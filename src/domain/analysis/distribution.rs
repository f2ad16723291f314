//! How organizations answered each maturity item: distributions counted from stored answer marks.

/// How organizations answered one maturity item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Distribution {
    pub levels: [usize; 5],
    pub not_applicable: usize,
    pub dont_know: usize,
    pub unanswered: usize,
}

impl Distribution {
    pub fn total(&self) -> usize {
        self.levels.iter().sum::<usize>() + self.not_applicable + self.dont_know + self.unanswered
    }

    /// Counts one stored [`answer_mark`] (`None`: the item has no mark, i.e. no answer).
    fn count_mark(&mut self, mark: Option<u8>) {
        match mark {
            Some(b'n') => self.not_applicable += 1,
            Some(b'd') => self.dont_know += 1,
            Some(level @ b'0'..=b'4') => {
                if let Some(count) = self.levels.get_mut(usize::from(level - b'0')) {
                    *count += 1;
                }
            }
            _ => self.unanswered += 1,
        }
    }
}

/// The distributions of a dimension's `items` maturity items from the stored answer marks of
/// each response (see [`StoredScores::marks_of`]): the same counts as
/// counting the answers item by item.
pub fn distributions_of_marks<'a>(
    items: usize,
    marks: impl IntoIterator<Item = &'a str>,
) -> Vec<Distribution> {
    let mut found = vec![Distribution::default(); items];
    for marks in marks {
        let marks = marks.as_bytes();
        for (i, distribution) in found.iter_mut().enumerate() {
            distribution.count_mark(marks.get(i).copied());
        }
    }
    found
}

/// Whether a stored [`answer_mark`] is a low level (0 or 1).
pub fn is_low_mark(mark: Option<u8>) -> bool {
    matches!(mark, Some(b'0' | b'1'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::domain::analysis::test_support::*;
    use crate::domain::answers::AnswerValue;

    #[test]
    fn distribution_counts_every_response_once() {
        let key = "legal.mandate";
        let responses = [
            answers(&[(key, Level(0))]),
            answers(&[(key, Level(4))]),
            answers(&[(key, Level(4))]),
            answers(&[(key, NotApplicable)]),
            answers(&[(key, DontKnow)]),
            answers(&[("legal.sharing", Level(2))]),
            answers(&[(key, AnswerValue::Text("4".into()))]),
        ];
        let found = distribution(key, &responses);
        assert_eq!(
            found,
            Distribution {
                levels: [1, 0, 0, 0, 2],
                not_applicable: 1,
                dont_know: 1,
                unanswered: 2,
            }
        );
        assert_eq!(found.total(), responses.len());
        assert_eq!(distribution(key, []), Distribution::default());

        let both = distributions(&[key, "legal.sharing", "legal.nowhere"], &responses);
        assert_eq!(both.len(), 3);
        assert_eq!(both[0], found);
        assert_eq!(both[1].levels, [0, 0, 1, 0, 0]);
        assert_eq!(both[1].unanswered, 6);
        assert_eq!(both[2].unanswered, responses.len());
        assert!(distributions::<&str>(&[], &responses).is_empty());
    }
}
