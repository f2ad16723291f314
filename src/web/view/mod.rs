//! View helpers that several pages and downloads share: pagination, labels of stored keys and
//! answers, flow rows, matrix cells, inventory rows, gaps, spreadsheet-safe cells, the analysis
//! selection. No database access: they work on what a service returned (`load_data` is the one
//! service call that loads an assessment's data for a selection's pages and downloads).

pub mod cells;
pub mod flows;
pub mod gaps;
pub mod inventory;
pub mod labels;
pub mod matrix;
pub mod pager;
pub mod query;

pub use cells::{UTF8_BOM, neutralize, neutralized, with_bom};
pub use flows::{FlowLabeller, FlowRow};
pub use gaps::{GapsView, gaps_view};
pub use inventory::{InventoryRow, inventory_row, inventory_rows, reported_mechanisms};
pub use labels::{display_value, mechanism_label};
pub use matrix::{
    CellView, ColumnView, NationalAverage, RowView, StatsView, cell_view, fmt1, sort_rows,
    stats_views,
};
pub use pager::{PAGE_SIZE, Pager, sort_by_acronym};
pub use query::{ViewQuery, load_data};
