//! The whole assessment as one JSON document (shape in docs/export-json.md).

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::domain::Lang;
use crate::domain::analysis::{self, Cell, ColumnStats};
use crate::service::analysis::{AssessmentData, Selection, matrix_stats, split_list};
use crate::service::records::Mechanism;
use crate::web::view::mechanism_label;

pub(super) fn cell_json(cell: &Cell) -> Value {
    json!({
        "mean": cell.mean_rounded(),
        "scored": cell.scored,
        "excluded": cell.excluded,
        "items": cell.items,
    })
}

pub(super) fn stats_json(stats: &ColumnStats) -> Value {
    json!({
        "mean": stats.mean.map(analysis::round1),
        "median": stats.median.map(analysis::round1),
        "min": stats.min.map(analysis::round1),
        "max": stats.max.map(analysis::round1),
        "n": stats.n,
    })
}

/// The whole assessment as one JSON document (shape in docs/export-json.md).
pub fn json_export(
    data: &AssessmentData,
    mechanism_rows: &[Mechanism],
    selection: &Selection,
    lang: Lang,
) -> Value {
    let dimensions: Vec<_> = data.instrument.dimensions().collect();
    let rows = data.matrix(selection);
    let stats = matrix_stats(&rows, dimensions.len());
    let organizations: Vec<Value> = rows
        .iter()
        .map(|row| {
            let p = row.participant;
            let scores: serde_json::Map<String, Value> = dimensions
                .iter()
                .zip(&row.cells)
                .map(|(d, c)| (d.key.clone(), cell_json(c)))
                .collect();
            json!({
                "id": p.organization.id,
                "name": p.organization.name,
                "acronym": p.organization.acronym,
                "sector": p.organization.sector,
                "response": {
                    "id": p.response.id,
                    "status": p.response.status,
                    "submitted_at": p.response.submitted_at.map(|t| crate::domain::time::iso(t, data.assessment.zone())),
                },
                "scores": scores,
                "overall": cell_json(&row.overall),
            })
        })
        .collect();
    let mut statistics: serde_json::Map<String, Value> = dimensions
        .iter()
        .zip(&stats)
        .map(|(d, s)| (d.key.clone(), stats_json(s)))
        .collect();
    if let Some(overall) = stats.last() {
        statistics.insert("overall".into(), stats_json(overall));
    }
    let org_ids = data.organizations();
    let reporters: HashMap<&str, &str> = data
        .selected(selection)
        .map(|p| (p.response.id.as_str(), p.organization.id.as_str()))
        .collect();
    let mechanisms: Vec<Value> = mechanism_rows
        .iter()
        .filter_map(|m| reporters.get(m.response_id.as_str()).map(|r| (m, *r)))
        .map(|(m, reporter)| {
            json!({
                "id": m.id,
                "reporter": reporter,
                "name": m.name,
                "description": m.description,
                "partner": match (&m.partner_organization_id, &m.partner_name) {
                    (Some(id), _) => json!({ "organization_id": id, "acronym": org_ids.get(id.as_str()).map(|o| o.acronym.clone()) }),
                    (None, Some(name)) => json!({ "name": name }),
                    _ => Value::Null,
                },
                "direction": m.direction,
                "domains": split_list(m.domains.as_deref()),
                "level": m.level,
                "legal_basis": m.legal_basis,
                "legal_reference": m.legal_reference,
                "channel": m.channel,
                "format": m.format,
                "frequency": m.frequency,
                "delay_days": m.delay_days,
                "disaggregations": split_list(m.disaggregations.as_deref()),
                "personal_data": m.personal_data,
                "protection": split_list(m.protection.as_deref()),
                "status": m.status,
                "problems": m.problems,
            })
        })
        .collect();
    let flows: Vec<Value> = data
        .reconciled(selection)
        .into_iter()
        .map(|r| {
            let (confirmed, by) = match &r.confirmation {
                analysis::Confirmation::Confirmed { by } => (true, by.clone()),
                analysis::Confirmation::ReportedOnlyBy { .. } => (false, Vec::new()),
            };
            json!({
                "provider": r.flow.provider,
                "receiver": r.flow.receiver,
                "mechanism_id": r.flow.mechanism_id,
                "reporter": r.flow.reporter,
                "domains": r.flow.domains,
                "status": r.flow.status,
                "confirmed": confirmed,
                "confirmed_by": by,
            })
        })
        .collect();
    let domains: Vec<Value> = data
        .domain_summaries(selection)
        .into_iter()
        .map(|s| {
            json!({
                "domain": s.domain,
                "label": mechanism_label(&data.instrument, "domains", &s.domain, lang),
                "producers": s.producers,
                "needers": s.needers,
                "disaggregations": s.disaggregations,
                "published_by": s.published_by,
            })
        })
        .collect();
    let gaps = data.gaps(selection);
    json!({
        "format": "capacity-survey/assessment",
        "format_version": 1,
        "language": lang.code(),
        "included": if selection.include_drafts { "all" } else { "submitted" },
        "assessment": {
            "id": data.assessment.id,
            "title": { "es": data.assessment.title_es, "en": data.assessment.title_en },
            "instrument": { "key": data.instrument.key, "version": data.instrument.version },
            "opens_on": data.assessment.opens_on.to_string(),
            "closes_on": data.assessment.closes_on.to_string(),
        },
        "dimensions": dimensions.iter().map(|d| json!({ "key": d.key, "title": d.title.get(lang) })).collect::<Vec<_>>(),
        "organizations": organizations,
        "statistics": statistics,
        "mechanisms": mechanisms,
        "flows": flows,
        "domains": domains,
        "gaps": {
            "needed_not_produced": gaps.needed_not_produced,
            "produced_without_sex_or_age": gaps.produced_without_sex_or_age.iter().map(|(d, missing)| json!({ "domain": d, "missing": missing })).collect::<Vec<_>>(),
            "weak_dimensions": gaps.weak_dimensions.iter().map(|(d, low, n)| json!({ "dimension": d, "at_or_below_1": low, "with_score": n })).collect::<Vec<_>>(),
        },
    })
}
