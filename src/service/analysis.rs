//! The answers of an assessment turned into evidence: the data behind the capacity matrix,
//! dimension pages, the mechanism inventory, the exchange network, reconciliation and gaps.
//! Each view loads what it needs in a handful of queries and aggregates in one pass.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::instruments::InstrumentRegistry;
use super::responses::slot_kind;
use crate::domain::analysis::{
    self, Answers, Cell, ColumnStats, DimensionSizes, Direction, DomainAnswer, DomainSummary,
    Exchange, Gaps, MatchedFlow, ReconciledFlow, ResponseScores, StoredScores,
};
use crate::domain::answers::{AnswerValue, Progress};
use crate::domain::instrument::{DomainGrid, Instrument, ItemKind, SectionBody};
use crate::error::AppError;
use crate::store::assessments::Assessment;
use crate::store::mechanisms::{FlowHead, MechanismHead};
use crate::store::responses::{self as response_rows, OrganizationHead, ResponseHead};
use crate::store::{self, DbConnection};

/// One organization taking part, with its response.
#[derive(Debug, Clone)]
pub struct Participant {
    pub response: ResponseHead,
    pub organization: OrganizationHead,
}

impl Participant {
    pub fn is_submitted(&self) -> bool {
        self.response.is_submitted()
    }
}

/// Which answers and scores a view needs. Scores are the read model behind the matrix (their
/// dimension part) and the domain summaries and gaps (their domain part); a view that shows only
/// the matrix reads only the dimension part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The dimension scores only (the matrix, its CSV, a response's scores, a dimension page,
    /// which counts the answer marks stored with them).
    Matrix,
    /// Every score, no answers (the domains and gaps page).
    Scores,
    /// The dimension scores and one response's answers and evidence (a cell).
    Response(String),
    /// No answers, only the mechanisms (the inventory).
    Mechanisms,
    /// No answers, only the flow heads of the mechanisms (the network, the flows export).
    Flows,
    /// The scores, the mechanisms and their flow heads, no answers (the report annex, which
    /// summarises the matrix, the inventory, the network and the gaps).
    Summary,
    /// The scores and the flow heads of the mechanisms, no answers (the workbook and the JSON
    /// export, which read the full mechanism rows themselves).
    ScoresAndFlows,
    /// Only the responses and their organizations (the streamed answers export).
    Participants,
    /// Every answer.
    All,
}

/// Which part of the stored scores a scope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScoreParts {
    None,
    /// The dimension part only: the domain part is left empty.
    Dimensions,
    Both,
}

impl Scope {
    fn score_parts(&self) -> ScoreParts {
        match self {
            Scope::Mechanisms | Scope::Flows | Scope::Participants => ScoreParts::None,
            Scope::Matrix | Scope::Response(_) => ScoreParts::Dimensions,
            Scope::Scores | Scope::Summary | Scope::ScoresAndFlows | Scope::All => ScoreParts::Both,
        }
    }
}

/// What was loaded for an assessment.
pub struct AssessmentData {
    pub assessment: Assessment,
    pub instrument: Arc<Instrument>,
    /// Ordered by organization name.
    pub participants: Vec<Participant>,
    /// Decoded answers by response id.
    pub answers: HashMap<String, Answers>,
    /// Evidence texts by response id and item key.
    pub evidence: HashMap<String, BTreeMap<String, String>>,
    /// The stored scores of every response by response id (empty for `Scope::Mechanisms`).
    pub scores: HashMap<String, StoredScores>,
    /// The columns of the mechanisms that the views read; the exports that list every field
    /// read the full rows themselves.
    pub mechanisms: Vec<MechanismHead>,
    /// The columns of the mechanisms that the exchange network reads (in no particular order:
    /// the network orders its flows itself).
    pub flows: Vec<FlowHead>,
    /// Registered organizations that take no part in the assessment but that a mechanism names
    /// as its partner (any registered organization may be named), for their labels.
    pub outside_partners: Vec<OrganizationHead>,
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

/// Loads an assessment with what a view needs: its responses, the scores of each (one row per
/// response), the answers the scope asks for and (for the scopes that show them) its mechanisms;
/// a handful of queries whatever the number of organizations.
pub fn load(
    conn: &mut DbConnection,
    registry: &InstrumentRegistry,
    assessment_id: &str,
    scope: Scope,
) -> Result<AssessmentData, AppError> {
    let assessment = store::assessments::find(conn, assessment_id)?;
    let instrument = registry.get(
        conn,
        &assessment.instrument_key,
        &assessment.instrument_version,
    )?;
    let participants: Vec<Participant> = response_rows::heads_for_assessment(conn, assessment_id)?
        .into_iter()
        .map(|(response, organization)| Participant {
            response,
            organization,
        })
        .collect();
    let rows = match &scope {
        Scope::Matrix
        | Scope::Scores
        | Scope::Mechanisms
        | Scope::Flows
        | Scope::Summary
        | Scope::ScoresAndFlows
        | Scope::Participants => Vec::new(),
        Scope::Response(id) => {
            // Only a response of this assessment: another's id reads nothing.
            if participants.iter().any(|p| p.response.id == *id) {
                response_rows::answers_of_responses(conn, std::slice::from_ref(id))?
            } else {
                Vec::new()
            }
        }
        Scope::All => response_rows::answers_of_assessment(conn, assessment_id)?,
    };
    let (answers, evidence) = decode_answers(&instrument, rows);
    let scores = match scope.score_parts() {
        ScoreParts::None => HashMap::new(),
        parts => load_scores(conn, &instrument, assessment_id, &participants, parts)?,
    };
    let mechanisms = match scope {
        Scope::Mechanisms | Scope::Summary | Scope::All => {
            store::mechanisms::heads_for_assessment(conn, assessment_id)?
        }
        _ => Vec::new(),
    };
    let flows = match scope {
        Scope::Flows | Scope::Summary | Scope::ScoresAndFlows | Scope::All => {
            store::mechanisms::flow_heads_for_assessment(conn, assessment_id)?
        }
        _ => Vec::new(),
    };
    let taking_part: std::collections::HashSet<&str> = participants
        .iter()
        .map(|p| p.organization.id.as_str())
        .collect();
    let mut named: Vec<String> = mechanisms
        .iter()
        .filter_map(|m| m.partner_organization_id.as_deref())
        .chain(
            flows
                .iter()
                .filter_map(|m| m.partner_organization_id.as_deref()),
        )
        .filter(|id| !taking_part.contains(id))
        .map(str::to_owned)
        .collect();
    named.sort_unstable();
    named.dedup();
    let outside_partners = if named.is_empty() {
        Vec::new()
    } else {
        store::organizations::heads(conn, &named)?
    };
    Ok(AssessmentData {
        assessment,
        instrument,
        participants,
        answers,
        evidence,
        scores,
        mechanisms,
        flows,
        outside_partners,
    })
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
            if let Some(kind) = slot_kind(instrument, &key) {
                kinds.entry(key).or_insert(kind);
            }
        }
        SlotKinds { instrument, kinds }
    }

    pub fn get(&self, key: &str) -> Option<&'a ItemKind> {
        match self.kinds.get(key) {
            Some(kind) => Some(kind),
            None => slot_kind(self.instrument, key),
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

/// Responses whose scores are recomputed from their answers per query, when stored ones are
/// missing (a database from before the read model, answers written outside a save).
const RESPONSES_PER_REBUILD: usize = 200;

/// What the read model holds of one response, computed from its answers.
struct Computed {
    scores: ResponseScores,
    progress: Progress,
}

impl Computed {
    fn of(instrument: &Instrument, answers: &Answers) -> Computed {
        Computed {
            scores: ResponseScores::from_answers(instrument, answers),
            progress: crate::domain::answers::response_progress(instrument, answers),
        }
    }

    /// Stores it (a save's `put`, or a reader's `insert_missing`), or forgets what was stored
    /// when its scores cannot be stored.
    fn store(
        &self,
        conn: &mut DbConnection,
        response_id: &str,
        now: chrono::NaiveDateTime,
        overwrite: bool,
    ) -> Result<(), diesel::result::Error> {
        if !self.scores.is_storable() {
            return if overwrite {
                store::scores::forget(conn, response_id)
            } else {
                Ok(())
            };
        }
        let (dimensions, domains) = (
            self.scores.encode_dimensions(),
            self.scores.encode_domains(),
        );
        let row = store::scores::NewScores {
            dimensions: &dimensions,
            domains: &domains,
            progress_required: i64::try_from(self.progress.required).unwrap_or(i64::MAX),
            progress_answered: i64::try_from(self.progress.answered).unwrap_or(i64::MAX),
        };
        if overwrite {
            store::scores::put(conn, response_id, row, now)
        } else {
            store::scores::insert_missing(conn, response_id, row, now)
        }
    }
}

/// Computes the read model of some responses from their answers, a batch at a time, and stores
/// it for the next reader (one transaction per batch: one commit instead of one per response).
fn rebuild(
    conn: &mut DbConnection,
    instrument: &Instrument,
    response_ids: &[String],
) -> Result<Vec<(String, Computed)>, AppError> {
    let now = crate::service::now();
    let mut all = Vec::with_capacity(response_ids.len());
    for batch in response_ids.chunks(RESPONSES_PER_REBUILD) {
        let rows = response_rows::answers_of_responses(conn, batch)?;
        let (answers, _) = decode_answers(instrument, rows);
        let computed: Vec<(String, Computed)> = batch
            .iter()
            .map(|id| {
                let answers = answers.get(id).unwrap_or(&EMPTY);
                (id.clone(), Computed::of(instrument, answers))
            })
            .collect();
        crate::store::write(conn, |conn| {
            for (id, c) in &computed {
                c.store(conn, id, now, false)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        all.extend(computed);
    }
    Ok(all)
}

/// The stored scores of an assessment's responses (the parts asked for); those missing (or
/// unreadable) are computed from the answers and stored for the next reader.
fn load_scores(
    conn: &mut DbConnection,
    instrument: &Instrument,
    assessment_id: &str,
    participants: &[Participant],
    parts: ScoreParts,
) -> Result<HashMap<String, StoredScores>, AppError> {
    let mut scores = stored_scores(conn, assessment_id, parts)?;
    let missing = missing_scores(participants, &scores);
    scores.extend(
        rebuild(conn, instrument, &missing)?
            .into_iter()
            .map(|(id, c)| (id, StoredScores::of(&c.scores))),
    );
    Ok(scores)
}

/// The stored scores of an assessment's responses that read (the parts asked for).
fn stored_scores(
    conn: &mut DbConnection,
    assessment_id: &str,
    parts: ScoreParts,
) -> Result<HashMap<String, StoredScores>, AppError> {
    Ok(if parts == ScoreParts::Dimensions {
        store::scores::dimensions_of_assessment(conn, assessment_id)?
            .into_iter()
            .map(|(response_id, dimensions)| {
                let stored = StoredScores {
                    dimensions,
                    domains: String::new(),
                };
                (response_id, stored)
            })
            .filter(|(_, stored)| stored.dimensions_are_valid())
            .collect()
    } else {
        store::scores::of_assessment(conn, assessment_id)?
            .into_iter()
            .map(|row| {
                let stored = StoredScores {
                    dimensions: row.dimensions,
                    domains: row.domains,
                };
                (row.response_id, stored)
            })
            .filter(|(_, stored)| stored.is_valid())
            .collect()
    })
}

/// The participants' responses without stored scores that read.
fn missing_scores(
    participants: &[Participant],
    stored: &HashMap<String, StoredScores>,
) -> Vec<String> {
    participants
        .iter()
        .filter(|p| !stored.contains_key(&p.response.id))
        .map(|p| p.response.id.clone())
        .collect()
}

/// The progress of the given responses of an assessment by response id: read from the read
/// model, and for those it lacks computed from their answers (and stored for the next reader).
pub fn progress_of_responses(
    conn: &mut DbConnection,
    instrument: &Instrument,
    assessment_id: &str,
    response_ids: &[String],
) -> Result<HashMap<String, Progress>, AppError> {
    let mut progress: HashMap<String, Progress> =
        store::scores::progress_of_assessment(conn, assessment_id)?
            .into_iter()
            .map(|(id, required, answered)| {
                (
                    id,
                    Progress {
                        required: usize::try_from(required).unwrap_or_default(),
                        answered: usize::try_from(answered).unwrap_or_default(),
                    },
                )
            })
            .collect();
    let missing: Vec<String> = response_ids
        .iter()
        .filter(|id| !progress.contains_key(*id))
        .cloned()
        .collect();
    progress.extend(
        rebuild(conn, instrument, &missing)?
            .into_iter()
            .map(|(id, c)| (id, c.progress)),
    );
    Ok(progress)
}

/// Computes and stores the scores of every response of an assessment that has none (after a
/// bulk load of answers); returns how many were computed.
pub fn fill_missing_scores(
    conn: &mut DbConnection,
    instrument: &Instrument,
    assessment_id: &str,
) -> Result<usize, AppError> {
    let participants: Vec<Participant> = response_rows::heads_for_assessment(conn, assessment_id)?
        .into_iter()
        .map(|(response, organization)| Participant {
            response,
            organization,
        })
        .collect();
    let stored = stored_scores(conn, assessment_id, ScoreParts::Both)?;
    let missing = missing_scores(&participants, &stored);
    Ok(rebuild(conn, instrument, &missing)?.len())
}

/// Recomputes and stores the scores and progress of one response from its answers: called by a
/// save, in its transaction, after the answers are written.
pub fn refresh_scores(
    conn: &mut DbConnection,
    instrument: &Instrument,
    response_id: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    // One response: its answers by the key lookup (a cached statement) and decoded item by item,
    // without the kind table the views build for thousands of responses.
    let answers =
        super::responses::read_answers(instrument, response_rows::answers(conn, response_id)?)
            .values;
    Computed::of(instrument, &answers).store(conn, response_id, now, true)?;
    Ok(())
}

/// Which responses a view includes.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only organizations of this sector.
    pub sector: Option<String>,
    /// Also responses not submitted (drafts and reopened ones); by default only submitted.
    pub include_drafts: bool,
}

impl Selection {
    pub fn includes(&self, participant: &Participant) -> bool {
        (self.include_drafts || participant.is_submitted())
            && self
                .sector
                .as_ref()
                .is_none_or(|s| *s == participant.organization.sector)
    }
}

/// One row of the capacity matrix.
#[derive(Debug, Clone)]
pub struct MatrixRow<'a> {
    pub participant: &'a Participant,
    pub cells: Vec<Cell>,
    pub overall: Cell,
}

static EMPTY: std::sync::LazyLock<Answers> = std::sync::LazyLock::new(BTreeMap::new);
static NO_SCORES: std::sync::LazyLock<StoredScores> =
    std::sync::LazyLock::new(StoredScores::default);

impl AssessmentData {
    /// The answers of a response (empty when it has none).
    pub fn answers_of(&self, response_id: &str) -> &Answers {
        self.answers.get(response_id).unwrap_or(&EMPTY)
    }

    /// The participants a selection includes.
    pub fn selected<'a>(
        &'a self,
        selection: &Selection,
    ) -> impl Iterator<Item = &'a Participant> + use<'a> {
        let selection = selection.clone();
        self.participants
            .iter()
            .filter(move |p| selection.includes(p))
    }

    /// The scores of a response (empty when it has none).
    pub fn scores_of(&self, response_id: &str) -> &StoredScores {
        self.scores.get(response_id).unwrap_or(&NO_SCORES)
    }

    /// The matrix rows of the selected responses, in participant order.
    pub fn matrix(&self, selection: &Selection) -> Vec<MatrixRow<'_>> {
        let sizes = DimensionSizes::new(&self.instrument);
        self.selected(selection)
            .map(|participant| {
                let (cells, overall) = sizes.row_stored(self.scores_of(&participant.response.id));
                MatrixRow {
                    participant,
                    cells,
                    overall,
                }
            })
            .collect()
    }

    /// The mechanisms reported by the selected responses, as exchanges between organizations.
    pub fn exchanges(&self, selection: &Selection) -> Vec<Exchange<'_>> {
        let by_response: foldhash::HashMap<&str, &Participant> = self
            .selected(selection)
            .map(|p| (p.response.id.as_str(), p))
            .collect();
        self.flows
            .iter()
            .filter_map(|m| {
                let reporter = by_response.get(m.response_id.as_str())?;
                Some(Exchange {
                    mechanism_id: &m.id,
                    reporter: &reporter.organization.id,
                    partner: m.partner_organization_id.as_deref(),
                    direction: m.direction.as_deref().and_then(Direction::parse),
                    domains: split_list(m.domains.as_deref()),
                    status: m.status.as_deref(),
                })
            })
            .collect()
    }

    /// Every flow between forum organizations with its reconciliation state.
    pub fn reconciled(&self, selection: &Selection) -> Vec<ReconciledFlow> {
        analysis::reconcile(&self.exchanges(selection))
    }

    pub fn domain_summaries(&self, selection: &Selection) -> Vec<DomainSummary> {
        analysis::domain_summaries_of_stored(
            &self.instrument,
            self.selected(selection)
                .map(|p| self.scores_of(&p.response.id)),
        )
    }

    pub fn gaps(&self, selection: &Selection) -> Gaps {
        let rows: Vec<Vec<Cell>> = self
            .matrix(selection)
            .into_iter()
            .map(|r| r.cells)
            .collect();
        analysis::gaps(&self.instrument, &self.domain_summaries(selection), &rows)
    }

    /// Organizations by id, for labels: the participants and the partners outside the
    /// assessment.
    pub fn organizations(&self) -> foldhash::HashMap<&str, &OrganizationHead> {
        self.participants
            .iter()
            .map(|p| &p.organization)
            .chain(&self.outside_partners)
            .map(|o| (o.id.as_str(), o))
            .collect()
    }

    /// The grid section key, if the instrument has a grid.
    pub fn grid_section(&self) -> Option<&str> {
        self.instrument
            .sections
            .iter()
            .find(|s| matches!(s.body, SectionBody::DomainGrid(_)))
            .map(|s| s.key.as_str())
    }
}

/// What the exchange network page and the report annex say of the flows between forum
/// organizations: both count them here, from the same matched flows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowFigures {
    /// Flows between forum organizations (an exchange with an outside body is not a flow).
    pub flows: usize,
    /// Flows that both sides report.
    pub confirmed: usize,
}

impl FlowFigures {
    pub fn of(flows: &[MatchedFlow<'_>]) -> FlowFigures {
        FlowFigures {
            flows: flows.len(),
            confirmed: flows.iter().filter(|f| f.is_confirmed()).count(),
        }
    }

    /// Flows that only one side reports.
    pub fn one_sided(&self) -> usize {
        self.flows - self.confirmed
    }
}

/// An assessment by id (404 when there is none).
pub fn find_assessment(conn: &mut DbConnection, id: &str) -> Result<Assessment, AppError> {
    Ok(store::assessments::find(conn, id)?)
}

/// Column statistics of the matrix: one per dimension, then the overall column.
pub fn matrix_stats(rows: &[MatrixRow<'_>], dimensions: usize) -> Vec<ColumnStats> {
    let mut stats: Vec<ColumnStats> = (0..dimensions)
        .map(|i| analysis::column_stats(rows.iter().map(|r| r.cells.get(i).and_then(|c| c.mean))))
        .collect();
    stats.push(analysis::column_stats(rows.iter().map(|r| r.overall.mean)));
    stats
}

/// A `a|b|c` list column as its keys.
pub fn split_list(value: Option<&str>) -> Vec<&str> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| v.split('|').collect())
        .unwrap_or_default()
}
