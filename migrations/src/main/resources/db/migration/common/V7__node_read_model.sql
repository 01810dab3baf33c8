-- The node read model (issue 12): kept by the "node-projection" pooled streaming processor, one
-- row set per agent, written in the same transaction as the processor's token (token_entry, V1).
-- Numbered V7, not V6: V6 is reserved for the query indexes of issue 9.
CREATE TABLE rm_node (
  agent_id        VARCHAR(64)  NOT NULL PRIMARY KEY,
  boot_id         VARCHAR(64)  NOT NULL,   -- the boot of the latest fact (agent time; ties: stream order)
  booted_at       TIMESTAMP WITH TIME ZONE NOT NULL, -- agent time of that boot's first fact seen
  last_seq        BIGINT       NOT NULL,   -- seq of the latest fact
  last_seen       TIMESTAMP WITH TIME ZONE NOT NULL, -- agent time of the latest fact
  last_fact_type  VARCHAR(64)  NOT NULL,
  chain_length    BIGINT       NOT NULL,   -- facts folded in: a redelivered event below it is skipped
  chain_head      CHAR(64)     NOT NULL
);

CREATE TABLE rm_node_router (
  agent_id        VARCHAR(64)  NOT NULL,
  router          VARCHAR(64)  NOT NULL,
  vrid            INTEGER      NOT NULL,
  family          VARCHAR(8)   NOT NULL,
  state           VARCHAR(16)  NOT NULL,   -- the last RouterStateChanged.to
  since           TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (agent_id, router, vrid, family)
);

CREATE TABLE rm_node_tracker (
  agent_id        VARCHAR(64)  NOT NULL,
  tracker         VARCHAR(128) NOT NULL,
  kind            VARCHAR(32)  NOT NULL,
  healthy         BOOLEAN      NOT NULL,   -- the last TrackerResultChanged.healthy
  since           TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (agent_id, tracker)
);

-- Live coordinator instances: each one stamps its row (database clock) every claim interval; the
-- processors' fair share of segments is ceil(segments / instances stamped within the claim timeout).
CREATE TABLE coordinator_instance (
  node_id         VARCHAR(255) NOT NULL PRIMARY KEY,
  seen_at         TIMESTAMP WITH TIME ZONE NOT NULL
);
