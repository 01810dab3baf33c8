package dev.vigil.coordinator.store;

import org.axonframework.eventhandling.tokenstore.jdbc.TokenSchema;
import org.axonframework.eventsourcing.eventstore.jdbc.EventSchema;
import org.axonframework.serialization.json.JacksonSerializer;

/**
 * Axon's view of the Flyway-owned tables (V1, snake_case), and the serializer that reads them, for
 * AuditStore and the projection processors alike. The event mapping is
 * the one AuditStore writes with.
 */
public final class EventTables {
    private EventTables() {
    }

    public static EventSchema events() {
        return EventSchema.builder()
                .eventTable("domain_event_entry").snapshotTable("snapshot_event_entry")
                .globalIndexColumn("global_index").timestampColumn("time_stamp")
                .eventIdentifierColumn("event_identifier").aggregateIdentifierColumn("aggregate_identifier")
                .sequenceNumberColumn("sequence_number").typeColumn("type")
                .payloadTypeColumn("payload_type").payloadRevisionColumn("payload_revision")
                .payloadColumn("payload").metaDataColumn("meta_data")
                .build();
    }

    public static TokenSchema tokens() {
        return TokenSchema.builder().setTokenTable("token_entry").setProcessorNameColumn("processor_name")
                .setSegmentColumn("segment").setTokenColumn("token").setTokenTypeColumn("token_type")
                .setTimestampColumn("timestamp").setOwnerColumn("owner").build();
    }

    /** Jackson on every slot, as AuditStore's (XStream is never instantiated). */
    public static JacksonSerializer serializer() {
        return JacksonSerializer.builder().objectMapper(AuditStore.axonObjectMapper()).lenientDeserialization().build();
    }
}
