-- The staff's notes on clearing an order's reconciliation mark (issue 20:
-- the operator page keeps the note in the order's history). One row per
-- clearing; the cleared mark is kept as its stable code.
CREATE TABLE reconciliation_notes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no   TEXT NOT NULL REFERENCES orders (order_no),
    at         TEXT NOT NULL,
    -- The cleared reconciliation reason's code (NULL when only an
    -- operation in flight was cleared).
    reason     TEXT,
    -- The cleared in-flight mark's code, if any.
    in_flight  TEXT,
    note       TEXT NOT NULL
);
CREATE INDEX reconciliation_notes_order ON reconciliation_notes (order_no, id);
