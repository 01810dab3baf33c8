package dev.vigil.agent.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Turns keepalived.conf files into tokens, doing what keepalived 2.2.7's {@code read_line()} does
 * before a keyword is looked at (lib/parser.c): {@code !} and {@code #} comments (anywhere outside
 * double quotes, {@code \#} escapes), {@code @id} / {@code @^id} conditional lines, {@code $NAME=value}
 * definitions (multi-line with a trailing {@code \}) and their {@code $NAME} / {@code ${NAME}} use,
 * {@code include} with globs relative to the including file's directory, quoted strings with
 * backslash escapes, and braces that split a line into statements. Every token keeps its file:line.
 *
 * <p>Reads files and nothing else. Problems become {@link Finding}s; the lexer never throws on bad input.
 */
final class ConfigLexer {

    private static final int MAX_INCLUDE_DEPTH = 32;
    private static final int MAX_EXPANSIONS = 64;
    /** A line may grow by substitution up to this; beyond, definitions that double each other would exhaust memory. */
    private static final int MAX_EXPANDED_CHARS = 1 << 16;

    record Result(List<Token> tokens, List<Finding> findings) {}

    private record Decommented(String text, boolean continued) {}

    private record Expansion(String line, List<String> extraLines, boolean changed) {}

    private final Optional<String> configId;
    private final List<Finding> findings = new ArrayList<>();
    private final List<Token> tokens = new ArrayList<>();
    private final Map<String, List<String>> definitions = new HashMap<>();
    private final Deque<Path> includeStack = new ArrayDeque<>();
    /** The multi-line definition whose continuation lines are being read, if any. */
    private List<String> pendingDefinition;
    private Path currentDir = Path.of("");

    private ConfigLexer(Optional<String> configId) {
        this.configId = configId;
    }

    /**
     * @param configId keepalived's {@code -i} config id, matched by {@code @id} lines; keepalived
     *                 defaults it to the host name, which the caller must pass in (this class is pure).
     */
    static Result lex(Path file, Optional<String> configId) {
        var lexer = new ConfigLexer(configId);
        lexer.readFile(file, Optional.empty());
        return new Result(List.copyOf(lexer.tokens), List.copyOf(lexer.findings));
    }

    // ---------------------------------------------------------------------------------- files

    private void readFile(Path file, Optional<SourcePos> includedFrom) {
        String name = file.toString();
        Path real;
        String content;
        try {
            real = file.toRealPath();
            content = decode(Files.readAllBytes(file));
        } catch (IOException e) {
            String why = "cannot read " + name + ": " + describe(e);
            findings.add(includedFrom.map(at -> Finding.error(at, why))
                    .orElseGet(() -> Finding.error(new SourcePos(name, 0), "cannot read configuration file: " + describe(e))));
            return;
        }
        if (includeStack.contains(real)) {
            findings.add(Finding.error(includedFrom.orElseThrow(),
                    "include cycle: " + name + " is already being read; refusing to include it again"));
            return;
        }
        if (includeStack.size() >= MAX_INCLUDE_DEPTH) {
            findings.add(Finding.error(includedFrom.orElseThrow(),
                    "includes nested deeper than " + MAX_INCLUDE_DEPTH + " files; refusing " + name));
            return;
        }
        includeStack.push(real);
        Path savedDir = currentDir;
        currentDir = file.getParent() == null ? Path.of("") : file.getParent();
        pendingDefinition = null;
        try {
            String[] lines = content.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                readPhysicalLine(lines[i], new SourcePos(name, i + 1));
            }
        } finally {
            pendingDefinition = null;
            currentDir = savedDir;
            includeStack.pop();
        }
    }

    private static String describe(IOException e) {
        String kind = e.getClass().getSimpleName();
        return switch (kind) {
            case "NoSuchFileException" -> "no such file";
            case "AccessDeniedException" -> "permission denied";
            case "FileSystemException" -> e.getMessage();
            default -> kind + (e.getMessage() == null ? "" : ": " + e.getMessage());
        };
    }

    /** keepalived is byte-oriented; take UTF-8 when it is valid, else Latin-1, so no byte is lost. */
    private static String decode(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    private void readPhysicalLine(String raw, SourcePos pos) {
        String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
        Decommented d = decomment(line);
        if (pendingDefinition != null) {
            // keepalived appends continuation lines to the definition until one lacks a trailing '\'
            // (or is blank).
            if (d.text().isEmpty() && !d.continued()) {
                pendingDefinition = null;
                return;
            }
            if (!d.text().isEmpty()) {
                pendingDefinition.add(d.text());
            }
            if (!d.continued()) {
                pendingDefinition = null;
            }
            return;
        }
        if (d.text().isEmpty()) {
            return;
        }
        processLine(d.text(), d.continued(), pos, 0);
    }

    /** keepalived's {@code decomment()}: strip comments outside double quotes, note a trailing '\'. */
    static Decommented decomment(String line) {
        String s = stripLeading(line);
        var out = new StringBuilder(s.length());
        boolean quote = false;
        boolean continued = false;
        int commentAt = -1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                if (commentAt < 0) {
                    quote = !quote;
                }
                out.append(c);
            } else if (c == '\\') {
                if (i + 1 < s.length()) {
                    char next = s.charAt(i + 1);
                    if (!quote && (next == '#' || next == '!')) {
                        out.append('\\').append(next); // kept escaped; the tokenizer turns "\#" into "#"
                    } else {
                        out.append(c).append(next);
                    }
                    i++;
                } else {
                    continued = true;
                    break;
                }
            } else if (!quote && commentAt < 0 && (c == '!' || c == '#')) {
                commentAt = out.length();
                out.append(c);
            } else {
                out.append(c);
            }
        }
        if (commentAt >= 0) {
            out.setLength(commentAt);
        }
        return new Decommented(stripTrailing(out.toString()), continued);
    }

    // ---------------------------------------------------------------------------------- lines

    private void processLine(String text, boolean continued, SourcePos pos, int depth) {
        if (depth > MAX_EXPANSIONS) {
            findings.add(Finding.error(pos, "$definitions expand more than " + MAX_EXPANSIONS
                    + " times on this line (a definition that uses itself?)"));
            return;
        }
        List<String> extraLines = new ArrayList<>();
        int expansions = 0;
        while (true) {
            if (text.startsWith("@")) {
                boolean reverse = text.startsWith("@^");
                int start = reverse ? 2 : 1;
                int end = indexOfBlank(text, start);
                if (end < 0) {
                    return; // keepalived drops a conditional with nothing after its id
                }
                String id = text.substring(start, end);
                boolean matches = configId.map(id::equals).orElse(false);
                if (matches == reverse) {
                    return;
                }
                text = stripLeading(text.substring(end));
            }
            if (text.startsWith("$") && defineIfDefinition(text, continued, pos)) {
                return;
            }
            if (text.startsWith("~SEQ") || text.startsWith("~LST")) {
                findings.add(Finding.error(pos, "keepalived's " + text.substring(0, 4)
                        + " line generator is not supported by Vigil; write the generated lines out"));
                return;
            }
            if (text.indexOf('$') < 0) {
                break;
            }
            Expansion e = substitute(text);
            if (e == TOO_LONG) {
                findings.add(Finding.error(pos, "$definitions expand this line beyond " + MAX_EXPANDED_CHARS
                        + " characters (definitions that repeat each other?)"));
                return;
            }
            if (!e.changed()) {
                break;
            }
            if (++expansions > MAX_EXPANSIONS) {
                findings.add(Finding.error(pos, "$definitions expand more than " + MAX_EXPANSIONS
                        + " times on this line (a definition that uses itself?)"));
                return;
            }
            extraLines.addAll(0, e.extraLines());
            text = decomment(e.line()).text();
            if (text.isEmpty()) {
                break;
            }
        }
        if (continued) {
            findings.add(Finding.error(pos, "line ends with '\\' but only a $definition may continue on the next line"));
            return;
        }
        if (!text.isEmpty()) {
            if (isInclude(text)) {
                include(text, pos);
            } else {
                tokenize(text, pos);
            }
        }
        for (String extra : extraLines) {
            Decommented d = decomment(extra);
            if (!d.text().isEmpty()) {
                processLine(d.text(), false, pos, depth + 1);
            }
        }
    }

    /** {@code $NAME=value}; a trailing '\' starts a multi-line definition. Returns false if not a definition. */
    private boolean defineIfDefinition(String text, boolean continued, SourcePos pos) {
        if (text.length() < 2 || !(Character.isLetter(text.charAt(1)) || text.charAt(1) == '_')) {
            return false;
        }
        int i = 2;
        while (i < text.length() && isNameChar(text.charAt(i))) {
            i++;
        }
        String name = text.substring(1, i);
        // keepalived's check_definition(): nothing may come between the name and '='
        if (i >= text.length() || text.charAt(i) != '=') {
            return false;
        }
        String value = stripLeading(text.substring(i + 1));
        List<String> lines = new ArrayList<>();
        if (!value.isEmpty()) {
            lines.add(value);
        }
        definitions.put(name, lines);
        if (continued) {
            pendingDefinition = lines;
        }
        return true;
    }

    private static final Expansion TOO_LONG = new Expansion("", List.of(), true);

    private Expansion substitute(String text) {
        var out = new StringBuilder();
        List<String> extra = List.of();
        boolean changed = false;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$' || i + 1 >= text.length()) {
                out.append(c);
                i++;
                continue;
            }
            int nameStart;
            int nameEnd;
            int after;
            if (text.charAt(i + 1) == '{') {
                nameStart = i + 2;
                nameEnd = text.indexOf('}', nameStart);
                if (nameEnd < 0) {
                    out.append(c);
                    i++;
                    continue;
                }
                after = nameEnd + 1;
            } else {
                nameStart = i + 1;
                nameEnd = nameStart;
                while (nameEnd < text.length() && isNameChar(text.charAt(nameEnd))) {
                    nameEnd++;
                }
                after = nameEnd;
            }
            String name = text.substring(nameStart, nameEnd);
            Optional<List<String>> value = lookup(name);
            if (name.isEmpty() || value.isEmpty()) {
                out.append(c);
                i++;
                continue;
            }
            List<String> lines = value.get();
            changed = true;
            out.append(lines.isEmpty() ? "" : lines.get(0));
            if (out.length() > MAX_EXPANDED_CHARS) {
                return TOO_LONG;
            }
            if (lines.size() > 1 && extra.isEmpty()) {
                extra = lines.subList(1, lines.size());
            }
            i = after;
        }
        return new Expansion(out.toString(), extra, changed);
    }

    private Optional<List<String>> lookup(String name) {
        List<String> user = definitions.get(name);
        if (user != null) {
            return Optional.of(user);
        }
        return switch (name) {
            case "_PWD" -> Optional.of(List.of(currentDir.toAbsolutePath().normalize().toString()));
            case "_INSTANCE" -> Optional.of(List.of(configId.orElse("")));
            default -> Optional.empty();
        };
    }

    // ---------------------------------------------------------------------------------- include

    private static boolean isInclude(String text) {
        if (!text.startsWith("include") || text.length() < 9) {
            return false;
        }
        char c = text.charAt(7);
        return isBlank(c) || ("rmwba".indexOf(c) >= 0 && isBlank(text.charAt(8)));
    }

    private void include(String text, SourcePos pos) {
        String pattern = text.substring(isBlank(text.charAt(7)) ? 8 : 9).strip();
        if (pattern.length() >= 2 && (pattern.startsWith("\"") && pattern.endsWith("\"")
                || pattern.startsWith("'") && pattern.endsWith("'"))) {
            pattern = pattern.substring(1, pattern.length() - 1);
        }
        if (pattern.isEmpty()) {
            findings.add(Finding.error(pos, "include needs a file name or pattern"));
            return;
        }
        Path target;
        try {
            target = currentDir.resolve(pattern).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            findings.add(Finding.error(pos, "include: invalid path '" + pattern + "'"));
            return;
        }
        boolean wildcard = hasGlobMeta(pattern);
        List<Path> matches = expandGlob(target);
        if (matches.isEmpty()) {
            if (wildcard) {
                findings.add(Finding.warning(pos, "include pattern '" + pattern + "' matched no file"));
            } else {
                findings.add(Finding.error(pos, "included file " + target + " does not exist"));
            }
            return;
        }
        for (Path match : matches) {
            if (Files.isDirectory(match)) {
                findings.add(Finding.warning(pos, "included path " + match + " is a directory - skipping"));
            } else if (Files.isExecutable(match) && Files.isRegularFile(match)) {
                // keepalived refuses executable config files (check_glob_file()); so does Vigil.
                findings.add(Finding.warning(pos, "included file " + match
                        + " is executable; keepalived skips executable config files, so Vigil does too"));
            } else {
                readFile(match, Optional.of(pos));
            }
        }
    }

    private static boolean hasGlobMeta(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('{') >= 0;
    }

    /** glob(3) one path component at a time, sorted, hidden files only for patterns starting with '.'. */
    private static List<Path> expandGlob(Path target) {
        List<Path> current = new ArrayList<>();
        current.add(target.isAbsolute() ? target.getRoot() : Path.of(""));
        for (Path part : target) {
            String comp = part.toString();
            List<Path> next = new ArrayList<>();
            if (hasGlobMeta(comp)) {
                PathMatcher matcher;
                try {
                    matcher = FileSystems.getDefault().getPathMatcher("glob:" + comp);
                } catch (RuntimeException e) {
                    return List.of();
                }
                for (Path dir : current) {
                    Path listed = dir.toString().isEmpty() ? Path.of(".") : dir;
                    if (!Files.isDirectory(listed)) {
                        continue;
                    }
                    try (Stream<Path> entries = Files.list(listed)) {
                        entries.map(Path::getFileName)
                                .filter(n -> !n.toString().startsWith(".") || comp.startsWith("."))
                                .filter(matcher::matches)
                                .map(Path::toString)
                                .sorted()
                                .forEach(n -> next.add(dir.resolve(n)));
                    } catch (IOException e) {
                        // an unreadable directory matches nothing, as with glob(3)
                    }
                }
            } else {
                for (Path dir : current) {
                    next.add(dir.resolve(comp));
                }
            }
            current = next;
        }
        return current.stream().filter(Files::exists).toList();
    }

    // ---------------------------------------------------------------------------------- words

    /** keepalived's brace split plus {@code alloc_strvec_quoted_escaped()}: words, quotes, escapes. */
    private void tokenize(String text, SourcePos pos) {
        List<Token> line = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < n) {
                if (word == null) {
                    word = new StringBuilder();
                }
                i = unescape(text, i + 1, word) - 1;
                continue;
            }
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
                continue;
            }
            if (c == '"' || c == '\'') {
                quote = c;
                if (word == null) {
                    word = new StringBuilder();
                }
            } else if (isBlank(c)) {
                word = flush(word, line, pos);
            } else if (c == '{' || c == '}') {
                word = flush(word, line, pos);
                line.add(new Token(c == '{' ? Token.Kind.OPEN : Token.Kind.CLOSE, String.valueOf(c), pos));
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                word.append(c);
            }
        }
        if (quote != 0) {
            findings.add(Finding.error(pos, "missing closing " + quote + " (unterminated quoted string)"));
            return;
        }
        flush(word, line, pos);
        tokens.addAll(line);
        tokens.add(new Token(Token.Kind.END, "", pos));
    }

    private static StringBuilder flush(StringBuilder word, List<Token> line, SourcePos pos) {
        if (word != null) {
            line.add(Token.word(word.toString(), pos));
        }
        return null;
    }

    /** Decode the escape starting at {@code i} (just after the backslash); returns the index after it. */
    private static int unescape(String s, int i, StringBuilder out) {
        char c = s.charAt(i);
        switch (c) {
            case 'a' -> out.append('\u0007');
            case 'b' -> out.append('\b');
            case 'E' -> out.append('\u001b');
            case 'f' -> out.append('\f');
            case 'n' -> out.append('\n');
            case 'r' -> out.append('\r');
            case 't' -> out.append('\t');
            case 'v' -> out.append('\u000b');
            case 'x' -> {
                int j = i + 1;
                int v = 0;
                while (j < s.length() && j < i + 3 && Character.digit(s.charAt(j), 16) >= 0) {
                    v = v * 16 + Character.digit(s.charAt(j), 16);
                    j++;
                }
                if (j == i + 1) {
                    out.append('x');
                    return i + 1;
                }
                out.append((char) v);
                return j;
            }
            default -> {
                if (c >= '0' && c <= '7') {
                    int j = i;
                    int v = 0;
                    while (j < s.length() && j < i + 3 && s.charAt(j) >= '0' && s.charAt(j) <= '7') {
                        v = v * 8 + (s.charAt(j) - '0');
                        j++;
                    }
                    out.append((char) v);
                    return j;
                }
                out.append(c);
            }
        }
        return i + 1;
    }

    // ---------------------------------------------------------------------------------- chars

    private static boolean isNameChar(char c) {
        return c < 128 && (Character.isLetterOrDigit(c) || c == '_');
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    private static int indexOfBlank(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (isBlank(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && isBlank(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    private static String stripTrailing(String s) {
        int i = s.length();
        while (i > 0 && isBlank(s.charAt(i - 1))) {
            i--;
        }
        return s.substring(0, i);
    }
}
