package rocker.impl.linux;

import java.nio.file.Path;

import org.junit.rules.ExternalResource;

import rocker.api.RockerInfo;

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

    @Override
    protected void before() throws Throwable {
        user = HostUser.create();
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
