-- The staff's reviews of orders known only from flagged notifications
-- (the `never_applied` duty of /deadlines). Same columns as
-- ../sqlite/20261207100000_unrecorded_reviews.sql.
CREATE TABLE unrecorded_reviews (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_no           TEXT NOT NULL,
    up_to_notification BIGINT NOT NULL REFERENCES notifications (id),
    at                 TEXT NOT NULL,
    note               TEXT NOT NULL
);
CREATE INDEX unrecorded_reviews_order ON unrecorded_reviews (order_no, up_to_notification);
