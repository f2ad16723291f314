//! The forum's pure types and rules: languages and names, account values and tokens, the
//! instrument and its answers, section forms, analysis (matrix, scores, distributions, exchanges,
//! domains, gaps), organizations, assessments, the reminder policy and dates. No I/O: nothing
//! here knows the web, the database, mail or the clock; user-facing messages come from the locale
//! files through `crate::i18n`.

pub mod account;
pub mod analysis;
pub mod answers;
pub mod assessment;
pub mod instrument;
pub mod lang;
pub mod organization;
pub mod reminders;
pub mod section_form;
pub mod text;
pub mod time;
pub mod token;

pub use lang::Lang;
