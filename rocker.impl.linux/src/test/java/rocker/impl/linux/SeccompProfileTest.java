package rocker.impl.linux;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import rocker.api.RockerError;
import rocker.api.RockerException;

/** The profile subset: the app request's fields it makes, and each refusal's exact message. */
public class SeccompProfileTest {
    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    private static List<String> fields(String json) {
        return SeccompProfile.parse("/p.json", json).fields();
    }

    @Test
    public void defaultAndUnconfined() {
        assertEquals(List.of("default"), SeccompProfile.fields(null));
        assertEquals(List.of("unconfined"), SeccompProfile.fields("unconfined"));
    }

    @Test
    public void rulesBecomeNameActionErrno() {
        assertEquals(List.of("profile", "allow", "0", "3", "mkdir", "errno", "13", "mkdirat", "errno", "13", "reboot", "kill_process", "0"),
                fields("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"],"
                        + " \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13}, {\"name\": \"reboot\", \"action\": \"SCMP_ACT_KILL_PROCESS\"}]}"));
        assertEquals(List.of("profile", "errno", "1", "2", "read", "allow", "0", "keyctl", "errno", "1"),
                fields("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                        + " {\"names\": [\"keyctl\"], \"action\": \"SCMP_ACT_ERRNO\"}]}"));
        assertEquals(List.of("profile", "errno", "38", "2", "a", "kill_thread", "0", "b", "log", "0"),
                fields("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"syscalls\": ["
                        + "{\"names\": [\"a\"], \"action\": \"SCMP_ACT_KILL\"}, {\"names\": [\"b\"], \"action\": \"SCMP_ACT_LOG\"}]}"));
        assertEquals(List.of("profile", "kill_process", "0", "0"), fields("{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\"}"));
        assertEquals(List.of("profile", "kill_thread", "0", "0"), fields("{\"defaultAction\": \"SCMP_ACT_KILL_THREAD\", \"syscalls\": null}"));
    }

    /** Ignored: architectures, archMap, comments, and empty args/includes/excludes (as some tools write them); a name twice with one action. */
    @Test
    public void whatIsIgnored() {
        assertEquals(List.of("profile", "errno", "1", "1", "read", "allow", "0"),
                fields("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\"], \"archMap\": [{\"architecture\":"
                        + " \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]}], \"syscalls\": [{\"names\": [\"read\"],"
                        + " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [], \"comment\": \"\", \"includes\": {}, \"excludes\": {}},"
                        + " {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}"));
    }

    private static void refused(String json, String why) {
        try {
            SeccompProfile.parse("/p.json", json);
            fail("accepted: " + json);
        } catch (RockerException e) {
            assertEquals(RockerError.PARAM_INVALID, e.error());
            assertEquals("seccomp '/p.json': " + why, e.getMessage());
        }
    }

    @Test
    public void refusals() {
        refused("{\"defaultAction\": \"SCMP_ACT_ALLOW\",}", "is not valid JSON: line 1, column 36: unexpected '}', expected a key in quotes");
        refused("[]", "the profile is not an object");
        refused("{}", "has no defaultAction");
        refused("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": []}", "unknown key 'flags'");
        refused("{\"defaultAction\": \"SCMP_ACT_TRACE\"}", "defaultAction 'SCMP_ACT_TRACE' is not supported (SCMP_ACT_ALLOW,"
                + " SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD, SCMP_ACT_KILL_PROCESS, SCMP_ACT_LOG)");
        refused("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1}", "defaultErrnoRet is only for defaultAction SCMP_ACT_ERRNO");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 4096}", "defaultErrnoRet 4096 is not an errno (0-4095)");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1.0}", "defaultErrnoRet 1.0 is not an errno (0-4095)");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}", "syscalls is not an array");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [1]}", "rule 0 is not an object");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                + " {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 40, \"op\": \"SCMP_CMP_NE\"}]}]}",
                "rule 1 [socket] has \"args\": argument conditions are not supported");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"bpf\"], \"action\": \"SCMP_ACT_ALLOW\","
                + " \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}]}",
                "rule 0 [bpf] has \"includes\": capability, architecture and kernel conditions are not supported");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"when\": 1}]}",
                "rule 0: unknown key 'when'");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"action\": \"SCMP_ACT_ALLOW\"}]}", "rule 0 has no names");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"]}]}", "rule 0 has no action");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"Read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                "rule 0: 'Read' is not a system call name");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                "rule 0: '' is not a system call name");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [7], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                "rule 0: 7 is not a system call name");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 1}]}",
                "rule 0: errnoRet is only for SCMP_ACT_ERRNO");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
                + " {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\"}]}", "rule 1: 'read' is already in rule 0 with another action");
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
                "rule 0: action 'SCMP_ACT_NOTIFY' is not supported (SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD,"
                        + " SCMP_ACT_KILL_PROCESS, SCMP_ACT_LOG)");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= SeccompProfile.MAX_NAMES; i++) many.append(i == 0 ? "" : ", ").append("\"c").append(i).append('"');
        refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [" + many + "], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                "names 4097 system calls, more than 4096");
    }

    private void readRefused(Path p, String why) {
        try {
            SeccompProfile.read(p.toString());
            fail("read " + p);
        } catch (RockerException e) {
            assertEquals(RockerError.PARAM_INVALID, e.error());
            assertEquals("seccomp '" + p + "': " + why, e.getMessage());
        }
    }

    @Test
    public void theFileIsOpenedLikeTheImage() throws Exception {
        Path ok = tmp.getRoot().toPath().resolve("ok.json");
        Files.writeString(ok, "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}");
        assertEquals(List.of("profile", "allow", "0", "0"), SeccompProfile.fields(ok.toString()));
        Path link = tmp.getRoot().toPath().resolve("link.json");
        Files.createSymbolicLink(link, ok);
        readRefused(link, "is a symbolic link: name the profile file itself");
        readRefused(tmp.getRoot().toPath().resolve("none.json"), "does not exist");
        readRefused(tmp.getRoot().toPath(), "is a dir, not a profile file");
        Path fifo = tmp.getRoot().toPath().resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        readRefused(fifo, "is a FIFO, not a profile file");
        Path big = tmp.getRoot().toPath().resolve("big.json");
        Files.write(big, new byte[SeccompProfile.MAX_BYTES + 1]);
        readRefused(big, "is larger than 1048576 bytes");
        Path latin = tmp.getRoot().toPath().resolve("latin.json");
        Files.write(latin, new byte[] {'"', (byte) 0xe9, '"'});
        readRefused(latin, "is not UTF-8 text");
        readRefused(Path.of("/dev/null"), "is a character device, not a profile file");
    }
}
