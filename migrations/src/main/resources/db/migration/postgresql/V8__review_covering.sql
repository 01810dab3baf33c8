-- Incidents of a cluster and moves of a VIP at 10M events (issue 9): read from an index alone.
-- Before, a cluster's month (~3,750 rows at 10M) was one heap block per row (rows are written in fold order, a
-- cluster's scattered over the table): ~3,870 blocks, 47-71 ms cold, more than the 50 ms target on its own.
-- ix_rm_incident_cover holds every returned column in (cluster, started_at) order, so the same rows are ~100
-- leaf pages of an index-only scan. A B-tree entry has a size limit (~2.7 kB), so only rows whose text columns
-- are short enough are in it (nearly all: an incident's agents, detail and event ids are tens of bytes); the
-- rest are found through ix_rm_incident_long and read from the heap. The statement is the union of the two
-- with exactly these predicates (ReviewReadModel.INCIDENTS_OF_CLUSTER). Index-only needs the visibility map:
-- autovacuum sets it after a build; a refresh rewrites few rows, appended at the table's end, whose pages are
-- read from the heap until the next vacuum; the lower thresholds below keep that window short.
CREATE INDEX ix_rm_incident_cover ON rm_incident (cluster, started_at)
  INCLUDE (ended_at, vrid, family, kind, fact_at, basis, emit, agents, detail, events)
  WHERE octet_length(agents) + octet_length(detail) + octet_length(events) < 2000;
CREATE INDEX ix_rm_incident_long ON rm_incident (cluster, started_at)
  WHERE octet_length(agents) + octet_length(detail) + octet_length(events) >= 2000;
DROP INDEX ix_rm_incident;
ALTER TABLE rm_incident SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
-- A VIP's moves: the address index carries the move's emission id (no heap block per move of rm_move_address).
CREATE INDEX ix_rm_move_address_at_emit ON rm_move_address (address, moved_at, emit);
DROP INDEX ix_rm_move_address_at;
ALTER TABLE rm_move_address SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
