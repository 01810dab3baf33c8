package dev.vigil.agent.config;

/** Where a piece of configuration was written: the file as it was named, and a 1-based line. */
public record SourcePos(String file, int line) {
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
