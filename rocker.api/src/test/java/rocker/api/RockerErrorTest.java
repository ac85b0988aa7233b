package rocker.api;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class RockerErrorTest {
    @Test
    public void codesAreTheSeeds() {
        String[] seed = {"unknown", "success", "sys", "param_invalid", "server_unaddr_invalid",
            "gen_local_addr_failed", "send_req_failed", "recv_resp_failed", "build_rocker_failed",
            "enter_rocker_failed", "app_exec_failed", "get_guardname_failed"};
        for (int i = 0; i < seed.length; i++) {
            RockerError e = RockerError.fromCode(i - 1);
            assertEquals(seed[i], e.seedName());
            assertEquals(i - 1, e.code());
        }
        assertEquals(12, RockerError.values().length);
        assertEquals(RockerError.UNKNOWN, RockerError.fromCode(11));
        assertEquals(RockerError.UNKNOWN, RockerError.fromCode(-2));
    }

    @Test
    public void failedResultThrows() {
        RockerResult r = RockerResult.failure(RockerError.SYS, "boom");
        try {
            r.orThrow();
            org.junit.Assert.fail();
        } catch (RockerException e) {
            assertEquals(RockerError.SYS, e.error());
            assertEquals("boom", e.getMessage());
            assertEquals(r, e.toResult());
        }
        RockerResult ok = RockerResult.success(10, 9, "abc", "");
        assertEquals(ok, ok.orThrow());
    }
}
