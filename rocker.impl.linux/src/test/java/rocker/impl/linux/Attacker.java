package rocker.impl.linux;

import java.nio.file.Path;
import java.util.List;

import org.junit.rules.ExternalResource;

import rocker.api.RockerCaller;
import rocker.api.RockerInfo;
import rocker.testsupport.Canaries;
import rocker.testsupport.HostUser;

/**
 * The setting of an attack test: a real unprivileged user made for the test, with a home dir under the
 * engine fixture's work dir, and root-only canaries beside it. After the test every rocker is
 * destroyed (a user with live processes cannot be removed), the canaries must be unchanged, and the
 * user is removed. Use it inside the {@link EngineFixture} (a RuleChain, or declared after it).
 */
final class Attacker extends ExternalResource {
    private final EngineFixture fx;
    HostUser user;
    Canaries canaries;
    Path home;

    Attacker(EngineFixture fx) {
        this.fx = fx;
    }

    /** The engine's caller for {@code user}, as the server makes it from SO_PEERCRED. */
    static RockerCaller callerOf(HostUser user) {
        return RockerCaller.user(user.uid, user.gid, List.of(), 0);
    }

    @Override
    protected void before() throws Throwable {
        user = HostUser.create("rk-t");
        canaries = new Canaries(fx.work);
        home = user.home(fx.work);
    }

    @Override
    protected void after() {
        try {
            for (RockerInfo r : fx.engine.list()) {
                fx.engine.destroy(r.guardName());
            }
            canaries.assertUnchanged();
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            rocker.impl.linux.sys.Fd.useOpenat2(true);
            try {
                user.close();
            } catch (Exception e) {
                throw new AssertionError("cannot remove the test user " + user.name, e);
            }
        }
    }
}
