-- The review read models (rm_vip_move, rm_incident) kept up incrementally: the review fold (ReviewFold.Run) is
-- checkpointed per basis (agent clock, arrival) and resumed; rows carry the fold's emission id so a resumed run
-- replaces exactly the rows it changes, and the API orders by (at, basis, emission) as the full fold does.
-- A checkpoint holds the fold of every fact with global_index <= rm_review_build.max_index and basis time
-- <= state_at; a fact that arrives later with an older basis time makes it (and every later one) invalid.
DELETE FROM rm_vip_move;
DELETE FROM rm_incident;
ALTER TABLE rm_vip_move ADD COLUMN emit BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rm_incident ADD COLUMN basis INT NOT NULL DEFAULT 0;     -- 0 agent clock, 1 arrival
ALTER TABLE rm_incident ADD COLUMN emit BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rm_incident ADD COLUMN fact_at TIMESTAMP WITH TIME ZONE; -- the review fact's instant: the order
CREATE INDEX ix_rm_vip_move_emit ON rm_vip_move (emit);
CREATE INDEX ix_rm_incident_emit ON rm_incident (basis, emit);

CREATE TABLE rm_review_checkpoint (
  basis       INT          NOT NULL,
  state_at    TIMESTAMP WITH TIME ZONE NOT NULL,
  head        BOOLEAN      NOT NULL,   -- the end of the last refresh (replaced by the next), else a periodic one
  emitted     BIGINT       NOT NULL,   -- review facts emitted up to here (rows with emit >= it came later)
  fold_state  BYTEA NOT NULL,   -- gzip'd JSON of ReviewFold.Snapshot
  PRIMARY KEY (basis, state_at)
);

CREATE TABLE rm_review_build (
  name        VARCHAR(32)  NOT NULL PRIMARY KEY,
  horizon     BIGINT       NOT NULL,   -- below it no gap in global_index can still fill
  max_index   BIGINT       NOT NULL,   -- highest global_index folded
  zone_count  BIGINT       NOT NULL    -- events folded with horizon < global_index <= max_index (a late commit changes it)
);
INSERT INTO rm_review_build (name, horizon, max_index, zone_count) VALUES ('review', 0, 0, 0);

-- The arrival basis reads facts in recorded_at order from a checkpoint on.
CREATE INDEX ix_ingested_fact_recorded ON ingested_fact (recorded_at);
