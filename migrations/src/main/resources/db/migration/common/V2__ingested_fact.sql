-- The ingest ledger: one row per stored agent fact, written in the same transaction as the
-- fact's event in domain_event_entry. Its UNIQUE (agent_id, boot_id, seq) is what makes ingest
-- idempotent in the database, whatever any coordinator instance holds in memory.
CREATE TABLE ingested_fact (
  agent_id     VARCHAR(64)  NOT NULL,
  boot_id      VARCHAR(64)  NOT NULL,
  seq          BIGINT       NOT NULL,
  stream_index BIGINT       NOT NULL,   -- sequence_number of the FactRecorded event in the agent's stream
  fact_type    VARCHAR(64)  NOT NULL,
  agent_time   TIMESTAMP WITH TIME ZONE NOT NULL,
  chain_hash   CHAR(64)     NOT NULL,   -- hex SHA-256 chain value after this fact
  recorded_at  TIMESTAMP WITH TIME ZONE NOT NULL,
  CONSTRAINT uk_ingested_fact_identity UNIQUE (agent_id, boot_id, seq),
  CONSTRAINT uk_ingested_fact_stream   UNIQUE (agent_id, stream_index)
);
CREATE INDEX ix_ingested_fact_time ON ingested_fact (agent_time);
