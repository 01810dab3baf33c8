-- Query paths of the review read models at 10M events (issue 9):
-- * moves by VIP: rm_move_address holds each move's addresses without their prefix length (the API's VIP match
--   needs equal hosts), so a VIP's moves are an index range, not every move of the window filtered in Java;
-- * moves without a cluster: an index on the instant alone;
-- * the narrative of one cluster: rm_agent_cluster (the agents that reported facts of a cluster) and an index on
--   ingested_fact (agent_id, agent_time), so a window's facts of one cluster are a range scan per agent.
-- The read models are emptied (checkpoints included): the next refresh rebuilds them with the new tables filled.
-- Indexing ingested_fact on a large store takes minutes: StoreMigrations runs Flyway without the pool's timeouts.
CREATE TABLE rm_move_address (
  address     VARCHAR(64)  NOT NULL,   -- host part of one of the move's addresses
  moved_at    TIMESTAMP WITH TIME ZONE NOT NULL,
  emit        BIGINT       NOT NULL,   -- the move's rm_vip_move.emit
  PRIMARY KEY (address, emit)
);
CREATE INDEX ix_rm_move_address_at ON rm_move_address (address, moved_at);
CREATE INDEX ix_rm_move_address_emit ON rm_move_address (emit);
CREATE INDEX ix_rm_vip_move_at ON rm_vip_move (moved_at);

CREATE TABLE rm_agent_cluster (
  cluster     VARCHAR(64)  NOT NULL,
  agent_id    VARCHAR(64)  NOT NULL,
  PRIMARY KEY (cluster, agent_id)
);
CREATE INDEX ix_ingested_fact_agent_time ON ingested_fact (agent_id, agent_time);

DELETE FROM rm_vip_move;
DELETE FROM rm_incident;
DELETE FROM rm_review_checkpoint;
UPDATE rm_review_build SET horizon = 0, max_index = 0, zone_count = 0 WHERE name = 'review';
