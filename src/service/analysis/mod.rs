//! The answers of an assessment turned into evidence: the data behind the capacity matrix,
//! dimension pages, the mechanism inventory, the exchange network, reconciliation and gaps.
//! Each view loads what it needs in a handful of queries and aggregates in one pass.

mod answers;
mod scores;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use answers::{
    AnswersAndGrids, SavedAnswers, SlotKinds, answers_and_grids, answers_of_responses,
    decode_answers, grid_keys, maturity_keys, read_answers,
};
use scores::load_scores;
pub use scores::{fill_missing_scores, progress_of_responses, refresh_scores};

use super::instruments::InstrumentRegistry;
use crate::domain::analysis::{
    self, Answers, Cell, ColumnStats, DimensionSizes, Direction, DomainSummary, Exchange, Gaps,
    MatchedFlow, ReconciledFlow, StoredScores,
};
use crate::domain::instrument::{Instrument, SectionBody};
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
