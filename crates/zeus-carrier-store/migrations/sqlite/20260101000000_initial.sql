-- The merchant's durable record of carrier-billing orders (SQLite).
-- Same tables, columns and meanings as ../postgres/20260101000000_initial.sql.
--
-- Instants are TEXT in RFC 3339 with the +09:00 offset (exactly what the
-- JSON shows); where the store compares instants it uses the *_ms columns
-- (Unix milliseconds). Statuses are the two-digit codes (SPEC D-1).

-- One row per order the merchant has heard of (created by the first CGI
-- notification, R-CG-3).
CREATE TABLE orders (
    order_no             TEXT PRIMARY KEY NOT NULL,
    status               TEXT NOT NULL,
    money                INTEGER,
    original_money       INTEGER,
    carrier              TEXT,
    clientip             TEXT,
    sendid               TEXT,
    sendpoint            TEXT,
    first_seen_at        TEXT NOT NULL,
    -- The instant the 50-day windows are counted from (D-7).
    window_from          TEXT NOT NULL,
    -- YYYY-MM-DD
    settle_date          TEXT,
    settled_at           TEXT,
    needs_reconciliation TEXT,
    notifications        INTEGER NOT NULL DEFAULT 0,
    duplicates           INTEGER NOT NULL DEFAULT 0,
    stale                INTEGER NOT NULL DEFAULT 0,
    flagged              INTEGER NOT NULL DEFAULT 0,
    -- When the settle / cancel window closes for the current status
    -- (NULL: no such window); the index of list_deadlines.
    settle_closes_ms     INTEGER,
    cancel_closes_ms     INTEGER
);
CREATE INDEX orders_settle_closes ON orders (settle_closes_ms);
CREATE INDEX orders_cancel_closes ON orders (cancel_closes_ms);
CREATE INDEX orders_reconciliation ON orders (order_no) WHERE needs_reconciliation IS NOT NULL;

-- Every accepted status change, oldest first.
CREATE TABLE order_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no    TEXT NOT NULL REFERENCES orders (order_no),
    at          TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('cgi', 'settle', 'cancel'))
);
CREATE INDEX order_history_order ON order_history (order_no, id);

-- Every CGI call received, whatever it did (R-CG-3, R-CG-4).
CREATE TABLE notifications (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no        TEXT NOT NULL,
    reported_status TEXT NOT NULL,
    status_before   TEXT,
    effect          TEXT NOT NULL CHECK (effect IN ('create', 'duplicate', 'advance', 'stale', 'flagged')),
    integrity_flag  TEXT,
    money           INTEGER,
    carrier         TEXT,
    clientip        TEXT,
    sendid          TEXT,
    sendpoint       TEXT,
    error_code      TEXT,
    raw_query       BLOB NOT NULL,
    received_at     TEXT NOT NULL
);
CREATE INDEX notifications_order ON notifications (order_no, id);

-- One row per accepted transition, for the embedding service.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no    TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    source      TEXT NOT NULL CHECK (source IN ('cgi', 'settle', 'cancel')),
    at          TEXT NOT NULL,
    acked_at    TEXT
);
CREATE INDEX outbox_pending ON outbox (id) WHERE acked_at IS NULL;

-- The merchant's own order requests, to check callbacks against.
CREATE TABLE checkouts (
    sendid     TEXT PRIMARY KEY NOT NULL,
    money      INTEGER NOT NULL,
    carrier    TEXT NOT NULL,
    created_at TEXT NOT NULL
);
