-- Moves of a VIP at 10M events (issue 9): rm_move_address rows carry the move's columns, so a VIP's moves are one
-- range of (address, moved_at) without a lookup per move. postgresql/V8 also puts them, and a cluster's incidents,
-- under partial covering indexes (index-only scans); H2 has neither kind: the union statements use plain indexes.
ALTER TABLE rm_move_address ADD COLUMN cluster VARCHAR(64);
ALTER TABLE rm_move_address ADD COLUMN vrid INT;
ALTER TABLE rm_move_address ADD COLUMN family VARCHAR(8);
ALTER TABLE rm_move_address ADD COLUMN from_agent VARCHAR(64);
ALTER TABLE rm_move_address ADD COLUMN to_agent VARCHAR(64);
ALTER TABLE rm_move_address ADD COLUMN addresses VARCHAR(100000);
ALTER TABLE rm_move_address ADD COLUMN cause VARCHAR(100000);
ALTER TABLE rm_move_address ADD COLUMN gap_ms DOUBLE PRECISION;
UPDATE rm_move_address a SET
  cluster = (SELECT m.cluster FROM rm_vip_move m WHERE m.emit = a.emit),
  vrid = (SELECT m.vrid FROM rm_vip_move m WHERE m.emit = a.emit),
  family = (SELECT m.family FROM rm_vip_move m WHERE m.emit = a.emit),
  from_agent = (SELECT m.from_agent FROM rm_vip_move m WHERE m.emit = a.emit),
  to_agent = (SELECT m.to_agent FROM rm_vip_move m WHERE m.emit = a.emit),
  addresses = (SELECT m.addresses FROM rm_vip_move m WHERE m.emit = a.emit),
  cause = (SELECT m.cause FROM rm_vip_move m WHERE m.emit = a.emit),
  gap_ms = (SELECT m.gap_ms FROM rm_vip_move m WHERE m.emit = a.emit);
DELETE FROM rm_move_address WHERE cluster IS NULL;
ALTER TABLE rm_move_address ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE rm_move_address ALTER COLUMN vrid SET NOT NULL;
ALTER TABLE rm_move_address ALTER COLUMN family SET NOT NULL;
ALTER TABLE rm_move_address ALTER COLUMN from_agent SET NOT NULL;
ALTER TABLE rm_move_address ALTER COLUMN to_agent SET NOT NULL;
ALTER TABLE rm_move_address ALTER COLUMN addresses SET NOT NULL;
ALTER TABLE rm_move_address ALTER COLUMN cause SET NOT NULL;
