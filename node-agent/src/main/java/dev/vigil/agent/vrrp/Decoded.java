package dev.vigil.agent.vrrp;

/** The decoder's verdict on one received packet. */
public sealed interface Decoded {

    record Accepted(ReceivedAdvert packet) implements Decoded {
    }

    /** @param detail what was wrong, with the field and the values, for a rate-limited log line */
    record Dropped(DropReason reason, String detail) implements Decoded {
    }
}
