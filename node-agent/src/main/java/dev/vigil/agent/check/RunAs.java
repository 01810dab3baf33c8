package dev.vigil.agent.check;

import java.util.List;
import java.util.Optional;

/** The user (and group) a script runs as, resolved to numbers once, before the first run. */
public record RunAs(String user, int uid, int gid) {

    public static final RunAs ROOT = new RunAs("root", 0, 0);

    public boolean isRoot() {
        return uid == 0;
    }

    /** The uid and primary gid from a {@code getent passwd} line ({@code name:x:uid:gid:gecos:home:shell}). */
    public static Optional<RunAs> fromPasswdLine(String line) {
        String[] fields = line.strip().split(":", -1);
        if (fields.length < 4) {
            return Optional.empty();
        }
        try {
            return Optional.of(new RunAs(fields[0], Integer.parseInt(fields[2]), Integer.parseInt(fields[3])));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The gid from a {@code getent group} line ({@code name:x:gid:members}). */
    public static Optional<Integer> gidFromGroupLine(String line) {
        String[] fields = line.strip().split(":", -1);
        if (fields.length < 3) {
            return Optional.empty();
        }
        try {
            return Optional.of(Integer.parseInt(fields[2]));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * The wrapper that starts a script: {@code setsid} makes it leader of its own process group (so a timeout kills
     * its children too), {@code setpriv} sets the parent-death signal and, for another user, the uid, gid and that
     * user's supplementary groups. Both exec in place: the script keeps the pid the JDK started.
     */
    public List<String> wrapper() {
        if (isRoot() && gid == 0) {
            return List.of("setsid", "setpriv", "--pdeathsig", "TERM", "--");
        }
        return List.of("setsid", "setpriv", "--pdeathsig", "TERM", "--reuid=" + uid, "--regid=" + gid,
                isRoot() ? "--clear-groups" : "--init-groups", "--");
    }
}
