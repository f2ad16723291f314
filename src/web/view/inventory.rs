//! Mechanisms as rows of the inventory (its page and the report annex).

use std::collections::HashMap;

use super::mechanism_label;
use crate::domain::Lang;
use crate::service::analysis::{AssessmentData, Participant, Selection, split_list};
use crate::service::records::{MechanismHead, OrganizationHead};

/// A mechanism as a row of the inventory.
pub struct InventoryRow {
    pub reporter: String,
    pub response_id: String,
    pub mechanism_id: String,
    pub name: String,
    pub partner: String,
    pub direction: String,
    pub domains: String,
    pub channel: String,
    pub legal_basis: String,
    pub status: String,
    pub personal_data: String,
    pub frequency: String,
}

/// The mechanisms reported by the selected responses, in stored order, with their reporters.
pub fn reported_mechanisms<'a>(
    data: &'a AssessmentData,
    selection: &Selection,
) -> Vec<(&'a Participant, &'a MechanismHead)> {
    let reporters: HashMap<&str, &Participant> = data
        .selected(selection)
        .map(|p| (p.response.id.as_str(), p))
        .collect();
    data.mechanisms
        .iter()
        .filter_map(|m| Some((*reporters.get(m.response_id.as_str())?, m)))
        .collect()
}

/// Every mechanism of the selected responses as inventory rows (labels in `lang`).
pub fn inventory_rows(
    data: &AssessmentData,
    selection: &Selection,
    lang: Lang,
) -> Vec<InventoryRow> {
    let organizations = data.organizations();
    reported_mechanisms(data, selection)
        .into_iter()
        .map(|(reporter, m)| inventory_row(data, &organizations, reporter, m, lang))
        .collect()
}

/// One mechanism as an inventory row.
pub fn inventory_row(
    data: &AssessmentData,
    organizations: &foldhash::HashMap<&str, &OrganizationHead>,
    reporter: &Participant,
    m: &MechanismHead,
    lang: Lang,
) -> InventoryRow {
    let label = |field: &str, value: Option<&str>| {
        value
            .map(|v| mechanism_label(&data.instrument, field, v, lang))
            .unwrap_or_default()
    };
    let labels = |field: &str, value: Option<&str>| {
        split_list(value)
            .iter()
            .map(|k| mechanism_label(&data.instrument, field, k, lang))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let partner = match (&m.partner_organization_id, &m.partner_name) {
        (Some(id), _) => organizations
            .get(id.as_str())
            .map(|o| o.acronym.clone())
            .unwrap_or_else(|| id.clone()),
        (None, Some(name)) => name.clone(),
        _ => String::new(),
    };
    InventoryRow {
        reporter: reporter.organization.acronym.clone(),
        response_id: m.response_id.clone(),
        mechanism_id: m.id.clone(),
        name: m.name.clone(),
        partner,
        direction: label("direction", m.direction.as_deref()),
        domains: labels("domains", m.domains.as_deref()),
        channel: label("channel", m.channel.as_deref()),
        legal_basis: label("legal_basis", m.legal_basis.as_deref()),
        status: label("status", m.status.as_deref()),
        personal_data: match m.personal_data {
            Some(true) => crate::i18n::tr(lang, "section.yes").into_owned(),
            Some(false) => crate::i18n::tr(lang, "section.no").into_owned(),
            None => String::new(),
        },
        frequency: label("frequency", m.frequency.as_deref()),
    }
}
