package rocker.impl.linux;

import rocker.impl.linux.sys.Posix;

/** mkdir -p, root-owned, mode 0755: the exec dir, seen from inside the rocker (so under an overlay it lands in the data dir). */
final class MakeDirs implements MountOp {
    private final String path;

    MakeDirs(String path) {
        this.path = path;
    }

    @Override
    public String describe() {
        return "create " + path;
    }

    @Override
    public void apply() {
        StringBuilder p = new StringBuilder();
        for (String part : path.substring(1).split("/")) {
            p.append('/').append(part);
            Posix.mkdir(p.toString(), 0755);
        }
    }
}
