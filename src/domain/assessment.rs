//! An assessment as typed by an organizer: bilingual title and the answering period.

use chrono::NaiveDate;

use super::account::{FieldError, parse_line};

pub const TITLE_MAX: usize = 200;

#[derive(Debug, Clone, Default)]
pub struct AssessmentInput {
    pub title_es: String,
    pub title_en: String,
    pub opens_on: String,
    pub closes_on: String,
    pub show_national_averages: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentDraft {
    pub title_es: String,
    pub title_en: String,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub show_national_averages: bool,
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
    match (title_es, title_en, opens_on, closes_on) {
        (Some(title_es), Some(title_en), Some(opens_on), Some(closes_on))
            if problems.is_empty() =>
        {
            Ok(AssessmentDraft {
                title_es,
                title_en,
                opens_on,
                closes_on,
                show_national_averages: input.show_national_averages,
            })
        }
        _ => Err(problems),
    }
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
}
