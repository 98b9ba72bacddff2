-- Outbox events carry the order's amount after the transition, so a
-- consumer needs no read per event. NULL for events written before.
ALTER TABLE outbox ADD COLUMN money BIGINT;
