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
-- A VIP's moves (292 per VIP-week at 10M): the same treatment. rm_move_address rows now carry the move's
-- columns (filled here from rm_vip_move; ReviewReadModel writes both), and ix_rm_move_address_cover holds them in
-- (address, moved_at) order, so a VIP's week is an index-only range instead of one rm_vip_move heap block per move.
ALTER TABLE rm_move_address ADD COLUMN cluster VARCHAR(64), ADD COLUMN vrid INT, ADD COLUMN family VARCHAR(8),
  ADD COLUMN from_agent VARCHAR(64), ADD COLUMN to_agent VARCHAR(64), ADD COLUMN addresses VARCHAR(100000),
  ADD COLUMN cause VARCHAR(100000), ADD COLUMN gap_ms DOUBLE PRECISION;
UPDATE rm_move_address a SET cluster = m.cluster, vrid = m.vrid, family = m.family, from_agent = m.from_agent,
  to_agent = m.to_agent, addresses = m.addresses, cause = m.cause, gap_ms = m.gap_ms
  FROM rm_vip_move m WHERE m.emit = a.emit;
DELETE FROM rm_move_address WHERE cluster IS NULL; -- none: a move and its addresses are deleted together
ALTER TABLE rm_move_address ALTER COLUMN cluster SET NOT NULL, ALTER COLUMN vrid SET NOT NULL,
  ALTER COLUMN family SET NOT NULL, ALTER COLUMN from_agent SET NOT NULL, ALTER COLUMN to_agent SET NOT NULL,
  ALTER COLUMN addresses SET NOT NULL, ALTER COLUMN cause SET NOT NULL;
CREATE INDEX ix_rm_move_address_cover ON rm_move_address (address, moved_at)
  INCLUDE (emit, cluster, vrid, family, from_agent, to_agent, addresses, cause, gap_ms)
  WHERE octet_length(addresses) + octet_length(cause) < 2000;
CREATE INDEX ix_rm_move_address_long ON rm_move_address (address, moved_at)
  WHERE octet_length(addresses) + octet_length(cause) >= 2000;
DROP INDEX ix_rm_move_address_at;
ALTER TABLE rm_move_address SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);
