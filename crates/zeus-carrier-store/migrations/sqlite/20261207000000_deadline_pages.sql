-- /deadlines a page at a time (Store::list_deadlines_page): each window's
-- entries are read in key order (closing millisecond, order number) from
-- an index that holds only the orders with that window open, and the
-- reconciliation duties from one that holds only the orders with a mark
-- or an operation in flight. A page then reads what it returns, whatever
-- the number of orders.
DROP INDEX orders_settle_closes;
DROP INDEX orders_cancel_closes;
DROP INDEX orders_reconciliation;
DROP INDEX orders_in_flight;
CREATE INDEX orders_settle_window ON orders (settle_closes_ms, order_no)
    WHERE settle_closes_ms IS NOT NULL;
CREATE INDEX orders_cancel_window ON orders (cancel_closes_ms, order_no)
    WHERE cancel_closes_ms IS NOT NULL;
CREATE INDEX orders_duties ON orders (order_no)
    WHERE needs_reconciliation IS NOT NULL OR in_flight IS NOT NULL;
