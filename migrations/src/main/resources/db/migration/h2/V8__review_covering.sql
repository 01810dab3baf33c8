-- Moves of a VIP at 10M events (issue 9; postgresql/V8 also makes a cluster's incidents an index-only read, with
-- partial and covering indexes H2 does not have: here the union statement uses ix_rm_incident for both halves).
-- The address index carries the move's emission id.
CREATE INDEX ix_rm_move_address_at_emit ON rm_move_address (address, moved_at, emit);
DROP INDEX ix_rm_move_address_at;
