-- The staff's reviews of orders known only from flagged notifications
-- (the `never_applied` duty of /deadlines): no record exists to carry a
-- mark, so a review says "every flagged call up to this notification was
-- compared with the gateway", with the staff's note. The duty is listed
-- again when a later flagged call for the order arrives.
CREATE TABLE unrecorded_reviews (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no           TEXT NOT NULL,
    -- The newest flagged notification of the order when it was reviewed.
    up_to_notification INTEGER NOT NULL REFERENCES notifications (id),
    at                 TEXT NOT NULL,
    note               TEXT NOT NULL
);
CREATE INDEX unrecorded_reviews_order ON unrecorded_reviews (order_no, up_to_notification);
