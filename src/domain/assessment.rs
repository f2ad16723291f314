//! An assessment as typed by an organizer: bilingual title, the answering period, the time zone
//! its times are shown in, and when national averages may be shown.

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::account::{FieldError, parse_line};

pub const TITLE_MAX: usize = 200;

/// National averages are shown to a representative only when at least this many *other*
/// organizations have submitted (with fewer, an average gives away a peer's score).
pub const AVERAGES_MIN_PEERS_DEFAULT: i64 = 4;
/// An organizer may raise the threshold, never lower it below this.
pub const AVERAGES_MIN_PEERS_FLOOR: i64 = 3;
/// A bound that keeps the number sane; a forum has far fewer organizations.
const AVERAGES_MIN_PEERS_MAX: i64 = 10_000;

#[derive(Debug, Clone, Default)]
pub struct AssessmentInput {
    pub title_es: String,
    pub title_en: String,
    pub opens_on: String,
    pub closes_on: String,
    pub show_national_averages: bool,
    /// An IANA zone name, as chosen in the form.
    pub time_zone: String,
    /// The averages threshold as typed.
    pub averages_min_peers: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentDraft {
    pub title_es: String,
    pub title_en: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub show_national_averages: bool,
    pub time_zone: Tz,
    pub averages_min_peers: i64,
}

/// Checks every field; on failure, (field name, problem) for each.
pub fn parse_assessment(
    input: &AssessmentInput,
) -> Result<AssessmentDraft, Vec<(&'static str, FieldError)>> {
    let mut problems = Vec::new();
    let title_es = parse_line(&input.title_es, TITLE_MAX)
        .map_err(|e| problems.push(("title_es", e)))
        .ok();
    let title_en = parse_line(&input.title_en, TITLE_MAX)
        .map_err(|e| problems.push(("title_en", e)))
        .ok();
    let opens_on = parse_date(&input.opens_on)
        .map_err(|e| problems.push(("opens_on", e)))
        .ok();
    let closes_on = parse_date(&input.closes_on)
        .map_err(|e| problems.push(("closes_on", e)))
        .ok();
    if let (Some(opens), Some(closes)) = (opens_on, closes_on)
        && closes < opens
    {
        problems.push(("closes_on", FieldError::ClosesBeforeOpens));
    }
    let time_zone = super::time::parse_zone(&input.time_zone)
        .ok_or(FieldError::UnknownOption)
        .map_err(|e| problems.push(("time_zone", e)))
        .ok();
    let averages_min_peers = parse_averages_min_peers(&input.averages_min_peers)
        .map_err(|e| problems.push(("averages_min_peers", e)))
        .ok();
    match (
        title_es,
        title_en,
        opens_on,
        closes_on,
        time_zone,
        averages_min_peers,
    ) {
        (
            Some(title_es),
            Some(title_en),
            Some(opens_on),
            Some(closes_on),
            Some(time_zone),
            Some(averages_min_peers),
        ) if problems.is_empty() => Ok(AssessmentDraft {
            title_es,
            title_en,
            opens_on,
            closes_on,
            show_national_averages: input.show_national_averages,
            time_zone,
            averages_min_peers,
        }),
        _ => Err(problems),
    }
}

/// Why a representative does not see national averages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AveragesHidden {
    /// The organizers have not offered them for this assessment.
    NotOffered,
    /// Too few other organizations have submitted: an average would give their scores away.
    TooFewOthers { others: usize, needed: usize },
}

/// Whether a representative may see national averages: only when they are offered and at least
/// `min_peers` organizations other than their own have submitted. `None` when they may.
pub fn averages_hidden(
    offered: bool,
    min_peers: i64,
    others_submitted: usize,
) -> Option<AveragesHidden> {
    // A stored threshold below the floor (edited by hand) still never goes below it.
    let needed = usize::try_from(min_peers.max(AVERAGES_MIN_PEERS_FLOOR)).unwrap_or(usize::MAX);
    if !offered {
        Some(AveragesHidden::NotOffered)
    } else if others_submitted < needed {
        Some(AveragesHidden::TooFewOthers {
            others: others_submitted,
            needed,
        })
    } else {
        None
    }
}

/// The averages threshold: a whole number, at least [`AVERAGES_MIN_PEERS_FLOOR`].
pub fn parse_averages_min_peers(raw: &str) -> Result<i64, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError::Required);
    }
    let n: i64 = raw.parse().map_err(|_| FieldError::NotAWholeNumber)?;
    if n < AVERAGES_MIN_PEERS_FLOOR {
        return Err(FieldError::TooSmall {
            min: AVERAGES_MIN_PEERS_FLOOR as usize,
        });
    }
    Ok(n.min(AVERAGES_MIN_PEERS_MAX))
}

/// A date as `YYYY-MM-DD` (what a date input sends).
pub fn parse_date(raw: &str) -> Result<NaiveDate, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError::Required);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2200).contains(&chrono::Datelike::year(d)))
        .ok_or(FieldError::InvalidDate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(es: &str, en: &str, opens: &str, closes: &str) -> AssessmentInput {
        AssessmentInput {
            title_es: es.into(),
            title_en: en.into(),
            opens_on: opens.into(),
            closes_on: closes.into(),
            show_national_averages: false,
            time_zone: "America/Panama".into(),
            averages_min_peers: "4".into(),
        }
    }

    #[test]
    fn a_valid_assessment() {
        let draft = parse_assessment(&input(
            "Foro 2023",
            "Forum 2023",
            "2023-07-01",
            "2023-07-31",
        ))
        .unwrap();
        assert_eq!(draft.opens_on, NaiveDate::from_ymd_opt(2023, 7, 1).unwrap());
        // Opening and closing the same day is allowed.
        assert!(parse_assessment(&input("a", "b", "2023-07-01", "2023-07-01")).is_ok());
    }

    #[test]
    fn every_problem_is_named() {
        let problems = parse_assessment(&input("", "x", "2023-13-01", "")).unwrap_err();
        assert_eq!(
            problems,
            vec![
                ("title_es", FieldError::Required),
                ("opens_on", FieldError::InvalidDate),
                ("closes_on", FieldError::Required),
            ]
        );
        let problems = parse_assessment(&input("a", "b", "2023-07-31", "2023-07-01")).unwrap_err();
        assert_eq!(problems, vec![("closes_on", FieldError::ClosesBeforeOpens)]);
        assert_eq!(parse_date("31/07/2023"), Err(FieldError::InvalidDate));
        assert_eq!(parse_date("99999-01-01"), Err(FieldError::InvalidDate));
    }

    #[test]
    fn the_time_zone_is_an_iana_name() {
        let mut typed = input("a", "b", "2023-07-01", "2023-07-31");
        typed.time_zone = "America/New_York".into();
        assert_eq!(
            parse_assessment(&typed).unwrap().time_zone,
            chrono_tz::America::New_York
        );
        typed.time_zone = "Panama".into();
        assert_eq!(
            parse_assessment(&typed).unwrap_err(),
            vec![("time_zone", FieldError::UnknownOption)]
        );
    }

    #[test]
    fn averages_need_enough_other_organizations() {
        assert_eq!(
            averages_hidden(false, 4, 10),
            Some(AveragesHidden::NotOffered)
        );
        assert_eq!(
            averages_hidden(true, 4, 3),
            Some(AveragesHidden::TooFewOthers {
                others: 3,
                needed: 4
            })
        );
        assert_eq!(averages_hidden(true, 4, 4), None);
        // A threshold below the floor is read as the floor.
        assert_eq!(
            averages_hidden(true, 1, 2),
            Some(AveragesHidden::TooFewOthers {
                others: 2,
                needed: 3
            })
        );
    }

    #[test]
    fn the_averages_threshold_is_never_below_three() {
        assert_eq!(parse_averages_min_peers("4"), Ok(4));
        assert_eq!(parse_averages_min_peers(" 3 "), Ok(3));
        assert_eq!(
            parse_averages_min_peers("2"),
            Err(FieldError::TooSmall { min: 3 })
        );
        assert_eq!(
            parse_averages_min_peers("-1"),
            Err(FieldError::TooSmall { min: 3 })
        );
        assert_eq!(
            parse_averages_min_peers("3.5"),
            Err(FieldError::NotAWholeNumber)
        );
        assert_eq!(parse_averages_min_peers(""), Err(FieldError::Required));
        let mut typed = input("a", "b", "2023-07-01", "2023-07-31");
        typed.averages_min_peers = "2".into();
        assert_eq!(
            parse_assessment(&typed).unwrap_err(),
            vec![("averages_min_peers", FieldError::TooSmall { min: 3 })]
        );
    }
}
