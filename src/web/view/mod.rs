//! View helpers that several pages and downloads share: pagination, labels of stored keys and
//! answers, flow rows, spreadsheet-safe cells. No database access: they work on what a service
//! returned.

pub mod cells;
pub mod flows;
pub mod labels;
pub mod pager;

pub use cells::{UTF8_BOM, neutralize, neutralized, with_bom};
pub use flows::{FlowLabeller, FlowRow};
pub use labels::{display_value, mechanism_label};
pub use pager::{PAGE_SIZE, Pager, sort_by_acronym};
