//! Aggregation of responses: the capacity matrix, item distributions, exchange reconciliation, data domains and gaps.

use std::collections::{BTreeMap, HashMap};

use super::answers::{AnswerValue, PartnerRef};
use super::instrument::{Instrument, MAX_LEVEL, Section, grid_cell_key};

/// Answers of one organization's response, keyed as stored (item key, or grid cell key).
pub type Answers = BTreeMap<String, AnswerValue>;

// ---------------------------------------------------------------------------------------------
// Capacity matrix

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
struct Tally {
    sum: u64,
    scored: usize,
    excluded: usize,
    items: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.sum += other.sum;
        self.scored += other.scored;
        self.excluded += other.excluded;
        self.items += other.items;
    }

    fn cell(self) -> Cell {
        Cell {
            mean: (self.scored > 0).then(|| self.sum as f64 / self.scored as f64),
            scored: self.scored,
            excluded: self.excluded,
            items: self.items,
        }
    }
}

fn tally(dimension: &Section, answers: &Answers) -> Tally {
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

// ---------------------------------------------------------------------------------------------
// Scores of one response (the read model)

/// The running sums of one dimension of one response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DimensionTally {
    pub dimension: String,
    pub sum: u64,
    pub scored: usize,
    pub excluded: usize,
    /// One [`answer_mark`] per maturity item of the dimension, in instrument order: what a
    /// dimension page counts, without reading the answers again.
    pub marks: String,
}

/// How one maturity answer counts on a dimension page, as one character: its level `0`-`4`,
/// `n` (not applicable), `d` (don't know), or `-` (no answer, or a level off the scale).
pub fn answer_mark(answer: Option<&AnswerValue>) -> char {
    match answer {
        Some(AnswerValue::Level(level)) if *level <= MAX_LEVEL => char::from(b'0' + *level),
        Some(AnswerValue::NotApplicable) => 'n',
        Some(AnswerValue::DontKnow) => 'd',
        _ => '-',
    }
}

fn is_mark(c: char) -> bool {
    matches!(c, '0'..='4' | 'n' | 'd' | '-')
}

/// What one data domain of the grid contributes to the domain summaries for one response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DomainFlags {
    pub domain: String,
    /// The organization needs it from others.
    pub needed: bool,
    /// The organization collects it (yes or partly).
    pub producer: bool,
    /// A producer that publishes it.
    pub published: bool,
    /// The disaggregations a producer offers (as answered; empty for a non-producer).
    pub disaggregations: Vec<String>,
}

/// Everything the capacity matrix and the domain summaries read from one response, computed from
/// its answers by the same rules as [`row`] and [`domain_summaries`], and small enough to keep one
/// per response: views over thousands of organizations read these instead of every answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseScores {
    /// One per dimension with at least one answered maturity item, in instrument order.
    pub dimensions: Vec<DimensionTally>,
    /// One per data domain the response needs or produces, in code list order.
    pub domains: Vec<DomainFlags>,
}

/// Separators of the stored form; keys are instrument and code list keys, which never hold them.
const FIELD: char = ':';
const ENTRY: char = ';';
const LIST: char = '|';

fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && !key.contains([FIELD, ENTRY, LIST])
}

impl ResponseScores {
    pub fn from_answers(instrument: &Instrument, answers: &Answers) -> ResponseScores {
        let dimensions = instrument
            .dimensions()
            .filter_map(|dimension| {
                let tally = tally(dimension, answers);
                (tally.scored + tally.excluded > 0).then(|| DimensionTally {
                    dimension: dimension.key.clone(),
                    sum: tally.sum,
                    scored: tally.scored,
                    excluded: tally.excluded,
                    marks: dimension
                        .items()
                        .iter()
                        .filter(|item| item.is_maturity())
                        .map(|item| answer_mark(answers.get(&item.key)))
                        .collect(),
                })
            })
            .collect();
        let mut domains = Vec::new();
        if let Some((section, grid)) = instrument.grid()
            && let Some(list) = instrument.code_list(&grid.list)
        {
            for option in &list.options {
                let keys = RowKeys::new(&section.key, &option.key);
                let needed = bool_of(answers, &keys.needed) == Some(true);
                let producer = is_producer(choice_of(answers, &keys.collects));
                if !needed && !producer {
                    continue;
                }
                domains.push(DomainFlags {
                    domain: option.key.clone(),
                    needed,
                    producer,
                    published: producer && bool_of(answers, &keys.published) == Some(true),
                    disaggregations: if producer {
                        choices_of(answers, &keys.disaggregations).to_vec()
                    } else {
                        Vec::new()
                    },
                });
            }
        }
        ResponseScores {
            dimensions,
            domains,
        }
    }

    /// The stored form of the dimensions: `key:sum:scored:excluded:marks;...`.
    pub fn encode_dimensions(&self) -> String {
        self.dimensions
            .iter()
            .map(|d| {
                format!(
                    "{}{FIELD}{}{FIELD}{}{FIELD}{}{FIELD}{}",
                    d.dimension, d.sum, d.scored, d.excluded, d.marks
                )
            })
            .collect::<Vec<_>>()
            .join(&ENTRY.to_string())
    }

    /// The stored form of the domains: `key:flags:disaggregation|...;...`, flags from n (needed),
    /// p (producer), b (published).
    pub fn encode_domains(&self) -> String {
        self.domains
            .iter()
            .map(|d| {
                let mut flags = String::new();
                for (set, letter) in [(d.needed, 'n'), (d.producer, 'p'), (d.published, 'b')] {
                    if set {
                        flags.push(letter);
                    }
                }
                format!(
                    "{}{FIELD}{flags}{FIELD}{}",
                    d.domain,
                    d.disaggregations.join(&LIST.to_string())
                )
            })
            .collect::<Vec<_>>()
            .join(&ENTRY.to_string())
    }

    /// Whether the stored form can carry these scores (every key free of separators); scores
    /// that cannot are computed from the answers on each read instead of stored.
    pub fn is_storable(&self) -> bool {
        self.dimensions.iter().all(|d| is_plain_key(&d.dimension))
            && self.domains.iter().all(|d| {
                is_plain_key(&d.domain) && d.disaggregations.iter().all(|k| is_plain_key(k))
            })
    }
}

/// The stored form of a response's scores, read in place: views over thousands of responses parse
/// it while they aggregate instead of building a [`ResponseScores`] (dozens of small
/// allocations) per response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StoredScores {
    pub dimensions: String,
    pub domains: String,
}

/// One dimension entry: key, sum, scored, excluded, marks.
type DimensionEntry<'a> = (&'a str, u64, usize, usize, &'a str);
/// One domain entry: key, needed, producer, published, disaggregations (`a|b`).
type DomainEntry<'a> = (&'a str, bool, bool, bool, &'a str);

fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.split(ENTRY).filter(|e| !e.is_empty())
}

fn dimension_entry(entry: &str) -> Option<DimensionEntry<'_>> {
    let mut parts = entry.split(FIELD);
    let key = parts.next().filter(|k| !k.is_empty())?;
    let sum = parts.next()?.parse().ok()?;
    let scored = parts.next()?.parse().ok()?;
    let excluded = parts.next()?.parse().ok()?;
    let marks = parts.next().filter(|m| m.chars().all(is_mark))?;
    parts
        .next()
        .is_none()
        .then_some((key, sum, scored, excluded, marks))
}

fn domain_entry(entry: &str) -> Option<DomainEntry<'_>> {
    let mut parts = entry.split(FIELD);
    let key = parts.next().filter(|k| !k.is_empty())?;
    let flags = parts.next()?;
    if !flags.chars().all(|c| matches!(c, 'n' | 'p' | 'b')) {
        return None;
    }
    let list = parts.next()?;
    parts.next().is_none().then_some((
        key,
        flags.contains('n'),
        flags.contains('p'),
        flags.contains('b'),
        list,
    ))
}

impl StoredScores {
    pub fn of(scores: &ResponseScores) -> StoredScores {
        StoredScores {
            dimensions: scores.encode_dimensions(),
            domains: scores.encode_domains(),
        }
    }

    /// Whether every entry reads; a stored row that does not is recomputed from the answers.
    pub fn is_valid(&self) -> bool {
        self.dimensions_are_valid() && entries(&self.domains).all(|e| domain_entry(e).is_some())
    }

    /// Whether every dimension entry reads (for the views that read only those).
    pub fn dimensions_are_valid(&self) -> bool {
        entries(&self.dimensions).all(|e| dimension_entry(e).is_some())
    }

    /// The answer marks of a dimension's maturity items (empty when none of them is answered).
    pub fn marks_of(&self, dimension: &str) -> &str {
        entries(&self.dimensions)
            .filter_map(dimension_entry)
            .find(|(key, ..)| *key == dimension)
            .map_or("", |(.., marks)| marks)
    }

    /// Back to the scores (tests and single responses; views read in place).
    pub fn scores(&self) -> Option<ResponseScores> {
        let dimensions = entries(&self.dimensions)
            .map(|e| {
                dimension_entry(e).map(|(key, sum, scored, excluded, marks)| DimensionTally {
                    dimension: key.to_owned(),
                    sum,
                    scored,
                    excluded,
                    marks: marks.to_owned(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let domains = entries(&self.domains)
            .map(|e| {
                domain_entry(e).map(|(key, needed, producer, published, list)| DomainFlags {
                    domain: key.to_owned(),
                    needed,
                    producer,
                    published,
                    disaggregations: list
                        .split(LIST)
                        .filter(|k| !k.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(ResponseScores {
            dimensions,
            domains,
        })
    }
}

/// The maturity items of each dimension, in instrument order: what a matrix row built from
/// [`ResponseScores`] needs besides the scores.
pub struct DimensionSizes(Vec<(String, usize)>);

impl DimensionSizes {
    pub fn new(instrument: &Instrument) -> DimensionSizes {
        DimensionSizes(
            instrument
                .dimensions()
                .map(|d| {
                    let items = d.items().iter().filter(|i| i.is_maturity()).count();
                    (d.key.clone(), items)
                })
                .collect(),
        )
    }

    /// The same row as [`row`] gives for the answers the scores were computed from, read in
    /// place from the scores stored.
    pub fn row_stored(&self, stored: &StoredScores) -> (Vec<Cell>, Cell) {
        let mut tallies: Vec<Tally> = self
            .0
            .iter()
            .map(|(_, items)| Tally {
                items: *items,
                ..Tally::default()
            })
            .collect();
        for (key, sum, scored, excluded, _) in
            entries(&stored.dimensions).filter_map(dimension_entry)
        {
            if let Some(tally) = self
                .0
                .iter()
                .position(|(k, _)| k == key)
                .and_then(|i| tallies.get_mut(i))
            {
                tally.sum = sum;
                tally.scored = scored;
                tally.excluded = excluded;
            }
        }
        let mut total = Tally::default();
        let cells = tallies
            .into_iter()
            .map(|tally| {
                total.add(tally);
                tally.cell()
            })
            .collect();
        (cells, total.cell())
    }
}

/// The same summaries as [`domain_summaries`] for the scores stored, read in place.
pub fn domain_summaries_of_stored<'a>(
    instrument: &Instrument,
    responses: impl IntoIterator<Item = &'a StoredScores>,
) -> Vec<DomainSummary> {
    let Some((_, grid)) = instrument.grid() else {
        return Vec::new();
    };
    let Some(list) = instrument.code_list(&grid.list) else {
        return Vec::new();
    };
    let mut summaries: Vec<DomainSummary> = list
        .options
        .iter()
        .map(|option| DomainSummary {
            domain: option.key.clone(),
            ..DomainSummary::default()
        })
        .collect();
    let index: HashMap<&str, usize> = list
        .options
        .iter()
        .enumerate()
        .map(|(i, option)| (option.key.as_str(), i))
        .collect();
    for stored in responses {
        for (key, needed, producer, published, disaggregations) in
            entries(&stored.domains).filter_map(domain_entry)
        {
            let Some(summary) = index.get(key).and_then(|&i| summaries.get_mut(i)) else {
                continue;
            };
            if needed {
                summary.needers += 1;
            }
            if !producer {
                continue;
            }
            summary.producers += 1;
            if published {
                summary.published_by += 1;
            }
            summary.count_disaggregations(disaggregations.split(LIST).filter(|k| !k.is_empty()));
        }
    }
    summaries
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

// ---------------------------------------------------------------------------------------------
// Item distributions

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

    /// Counts one answer: the rule [`answer_mark`] and [`Distribution::count_mark`] keep for the
    /// dimension pages, which the tests check them against.
    #[cfg(test)]
    fn count(&mut self, answer: Option<&AnswerValue>) {
        match answer {
            Some(AnswerValue::NotApplicable) => self.not_applicable += 1,
            Some(AnswerValue::DontKnow) => self.dont_know += 1,
            Some(AnswerValue::Level(level)) => match self.levels.get_mut(usize::from(*level)) {
                Some(count) => *count += 1,
                // Same rule as the matrix: an out-of-scale level is no answer.
                None => self.unanswered += 1,
            },
            _ => self.unanswered += 1,
        }
    }
}

/// The distribution of one item across the given responses (the tests' reference for the
/// distributions the dimension pages count from stored marks).
#[cfg(test)]
pub fn distribution<'a>(
    item_key: &str,
    responses: impl IntoIterator<Item = &'a Answers>,
) -> Distribution {
    let mut distribution = Distribution::default();
    for answers in responses {
        distribution.count(answers.get(item_key));
    }
    distribution
}

/// The distributions of a dimension's `items` maturity items from the stored answer marks of
/// each response (see [`StoredScores::marks_of`]): the same counts as [`distribution`] over the
/// answers.
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

/// The distributions of several items (one per key, in the same order) in one pass over the
/// responses (the tests' reference, as [`distribution`]).
#[cfg(test)]
pub fn distributions<'a, K: AsRef<str>>(
    item_keys: &[K],
    responses: impl IntoIterator<Item = &'a Answers>,
) -> Vec<Distribution> {
    let mut found = vec![Distribution::default(); item_keys.len()];
    for answers in responses {
        for (key, distribution) in item_keys.iter().zip(found.iter_mut()) {
            distribution.count(answers.get(key.as_ref()));
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Exchange network and reconciliation

/// Direction of a mechanism as reported by its reporter (option keys provide / receive / both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Provide,
    Receive,
    Both,
}

impl Direction {
    pub fn parse(key: &str) -> Option<Direction> {
        match key {
            "provide" => Some(Direction::Provide),
            "receive" => Some(Direction::Receive),
            "both" => Some(Direction::Both),
            _ => None,
        }
    }
}

/// One mechanism entry as needed for the exchange network and reconciliation, borrowed from
/// what was read (tens of thousands at a large forum: no string is copied).
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange<'a> {
    pub mechanism_id: &'a str,
    /// The organization that reported it.
    pub reporter: &'a str,
    /// The partner organization id; None for an outside body (never reconciled, never a network edge).
    pub partner: Option<&'a str>,
    pub direction: Option<Direction>,
    pub domains: Vec<&'a str>,
    /// Status option key: active / planned / feasible / suspended (None if not given).
    pub status: Option<&'a str>,
}

impl<'a> Exchange<'a> {
    /// Builds the entry from a mechanism's values keyed by field (as the mechanism group stores
    /// them): `partner`, `direction`, `domains`, `status`; anything else is ignored.
    pub fn from_values(
        mechanism_id: &'a str,
        reporter: &'a str,
        values: &'a Answers,
    ) -> Exchange<'a> {
        let choice = |key: &str| match values.get(key) {
            Some(AnswerValue::Choice(value)) => Some(value.as_str()),
            _ => None,
        };
        Exchange {
            mechanism_id,
            reporter,
            partner: match values.get("partner") {
                Some(AnswerValue::Partner(PartnerRef::Organization(id))) => Some(id.as_str()),
                _ => None,
            },
            direction: choice("direction").and_then(Direction::parse),
            domains: match values.get("domains") {
                Some(AnswerValue::Choices(keys)) => keys.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            },
            status: choice("status"),
        }
    }
}

/// A directed flow of data, provider -> receiver, derived from one mechanism (Both gives two flows).
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub provider: String,
    pub receiver: String,
    pub mechanism_id: String,
    pub reporter: String,
    pub domains: Vec<String>,
    pub status: Option<String>,
}

/// Whether the other side reported the same flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Both the provider and the receiver reported this flow (same ordered pair, at least one data domain in common); lists the other side's mechanism ids.
    Confirmed { by: Vec<String> },
    /// Only the reporter reported it.
    ReportedOnlyBy { reporter: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReconciledFlow {
    pub flow: Flow,
    pub confirmation: Confirmation,
}

/// A flow matched against the other side's reports, borrowed from its exchange: the views count,
/// draw and label flows from these without copying a string per flow.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedFlow<'a> {
    pub provider: &'a str,
    pub receiver: &'a str,
    pub exchange: &'a Exchange<'a>,
    /// The other side's mechanism ids that confirm this flow, sorted, without repeats; empty when
    /// only its reporter reported it.
    pub confirmed_by: Vec<&'a str>,
}

impl MatchedFlow<'_> {
    pub fn is_confirmed(&self) -> bool {
        !self.confirmed_by.is_empty()
    }

    /// The flow with its own copies of the ids (for the exports that keep flows).
    pub fn to_reconciled(&self) -> ReconciledFlow {
        let exchange = self.exchange;
        let confirmation = if self.is_confirmed() {
            Confirmation::Confirmed {
                by: self
                    .confirmed_by
                    .iter()
                    .map(|id| (*id).to_owned())
                    .collect(),
            }
        } else {
            Confirmation::ReportedOnlyBy {
                reporter: exchange.reporter.to_owned(),
            }
        };
        ReconciledFlow {
            flow: Flow {
                provider: self.provider.to_owned(),
                receiver: self.receiver.to_owned(),
                mechanism_id: exchange.mechanism_id.to_owned(),
                reporter: exchange.reporter.to_owned(),
                domains: exchange.domains.iter().map(|d| (*d).to_owned()).collect(),
                status: exchange.status.map(str::to_owned),
            },
            confirmation,
        }
    }
}

/// A flow during matching: its organizations as ranks (the position of the id among the sorted
/// ids), so that sorting and matching compare integers in the order of the ids.
struct RankedFlow<'a> {
    provider: u32,
    receiver: u32,
    reporter: u32,
    exchange: &'a Exchange<'a>,
    provider_id: &'a str,
    receiver_id: &'a str,
}

fn domains_overlap(a: &[&str], b: &[&str]) -> bool {
    // Domain lists are short (at most the domain code list), so a nested scan beats hashing.
    a.iter().any(|domain| b.contains(domain))
}

/// Flows of every exchange with a forum partner and a direction (others are skipped), each with its confirmation, in a deterministic order (by provider, receiver, mechanism id). A flow reported by A (provide, partner B) is confirmed by a flow reported by B for the same provider->receiver (B: receive with partner A, or both) when their domain lists overlap. Self-partnered entries (partner == reporter) are skipped.
pub fn reconcile(exchanges: &[Exchange<'_>]) -> Vec<ReconciledFlow> {
    match_flows(exchanges)
        .iter()
        .map(MatchedFlow::to_reconciled)
        .collect()
}

/// The flows of [`reconcile`], in the same order with the same confirmations, borrowed from the
/// exchanges.
pub fn match_flows<'a>(exchanges: &'a [Exchange<'a>]) -> Vec<MatchedFlow<'a>> {
    let pairs: Vec<(&Exchange<'_>, &str, Direction)> = exchanges
        .iter()
        .filter_map(|exchange| {
            let (Some(partner), Some(direction)) = (exchange.partner, exchange.direction) else {
                return None;
            };
            if partner.is_empty() || partner == exchange.reporter {
                return None;
            }
            Some((exchange, partner, direction))
        })
        .collect();

    // Each organization id once, sorted: its index is its rank.
    let mut ids: Vec<&str> = pairs
        .iter()
        .flat_map(|(exchange, partner, _)| [exchange.reporter, *partner])
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let rank_of: foldhash::HashMap<&str, u32> = ids
        .iter()
        .enumerate()
        .map(|(rank, id)| (*id, u32::try_from(rank).unwrap_or(u32::MAX)))
        .collect();
    let rank = |id: &str| rank_of.get(id).copied().unwrap_or(u32::MAX);

    let mut flows: Vec<RankedFlow<'_>> = Vec::with_capacity(pairs.len() * 2);
    for (exchange, partner, direction) in pairs {
        let reporter_id = exchange.reporter;
        let (reporter, partner_rank) = (rank(reporter_id), rank(partner));
        if matches!(direction, Direction::Provide | Direction::Both) {
            flows.push(RankedFlow {
                provider: reporter,
                receiver: partner_rank,
                reporter,
                exchange,
                provider_id: reporter_id,
                receiver_id: partner,
            });
        }
        if matches!(direction, Direction::Receive | Direction::Both) {
            flows.push(RankedFlow {
                provider: partner_rank,
                receiver: reporter,
                reporter,
                exchange,
                provider_id: partner,
                receiver_id: reporter_id,
            });
        }
    }

    // Sorted by provider, receiver, mechanism id, then reporter (which breaks ties between
    // repeated mechanism ids), so the order never depends on the order of the input; the flows of
    // one ordered pair are then next to each other, and each finds the other side's reports of
    // the pair in its own run.
    flows.sort_unstable_by(|a, b| {
        (a.provider, a.receiver)
            .cmp(&(b.provider, b.receiver))
            .then_with(|| a.exchange.mechanism_id.cmp(b.exchange.mechanism_id))
            .then_with(|| a.reporter.cmp(&b.reporter))
    });

    let mut matched = Vec::with_capacity(flows.len());
    for run in flows.chunk_by(|a, b| (a.provider, a.receiver) == (b.provider, b.receiver)) {
        for flow in run {
            let other_side = if flow.reporter == flow.provider {
                flow.receiver
            } else {
                flow.provider
            };
            let mut by: Vec<&str> = run
                .iter()
                .filter(|other| {
                    other.reporter == other_side
                        && domains_overlap(&flow.exchange.domains, &other.exchange.domains)
                })
                .map(|other| other.exchange.mechanism_id)
                .collect();
            by.sort_unstable();
            by.dedup();
            matched.push(MatchedFlow {
                provider: flow.provider_id,
                receiver: flow.receiver_id,
                exchange: flow.exchange,
                confirmed_by: by,
            });
        }
    }
    matched
}

// ---------------------------------------------------------------------------------------------
// Data domains

/// One organization's answers for one data domain of the grid.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DomainAnswer {
    /// yes / partly / no
    pub collects: Option<String>,
    pub sources: Vec<String>,
    pub disaggregations: Vec<String>,
    pub frequency: Option<String>,
    pub published: Option<bool>,
    pub needed: Option<bool>,
}

impl DomainAnswer {
    /// Takes the answer of one column of the row (collects, source, disaggregations, frequency,
    /// published, needed); another column, or a value of another kind, is ignored.
    pub fn set(&mut self, column: &str, value: AnswerValue) {
        match (column, value) {
            ("collects", AnswerValue::Choice(v)) => self.collects = Some(v),
            ("source", AnswerValue::Choices(v)) => self.sources = v,
            ("disaggregations", AnswerValue::Choices(v)) => self.disaggregations = v,
            ("frequency", AnswerValue::Choice(v)) => self.frequency = Some(v),
            ("published", AnswerValue::Bool(v)) => self.published = Some(v),
            ("needed", AnswerValue::Bool(v)) => self.needed = Some(v),
            _ => {}
        }
    }
}

/// The stored keys of one domain row, built once per domain rather than once per organization.
struct RowKeys {
    collects: String,
    source: String,
    disaggregations: String,
    frequency: String,
    published: String,
    needed: String,
}

impl RowKeys {
    /// Each column's name with its key.
    fn by_column(&self) -> [(&'static str, &str); 6] {
        [
            ("collects", &self.collects),
            ("source", &self.source),
            ("disaggregations", &self.disaggregations),
            ("frequency", &self.frequency),
            ("published", &self.published),
            ("needed", &self.needed),
        ]
    }

    fn new(grid_section: &str, domain: &str) -> RowKeys {
        let key = |column: &str| grid_cell_key(grid_section, domain, column);
        RowKeys {
            collects: key("collects"),
            source: key("source"),
            disaggregations: key("disaggregations"),
            frequency: key("frequency"),
            published: key("published"),
            needed: key("needed"),
        }
    }
}

fn choice_of<'a>(answers: &'a Answers, key: &str) -> Option<&'a str> {
    match answers.get(key) {
        Some(AnswerValue::Choice(value)) => Some(value),
        _ => None,
    }
}

fn choices_of<'a>(answers: &'a Answers, key: &str) -> &'a [String] {
    match answers.get(key) {
        Some(AnswerValue::Choices(values)) => values,
        _ => &[],
    }
}

fn bool_of(answers: &Answers, key: &str) -> Option<bool> {
    match answers.get(key) {
        Some(AnswerValue::Bool(value)) => Some(*value),
        _ => None,
    }
}

fn is_producer(collects: Option<&str>) -> bool {
    matches!(collects, Some("yes" | "partly"))
}

/// Reads one domain row from an organization's answers (grid section key, domain key); column keys collects, source, disaggregations, frequency, published, needed.
pub fn domain_answer(grid_section: &str, domain: &str, answers: &Answers) -> DomainAnswer {
    let keys = RowKeys::new(grid_section, domain);
    let mut answer = DomainAnswer::default();
    for (column, key) in keys.by_column() {
        if let Some(value) = answers.get(key) {
            answer.set(column, value.clone());
        }
    }
    answer
}

/// Per data domain across organizations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DomainSummary {
    pub domain: String,
    /// Organizations that collect it (yes or partly).
    pub producers: usize,
    /// Organizations that say they need it from others.
    pub needers: usize,
    /// Producers offering each disaggregation key (e.g. "sex" -> 3).
    pub disaggregations: BTreeMap<String, usize>,
    /// Producers that answered which disaggregations they offer (the rest left the follow-up
    /// unanswered: that is "not answered", never "none").
    pub disaggregations_answered: usize,
    pub published_by: usize,
}

impl DomainSummary {
    /// Producers that left the disaggregation follow-up unanswered.
    pub fn disaggregations_unanswered(&self) -> usize {
        self.producers.saturating_sub(self.disaggregations_answered)
    }

    /// Counts one producer's disaggregations (none: the question was not answered, since a
    /// multiple choice without any choice is no answer).
    fn count_disaggregations<'k>(&mut self, keys: impl IntoIterator<Item = &'k str>) {
        let mut answered = false;
        for key in keys {
            answered = true;
            // Look up before inserting so the key is copied only the first time it is seen.
            match self.disaggregations.get_mut(key) {
                Some(count) => *count += 1,
                None => {
                    self.disaggregations.insert(key.to_owned(), 1);
                }
            }
        }
        if answered {
            self.disaggregations_answered += 1;
        }
    }
}

/// One summary per option of the grid's domain code list, in list order. Returns empty if the instrument has no grid.
///
/// Disaggregations and publication count only for producers: those columns are asked only of
/// them, and an answer left over from before a change to "no" must not count. A disaggregation
/// no producer offers is absent from the map; producers that did not answer the question are
/// counted apart ([`DomainSummary::disaggregations_answered`]). Needers include producers that
/// also need the data from others.
pub fn domain_summaries<'a>(
    instrument: &Instrument,
    responses: impl IntoIterator<Item = &'a Answers>,
) -> Vec<DomainSummary> {
    let Some((section, grid)) = instrument.grid() else {
        return Vec::new();
    };
    let Some(list) = instrument.code_list(&grid.list) else {
        return Vec::new();
    };
    let rows: Vec<RowKeys> = list
        .options
        .iter()
        .map(|option| RowKeys::new(&section.key, &option.key))
        .collect();
    let mut summaries: Vec<DomainSummary> = list
        .options
        .iter()
        .map(|option| DomainSummary {
            domain: option.key.clone(),
            ..DomainSummary::default()
        })
        .collect();
    for answers in responses {
        for (keys, summary) in rows.iter().zip(summaries.iter_mut()) {
            if bool_of(answers, &keys.needed) == Some(true) {
                summary.needers += 1;
            }
            if !is_producer(choice_of(answers, &keys.collects)) {
                continue;
            }
            summary.producers += 1;
            if bool_of(answers, &keys.published) == Some(true) {
                summary.published_by += 1;
            }
            summary.count_disaggregations(
                choices_of(answers, &keys.disaggregations)
                    .iter()
                    .map(String::as_str),
            );
        }
    }
    summaries
}

// ---------------------------------------------------------------------------------------------
// Gaps

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
    use crate::domain::instrument::{SectionBody, forum_instrument};

    fn forum() -> Instrument {
        forum_instrument().unwrap()
    }

    fn answers(pairs: &[(&str, AnswerValue)]) -> Answers {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.clone()))
            .collect()
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| value.to_string()).collect()
    }

    fn close(actual: Option<f64>, expected: f64) -> bool {
        actual.is_some_and(|actual| (actual - expected).abs() < 1e-12)
    }

    use AnswerValue::{DontKnow, Level, NotApplicable};

    // ---- capacity matrix -------------------------------------------------------------------

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

    /// Answers of `n` organizations varied over every maturity item and grid cell, including
    /// not applicable, don't know, out-of-scale levels, non-producers with leftover columns.
    fn varied_answers(instrument: &Instrument, n: usize) -> Vec<Answers> {
        let (grid_section, grid) = instrument.grid().unwrap();
        let domains = instrument.code_list(&grid.list).unwrap();
        (0..n)
            .map(|org| {
                let mut answers = Answers::new();
                for (j, item) in instrument
                    .dimensions()
                    .flat_map(|d| d.items())
                    .filter(|i| i.is_maturity())
                    .enumerate()
                {
                    let value = match (org * 7 + j * 3) % 9 {
                        0 => continue,
                        1 => NotApplicable,
                        2 => DontKnow,
                        3 => Level(9),
                        k => Level((k % 5) as u8),
                    };
                    answers.insert(item.key.clone(), value);
                }
                for (j, domain) in domains.options.iter().enumerate() {
                    let key = |c: &str| grid_cell_key(&grid_section.key, &domain.key, c);
                    let collects = ["yes", "partly", "no", "none"][(org + j) % 4];
                    if collects != "none" {
                        answers.insert(key("collects"), AnswerValue::Choice(collects.into()));
                    }
                    if (org + 2 * j) % 3 == 0 {
                        answers.insert(key("needed"), AnswerValue::Bool(true));
                    }
                    answers.insert(key("published"), AnswerValue::Bool((org + j) % 2 == 0));
                    let disaggregations = match (org * 5 + j) % 4 {
                        0 => vec![],
                        1 => strings(&["sex"]),
                        2 => strings(&["age", "sex"]),
                        _ => strings(&["nationality"]),
                    };
                    answers.insert(
                        key("disaggregations"),
                        AnswerValue::Choices(disaggregations),
                    );
                }
                answers
            })
            .collect()
    }

    #[test]
    fn matrix_rows_from_stored_scores_equal_rows_from_the_answers() {
        let instrument = forum();
        let sizes = DimensionSizes::new(&instrument);
        for answers in varied_answers(&instrument, 40) {
            let scores = ResponseScores::from_answers(&instrument, &answers);
            let stored = StoredScores::of(&scores);
            assert!(stored.is_valid());
            assert_eq!(stored.scores().unwrap(), scores);
            assert_eq!(sizes.row_stored(&stored), row(&instrument, &answers));
        }
        // A response with no answers has empty cells with the item counts.
        let empty = StoredScores::of(&ResponseScores::from_answers(&instrument, &Answers::new()));
        assert_eq!(sizes.row_stored(&empty), row(&instrument, &Answers::new()));
    }

    #[test]
    fn dimension_distributions_from_stored_marks_equal_distributions_from_the_answers() {
        let instrument = forum();
        let all = varied_answers(&instrument, 40);
        let stored: Vec<StoredScores> = all
            .iter()
            .map(|a| StoredScores::of(&ResponseScores::from_answers(&instrument, a)))
            .collect();
        for dimension in instrument.dimensions() {
            let keys: Vec<&str> = dimension
                .items()
                .iter()
                .filter(|i| i.is_maturity())
                .map(|i| i.key.as_str())
                .collect();
            let from_marks = distributions_of_marks(
                keys.len(),
                stored.iter().map(|s| s.marks_of(&dimension.key)),
            );
            assert_eq!(from_marks, distributions(&keys, &all), "{}", dimension.key);
            // The low levels are the same organizations either way.
            for (i, key) in keys.iter().enumerate() {
                let low_from_answers: Vec<usize> = (0..all.len())
                    .filter(|&o| {
                        all[o]
                            .get(*key)
                            .and_then(AnswerValue::level)
                            .is_some_and(|l| l <= 1)
                    })
                    .collect();
                let low_from_marks: Vec<usize> = (0..stored.len())
                    .filter(|&o| {
                        is_low_mark(
                            stored[o]
                                .marks_of(&dimension.key)
                                .as_bytes()
                                .get(i)
                                .copied(),
                        )
                    })
                    .collect();
                assert_eq!(low_from_marks, low_from_answers, "{key}");
            }
        }
        assert!(
            distributions_of_marks(2, [""])
                .iter()
                .all(|d| d.unanswered == 1)
        );
    }

    #[test]
    fn domain_summaries_from_stored_scores_equal_summaries_from_the_answers() {
        let instrument = forum();
        let all = varied_answers(&instrument, 40);
        let scores: Vec<ResponseScores> = all
            .iter()
            .map(|a| ResponseScores::from_answers(&instrument, a))
            .collect();
        let expected = domain_summaries(&instrument, &all);
        assert!(expected.iter().any(|s| s.producers > 0 && s.needers > 0));
        let stored: Vec<StoredScores> = scores.iter().map(StoredScores::of).collect();
        assert_eq!(domain_summaries_of_stored(&instrument, &stored), expected);
    }

    #[test]
    fn malformed_stored_scores_are_refused_and_odd_keys_are_not_stored() {
        for (dimensions, domains) in [
            ("legal:1:2", ""),
            ("legal:x:1:0:1", ""),
            ("legal:1:1:0:9", ""),
            // The form before the answer marks: recomputed rather than read.
            ("legal:1:1:0", ""),
            ("legal:1:1:0:1:", ""),
            ("", "asylum:q:"),
            ("", "asylum:p"),
            ("", ":p:sex"),
        ] {
            let stored = StoredScores {
                dimensions: dimensions.into(),
                domains: domains.into(),
            };
            assert!(!stored.is_valid(), "{dimensions} {domains}");
            assert_eq!(stored.scores(), None);
        }
        assert_eq!(
            StoredScores::default().scores(),
            Some(ResponseScores::default())
        );
        let odd = ResponseScores {
            dimensions: vec![],
            domains: vec![DomainFlags {
                domain: "asylum".into(),
                producer: true,
                disaggregations: strings(&["sex|age"]),
                ..DomainFlags::default()
            }],
        };
        assert!(!odd.is_storable());
    }

    // ---- distributions ---------------------------------------------------------------------

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

    // ---- reconciliation --------------------------------------------------------------------

    fn exchange<'a>(
        id: &'a str,
        reporter: &'a str,
        partner: Option<&'a str>,
        direction: Option<Direction>,
        domains: &[&'a str],
    ) -> Exchange<'a> {
        Exchange {
            mechanism_id: id,
            reporter,
            partner,
            direction,
            domains: domains.to_vec(),
            status: Some("active"),
        }
    }

    fn summary(flows: &[ReconciledFlow]) -> Vec<(&str, &str, &str, &Confirmation)> {
        flows
            .iter()
            .map(|r| {
                (
                    r.flow.provider.as_str(),
                    r.flow.receiver.as_str(),
                    r.flow.mechanism_id.as_str(),
                    &r.confirmation,
                )
            })
            .collect()
    }

    fn confirmed(by: &[&str]) -> Confirmation {
        Confirmation::Confirmed { by: strings(by) }
    }

    fn only(reporter: &str) -> Confirmation {
        Confirmation::ReportedOnlyBy {
            reporter: reporter.to_string(),
        }
    }

    #[test]
    fn direction_parses_option_keys() {
        assert_eq!(Direction::parse("provide"), Some(Direction::Provide));
        assert_eq!(Direction::parse("receive"), Some(Direction::Receive));
        assert_eq!(Direction::parse("both"), Some(Direction::Both));
        assert_eq!(Direction::parse("Provide"), None);
        assert_eq!(Direction::parse(""), None);
    }

    #[test]
    fn both_sides_reporting_with_a_common_domain_confirm_each_other() {
        use Direction::{Provide, Receive};
        let flows = reconcile(&[
            exchange("m1", "A", Some("B"), Some(Provide), &["asylum", "returns"]),
            exchange("m2", "B", Some("A"), Some(Receive), &["returns"]),
        ]);
        assert_eq!(
            summary(&flows),
            [
                ("A", "B", "m1", &confirmed(&["m2"])),
                ("A", "B", "m2", &confirmed(&["m1"])),
            ]
        );
        assert_eq!(
            flows[0].flow,
            Flow {
                provider: "A".into(),
                receiver: "B".into(),
                mechanism_id: "m1".into(),
                reporter: "A".into(),
                domains: strings(&["asylum", "returns"]),
                status: Some("active".into()),
            }
        );
        assert_eq!(flows[1].flow.reporter, "B");
    }

    #[test]
    fn reports_without_a_common_domain_stay_one_sided() {
        use Direction::{Provide, Receive};
        let flows = reconcile(&[
            exchange("m1", "A", Some("B"), Some(Provide), &["asylum"]),
            exchange("m2", "B", Some("A"), Some(Receive), &["returns"]),
            // The wrong way round: B says it provides to A, which is another flow.
            exchange("m3", "B", Some("A"), Some(Provide), &["asylum"]),
            // Two reports by the same side do not confirm each other.
            exchange("m4", "A", Some("B"), Some(Provide), &["asylum"]),
            // No domains at all: nothing to have in common.
            exchange("m5", "B", Some("A"), Some(Receive), &[]),
        ]);
        assert_eq!(
            summary(&flows),
            [
                ("A", "B", "m1", &only("A")),
                ("A", "B", "m2", &only("B")),
                ("A", "B", "m4", &only("A")),
                ("A", "B", "m5", &only("B")),
                ("B", "A", "m3", &only("B")),
            ]
        );
    }

    #[test]
    fn both_direction_gives_two_flows_each_reconciled_on_its_own() {
        use Direction::{Both, Provide};
        let flows = reconcile(&[
            exchange("m1", "A", Some("B"), Some(Both), &["asylum"]),
            exchange("m2", "B", Some("A"), Some(Provide), &["asylum", "health"]),
        ]);
        assert_eq!(
            summary(&flows),
            [
                ("A", "B", "m1", &only("A")),
                ("B", "A", "m1", &confirmed(&["m2"])),
                ("B", "A", "m2", &confirmed(&["m1"])),
            ]
        );
        let mutual = reconcile(&[
            exchange("m1", "A", Some("B"), Some(Both), &["asylum"]),
            exchange("m2", "B", Some("A"), Some(Both), &["asylum"]),
        ]);
        assert_eq!(
            summary(&mutual),
            [
                ("A", "B", "m1", &confirmed(&["m2"])),
                ("A", "B", "m2", &confirmed(&["m1"])),
                ("B", "A", "m1", &confirmed(&["m2"])),
                ("B", "A", "m2", &confirmed(&["m1"])),
            ]
        );
    }

    #[test]
    fn outside_bodies_missing_directions_and_self_partners_are_skipped() {
        use Direction::{Provide, Receive};
        let flows = reconcile(&[
            exchange("m1", "A", None, Some(Provide), &["asylum"]),
            exchange("m2", "A", Some("B"), None, &["asylum"]),
            exchange("m3", "A", Some("A"), Some(Provide), &["asylum"]),
            exchange("m4", "A", Some(""), Some(Provide), &["asylum"]),
            // C reports receiving from A; A reports nothing about it.
            exchange("m5", "C", Some("A"), Some(Receive), &["asylum"]),
        ]);
        assert_eq!(summary(&flows), [("A", "C", "m5", &only("C"))]);
        assert_eq!(flows[0].flow.reporter, "C");
        assert!(reconcile(&[]).is_empty());
    }

    #[test]
    fn reconciliation_order_does_not_depend_on_input_order() {
        use Direction::{Both, Provide, Receive};
        let mut exchanges = vec![
            exchange("m9", "SNM", Some("INEC"), Some(Provide), &["border_flows"]),
            exchange("m2", "INEC", Some("SNM"), Some(Receive), &["border_flows"]),
            exchange("m7", "SNM", Some("MINSA"), Some(Both), &["health"]),
            exchange("m3", "ONPAR", Some("SNM"), Some(Provide), &["asylum"]),
            exchange(
                "m1",
                "INEC",
                Some("SNM"),
                Some(Receive),
                &["border_flows", "asylum"],
            ),
            exchange(
                "m4",
                "RC",
                Some("INEC"),
                Some(Provide),
                &["civil_registration"],
            ),
        ];
        let forward = reconcile(&exchanges);
        exchanges.reverse();
        assert_eq!(reconcile(&exchanges), forward);
        assert_eq!(
            summary(&forward),
            [
                ("MINSA", "SNM", "m7", &only("SNM")),
                ("ONPAR", "SNM", "m3", &only("ONPAR")),
                ("RC", "INEC", "m4", &only("RC")),
                ("SNM", "INEC", "m1", &confirmed(&["m9"])),
                ("SNM", "INEC", "m2", &confirmed(&["m9"])),
                ("SNM", "INEC", "m9", &confirmed(&["m1", "m2"])),
                ("SNM", "MINSA", "m7", &only("SNM")),
            ]
        );
    }

    #[test]
    fn exchange_reads_a_mechanism_s_values() {
        let values = answers(&[
            (
                "partner",
                AnswerValue::Partner(PartnerRef::Organization("org-2".into())),
            ),
            ("direction", AnswerValue::Choice("receive".into())),
            ("domains", AnswerValue::Choices(strings(&["asylum"]))),
            ("status", AnswerValue::Choice("planned".into())),
            ("name", AnswerValue::Text("Monthly file".into())),
        ]);
        assert_eq!(
            Exchange::from_values("m1", "org-1", &values),
            Exchange {
                mechanism_id: "m1",
                reporter: "org-1",
                partner: Some("org-2"),
                direction: Some(Direction::Receive),
                domains: vec!["asylum"],
                status: Some("planned"),
            }
        );
        let outside = answers(&[(
            "partner",
            AnswerValue::Partner(PartnerRef::Outside("UNHCR".into())),
        )]);
        let read = Exchange::from_values("m2", "org-1", &outside);
        assert_eq!(
            (read.partner, read.direction, read.status),
            (None, None, None)
        );
        assert!(read.domains.is_empty());
    }

    // ---- data domains and gaps -------------------------------------------------------------

    fn yes(value: bool) -> AnswerValue {
        AnswerValue::Bool(value)
    }

    fn choice(value: &str) -> AnswerValue {
        AnswerValue::Choice(value.to_string())
    }

    fn choices(values: &[&str]) -> AnswerValue {
        AnswerValue::Choices(strings(values))
    }

    /// Three organizations answering the forum grid, with hand-counted results in the tests.
    fn grid_responses() -> Vec<Answers> {
        vec![
            answers(&[
                ("domains.asylum.collects", choice("yes")),
                ("domains.asylum.source", choices(&["admin_register"])),
                (
                    "domains.asylum.disaggregations",
                    choices(&["sex", "nationality"]),
                ),
                ("domains.asylum.frequency", choice("monthly")),
                ("domains.asylum.published", yes(true)),
                ("domains.asylum.needed", yes(false)),
                ("domains.returns.needed", yes(true)),
                ("domains.work_permits.collects", choice("yes")),
                ("domains.work_permits.disaggregations", choices(&["sex"])),
                ("domains.health.collects", choice("partly")),
            ]),
            answers(&[
                ("domains.asylum.collects", choice("partly")),
                ("domains.asylum.disaggregations", choices(&["sex", "age"])),
                ("domains.asylum.published", yes(false)),
                ("domains.asylum.needed", yes(true)),
            ]),
            answers(&[
                // Left over from before the answer became "no": must not count.
                ("domains.asylum.collects", choice("no")),
                ("domains.asylum.disaggregations", choices(&["ethnicity"])),
                ("domains.asylum.published", yes(true)),
                ("domains.returns.collects", choice("no")),
                ("domains.returns.needed", yes(true)),
                ("domains.health.needed", yes(true)),
            ]),
        ]
    }

    #[test]
    fn domain_answer_reads_one_grid_row() {
        let instrument = forum();
        let (grid, _) = instrument.grid().unwrap();
        let responses = grid_responses();
        assert_eq!(
            domain_answer(&grid.key, "asylum", &responses[0]),
            DomainAnswer {
                collects: Some("yes".into()),
                sources: strings(&["admin_register"]),
                disaggregations: strings(&["sex", "nationality"]),
                frequency: Some("monthly".into()),
                published: Some(true),
                needed: Some(false),
            }
        );
        assert_eq!(
            domain_answer(&grid.key, "returns", &responses[0]),
            DomainAnswer {
                needed: Some(true),
                ..DomainAnswer::default()
            }
        );
        assert_eq!(
            domain_answer(&grid.key, "statelessness", &responses[0]),
            DomainAnswer::default()
        );
    }

    #[test]
    fn domain_summaries_follow_the_code_list_and_count_producers() {
        let instrument = forum();
        let (_, grid) = instrument.grid().unwrap();
        let list = instrument.code_list(&grid.list).unwrap();
        let responses = grid_responses();
        let summaries = domain_summaries(&instrument, &responses);
        let domains: Vec<&str> = summaries.iter().map(|s| s.domain.as_str()).collect();
        let expected: Vec<&str> = list.options.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(domains, expected);
        assert_eq!(domains.first(), Some(&"border_flows"));

        let find = |key: &str| summaries.iter().find(|s| s.domain == key).unwrap();
        assert_eq!(
            find("asylum"),
            &DomainSummary {
                domain: "asylum".into(),
                producers: 2,
                needers: 1,
                disaggregations: [("age", 1), ("nationality", 1), ("sex", 2)]
                    .into_iter()
                    .map(|(k, n)| (k.to_string(), n))
                    .collect(),
                disaggregations_answered: 2,
                published_by: 1,
            }
        );
        let returns = find("returns");
        assert_eq!((returns.producers, returns.needers), (0, 2));
        let health = find("health");
        assert_eq!((health.producers, health.needers), (1, 1));
        assert!(health.disaggregations.is_empty());
        // Its one producer left the follow-up unanswered.
        assert_eq!(
            (
                health.disaggregations_answered,
                health.disaggregations_unanswered()
            ),
            (0, 1)
        );
        assert_eq!(
            find("statelessness"),
            &DomainSummary {
                domain: "statelessness".into(),
                ..DomainSummary::default()
            }
        );

        let mut gridless = instrument.clone();
        gridless
            .sections
            .retain(|section| !matches!(section.body, SectionBody::DomainGrid(_)));
        assert!(domain_summaries(&gridless, &responses).is_empty());
        assert_eq!(domain_summaries(&instrument, []).len(), list.options.len());
    }

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
