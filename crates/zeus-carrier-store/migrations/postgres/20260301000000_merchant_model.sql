-- The merchant model of zeus_carrier_core::merchant (PostgreSQL).
-- Same columns and meanings as ../sqlite/20260301000000_merchant_model.sql.

-- The record's remaining fields (RecordParts): the statuses the gateway has
-- notified (bit i for the i-th status of the table, 01 is bit 0), whether
-- this merchant's withdrawal of a reservation is pending ('none' or
-- 'requested'), and an operation sent whose outcome is not recorded yet.
ALTER TABLE orders ADD COLUMN notified_bits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN withdrawal TEXT NOT NULL DEFAULT 'none'
    CHECK (withdrawal IN ('none', 'requested'));
ALTER TABLE orders ADD COLUMN in_flight TEXT;
CREATE INDEX orders_in_flight ON orders (order_no) WHERE in_flight IS NOT NULL;

-- Backfill: the record's status and every status a stored, not flagged,
-- notification reported (a sum of distinct powers of two is their OR).
UPDATE orders SET notified_bits =
    (1 << (CAST(status AS INTEGER) - 1))
    | COALESCE((SELECT SUM(DISTINCT 1 << (CAST(n.reported_status AS INTEGER) - 1))
                FROM notifications n
                WHERE n.order_no = orders.order_no AND n.effect <> 'flagged'), 0);

-- One checkout, one order: the order that used the checkout first.
ALTER TABLE checkouts ADD COLUMN order_no TEXT;
UPDATE checkouts SET order_no =
    (SELECT o.order_no FROM orders o WHERE o.sendid = checkouts.sendid
     ORDER BY o.first_seen_at, o.order_no LIMIT 1);

-- Outbox events carry the order's sendid (consumers need no read per event).
ALTER TABLE outbox ADD COLUMN sendid TEXT;
UPDATE outbox SET sendid = (SELECT o.sendid FROM orders o WHERE o.order_no = outbox.order_no);

-- Orders known only from flagged notifications (list_deadlines).
CREATE INDEX notifications_flagged ON notifications (order_no, id) WHERE effect = 'flagged';

-- The operation lock's leases (Store::lock_operation): one row per order
-- whose settle or cancel is running; free once expires_ms (Unix ms) passed.
CREATE TABLE operation_locks (
    order_no   TEXT PRIMARY KEY NOT NULL,
    holder     TEXT NOT NULL,
    expires_ms BIGINT NOT NULL
);
