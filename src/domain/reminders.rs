//! The reminder policy of an assessment and the rule that says which reminder, if any, a pending
//! response is due today. Pure: the scheduler feeds it dates and what was already sent.

use chrono::{Duration, NaiveDate};

use super::account::FieldError;

/// When pending responses are chased. Days are whole UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReminderPolicy {
    /// Automatic reminders on or off ("send now" works either way).
    pub enabled: bool,
    /// First reminder this many days after the organization's first invitation.
    pub first_after_days: i64,
    /// Then one every this many days (also the least gap between any two reminders).
    pub every_days: i64,
    /// At most this many regular reminders (the final one is not counted).
    pub max_reminders: i64,
    /// The final reminder this many days before the closing date; 0 means no final reminder.
    pub final_days_before: i64,
}

impl Default for ReminderPolicy {
    /// A week to start, then weekly, three at most, and a last call three days before closing.
    fn default() -> Self {
        ReminderPolicy {
            enabled: true,
            first_after_days: 7,
            every_days: 7,
            max_reminders: 3,
            final_days_before: 3,
        }
    }
}

/// Bounds of each number, also shown as `min`/`max` on the form.
pub const FIRST_AFTER_DAYS: (i64, i64) = (1, 90);
pub const EVERY_DAYS: (i64, i64) = (1, 60);
pub const MAX_REMINDERS: (i64, i64) = (0, 10);
pub const FINAL_DAYS_BEFORE: (i64, i64) = (0, 30);

/// The policy form as typed.
#[derive(Debug, Clone, Default)]
pub struct PolicyInput {
    pub enabled: bool,
    pub first_after_days: String,
    pub every_days: String,
    pub max_reminders: String,
    pub final_days_before: String,
}

impl From<&ReminderPolicy> for PolicyInput {
    fn from(p: &ReminderPolicy) -> Self {
        PolicyInput {
            enabled: p.enabled,
            first_after_days: p.first_after_days.to_string(),
            every_days: p.every_days.to_string(),
            max_reminders: p.max_reminders.to_string(),
            final_days_before: p.final_days_before.to_string(),
        }
    }
}

fn parse_days(raw: &str, (min, max): (i64, i64)) -> Result<i64, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(FieldError::Required);
    }
    let n: i64 = raw.parse().map_err(|_| FieldError::UnknownOption)?;
    if n < min {
        Err(FieldError::TooShort {
            min: usize::try_from(min).unwrap_or(0),
        })
    } else if n > max {
        Err(FieldError::TooLong {
            max: usize::try_from(max).unwrap_or(0),
        })
    } else {
        Ok(n)
    }
}

/// Checks every field; on failure, (field name, problem) for each.
pub fn parse_policy(
    input: &PolicyInput,
) -> Result<ReminderPolicy, Vec<(&'static str, FieldError)>> {
    let mut problems = Vec::new();
    let mut field = |name: &'static str, raw: &str, bounds| {
        parse_days(raw, bounds)
            .map_err(|e| problems.push((name, e)))
            .unwrap_or_default()
    };
    let policy = ReminderPolicy {
        enabled: input.enabled,
        first_after_days: field(
            "first_after_days",
            &input.first_after_days,
            FIRST_AFTER_DAYS,
        ),
        every_days: field("every_days", &input.every_days, EVERY_DAYS),
        max_reminders: field("max_reminders", &input.max_reminders, MAX_REMINDERS),
        final_days_before: field(
            "final_days_before",
            &input.final_days_before,
            FINAL_DAYS_BEFORE,
        ),
    };
    if problems.is_empty() {
        Ok(policy)
    } else {
        Err(problems)
    }
}

/// What was already scheduled for one response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    /// Regular (numbered) reminders.
    pub regular: i64,
    pub final_sent: bool,
    /// The day of the latest reminder of any kind (regular, final or sent by hand).
    pub last_on: Option<NaiveDate>,
}

/// A reminder due today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Regular reminder number n (1-based).
    Reminder(i64),
    Final,
}

impl Due {
    /// The slot in the reminder ledger: one per response, so it is never doubled.
    pub fn slot(self) -> String {
        match self {
            Due::Reminder(n) => n.to_string(),
            Due::Final => "final".to_owned(),
        }
    }
}

/// One pending response as the scheduler sees it.
#[derive(Debug, Clone, Copy)]
pub struct Pending {
    pub invited_on: NaiveDate,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub submitted: bool,
    pub history: History,
}

/// The reminder due `today`, if any.
///
/// - nothing when reminders are off, the response is submitted, the assessment is not open
///   today, or a reminder of any kind already went out today or on the day of the invitation;
/// - the final reminder once `closes_on - final_days_before` is reached (a scheduler that was
///   down catches up, until the closing day), and nothing after it;
/// - otherwise regular reminder n = sent + 1 (n <= max) when `first_after_days` passed since
///   the invitation (n = 1) or `every_days` since the latest reminder. A missed day is caught up
///   once, never as a burst: each next one counts from the last actually sent.
pub fn due(policy: &ReminderPolicy, p: &Pending, today: NaiveDate) -> Option<Due> {
    if !policy.enabled || p.submitted || today < p.opens_on || today > p.closes_on {
        return None;
    }
    if today <= p.invited_on || p.history.last_on.is_some_and(|d| d >= today) {
        return None;
    }
    if p.history.final_sent {
        return None;
    }
    if policy.final_days_before > 0
        && today >= p.closes_on - Duration::days(policy.final_days_before)
    {
        return Some(Due::Final);
    }
    let n = p.history.regular + 1;
    if n > policy.max_reminders {
        return None;
    }
    let mut due_on = if n == 1 {
        p.invited_on + Duration::days(policy.first_after_days)
    } else {
        p.history
            .last_on
            .map_or(p.invited_on, |d| d + Duration::days(policy.every_days))
    };
    // A reminder sent by hand counts as chasing too: keep the gap after it.
    if let Some(last) = p.history.last_on {
        due_on = due_on.max(last + Duration::days(policy.every_days));
    }
    (today >= due_on).then_some(Due::Reminder(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + Duration::days(n)
    }

    /// Runs the rule day by day from day 0 to `last` like the scheduler does; returns what went
    /// out on which day. `submitted_on` stops it.
    fn simulate(
        policy: &ReminderPolicy,
        closes: i64,
        last: i64,
        submitted_on: Option<i64>,
    ) -> Vec<(i64, Due)> {
        let mut history = History::default();
        let mut sent = Vec::new();
        for d in 0..=last {
            let pending = Pending {
                invited_on: day(0),
                opens_on: day(0),
                closes_on: day(closes),
                submitted: submitted_on.is_some_and(|s| d >= s),
                history,
            };
            // Twice a day: the second pass must find nothing.
            for pass in 0..2 {
                if let Some(due) = due(policy, &pending, day(d)) {
                    assert_eq!(pass, 0, "twice on day {d}");
                    sent.push((d, due));
                    match due {
                        Due::Reminder(_) => history.regular += 1,
                        Due::Final => history.final_sent = true,
                    }
                    history.last_on = Some(day(d));
                    break;
                }
            }
        }
        sent
    }

    #[test]
    fn defaults_give_weekly_reminders_then_a_final_one() {
        let sent = simulate(&ReminderPolicy::default(), 30, 40, None);
        assert_eq!(
            sent,
            vec![
                (7, Due::Reminder(1)),
                (14, Due::Reminder(2)),
                (21, Due::Reminder(3)),
                (27, Due::Final),
            ]
        );
    }

    #[test]
    fn stops_at_the_maximum_and_never_after_closing() {
        let policy = ReminderPolicy {
            first_after_days: 3,
            every_days: 5,
            max_reminders: 2,
            final_days_before: 0,
            ..ReminderPolicy::default()
        };
        let sent = simulate(&policy, 30, 60, None);
        assert_eq!(sent, vec![(3, Due::Reminder(1)), (8, Due::Reminder(2))]);
        // Closing before the first one is due: nothing at all.
        assert!(simulate(&policy, 2, 60, None).is_empty());
    }

    #[test]
    fn a_submitted_response_is_not_chased() {
        let sent = simulate(&ReminderPolicy::default(), 30, 40, Some(10));
        assert_eq!(sent, vec![(7, Due::Reminder(1))]);
    }

    #[test]
    fn the_final_reminder_replaces_a_regular_one_on_the_same_day() {
        let policy = ReminderPolicy {
            first_after_days: 5,
            every_days: 5,
            max_reminders: 10,
            final_days_before: 5,
            ..ReminderPolicy::default()
        };
        let sent = simulate(&policy, 20, 30, None);
        assert_eq!(
            sent,
            vec![
                (5, Due::Reminder(1)),
                (10, Due::Reminder(2)),
                (15, Due::Final)
            ]
        );
    }

    #[test]
    fn a_missed_day_is_caught_up_once_and_a_manual_reminder_keeps_the_gap() {
        let policy = ReminderPolicy::default();
        let mut p = Pending {
            invited_on: day(0),
            opens_on: day(0),
            closes_on: day(60),
            submitted: false,
            history: History::default(),
        };
        // The scheduler was down on day 7: day 9 sends number 1, and the next counts from day 9.
        assert_eq!(due(&policy, &p, day(9)), Some(Due::Reminder(1)));
        p.history = History {
            regular: 1,
            final_sent: false,
            last_on: Some(day(9)),
        };
        assert_eq!(due(&policy, &p, day(14)), None);
        assert_eq!(due(&policy, &p, day(16)), Some(Due::Reminder(2)));
        // A reminder sent by hand on day 5 pushes the first automatic one to day 12.
        p.history = History {
            regular: 0,
            final_sent: false,
            last_on: Some(day(5)),
        };
        assert_eq!(due(&policy, &p, day(7)), None);
        assert_eq!(due(&policy, &p, day(12)), Some(Due::Reminder(1)));
        // Switched off: nothing.
        let off = ReminderPolicy {
            enabled: false,
            ..policy
        };
        assert_eq!(due(&off, &p, day(12)), None);
    }

    #[test]
    fn nothing_on_the_day_of_the_invitation_or_before_opening() {
        let policy = ReminderPolicy {
            final_days_before: 10,
            ..ReminderPolicy::default()
        };
        let late = Pending {
            invited_on: day(25),
            opens_on: day(0),
            closes_on: day(30),
            submitted: false,
            history: History::default(),
        };
        assert_eq!(due(&policy, &late, day(25)), None);
        assert_eq!(due(&policy, &late, day(26)), Some(Due::Final));
        let early = Pending {
            invited_on: day(0),
            opens_on: day(10),
            closes_on: day(30),
            submitted: false,
            history: History::default(),
        };
        assert_eq!(due(&policy, &early, day(8)), None);
        assert_eq!(due(&policy, &early, day(10)), Some(Due::Reminder(1)));
    }

    #[test]
    fn the_form_is_checked() {
        let ok = parse_policy(&PolicyInput::from(&ReminderPolicy::default())).unwrap();
        assert_eq!(ok, ReminderPolicy::default());
        let bad = parse_policy(&PolicyInput {
            enabled: true,
            first_after_days: "0".into(),
            every_days: "x".into(),
            max_reminders: "11".into(),
            final_days_before: "".into(),
        })
        .unwrap_err();
        assert_eq!(
            bad,
            vec![
                ("first_after_days", FieldError::TooShort { min: 1 }),
                ("every_days", FieldError::UnknownOption),
                ("max_reminders", FieldError::TooLong { max: 10 }),
                ("final_days_before", FieldError::Required),
            ]
        );
    }
}
