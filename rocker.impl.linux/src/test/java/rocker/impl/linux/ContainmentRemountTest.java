package rocker.impl.linux;

import org.junit.AfterClass;
import org.junit.BeforeClass;

/**
 * {@link ContainmentTest} with the host made read-only the way kernels before 5.12 need (every host mount
 * remounted on its own, no mount_setattr): both ways must give the app the same view.
 */
public class ContainmentRemountTest extends ContainmentTest {
    @BeforeClass
    public static void theOlderKernelsWay() {
        ReadOnlyHost.useMountSetattr(false);
    }

    @AfterClass
    public static void backToMountSetattr() {
        ReadOnlyHost.useMountSetattr(true);
    }
}
