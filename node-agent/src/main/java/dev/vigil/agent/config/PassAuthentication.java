package dev.vigil.agent.config;

/**
 * VRRPv2 simple text authentication ({@code auth_type PASS}): the password is sent in clear in the
 * 8 authentication bytes, NUL-padded; keepalived truncates longer ones to 8 characters.
 */
public record PassAuthentication(String password) {
    @Override
    public String toString() {
        return "PassAuthentication[password=********]";
    }
}
