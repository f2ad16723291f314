//! Stored answers decoded: one response's as saved, and for the views answer kinds, some
//! responses' answers, domain grids.

use std::collections::{BTreeMap, HashMap};

use crate::domain::analysis::{Answers, DomainAnswer};
use crate::domain::answers::AnswerValue;
use crate::domain::instrument::{DomainGrid, Instrument, ItemKind};
use crate::error::AppError;
use crate::store::DbConnection;
use crate::store::responses as response_rows;

/// The saved answers of a response, read against its instrument, and evidence texts.
#[derive(Debug, Clone, Default)]
pub struct SavedAnswers {
    pub values: BTreeMap<String, AnswerValue>,
    pub evidence: BTreeMap<String, String>,
    /// The stored text of every answer, for values the instrument no longer reads.
    pub raw: BTreeMap<String, String>,
}

/// Stored answer rows of one response read against its instrument (rows that no longer fit keep
/// only their raw text).
pub fn read_answers(instrument: &Instrument, found: Vec<response_rows::AnswerRow>) -> SavedAnswers {
    let mut saved = SavedAnswers::default();
    for row in found {
        if let Some(evidence) = row.evidence.filter(|e| !e.is_empty()) {
            saved.evidence.insert(row.item_key.clone(), evidence);
        }
        if row.value.is_empty() {
            continue;
        }
        if let Some(value) = instrument
            .slot_kind(&row.item_key)
            .and_then(|kind| AnswerValue::decode(kind, &row.value))
        {
            saved.values.insert(row.item_key.clone(), value);
        }
        saved.raw.insert(row.item_key, row.value);
    }
    saved
}

/// The keys of every maturity item.
pub fn maturity_keys(instrument: &Instrument) -> Vec<String> {
    instrument
        .dimensions()
        .flat_map(|s| s.items())
        .filter(|i| matches!(i.kind, ItemKind::Maturity { .. }))
        .map(|i| i.key.clone())
        .collect()
}

/// The keys of every cell of the data-domain grid.
pub fn grid_keys(instrument: &Instrument) -> Vec<String> {
    let Some((section, grid)) = instrument.grid() else {
        return Vec::new();
    };
    let Some(list) = instrument.code_list(&grid.list) else {
        return Vec::new();
    };
    list.options
        .iter()
        .flat_map(|d| {
            grid.columns.iter().map(move |c| {
                crate::domain::instrument::grid_cell_key(&section.key, &d.key, &c.key)
            })
        })
        .collect()
}

type DecodedAnswers = (
    HashMap<String, Answers>,
    HashMap<String, BTreeMap<String, String>>,
);

/// The kind of every answer key of an instrument (items and grid cells), found by one hash
/// look-up instead of a walk through the instrument per answer.
pub struct SlotKinds<'a> {
    instrument: &'a Instrument,
    kinds: HashMap<String, &'a ItemKind>,
}

impl<'a> SlotKinds<'a> {
    pub fn new(instrument: &'a Instrument) -> SlotKinds<'a> {
        let mut kinds: HashMap<String, &ItemKind> = HashMap::new();
        for item in instrument.sections.iter().flat_map(|s| s.items()) {
            // The first item of a key wins, as in `slot_kind`.
            kinds.entry(item.key.clone()).or_insert(&item.kind);
        }
        for key in grid_keys(instrument) {
            if let Some(kind) = instrument.slot_kind(&key) {
                kinds.entry(key).or_insert(kind);
            }
        }
        SlotKinds { instrument, kinds }
    }

    pub fn get(&self, key: &str) -> Option<&'a ItemKind> {
        match self.kinds.get(key) {
            Some(kind) => Some(kind),
            None => self.instrument.slot_kind(key),
        }
    }

    /// Decodes a stored value by its key's kind into its response's answers (empty values and
    /// values that no longer fit are skipped).
    fn put(
        &self,
        answers: &mut HashMap<String, Answers>,
        response_id: String,
        item_key: String,
        value: &str,
    ) {
        if value.is_empty() {
            return;
        }
        let Some(value) = self
            .get(&item_key)
            .and_then(|k| AnswerValue::decode(k, value))
        else {
            return;
        };
        // Rows come ordered by response: the last entry is usually the one to extend.
        match answers.get_mut(&response_id) {
            Some(map) => {
                map.insert(item_key, value);
            }
            None => {
                answers
                    .entry(response_id)
                    .or_default()
                    .insert(item_key, value);
            }
        }
    }
}

/// Stored answer rows as values of their items' kinds (rows that no longer fit are skipped), and
/// the evidence texts.
pub fn decode_answers(
    instrument: &Instrument,
    rows: Vec<response_rows::AssessmentAnswer>,
) -> DecodedAnswers {
    let kinds = SlotKinds::new(instrument);
    let mut answers: HashMap<String, Answers> = HashMap::new();
    let mut evidence: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    for row in rows {
        if let Some(text) = row.evidence.filter(|e| !e.is_empty()) {
            evidence
                .entry(row.response_id.clone())
                .or_default()
                .insert(row.item_key.clone(), text);
        }
        kinds.put(&mut answers, row.response_id, row.item_key, &row.value);
    }
    (answers, evidence)
}

/// The decoded answers of some responses (e.g. the organizations shown as columns of a table).
pub fn answers_of_responses(
    conn: &mut DbConnection,
    instrument: &Instrument,
    response_ids: &[String],
) -> Result<HashMap<String, Answers>, AppError> {
    let rows = response_rows::answers_of_responses(conn, response_ids)?;
    Ok(decode_answers(instrument, rows).0)
}

/// Decodes stored grid cells (`<grid>.<domain>.<column>` keys) into rows of domain answers.
struct GridReader<'a> {
    /// The grid section's key and a dot.
    prefix: String,
    grid: &'a DomainGrid,
    /// Each domain's place in the grid's code list.
    place: foldhash::HashMap<&'a str, usize>,
}

impl<'a> GridReader<'a> {
    fn new(instrument: &'a Instrument) -> Option<GridReader<'a>> {
        let (section, grid) = instrument.grid()?;
        let list = instrument.code_list(&grid.list)?;
        Some(GridReader {
            prefix: format!("{}.", section.key),
            grid,
            place: list
                .options
                .iter()
                .enumerate()
                .map(|(i, o)| (o.key.as_str(), i))
                .collect(),
        })
    }

    /// A row with a default answer for every domain, in the code list's order.
    fn empty_row(&self) -> Vec<DomainAnswer> {
        vec![DomainAnswer::default(); self.place.len()]
    }

    /// Puts a stored cell into its domain's answer; false when the key is not a grid cell.
    /// Empty values and values that no longer fit the column are skipped.
    fn put(&self, row: &mut [DomainAnswer], key: &str, value: &str) -> bool {
        let Some((domain, column)) = key
            .strip_prefix(self.prefix.as_str())
            .and_then(|cell| cell.split_once('.'))
        else {
            return false;
        };
        if let (Some(answer), Some(item)) = (
            self.place.get(domain).and_then(|&i| row.get_mut(i)),
            self.grid.column(column),
        ) && !value.is_empty()
            && let Some(value) = AnswerValue::decode(&item.kind, value)
        {
            answer.set(column, value);
        }
        true
    }
}

/// Answers and data-domain grids, each by response id.
pub type AnswersAndGrids = (HashMap<String, Answers>, HashMap<String, Vec<DomainAnswer>>);

/// Some responses' answers to the given items and their data-domain grids (one answer per domain
/// of the grid's code list, in the list's order), by response id, from one query that reads
/// every answer of the responses packed a response to a row: the workbook's answers and domains
/// sheets (one pass over the answers table instead of a key look-up per item and a second pass
/// for the grids) and the domains CSV (no items). Grid cells are decoded straight into the
/// domains' answers, without a map of each response's answers.
pub fn answers_and_grids(
    conn: &mut DbConnection,
    instrument: &Instrument,
    response_ids: &[String],
    keys: &[String],
) -> Result<AnswersAndGrids, AppError> {
    let wanted: foldhash::HashSet<&str> = keys.iter().map(String::as_str).collect();
    let reader = GridReader::new(instrument);
    let mut answers = HashMap::with_capacity(response_ids.len());
    let mut grids = HashMap::with_capacity(response_ids.len());
    let mut packed: HashMap<String, String> =
        response_rows::packed_answer_values(conn, response_ids)?
            .into_iter()
            .collect();
    for id in response_ids {
        let mut values = Answers::new();
        let mut row = reader
            .as_ref()
            .map(GridReader::empty_row)
            .unwrap_or_default();
        let packed = packed.remove(id).unwrap_or_default();
        for (key, value) in response_rows::unpack_answer_values(&packed) {
            if reader.as_ref().is_some_and(|r| r.put(&mut row, key, value))
                || value.is_empty()
                || !wanted.contains(key)
            {
                continue;
            }
            if let Some(value) = instrument
                .item(key)
                .and_then(|item| AnswerValue::decode(&item.kind, value))
            {
                values.insert(key.to_owned(), value);
            }
        }
        answers.insert(id.clone(), values);
        grids.insert(id.clone(), row);
    }
    Ok((answers, grids))
}
