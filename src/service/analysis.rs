//! The answers of an assessment turned into evidence: the data behind the capacity matrix,
//! dimension pages, the mechanism inventory, the exchange network, reconciliation and gaps.
//! Each view loads what it needs in a handful of queries and aggregates in one pass.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::instruments::InstrumentRegistry;
use super::responses::slot_kind;
use crate::domain::analysis::{
    self, Answers, Cell, ColumnStats, Direction, DomainSummary, Exchange, Gaps, ReconciledFlow,
};
use crate::domain::answers::AnswerValue;
use crate::domain::instrument::{Instrument, ItemKind, SectionBody};
use crate::error::AppError;
use crate::store::assessments::Assessment;
use crate::store::mechanisms::Mechanism;
use crate::store::organizations::Organization;
use crate::store::responses::{self as response_rows, Response};
use crate::store::{self, DbConnection};

/// One organization taking part, with its response.
#[derive(Debug, Clone)]
pub struct Participant {
    pub response: Response,
    pub organization: Organization,
}

impl Participant {
    pub fn is_submitted(&self) -> bool {
        self.response.is_submitted()
    }
}

/// Which answers a view needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Maturity items only (matrix, dimension pages, gaps by dimension).
    Maturity,
    /// No answers, only the mechanisms (the inventory).
    Mechanisms,
    /// Maturity items and the data-domain grid.
    MaturityAndGrid,
    /// Every answer.
    All,
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
    pub mechanisms: Vec<Mechanism>,
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

fn grid_keys(instrument: &Instrument) -> Vec<String> {
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

/// Loads an assessment with the answers a view needs, its responses and (unless only maturity is
/// needed) its mechanisms: four queries whatever the number of organizations.
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
    let participants = response_rows::list_for_assessment(conn, assessment_id)?
        .into_iter()
        .map(|(response, organization)| Participant {
            response,
            organization,
        })
        .collect();
    let keys = match scope {
        Scope::Maturity => Some(maturity_keys(&instrument)),
        Scope::Mechanisms => Some(Vec::new()),
        Scope::MaturityAndGrid => {
            let mut keys = maturity_keys(&instrument);
            keys.extend(grid_keys(&instrument));
            Some(keys)
        }
        Scope::All => None,
    };
    let rows = match &keys {
        Some(keys) if keys.is_empty() => Vec::new(),
        _ => response_rows::answers_of_assessment(conn, assessment_id, keys.as_deref())?,
    };
    let mut answers: HashMap<String, Answers> = HashMap::new();
    let mut evidence: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    for row in rows {
        if let Some(text) = row.evidence.filter(|e| !e.is_empty()) {
            evidence
                .entry(row.response_id.clone())
                .or_default()
                .insert(row.item_key.clone(), text);
        }
        if row.value.is_empty() {
            continue;
        }
        if let Some(value) =
            slot_kind(&instrument, &row.item_key).and_then(|k| AnswerValue::decode(k, &row.value))
        {
            answers
                .entry(row.response_id)
                .or_default()
                .insert(row.item_key, value);
        }
    }
    let mechanisms = match scope {
        Scope::Maturity => Vec::new(),
        _ => store::mechanisms::list_for_assessment(conn, assessment_id)?,
    };
    Ok(AssessmentData {
        assessment,
        instrument,
        participants,
        answers,
        evidence,
        mechanisms,
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

    /// The matrix rows of the selected responses, in participant order.
    pub fn matrix(&self, selection: &Selection) -> Vec<MatrixRow<'_>> {
        self.selected(selection)
            .map(|participant| {
                let (cells, overall) =
                    analysis::row(&self.instrument, self.answers_of(&participant.response.id));
                MatrixRow {
                    participant,
                    cells,
                    overall,
                }
            })
            .collect()
    }

    /// The mechanisms reported by the selected responses, as exchanges between organizations.
    pub fn exchanges(&self, selection: &Selection) -> Vec<Exchange> {
        let by_response: HashMap<&str, &Participant> = self
            .selected(selection)
            .map(|p| (p.response.id.as_str(), p))
            .collect();
        self.mechanisms
            .iter()
            .filter_map(|m| {
                let reporter = by_response.get(m.response_id.as_str())?;
                Some(Exchange {
                    mechanism_id: m.id.clone(),
                    reporter: reporter.organization.id.clone(),
                    partner: m.partner_organization_id.clone(),
                    direction: m.direction.as_deref().and_then(Direction::parse),
                    domains: split_list(m.domains.as_deref()),
                    status: m.status.clone(),
                })
            })
            .collect()
    }

    /// Every flow between forum organizations with its reconciliation state.
    pub fn reconciled(&self, selection: &Selection) -> Vec<ReconciledFlow> {
        analysis::reconcile(&self.exchanges(selection))
    }

    pub fn domain_summaries(&self, selection: &Selection) -> Vec<DomainSummary> {
        analysis::domain_summaries(
            &self.instrument,
            self.selected(selection)
                .map(|p| self.answers_of(&p.response.id)),
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

    /// Organizations by id, for labels.
    pub fn organizations(&self) -> HashMap<&str, &Organization> {
        self.participants
            .iter()
            .map(|p| (p.organization.id.as_str(), &p.organization))
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

/// Column statistics of the matrix: one per dimension, then the overall column.
pub fn matrix_stats(rows: &[MatrixRow<'_>], dimensions: usize) -> Vec<ColumnStats> {
    let mut stats: Vec<ColumnStats> = (0..dimensions)
        .map(|i| analysis::column_stats(rows.iter().map(|r| r.cells.get(i).and_then(|c| c.mean))))
        .collect();
    stats.push(analysis::column_stats(rows.iter().map(|r| r.overall.mean)));
    stats
}

/// A `a|b|c` list column as its keys.
pub fn split_list(value: Option<&str>) -> Vec<String> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| v.split('|').map(str::to_owned).collect())
        .unwrap_or_default()
}
