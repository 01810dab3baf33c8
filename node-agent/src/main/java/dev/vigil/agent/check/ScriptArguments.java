package dev.vigil.agent.check;

import java.util.ArrayList;
import java.util.List;

/**
 * keepalived's split of a script string into a program and its arguments (no shell): blanks separate words, single or
 * double quotes keep blanks inside one word, a backslash takes the next character literally. A command that needs a
 * shell names one: {@code script "/bin/sh -c 'pidof haproxy'"}.
 */
public final class ScriptArguments {

    private ScriptArguments() {}

    public static List<String> split(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (c == '\\' && i + 1 < command.length() && quote != '\'') {
                word.append(command.charAt(++i));
                inWord = true;
            } else if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
                inWord = true;
            } else if (c == ' ' || c == '\t') {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return List.copyOf(words);
    }
}
