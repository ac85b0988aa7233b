package rocker.api;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** The validation rules of requests and apps; every failure is {@code param_invalid} naming field and value. */
final class RequestRules {
    /** Longest accepted path, in bytes (PATH_MAX less the terminating NUL). */
    static final int MAX_PATH_BYTES = 4095;
    /** Longest path component, in bytes (NAME_MAX). */
    static final int MAX_NAME_BYTES = 255;
    static final int MAX_GROUPS = 32;
    static final int MAX_HOSTNAME = 64;
    /** Bound on argv plus environment, in bytes. */
    static final int MAX_COMMAND_BYTES = 128 * 1024;
    static final Set<String> FORBIDDEN_OVERLAYS = Set.of("/proc", "/sys", "/dev");
    private static final Pattern HOST_LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private RequestRules() {
    }

    static void check(RockerRequest r) {
        nonNegative("app_id", r.appId());
        nonNegative("uid", r.uid());
        nonNegative("gid", r.gid());
        if (r.groups().size() > MAX_GROUPS) {
            fail("groups", r.groups(), "more than " + MAX_GROUPS + " supplementary groups");
        }
        for (Integer g : r.groups()) {
            if (g == null || g < 0) {
                fail("groups", r.groups(), "a group id is missing or negative");
            }
        }
        path("app_pkg_path", r.pkgPath());
        path("app_exec_dir", r.execDir());
        path("app_data_dir", r.dataDir());
        notRootNorKernel("app_exec_dir", r.execDir());
        notRootNorKernel("app_data_dir", r.dataDir());
        overlaySafe("app_data_dir", r.dataDir());
        if (r.dataDir().equals(r.execDir()) || isUnder(r.dataDir(), r.execDir())) {
            fail("app_data_dir", r.dataDir(), "must not be app_exec_dir or inside it (the image is read-only)");
        }
        if (isUnder(r.execDir(), r.dataDir())) {
            fail("app_exec_dir", r.execDir(), "must not be inside app_data_dir");
        }
        overlays(r);
        hostname(r.hostname());
        devices(r);
        sharedDirs(r);
        seccomp(r.seccomp());
        limits(r);
    }

    static final long MIN_MEMORY = 4L * 1024 * 1024;
    static final long MIN_LOG = 4096;
    /** The fewest pids that run an app: the rocker's keeper and guard are in its cgroup too. */
    static final int MIN_PIDS = 3;

    private static void limits(RockerRequest r) {
        if (r.memoryLimit() != 0 && r.memoryLimit() < MIN_MEMORY) {
            fail("memory", r.memoryLimit(), "must be 0 (no limit) or at least " + MIN_MEMORY + " bytes (4 MiB)");
        }
        if (r.pidsLimit() < 0 || (r.pidsLimit() > 0 && r.pidsLimit() < MIN_PIDS)) {
            fail("pids", r.pidsLimit(), "must be 0 (no limit) or at least " + MIN_PIDS
                    + " (the rocker's keeper and guard count too)");
        }
        if (Double.isNaN(r.cpus()) || r.cpus() < 0 || r.cpus() > 4096 || (r.cpus() > 0 && r.cpus() < 0.01)) {
            fail("cpus", r.cpus(), "must be 0 (no quota) or between 0.01 and 4096");
        }
        if (r.cpuWeight() < 0 || r.cpuWeight() > 10000) {
            fail("cpu_weight", r.cpuWeight(), "must be 0 (the default) or between 1 and 10000");
        }
        if (r.logLimit() != 0 && r.logLimit() < MIN_LOG) {
            fail("log_limit", r.logLimit(), "must be 0 (unbounded) or at least " + MIN_LOG + " bytes");
        }
    }

    private static void seccomp(String s) {
        if (s == null || s.equals(RockerRequest.SECCOMP_UNCONFINED)) {
            return;
        }
        path("seccomp", s);
    }

    static final int MAX_DEVICES = 32;
    static final int MAX_SHARED_DIRS = 16;

    private static void devices(RockerRequest r) {
        if (r.devices().size() > MAX_DEVICES) {
            fail("devices", r.devices(), "more than " + MAX_DEVICES + " devices");
        }
        Set<String> seen = new HashSet<>();
        for (String d : r.devices()) {
            path("devices", d);
            if (!isUnder(d, "/dev")) {
                fail("devices", d, "must be a device node under /dev");
            }
            if (!seen.add(d)) {
                fail("devices", d, "is listed twice");
            }
        }
    }

    private static void sharedDirs(RockerRequest r) {
        if (r.sharedDirs().size() > MAX_SHARED_DIRS) {
            fail("shared_dirs", r.sharedDirs(), "more than " + MAX_SHARED_DIRS + " dirs");
        }
        Set<String> seen = new HashSet<>();
        for (SharedDir d : r.sharedDirs()) {
            if (d == null) {
                fail("shared_dirs", null, "an entry is missing");
            }
            path("shared_dirs", d.path());
            notRootNorKernel("shared_dirs", d.path());
            if (d.path().equals(r.execDir()) || isUnder(r.execDir(), d.path()) || isUnder(d.path(), r.execDir())) {
                fail("shared_dirs", d.path(), "must not be app_exec_dir, hold it or lie in it (the image is mounted there)");
            }
            if (!seen.add(d.path())) {
                fail("shared_dirs", d.path(), "is listed twice");
            }
        }
    }

    private static void overlays(RockerRequest r) {
        List<String> dirs = r.overlayDirs();
        if (dirs.size() > RockerRequest.MAX_OVERLAY_DIRS) {
            fail("app_overlay_dirs", dirs, "more than " + RockerRequest.MAX_OVERLAY_DIRS + " dirs");
        }
        Set<String> seen = new HashSet<>();
        for (String d : dirs) {
            path("app_overlay_dirs", d);
            if ("/".equals(d)) {
                fail("app_overlay_dirs", d, "the root dir cannot be overlaid");
            }
            if (FORBIDDEN_OVERLAYS.contains(d)) {
                fail("app_overlay_dirs", d, "/proc, /sys and /dev cannot be overlaid");
            }
            if (d.indexOf('/', 1) >= 0) {
                fail("app_overlay_dirs", d, "must be a top-level dir such as /var");
            }
            overlaySafe("app_overlay_dirs", d);
            if (!seen.add(d)) {
                fail("app_overlay_dirs", d, "is listed twice");
            }
            if (r.execDir().equals(d)) {
                fail("app_exec_dir", r.execDir(), "must not be an overlay dir (the image would hide it)");
            }
        }
    }

    static void check(RockerApp app) {
        List<String> argv = app.command();
        if (argv.isEmpty()) {
            fail("command", argv, "is empty");
        }
        long bytes = 0;
        for (String a : argv) {
            if (a == null || a.indexOf('\0') >= 0) {
                fail("command", argv, "an argument is missing or contains NUL");
            }
            bytes += utf8(a) + 1;
        }
        if (argv.get(0).isEmpty()) {
            fail("command", argv, "the program is empty");
        }
        for (Map.Entry<String, String> e : app.environment().entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            if (k == null || k.isEmpty() || k.indexOf('=') >= 0 || k.indexOf('\0') >= 0) {
                fail("environment", k, "a variable name is empty or contains '=' or NUL");
            }
            if (v == null || v.indexOf('\0') >= 0) {
                fail("environment", k, "the value is missing or contains NUL");
            }
            bytes += utf8(k) + utf8(v) + 2;
        }
        if (bytes > MAX_COMMAND_BYTES) {
            fail("command", argv.get(0), "command and environment exceed " + MAX_COMMAND_BYTES + " bytes");
        }
        if (app.workDir() != null) {
            path("work_dir", app.workDir());
        }
    }

    private static void hostname(String h) {
        if (h == null) {
            return;
        }
        if (h.isEmpty() || h.length() > MAX_HOSTNAME) {
            fail("hostname", h, "must be 1 to " + MAX_HOSTNAME + " characters");
        }
        for (String label : h.split("\\.", -1)) {
            if (!HOST_LABEL.matcher(label).matches()) {
                fail("hostname", h, "must be dot-separated labels of letters, digits and inner hyphens");
            }
        }
    }

    private static void nonNegative(String field, int v) {
        if (v < 0) {
            fail(field, v, "must be between 0 and " + Integer.MAX_VALUE);
        }
    }

    /** Absolute, normalized (no '.', '..', '//' or trailing '/'), no control characters, bounded. */
    static void path(String field, String p) {
        if (p == null || p.isEmpty()) {
            fail(field, p, "is required");
        }
        if (p.charAt(0) != '/') {
            fail(field, p, "must be an absolute path");
        }
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '\0') {
                fail(field, p.replace('\0', '?'), "contains NUL");
            }
            if (c < 0x20 || c == 0x7f) {
                fail(field, p, "contains a control character");
            }
            if (c == '\uFFFD') {
                // what a decoder makes of bytes that are not UTF-8: two such names would become one
                fail(field, p, "contains U+FFFD, the mark of bytes that were not UTF-8 (paths are UTF-8)");
            }
        }
        if (utf8(p) > MAX_PATH_BYTES) {
            fail(field, p.substring(0, 32) + "...", "is longer than " + MAX_PATH_BYTES + " bytes");
        }
        if (p.length() > 1) {
            if (p.endsWith("/")) {
                fail(field, p, "must not end with '/'");
            }
            for (String part : p.substring(1).split("/", -1)) {
                if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                    fail(field, p, "must be normalized (no '.', '..' or '//')");
                }
                if (utf8(part) > MAX_NAME_BYTES) {
                    fail(field, p, "has a component longer than " + MAX_NAME_BYTES + " bytes");
                }
            }
        }
    }

    private static void notRootNorKernel(String field, String p) {
        if ("/".equals(p)) {
            fail(field, p, "must not be the root dir");
        }
        for (String k : FORBIDDEN_OVERLAYS) {
            if (p.equals(k) || isUnder(p, k)) {
                fail(field, p, "must not be in " + k);
            }
        }
    }

    /** Characters that would break overlayfs mount options. */
    private static void overlaySafe(String field, String p) {
        for (char c : new char[] {',', ':', '\\', ' '}) {
            if (p.indexOf(c) >= 0) {
                fail(field, p, "must not contain '" + c + "' (it would break the overlay mount options)");
            }
        }
    }

    /** Whether {@code p} is strictly below {@code dir} (both normalized absolute paths). */
    static boolean isUnder(String p, String dir) {
        if ("/".equals(dir)) {
            return !"/".equals(p);
        }
        return p.startsWith(dir) && p.length() > dir.length() && p.charAt(dir.length()) == '/';
    }

    private static int utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    private static void fail(String field, Object value, String why) {
        throw new RockerException(RockerError.PARAM_INVALID, field + " '" + value + "': " + why);
    }
}
