package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.Test;

/**
 * Each guard's system call table and default filter, for every architecture whose cross compiler is
 * here: the guard (built by build.sh, run under qemu-user for a foreign CPU) prints its table and its
 * BPF program ({@code --seccomp-dump}); every number is checked against that compiler's own
 * {@code <asm/unistd.h>} (preprocessed and summed here, not compiled), and the program is run by a small
 * classic-BPF interpreter on the calls the filter must allow, deny, or not know.
 */
public class SeccompTableTest {
    private static final int ALLOW = 0x7fff0000;
    private static final int EPERM = 0x00050000 | 1;
    private static final int ENOSYS = 0x00050000 | 38;

    /** An architecture: its compiler, its qemu (null: this CPU), its AUDIT_ARCH and one foreign AUDIT_ARCH. */
    enum Arch {
        X86_64("gcc", null, 0xc000003e, 0x40000003),
        AARCH64("aarch64-linux-gnu-gcc", "/usr/bin/qemu-aarch64-static", 0xc00000b7, 0x40000028),
        ARMHF("arm-linux-gnueabihf-gcc", "/usr/bin/qemu-arm-static", 0x40000028, 0xc00000b7);

        final String cc;
        final String qemu;
        final int audit;
        final int foreign;

        Arch(String cc, String qemu, int audit, int foreign) {
            this.cc = cc;
            this.qemu = qemu;
            this.audit = audit;
            this.foreign = foreign;
        }

        boolean here() {
            return onPath(cc) && (qemu == null ? System.getProperty("os.arch").equals("amd64") : Files.isExecutable(Path.of(qemu)));
        }
    }

    private static boolean onPath(String cmd) {
        for (String dir : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Path.of(dir, cmd))) return true;
        }
        return false;
    }

    // ---- the guard's dump --------------------------------------------------------------------

    static final class Dump {
        final Map<String, Long> calls = new TreeMap<>(); // -1: a call this architecture lacks
        final List<int[]> bpf = new ArrayList<>();
        long arch;
        long max;
        long x32;
        String failure;
    }

    private static final Map<Arch, String> GUARDS = new java.util.EnumMap<>(Arch.class);

    private static synchronized String guard(Arch a) throws Exception {
        if (a == Arch.X86_64) return System.getProperty("rocker.guard");
        String g = GUARDS.get(a);
        if (g == null) {
            Path out = Path.of("target", "seccomp-guards", a.name().toLowerCase(), "rocker-guard").toAbsolutePath();
            run(List.of(Path.of("src/main/c/build.sh").toAbsolutePath().toString(), a.cc, out.toString()), 0);
            GUARDS.put(a, g = out.toString());
        }
        return g;
    }

    static Dump dump(String guard, String qemu, String... fields) throws Exception {
        List<String> argv = new ArrayList<>();
        if (qemu != null) argv.add(qemu);
        argv.add(guard);
        argv.add("--seccomp-dump");
        argv.addAll(List.of(fields));
        Dump d = new Dump();
        String out = run(argv, -1);
        for (String line : out.split("\n")) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "arch": d.arch = Long.parseLong(f[1]); break;
                case "max": d.max = Long.parseLong(f[1]); break;
                case "x32": d.x32 = Long.parseLong(f[1]); break;
                case "call": d.calls.put(f[1], f[2].equals("-") ? -1L : Long.parseLong(f[2])); break;
                case "bpf": d.bpf.add(new int[] {Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                        (int) Long.parseLong(f[4])}); break;
                default: d.failure = line;
            }
        }
        return d;
    }

    private static Dump dump(Arch a, String... fields) throws Exception {
        return dump(guard(a), a.qemu, fields);
    }

    /** The names the default filter allows (with zero arguments), as the guard at {@code guard} has them. */
    static List<String> dumpNames(String guard, String qemu) throws Exception {
        Dump d = dump(guard, qemu);
        List<String> allowed = new ArrayList<>();
        d.calls.forEach((n, nr) -> {
            if (nr >= 0 && filter(d, (int) d.arch, nr.intValue(), 0, 0) == ALLOW) allowed.add(n);
        });
        return allowed;
    }

    private static String run(List<String> argv, int expectedExit) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (expectedExit >= 0) assertEquals(argv + ": " + out, expectedExit, rc);
        return out;
    }

    // ---- classic BPF, as the kernel runs a seccomp filter ----------------------------------------

    /** The filter's answer for call {@code nr} of architecture {@code arch} with argument 0 {@code arg0}. */
    static int filter(Dump d, int arch, int nr, long arg0, long arg1) {
        int a = 0;
        int pc = 0;
        for (int steps = 0; steps < 10_000; steps++) {
            assertTrue("the program runs off its end", pc >= 0 && pc < d.bpf.size());
            int[] i = d.bpf.get(pc);
            int code = i[0], jt = i[1], jf = i[2], k = i[3];
            switch (code) {
                case 0x20: // BPF_LD | BPF_W | BPF_ABS
                    a = load(k, nr, arch, arg0, arg1);
                    pc++;
                    break;
                case 0x15: pc += 1 + (a == k ? jt : jf); break; // JEQ K
                case 0x35: pc += 1 + (Integer.compareUnsigned(a, k) >= 0 ? jt : jf); break; // JGE K
                case 0x45: pc += 1 + ((a & k) != 0 ? jt : jf); break; // JSET K
                case 0x05: pc += 1 + k; break; // JA
                case 0x06: return k; // RET K
                default: throw new AssertionError("instruction " + pc + " has an unexpected code " + code);
            }
        }
        throw new AssertionError("the program does not end");
    }

    /** struct seccomp_data, little-endian: nr, arch, instruction_pointer, args[6]. */
    private static int load(int offset, int nr, int arch, long arg0, long arg1) {
        switch (offset) {
            case 0: return nr;
            case 4: return arch;
            case 16: return (int) arg0;
            case 20: return (int) (arg0 >>> 32);
            case 24: return (int) arg1;
            default: throw new AssertionError("the program loads offset " + offset);
        }
    }

    // ---- the architecture's own numbers -----------------------------------------------------------

    private static final Pattern DEFINE = Pattern.compile("^#define __(ARM_)?NR_([a-z0-9_]+) ", Pattern.MULTILINE);

    /** name -> number of every call CC's <asm/unistd.h> defines: macro names from -dM, values by -E and summed here. */
    static Map<String, Long> headerNumbers(String cc) throws Exception {
        String defines = runWithInput(List.of(cc, "-dM", "-E", "-x", "c", "-"), "#include <asm/unistd.h>\n");
        StringBuilder probe = new StringBuilder("#include <asm/unistd.h>\n");
        Matcher m = DEFINE.matcher(defines);
        while (m.find()) {
            String name = m.group(2);
            if (name.equals("syscalls") || name.equals("arch_specific_syscall")) continue;
            probe.append("@@ ").append(name).append(" __").append(m.group(1) == null ? "" : "ARM_").append("NR_").append(name).append('\n');
        }
        Map<String, Long> numbers = new TreeMap<>();
        for (String line : runWithInput(List.of(cc, "-E", "-P", "-x", "c", "-"), probe.toString()).split("\n")) {
            if (!line.startsWith("@@ ")) continue;
            String[] f = line.split(" ", 3);
            numbers.put(f[1], sum(f[2]));
        }
        assertTrue(cc + " defines system calls", numbers.size() > 250);
        return numbers;
    }

    /** A sum of decimal and hex numbers in parentheses, as the headers write them: "(0 + 0x0f0000) + 5". */
    static long sum(String expr) {
        long total = 0;
        for (String term : expr.replace("(", " ").replace(")", " ").split("\\+")) {
            String t = term.trim();
            total += t.startsWith("0x") || t.startsWith("0X") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
        }
        return total;
    }

    private static String runWithInput(List<String> argv, String input) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(argv.toString(), 0, p.waitFor());
        return out;
    }

    // ---- the checks ----------------------------------------------------------------------------

    private static final List<String> ALLOWED = List.of("read", "write", "openat", "close", "mmap", "mmap2", "munmap", "mprotect",
            "futex", "execve", "exit_group", "rt_sigaction", "rt_sigprocmask", "getpid", "epoll_pwait", "ppoll",
            "sched_yield", "clock_nanosleep", "wait4", "ptrace", "process_vm_readv", "seccomp", "prctl", "setresuid",
            "accept4", "statx", "rseq", "membarrier", "faccessat2", "close_range", "pidfd_open", "ioctl");
    private static final List<String> DENIED = List.of("mount", "umount2", "pivot_root", "keyctl", "add_key", "request_key",
            "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load", "init_module", "finit_module",
            "delete_module", "open_by_handle_at", "name_to_handle_at", "io_uring_setup", "io_uring_enter",
            "io_uring_register", "setns", "swapon", "swapoff", "reboot", "acct", "quotactl", "chroot", "settimeofday",
            "clock_settime", "syslog", "fsopen", "fsmount", "move_mount", "open_tree", "mount_setattr", "lookup_dcookie",
            "fanotify_init", "sethostname", "setdomainname", "kcmp", "pidfd_getfd", "vhangup", "mbind", "set_mempolicy",
            "iopl", "ioperm", "nfsservctl", "uselib", "_sysctl", "usr26", "usr32");
    private static final int[] NS_FLAGS = {0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000};
    private static final int CLONE_NEWTIME = 0x80;
    private static final int THREAD_FLAGS = 0x003d0f00; // glibc's pthread_create: VM FS FILES SIGHAND THREAD SYSVSEM SETTLS PARENT_SETTID CHILD_CLEARTID

    private static void checkTable(Arch a) throws Exception {
        assumeTrue(a.cc + " and a way to run its guard are here", a.here());
        Dump d = dump(a);
        assertEquals(a + ": " + d.failure, null, d.failure);
        assertEquals(a.audit, (int) d.arch);
        Map<String, Long> headers = headerNumbers(a.cc);
        for (Map.Entry<String, Long> h : headers.entrySet()) {
            assertEquals(a + " " + h.getKey(), h.getValue(), d.calls.get(h.getKey()));
        }
        d.calls.forEach((n, nr) -> assertTrue(a + ": the guard has " + n + " " + nr + ", the headers do not", nr < 0 || headers.containsKey(n)));
        long max = headers.values().stream().filter(n -> n < 0x0f0000).mapToLong(Long::longValue).max().getAsLong();
        assertEquals(a + ": the highest regular number", max, d.max);
        assertTrue(a + ": " + d.bpf.size() + " instructions", d.bpf.size() < 4096);

        int checked = 0;
        for (String n : ALLOWED) {
            Long nr = d.calls.get(n);
            assertNotNull(a + ": the guard knows " + n, nr);
            if (nr < 0) continue; // not on this architecture (arm has mmap2)
            assertEquals(a + " allows " + n, ALLOW, call(d, n, 0));
            checked++;
        }
        for (String n : DENIED) {
            Long nr = d.calls.get(n);
            assertNotNull(a + ": the guard knows " + n, nr);
            if (nr < 0) continue; // not on this architecture
            assertEquals(a + " denies " + n, EPERM, call(d, n, 0));
            checked++;
        }
        assertTrue(a + ": checked " + checked, checked > 60);
        // only clone3 is known and ENOSYS; everything in the table is either allowed or EPERM
        d.calls.forEach((n, nr) -> {
            if (nr < 0) return;
            int r = filter(d, a.audit, nr.intValue(), 0, 0);
            assertTrue(a + " " + n + ": " + Integer.toHexString(r), n.equals("clone3") ? r == ENOSYS : r == ALLOW || r == EPERM);
        });
        // namespaces: clone's and unshare's flags (argument 0); threads and forks pass
        assertEquals(ALLOW, call(d, "clone", 17));
        assertEquals(ALLOW, call(d, "clone", THREAD_FLAGS));
        assertEquals(ALLOW, call(d, "clone", 0xffffffff00000000L | 17));
        assertEquals(ALLOW, call(d, "unshare", 0x400)); // CLONE_FILES
        for (int f : NS_FLAGS) {
            assertEquals(a + " clone " + Integer.toHexString(f), EPERM, call(d, "clone", f | 17));
            assertEquals(a + " unshare " + Integer.toHexString(f), EPERM, call(d, "unshare", f));
        }
        assertEquals(EPERM, call(d, "unshare", CLONE_NEWTIME));
        assertEquals(ENOSYS, call(d, "clone3", 0));
        for (long p : new long[] {0, 8, 0x20000, 0x20008, 0xffffffffL}) assertEquals(ALLOW, call(d, "personality", p));
        assertEquals(EPERM, call(d, "personality", 0x0400000)); // READ_IMPLIES_EXEC
        assertEquals(ALLOW, call(d, "socket", 2));
        assertEquals(EPERM, call(d, "socket", 40)); // AF_VSOCK
        // newer calls, other ABIs
        for (long nr : new long[] {max + 1, 1000, 0x0effff}) assertEquals(a + " " + nr, ENOSYS, filter(d, a.audit, (int) nr, 0, 0));
        assertEquals(EPERM, filter(d, a.foreign, d.calls.get("getpid").intValue(), 0, 0));
        assertEquals(EPERM, filter(d, a.foreign, 1000, 0, 0));
        if (a == Arch.X86_64) {
            assertEquals(0x40000000, d.x32);
            assertEquals(EPERM, filter(d, a.audit, 39 | 0x40000000, 0, 0));
            assertEquals(EPERM, filter(d, a.audit, 0x40000000 | 1000, 0, 0));
            assertEquals("a gap in the table", EPERM, filter(d, a.audit, 400, 0, 0));
            assertEquals(ALLOW, call(d, "arch_prctl", 0));
        }
        if (a == Arch.ARMHF) {
            for (String n : List.of("set_tls", "cacheflush", "breakpoint", "arm_fadvise64_64", "arm_sync_file_range")) {
                assertEquals(n, ALLOW, call(d, n, 0));
            }
        }
    }

    private static int call(Dump d, String name, long arg0) {
        Long nr = d.calls.get(name);
        assertTrue(name + " is on this architecture", nr != null && nr >= 0);
        return filter(d, (int) d.arch, nr.intValue(), arg0, 0);
    }

    @Test
    public void x86_64() throws Exception {
        checkTable(Arch.X86_64);
    }

    @Test
    public void aarch64() throws Exception {
        checkTable(Arch.AARCH64);
    }

    @Test
    public void armhf() throws Exception {
        checkTable(Arch.ARMHF);
    }

    /** A profile written for any of these architectures loads on every guard: names of the others are skipped. */
    @Test
    public void everyGuardKnowsTheNamesOfEveryArchitecture() throws Exception {
        TreeSet<String> all = new TreeSet<>();
        List<Arch> here = new ArrayList<>();
        for (Arch a : Arch.values()) {
            if (!a.here()) continue;
            here.add(a);
            all.addAll(headerNumbers(a.cc).keySet());
        }
        assumeTrue(here.size() > 1);
        for (Arch a : here) {
            Dump d = dump(a);
            for (String n : all) assertTrue(a + " knows " + n, d.calls.containsKey(n));
        }
    }

    @Test
    public void profiles() throws Exception {
        for (Arch a : Arch.values()) {
            if (!a.here()) continue;
            Dump d = dump(a, "profile", "allow", "0", "3", "mkdir", "errno", "13", "mkdirat", "errno", "13", "arch_prctl", "kill_process", "0");
            assertEquals(a + ": " + d.failure, null, d.failure);
            assertEquals(0x00050000 | 13, call(d, "mkdirat", 0));
            if (d.calls.get("mkdir") >= 0) assertEquals(0x00050000 | 13, call(d, "mkdir", 0));
            if (d.calls.get("arch_prctl") >= 0) assertEquals(0x80000000, call(d, "arch_prctl", 0));
            assertEquals(ALLOW, call(d, "getpid", 0));
            assertEquals(ALLOW, call(d, "clone3", 0));
            assertEquals(ALLOW, call(d, "unshare", 0x10000000));
            assertEquals("a default that allows allows newer calls", ALLOW, filter(d, a.audit, (int) d.max + 1, 0, 0));
            assertEquals("never another ABI", EPERM, filter(d, a.foreign, 1000, 0, 0));

            Dump deny = dump(a, "profile", "errno", "13", "2", "getpid", "allow", "0", "write", "log", "0");
            assertEquals(ALLOW, call(deny, "getpid", 0));
            assertEquals(0x7ffc0000, call(deny, "write", 0));
            assertEquals(0x00050000 | 13, call(deny, "read", 0));
            assertEquals("a default that denies answers newer calls ENOSYS", ENOSYS, filter(deny, a.audit, (int) deny.max + 1, 0, 0));

            Dump unknown = dump(a, "profile", "allow", "0", "2", "getpid", "allow", "0", "mkdri", "errno", "1");
            assertEquals("unknown 1 mkdri", unknown.failure);
            assertTrue(unknown.bpf.isEmpty());

            assertTrue(dump(a, "unconfined").bpf.isEmpty());
            assertEquals("guard: bad seccomp fields", dump(a, "profile", "allow").failure.replace("rocker-", ""));
        }
    }

    /** The largest program a profile can make (every call a different action from its neighbours) still fits. */
    @Test
    public void theLargestProfileFits() throws Exception {
        for (Arch a : Arch.values()) {
            if (!a.here()) continue;
            Dump d = dump(a);
            List<String> fields = new ArrayList<>(List.of("profile", "errno", "1"));
            List<String> names = new ArrayList<>();
            d.calls.entrySet().stream().filter(e -> e.getValue() >= 0).sorted(Map.Entry.comparingByValue()).forEach(e -> names.add(e.getKey()));
            fields.add(Integer.toString(names.size()));
            for (int i = 0; i < names.size(); i++) {
                fields.add(names.get(i));
                fields.add(i % 2 == 0 ? "allow" : "errno");
                fields.add(i % 2 == 0 ? "0" : Integer.toString(2 + i % 7));
            }
            Dump big = dump(a, fields.toArray(new String[0]));
            assertEquals(a + ": " + big.failure, null, big.failure);
            assertFalse(big.bpf.isEmpty());
            for (int i = 0; i < names.size(); i++) {
                int expected = i % 2 == 0 ? ALLOW : 0x00050000 | (2 + i % 7);
                long nr = big.calls.get(names.get(i));
                // aliases (one number, two names) get the later name's action
                if (names.stream().filter(n -> big.calls.get(n) == nr).count() == 1) {
                    assertEquals(a + " " + names.get(i), expected, filter(big, a.audit, (int) nr, 0, 0));
                }
            }
        }
    }
}
