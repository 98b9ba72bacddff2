-- The staff's notes on clearing an order's reconciliation mark (issue 20:
-- the operator page keeps the note in the order's history). One row per
-- clearing; the cleared mark is kept as its stable code. Same columns as
-- ../sqlite/20261206200000_reconciliation_notes.sql.
CREATE TABLE reconciliation_notes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_no   TEXT NOT NULL REFERENCES orders (order_no),
    at         TEXT NOT NULL,
    reason     TEXT,
    in_flight  TEXT,
    note       TEXT NOT NULL
);
CREATE INDEX reconciliation_notes_order ON reconciliation_notes (order_no, id);
