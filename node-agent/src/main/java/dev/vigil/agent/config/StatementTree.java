package dev.vigil.agent.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Groups tokens into statements and blocks. As in keepalived, a '{' may follow its keyword on the
 * same line or on a later one, a line may hold a whole block ({@code track_script { chk }}), and a
 * brace ends the statement before it. Unlike keepalived, an unbalanced brace is an error, not a
 * log line followed by a guess.
 */
final class StatementTree {

    record Result(List<Statement> statements, List<Finding> findings) {}

    private final List<Token> tokens;
    private final List<Finding> findings = new ArrayList<>();
    private int next;

    private StatementTree(List<Token> tokens) {
        this.tokens = tokens;
    }

    static Result build(List<Token> tokens) {
        var tree = new StatementTree(tokens);
        List<Statement> top = tree.block(0, Optional.empty());
        return new Result(top, List.copyOf(tree.findings));
    }

    private List<Statement> block(int depth, Optional<SourcePos> openedAt) {
        List<Statement> out = new ArrayList<>();
        List<String> words = new ArrayList<>();
        SourcePos wordsAt = null;
        int awaitingBlock = -1;
        while (next < tokens.size()) {
            Token t = tokens.get(next++);
            switch (t.kind()) {
                case WORD -> {
                    if (words.isEmpty()) {
                        wordsAt = t.pos();
                    }
                    words.add(t.text());
                }
                case END -> {
                    if (!words.isEmpty()) {
                        awaitingBlock = add(out, words, wordsAt);
                    }
                }
                case OPEN -> {
                    if (!words.isEmpty()) {
                        awaitingBlock = add(out, words, wordsAt);
                    }
                    if (awaitingBlock >= 0) {
                        Statement owner = out.get(awaitingBlock);
                        List<Statement> inner = block(depth + 1, Optional.of(t.pos()));
                        out.set(awaitingBlock, new Statement(owner.keyword(), owner.args(), owner.pos(), Optional.of(inner)));
                    } else {
                        findings.add(Finding.error(t.pos(), "'{' has no keyword before it"));
                        block(depth + 1, Optional.of(t.pos()));
                    }
                    awaitingBlock = -1;
                }
                case CLOSE -> {
                    if (!words.isEmpty()) {
                        add(out, words, wordsAt);
                    }
                    if (depth > 0) {
                        return out;
                    }
                    findings.add(Finding.error(t.pos(), "'}' closes no open block"));
                    awaitingBlock = -1;
                }
            }
        }
        if (!words.isEmpty()) {
            add(out, words, wordsAt);
        }
        openedAt.ifPresent(at -> findings.add(Finding.error(at, "block opened here is never closed (missing '}')")));
        return out;
    }

    private static int add(List<Statement> out, List<String> words, SourcePos at) {
        out.add(new Statement(words.get(0), words.subList(1, words.size()), at, Optional.empty()));
        words.clear();
        return out.size() - 1;
    }
}
