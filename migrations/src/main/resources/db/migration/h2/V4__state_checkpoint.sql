-- Checkpoints of the state fold (GET /v1/state?at=T), so a query resumes from the latest checkpoint at or
-- before T instead of folding the whole history. Disposable like every rm_ table: rebuilt from the stream.
-- A checkpoint holds the fold of every fact with agent_time <= state_at and global_index <= rm_state_build.horizon;
-- facts above the horizon that are older than a checkpoint make it (and every later one) invalid.
CREATE TABLE rm_state_checkpoint (
  state_at    TIMESTAMP WITH TIME ZONE NOT NULL PRIMARY KEY,
  fact_count  BIGINT       NOT NULL,   -- facts folded into it
  fold_state  VARBINARY        NOT NULL    -- gzip'd JSON of StateFold.Snapshot
);

CREATE TABLE rm_state_build (
  name        VARCHAR(32)  NOT NULL PRIMARY KEY,
  horizon     BIGINT       NOT NULL    -- highest global_index the checkpoints account for
);
INSERT INTO rm_state_build (name, horizon) VALUES ('state', 0);
