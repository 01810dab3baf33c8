package dev.vigil.agent.config;

import java.util.List;
import java.util.Optional;

/**
 * One keepalived.conf statement: a keyword, its values, and the block that follows it if any.
 * The tree keeps no meaning; {@link KeepalivedConfigParser} gives it one.
 */
record Statement(String keyword, List<String> args, SourcePos pos, Optional<List<Statement>> block) {
    Statement {
        args = List.copyOf(args);
        block = block.map(List::copyOf);
    }

    String arg(int i) {
        return args.get(i);
    }

    boolean hasBlock() {
        return block.isPresent();
    }

    List<Statement> children() {
        return block.orElse(List.of());
    }

    /** The statement's own words: keyword followed by values, as the user wrote them. */
    List<String> words() {
        var all = new java.util.ArrayList<String>(args.size() + 1);
        all.add(keyword);
        all.addAll(args);
        return all;
    }
}
