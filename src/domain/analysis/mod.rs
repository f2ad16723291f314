//! Aggregation of responses: the capacity matrix, the stored-score codec, item distributions,
//! exchange reconciliation, data domains and gaps. Each job has its own file; their public items
//! are re-exported here, so callers name them `analysis::...`.

use std::collections::BTreeMap;

use super::answers::AnswerValue;

mod distribution;
mod domains;
mod exchanges;
mod gaps;
mod matrix;
mod scores_codec;
#[cfg(test)]
mod test_support;

pub use distribution::*;
pub use domains::*;
pub use exchanges::*;
pub use gaps::*;
pub use matrix::*;
pub use scores_codec::*;

/// Answers of one organization's response, keyed as stored (item key, or grid cell key).
pub type Answers = BTreeMap<String, AnswerValue>;
