//! The stored records that services hand to the web and the jobs (rows as the store reads them).
//! Callers above the service layer name them from here, never from the store.

pub use crate::store::assessments::Assessment;
pub use crate::store::audit::AuditEntry;
pub use crate::store::instruments::InstrumentVersion;
pub use crate::store::invitations::Invitation;
pub use crate::store::mechanisms::{FlowHead, Mechanism, MechanismHead};
pub use crate::store::organizations::Organization;
pub use crate::store::outbox::Message;
pub use crate::store::responses::{AssessmentAnswer, OrganizationHead, Response};
pub use crate::store::users::{Account, User};
