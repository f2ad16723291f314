//! Background work in the server process (reminder scan, outbox delivery), calling `service`.
