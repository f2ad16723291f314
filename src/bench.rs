//! `capacity-survey bench`: seeds a synthetic assessment and times the main pages and exports.

use crate::config::BenchArgs;

pub fn run(_args: &BenchArgs) -> Result<(), String> {
    Err("not yet".to_owned())
}
