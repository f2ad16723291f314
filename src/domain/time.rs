//! How dates and times are written for people: in a forum's time zone (an IANA name, one per
//! assessment), with the zone's abbreviation, and dates as people write them in each language
//! ("7 de diciembre de 2026", "7 December 2026"). Exports keep ISO 8601 with the offset.
//! Times are stored in UTC; this module is the one place that turns them into local text, so
//! pages, emails and exports agree.

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::Lang;

/// The zone of the bundled forum (Panama), used when nothing else is configured.
pub const DEFAULT_ZONE: Tz = chrono_tz::America::Panama;

/// A zone by its IANA name (`America/Panama`, `Europe/Madrid`, `UTC`); `None` when unknown.
/// Names are matched exactly, as the tz database writes them.
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// The zones offered in a form, grouped by region: (region, names in that region), regions and
/// names in alphabetical order. Links and legacy aliases (`US/Eastern`, `EST5EDT`) and the
/// `Etc/` zones are left out; `UTC` is its own group.
pub fn zone_choices() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .filter(|name| is_offered(name))
        .collect();
    names.sort_unstable();
    for name in names {
        let region = name.split('/').next().unwrap_or(name);
        match groups.last_mut() {
            Some((last, list)) if *last == region => list.push(name),
            _ => groups.push((region, vec![name])),
        }
    }
    groups
}

const REGIONS: [&str; 9] = [
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

fn is_offered(name: &str) -> bool {
    name == "UTC"
        || name
            .split_once('/')
            .is_some_and(|(region, _)| REGIONS.contains(&region))
}

const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A calendar date as people write it: "7 de diciembre de 2026", "7 December 2026".
pub fn date(day: NaiveDate, lang: Lang) -> String {
    let month = day.month0() as usize;
    match lang {
        Lang::Es => format!(
            "{} de {} de {}",
            Datelike::day(&day),
            MONTHS_ES[month],
            day.year()
        ),
        Lang::En => format!(
            "{} {} {}",
            Datelike::day(&day),
            MONTHS_EN[month],
            day.year()
        ),
    }
}

/// A span of days as people write it, without repeating what both ends share: "3–28 de julio
/// de 2023", "3 de julio – 2 de agosto de 2023", "28 de diciembre de 2023 – 5 de enero de
/// 2024"; in English "3–28 July 2023", "3 July – 2 August 2023".
pub fn date_range(first: NaiveDate, last: NaiveDate, lang: Lang) -> String {
    if first == last {
        return date(first, lang);
    }
    let day_month = |day: NaiveDate| {
        let month = day.month0() as usize;
        match lang {
            Lang::Es => format!("{} de {}", Datelike::day(&day), MONTHS_ES[month]),
            Lang::En => format!("{} {}", Datelike::day(&day), MONTHS_EN[month]),
        }
    };
    if first.year() != last.year() {
        format!("{} – {}", date(first, lang), date(last, lang))
    } else if first.month() != last.month() {
        format!("{} – {}", day_month(first), date(last, lang))
    } else {
        format!("{}–{}", Datelike::day(&first), date(last, lang))
    }
}

/// A stored UTC moment in a zone.
pub fn local(at_utc: NaiveDateTime, zone: Tz) -> DateTime<Tz> {
    Utc.from_utc_datetime(&at_utc).with_timezone(&zone)
}

/// The time of day with the zone's abbreviation: "09:05 EST".
pub fn clock(at_utc: NaiveDateTime, zone: Tz) -> String {
    local(at_utc, zone).format("%H:%M %Z").to_string()
}

/// Date and time of day: "7 de diciembre de 2026, 09:05 EST", "7 December 2026, 09:05 EST".
pub fn date_time(at_utc: NaiveDateTime, zone: Tz, lang: Lang) -> String {
    let here = local(at_utc, zone);
    format!("{}, {}", date(here.date_naive(), lang), clock(at_utc, zone))
}

/// A moment for a short status line, such as the questionnaire's "saved at": the time of day
/// alone when it falls on the same local day as `now`, else date and time.
pub fn moment_since(at_utc: NaiveDateTime, now_utc: NaiveDateTime, zone: Tz, lang: Lang) -> String {
    if local(at_utc, zone).date_naive() == local(now_utc, zone).date_naive() {
        clock(at_utc, zone)
    } else {
        date_time(at_utc, zone, lang)
    }
}

/// ISO 8601 with the zone's offset, for exports: "2026-12-07T09:05:00-05:00".
pub fn iso(at_utc: NaiveDateTime, zone: Tz) -> String {
    local(at_utc, zone).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The local calendar date of a UTC moment.
pub fn local_date(at_utc: NaiveDateTime, zone: Tz) -> NaiveDate {
    local(at_utc, zone).date_naive()
}

/// The UTC moment at which a local calendar day starts (for filters by whole local days). On a
/// day whose midnight is skipped by a clock change, the first moment that exists.
pub fn day_start_utc(day: NaiveDate, zone: Tz) -> NaiveDateTime {
    let mut at = day.and_time(chrono::NaiveTime::MIN);
    // Clock changes skip at most a few hours; step until the local time exists.
    for _ in 0..24 * 4 {
        match zone.from_local_datetime(&at) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => return t.naive_utc(),
            LocalResult::None => at += chrono::Duration::minutes(15),
        }
    }
    day.and_time(chrono::NaiveTime::MIN)
}

/// The zone's abbreviation at a moment ("EST", "EDT"; "-03" where the tz database has none).
pub fn abbreviation(at_utc: NaiveDateTime, zone: Tz) -> String {
    local(at_utc, zone).format("%Z").to_string()
}

/// A stored UTC moment, however many references deep a template holds it.
pub trait Moment {
    fn utc(&self) -> NaiveDateTime;
}

impl Moment for NaiveDateTime {
    fn utc(&self) -> NaiveDateTime {
        *self
    }
}

impl<T: Moment + ?Sized> Moment for &T {
    fn utc(&self) -> NaiveDateTime {
        (**self).utc()
    }
}

/// A calendar date, however many references deep a template holds it.
pub trait Day {
    fn calendar_day(&self) -> NaiveDate;
}

impl Day for NaiveDate {
    fn calendar_day(&self) -> NaiveDate {
        *self
    }
}

impl<T: Day + ?Sized> Day for &T {
    fn calendar_day(&self) -> NaiveDate {
        (**self).calendar_day()
    }
}

/// What a page or an email needs to write times: its language and its zone. Templates call
/// these methods; nothing else formats a date for people.
#[derive(Debug, Clone, Copy)]
pub struct Local {
    pub lang: Lang,
    pub zone: Tz,
}

impl Local {
    pub fn new(lang: Lang, zone: Tz) -> Local {
        Local { lang, zone }
    }

    /// "7 de diciembre de 2026".
    pub fn date(&self, day: impl Day) -> String {
        date(day.calendar_day(), self.lang)
    }

    /// "7 de diciembre de 2026, 09:05 EST".
    pub fn at(&self, at_utc: impl Moment) -> String {
        date_time(at_utc.utc(), self.zone, self.lang)
    }

    /// To the second, for a log: "7 de diciembre de 2026, 09:05:33 EST".
    pub fn at_precise(&self, at_utc: impl Moment) -> String {
        let here = local(at_utc.utc(), self.zone);
        format!(
            "{}, {}",
            date(here.date_naive(), self.lang),
            here.format("%H:%M:%S %Z")
        )
    }

    /// The local date of a moment: "7 de diciembre de 2026".
    pub fn day_of(&self, at_utc: impl Moment) -> String {
        date(local_date(at_utc.utc(), self.zone), self.lang)
    }

    /// ISO 8601 with offset, for a `<time datetime>` attribute or an export.
    pub fn iso(&self, at_utc: impl Moment) -> String {
        iso(at_utc.utc(), self.zone)
    }

    /// The zone's IANA name, to say which zone the times of a page are in.
    pub fn zone_name(&self) -> &'static str {
        self.zone.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    const NEW_YORK: Tz = chrono_tz::America::New_York;

    #[test]
    fn dates_read_as_people_write_them() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(date(day, Lang::Es), "7 de diciembre de 2026");
        assert_eq!(date(day, Lang::En), "7 December 2026");
        let first = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
        assert_eq!(date(first, Lang::Es), "1 de enero de 2023");
        assert_eq!(date(first, Lang::En), "1 January 2023");
    }

    #[test]
    fn a_span_of_days_names_what_both_ends_share_once() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            date_range(d(2023, 7, 3), d(2023, 7, 28), Lang::Es),
            "3–28 de julio de 2023"
        );
        assert_eq!(
            date_range(d(2023, 7, 3), d(2023, 7, 28), Lang::En),
            "3–28 July 2023"
        );
        assert_eq!(
            date_range(d(2023, 7, 3), d(2023, 8, 2), Lang::Es),
            "3 de julio – 2 de agosto de 2023"
        );
        assert_eq!(
            date_range(d(2023, 7, 3), d(2023, 8, 2), Lang::En),
            "3 July – 2 August 2023"
        );
        assert_eq!(
            date_range(d(2023, 12, 28), d(2024, 1, 5), Lang::Es),
            "28 de diciembre de 2023 – 5 de enero de 2024"
        );
        assert_eq!(
            date_range(d(2023, 7, 3), d(2023, 7, 3), Lang::En),
            "3 July 2023"
        );
    }

    #[test]
    fn panama_is_five_hours_behind_utc_all_year() {
        // Panama keeps Eastern Standard Time without daylight saving.
        let winter = utc(2026, 12, 7, 14, 5);
        let summer = utc(2026, 7, 7, 14, 5);
        assert_eq!(clock(winter, DEFAULT_ZONE), "09:05 EST");
        assert_eq!(clock(summer, DEFAULT_ZONE), "09:05 EST");
        assert_eq!(
            date_time(winter, DEFAULT_ZONE, Lang::Es),
            "7 de diciembre de 2026, 09:05 EST"
        );
        assert_eq!(iso(summer, DEFAULT_ZONE), "2026-07-07T09:05:00-05:00");
    }

    #[test]
    fn new_york_follows_daylight_saving() {
        // EDT (UTC-4) in July, EST (UTC-5) in December.
        assert_eq!(clock(utc(2026, 7, 7, 14, 5), NEW_YORK), "10:05 EDT");
        assert_eq!(clock(utc(2026, 12, 7, 14, 5), NEW_YORK), "09:05 EST");
        assert_eq!(
            iso(utc(2026, 7, 7, 14, 5), NEW_YORK),
            "2026-07-07T10:05:00-04:00"
        );
        assert_eq!(
            date_time(utc(2026, 7, 7, 14, 5), NEW_YORK, Lang::En),
            "7 July 2026, 10:05 EDT"
        );
        // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT at 07:00 UTC.
        assert_eq!(clock(utc(2026, 3, 8, 6, 59), NEW_YORK), "01:59 EST");
        assert_eq!(clock(utc(2026, 3, 8, 7, 0), NEW_YORK), "03:00 EDT");
    }

    #[test]
    fn a_late_evening_in_utc_is_the_day_before_in_the_americas() {
        let at = utc(2026, 12, 8, 2, 30);
        assert_eq!(
            local_date(at, DEFAULT_ZONE),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
        assert_eq!(
            Local::new(Lang::En, DEFAULT_ZONE).day_of(at),
            "7 December 2026"
        );
        assert_eq!(
            Local::new(Lang::Es, DEFAULT_ZONE).at_precise(at),
            "7 de diciembre de 2026, 21:30:00 EST"
        );
    }

    #[test]
    fn a_local_day_starts_at_its_local_midnight() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(day_start_utc(day, DEFAULT_ZONE), utc(2026, 12, 7, 5, 0));
        assert_eq!(
            day_start_utc(NaiveDate::from_ymd_opt(2026, 7, 7).unwrap(), NEW_YORK),
            utc(2026, 7, 7, 4, 0)
        );
        // Santiago de Chile skips midnight when summer time starts (2026-09-06 00:00 -> 01:00).
        let santiago = chrono_tz::America::Santiago;
        let start = day_start_utc(NaiveDate::from_ymd_opt(2026, 9, 6).unwrap(), santiago);
        assert_eq!(local(start, santiago).format("%H:%M").to_string(), "01:00");
    }

    #[test]
    fn the_save_time_is_short_on_the_same_local_day() {
        let now = utc(2026, 12, 7, 20, 0);
        assert_eq!(
            moment_since(utc(2026, 12, 7, 14, 5), now, DEFAULT_ZONE, Lang::Es),
            "09:05 EST"
        );
        // 03:00 UTC on the 7th is still the 6th in Panama.
        assert_eq!(
            moment_since(utc(2026, 12, 7, 3, 0), now, DEFAULT_ZONE, Lang::Es),
            "6 de diciembre de 2026, 22:00 EST"
        );
    }

    #[test]
    fn zones_are_parsed_by_their_iana_names_and_offered_by_region() {
        assert_eq!(parse_zone("America/Panama"), Some(DEFAULT_ZONE));
        assert_eq!(
            parse_zone(" Europe/Madrid "),
            Some(chrono_tz::Europe::Madrid)
        );
        assert_eq!(parse_zone("Mars/Olympus"), None);
        assert_eq!(parse_zone(""), None);
        let choices = zone_choices();
        let america = choices
            .iter()
            .find(|(region, _)| *region == "America")
            .unwrap();
        assert!(america.1.contains(&"America/Panama"));
        assert!(america.1.contains(&"America/New_York"));
        assert!(choices.iter().any(|(_, names)| names == &vec!["UTC"]));
        assert!(
            !choices
                .iter()
                .flat_map(|(_, names)| names)
                .any(|n| n.starts_with("US/") || n.starts_with("Etc/"))
        );
        // Every name offered parses back.
        for name in choices.iter().flat_map(|(_, names)| names) {
            assert!(parse_zone(name).is_some(), "{name}");
        }
    }
}
