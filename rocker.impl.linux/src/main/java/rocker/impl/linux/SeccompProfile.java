package rocker.impl.linux;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import rocker.api.RockerError;
import rocker.api.RockerException;
import rocker.api.RockerRequest;
import rocker.impl.linux.sys.Errno;
import rocker.impl.linux.sys.Fd;
import rocker.impl.linux.sys.Posix;
import rocker.impl.linux.sys.Stat;
import rocker.impl.linux.sys.SysException;

/**
 * The app's system call filter as the app request carries it to the guard (rocker-guard.c): Rocker's
 * default, none, or a profile file in a documented subset of Docker's/OCI's JSON format (docs/security.md,
 * "System calls"): {@code defaultAction} (with {@code defaultErrnoRet}), {@code syscalls} rules of
 * {@code names} (or {@code name}), {@code action} (with {@code errnoRet}) and an optional {@code comment},
 * without argument conditions; {@code architectures} and {@code archMap} are ignored, any other key is
 * refused. The guard maps the names to its architecture's numbers.
 */
final class SeccompProfile {
    /** A profile file is read whole and may not be larger. */
    static final int MAX_BYTES = 1 << 20;
    /** At most this many names in all rules (the guard's limit). */
    static final int MAX_NAMES = 4096;
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,64}");
    private static final int EPERM = 1;

    /** What the guard does for a call: its words in the app request. */
    enum Action {
        ALLOW("allow"), ERRNO("errno"), KILL_PROCESS("kill_process"), KILL_THREAD("kill_thread"), LOG("log");

        final String word;

        Action(String word) {
            this.word = word;
        }

        static Action of(String scmp) {
            switch (scmp) {
                case "SCMP_ACT_ALLOW": return ALLOW;
                case "SCMP_ACT_ERRNO": return ERRNO;
                case "SCMP_ACT_KILL_PROCESS": return KILL_PROCESS;
                case "SCMP_ACT_KILL":
                case "SCMP_ACT_KILL_THREAD": return KILL_THREAD;
                case "SCMP_ACT_LOG": return LOG;
                default: return null;
            }
        }
    }

    /** One name of a profile rule; {@code rule} is the rule's index in {@code syscalls}. */
    static final class Rule {
        final String name;
        final Action action;
        final int errno;
        final int rule;

        Rule(String name, Action action, int errno, int rule) {
            this.name = name;
            this.action = action;
            this.errno = errno;
            this.rule = rule;
        }
    }

    final String path;
    final Action defaultAction;
    final int defaultErrno;
    /** In the order the guard gets them (its index in a SECCOMP_NAME failure is an index here). */
    final List<Rule> rules;

    private SeccompProfile(String path, Action defaultAction, int defaultErrno, List<Rule> rules) {
        this.path = path;
        this.defaultAction = defaultAction;
        this.defaultErrno = defaultErrno;
        this.rules = rules;
    }

    /** The app request's seccomp fields for {@link RockerRequest#seccomp()}: a profile is read and checked now. */
    static List<String> fields(String seccomp) {
        if (seccomp == null) return List.of("default");
        if (seccomp.equals(RockerRequest.SECCOMP_UNCONFINED)) return List.of("unconfined");
        return read(seccomp).fields();
    }

    /** "profile" default_action default_errno nrules (name action errno)... */
    List<String> fields() {
        List<String> f = new ArrayList<>();
        f.add("profile");
        f.add(defaultAction.word);
        f.add(Integer.toString(defaultErrno));
        f.add(Integer.toString(rules.size()));
        for (Rule r : rules) {
            f.add(r.name);
            f.add(r.action.word);
            f.add(Integer.toString(r.errno));
        }
        return f;
    }

    /**
     * The profile file at {@code path}, opened once by the engine (root clients only) like the image:
     * {@code O_RDONLY|O_NOFOLLOW|O_NONBLOCK}, checked on the descriptor to be a regular file of at most
     * {@link #MAX_BYTES}, read as UTF-8.
     */
    static SeccompProfile read(String path) {
        int fd;
        try {
            fd = Posix.open(path, Posix.O_RDONLY | Fd.O_NOFOLLOW | Posix.O_NONBLOCK, 0);
        } catch (SysException e) {
            throw refused(path, e);
        }
        try {
            Stat s = Fd.stat(fd, path);
            if (!s.isRegular()) throw invalid(path, "is " + s.kind() + ", not a profile file");
            if (s.size > MAX_BYTES) throw invalid(path, "is larger than " + MAX_BYTES + " bytes");
            ByteBuffer all = ByteBuffer.allocate(MAX_BYTES + 1);
            for (byte[] b; all.hasRemaining() && (b = Posix.read(fd, Math.min(65536, all.remaining()))).length > 0;) {
                all.put(b);
            }
            if (!all.hasRemaining()) throw invalid(path, "is larger than " + MAX_BYTES + " bytes");
            all.flip();
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(all).toString();
            } catch (CharacterCodingException e) {
                throw invalid(path, "is not UTF-8 text");
            }
            return parse(path, text);
        } catch (SysException e) {
            throw refused(path, e);
        } finally {
            Posix.close(fd);
        }
    }

    /** The profile in {@code text}; {@code path} names it in errors. */
    static SeccompProfile parse(String path, String text) {
        Object top;
        try {
            top = Json.parse(text);
        } catch (Json.SyntaxError e) {
            throw invalid(path, "is not valid JSON: " + e.getMessage());
        }
        Map<?, ?> profile = object(path, top, "the profile");
        Action defaultAction = null;
        Integer defaultErrno = null;
        List<?> syscalls = List.of();
        for (Map.Entry<?, ?> e : profile.entrySet()) {
            String key = (String) e.getKey();
            switch (key) {
                case "defaultAction":
                    defaultAction = action(path, e.getValue(), "defaultAction");
                    break;
                case "defaultErrnoRet":
                    defaultErrno = errno(path, e.getValue(), "defaultErrnoRet");
                    break;
                case "syscalls":
                    syscalls = e.getValue() == null ? List.of() : array(path, e.getValue(), "syscalls");
                    break;
                case "architectures":
                case "archMap":
                    break; // the guard filters for its own architecture only
                default:
                    throw invalid(path, "unknown key '" + key + "'");
            }
        }
        if (defaultAction == null) throw invalid(path, "has no defaultAction");
        if (defaultErrno != null && defaultAction != Action.ERRNO) {
            throw invalid(path, "defaultErrnoRet is only for defaultAction SCMP_ACT_ERRNO");
        }
        List<Rule> rules = new ArrayList<>();
        Map<String, Rule> byName = new HashMap<>();
        for (int i = 0; i < syscalls.size(); i++) {
            for (Rule r : rule(path, syscalls.get(i), i)) {
                Rule earlier = byName.putIfAbsent(r.name, r);
                if (earlier == null) {
                    rules.add(r);
                } else if (earlier.action != r.action || earlier.errno != r.errno) {
                    throw invalid(path, "rule " + i + ": '" + r.name + "' is already in rule " + earlier.rule + " with another action");
                }
            }
        }
        if (rules.size() > MAX_NAMES) throw invalid(path, "names " + rules.size() + " system calls, more than " + MAX_NAMES);
        int errno = defaultErrno != null ? defaultErrno : defaultAction == Action.ERRNO ? EPERM : 0;
        return new SeccompProfile(path, defaultAction, errno, List.copyOf(rules));
    }

    private static List<Rule> rule(String path, Object value, int index) {
        String where = "rule " + index;
        Map<?, ?> rule = object(path, value, where);
        List<String> names = new ArrayList<>();
        Action action = null;
        Integer errno = null;
        for (Map.Entry<?, ?> e : rule.entrySet()) {
            String key = (String) e.getKey();
            switch (key) {
                case "names":
                    for (Object n : array(path, e.getValue(), where + ": names")) names.add(name(path, n, where));
                    break;
                case "name":
                    names.add(name(path, e.getValue(), where));
                    break;
                case "action":
                    action = action(path, e.getValue(), where + ": action");
                    break;
                case "errnoRet":
                    errno = errno(path, e.getValue(), where + ": errnoRet");
                    break;
                case "comment":
                    if (e.getValue() != null && !(e.getValue() instanceof String)) throw invalid(path, where + ": comment is not a string");
                    break;
                case "args":
                case "includes":
                case "excludes":
                    // empty ones (as some tools write them) say nothing; conditions are not supported
                    if (!isEmpty(e.getValue())) {
                        throw invalid(path, where + " " + names(rule) + " has \"" + key + "\": "
                                + (key.equals("args") ? "argument" : "capability, architecture and kernel") + " conditions are not supported");
                    }
                    break;
                default:
                    throw invalid(path, where + ": unknown key '" + key + "'");
            }
        }
        if (names.isEmpty()) throw invalid(path, where + " has no names");
        if (action == null) throw invalid(path, where + " has no action");
        if (errno != null && action != Action.ERRNO) throw invalid(path, where + ": errnoRet is only for SCMP_ACT_ERRNO");
        List<Rule> out = new ArrayList<>();
        for (String n : names) out.add(new Rule(n, action, errno == null ? (action == Action.ERRNO ? EPERM : 0) : errno, index));
        return out;
    }

    /** The rule's names for a message: [a, b] (what a reader looks for in the file). */
    private static String names(Map<?, ?> rule) {
        Object n = rule.containsKey("names") ? rule.get("names") : rule.get("name");
        if (n instanceof Collection) return n.toString();
        return n == null ? "(no names)" : "[" + n + "]";
    }

    private static boolean isEmpty(Object v) {
        return v == null || (v instanceof Collection && ((Collection<?>) v).isEmpty()) || (v instanceof Map && ((Map<?, ?>) v).isEmpty());
    }

    private static String name(String path, Object v, String where) {
        if (!(v instanceof String) || !NAME.matcher((String) v).matches()) {
            throw invalid(path, where + ": " + (v instanceof String ? "'" + v + "'" : String.valueOf(v)) + " is not a system call name");
        }
        return (String) v;
    }

    private static Action action(String path, Object v, String where) {
        Action a = v instanceof String ? Action.of((String) v) : null;
        if (a == null) {
            throw invalid(path, where + " " + (v instanceof String ? "'" + v + "'" : String.valueOf(v)) + " is not supported"
                    + " (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_LOG)");
        }
        return a;
    }

    private static int errno(String path, Object v, String where) {
        if (!(v instanceof Long) || (Long) v < 0 || (Long) v > 4095) {
            throw invalid(path, where + " " + v + " is not an errno (0-4095)");
        }
        return ((Long) v).intValue();
    }

    private static Map<?, ?> object(String path, Object v, String where) {
        if (!(v instanceof Map)) throw invalid(path, where + " is not an object");
        return (Map<?, ?>) v;
    }

    private static List<?> array(String path, Object v, String where) {
        if (!(v instanceof List)) throw invalid(path, where + " is not an array");
        return (List<?>) v;
    }

    private static RockerException refused(String path, SysException e) {
        switch (e.errno()) {
            case Errno.ENOENT:
                return invalid(path, "does not exist");
            case Errno.ELOOP:
                return invalid(path, "is a symbolic link: name the profile file itself");
            case Errno.ENOTDIR:
                return invalid(path, "a component of the path is not a dir");
            case Errno.ENXIO:
            case Errno.EISDIR:
                return invalid(path, "is not a profile file");
            default:
                return invalid(path, "cannot be read: " + e.getMessage());
        }
    }

    static RockerException invalid(String path, String why) {
        return new RockerException(RockerError.PARAM_INVALID, "seccomp '" + path + "': " + why);
    }
}
