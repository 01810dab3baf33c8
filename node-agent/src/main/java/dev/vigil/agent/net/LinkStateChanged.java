package dev.vigil.agent.net;

/**
 * A watched interface became usable or unusable (keepalived's IF_ISUP: administratively up with carrier), or
 * appeared or vanished. {@code observedNanos} is System.nanoTime when the kernel's message was read.
 *
 * @param index 0 when the interface does not exist
 */
public record LinkStateChanged(String name, int index, boolean usable, Link.OperState operState, long observedNanos) {
    public boolean present() {
        return index != 0;
    }

    @Override
    public String toString() {
        return name + (present() ? "" : " absent") + (usable ? " usable" : " not usable") + " (oper " + operState + ")";
    }
}
