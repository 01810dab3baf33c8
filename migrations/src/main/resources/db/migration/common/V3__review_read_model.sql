-- Read models of the audit query API: derived from domain_event_entry by the review fold, disposable.
-- `vigil-coordinator rebuild-read-models` empties and refills them; queries refill them when facts
-- were stored since (rm_build.fact_count / max_index differ from the store).
CREATE TABLE rm_vip_move (
  cluster     VARCHAR(64)   NOT NULL,
  vrid        INT           NOT NULL,
  family      VARCHAR(8)    NOT NULL,
  moved_at    TIMESTAMP WITH TIME ZONE NOT NULL,
  from_agent  VARCHAR(64)   NOT NULL,
  to_agent    VARCHAR(64)   NOT NULL,
  addresses   VARCHAR(100000) NOT NULL,  -- JSON array
  cause       VARCHAR(100000) NOT NULL,
  gap_ms      DOUBLE PRECISION,
  ordinal     INT           NOT NULL     -- the fold's order
);
CREATE INDEX ix_rm_vip_move ON rm_vip_move (cluster, moved_at);

CREATE TABLE rm_incident (
  cluster     VARCHAR(64)   NOT NULL,
  vrid        INT           NOT NULL,
  family      VARCHAR(8)    NOT NULL,
  kind        VARCHAR(32)   NOT NULL,
  started_at  TIMESTAMP WITH TIME ZONE NOT NULL,
  ended_at    TIMESTAMP WITH TIME ZONE,  -- null while it lasts
  agents      VARCHAR(100000) NOT NULL,  -- JSON array
  detail      VARCHAR(100000) NOT NULL,
  events      VARCHAR(1000000) NOT NULL, -- JSON array of event ids
  ordinal     INT           NOT NULL
);
CREATE INDEX ix_rm_incident ON rm_incident (cluster, started_at);

CREATE TABLE rm_build (
  name        VARCHAR(32)   NOT NULL PRIMARY KEY,
  fact_count  BIGINT        NOT NULL,
  max_index   BIGINT        NOT NULL
);
INSERT INTO rm_build (name, fact_count, max_index) VALUES ('review', -1, -1);
