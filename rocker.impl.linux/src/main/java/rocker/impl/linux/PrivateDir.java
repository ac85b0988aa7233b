package rocker.impl.linux;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rocker's own /tmp or /run: a dir in the data dir ({@code DATA/tmp}, {@code DATA/run}) bound on
 * it, so the app's writes there land in the data dir (as README promises) and do not fill RAM on a
 * small gateway. Not used for a dir the request overlays (the overlay already keeps the host's dir
 * unchanged).
 */
final class PrivateDir implements MountOp {
    private static final Logger LOG = LoggerFactory.getLogger(PrivateDir.class);
    private final String dir;
    private final DataDir data;
    private final ReadOnlyHost readOnly;

    PrivateDir(String dir, DataDir data, ReadOnlyHost readOnly) {
        this.dir = dir;
        this.data = data;
        this.readOnly = readOnly;
    }

    @Override
    public String describe() {
        return "bind " + data.path() + dir + " on " + dir;
    }

    @Override
    public void apply() {
        try (RootWalk target = RootWalk.dir(dir)) {
            if (target.fd() < 0) {
                LOG.debug("no private {}: {} on this host", dir, target.skipped());
                return;
            }
            readOnly.keepWritable(BindMount.bindAndOpen(data.privateDir(dir), target.fd(), dir, false), "the rocker's own " + dir);
        }
    }
}
