package dev.vigil.agent.config;

/**
 * A lexical token of keepalived.conf after comments, conditionals, definitions and includes have
 * been dealt with. {@code END} closes a logical line: keepalived treats each line (and each brace) as
 * a separate statement, and there is no statement terminator of its own.
 */
record Token(Kind kind, String text, SourcePos pos) {
    enum Kind { WORD, OPEN, CLOSE, END }

    static Token word(String text, SourcePos pos) {
        return new Token(Kind.WORD, text, pos);
    }
}
