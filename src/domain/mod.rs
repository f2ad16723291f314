//! Pure types and rules of the forum: languages, account values, tokens; later the instrument,
//! scoring and the reminder policy. Nothing here knows the web, the database or the clock.

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
