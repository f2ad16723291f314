//! Email: the outbox, rendering of each kind of message and the lettre transports. The
//! invitations and reminders build on this module.
