-- SQLite stores its answers table without rowid from this version on (see the SQLite migration).
-- PostgreSQL already reads a response's answers through the primary key's index: nothing changes.
SELECT 1;
