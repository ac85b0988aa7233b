package rocker.api;

import java.util.Objects;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A host dir the app shares on purpose ({@code --share DIR[:ro]}): bound at the same path inside the
 * rocker, read-write or read-only. A client that is not root may share only dirs it owns.
 *
 * @since 1.1
 */
@ProviderType
public final class SharedDir {
    private final String path;
    private final boolean readOnly;

    private SharedDir(String path, boolean readOnly) {
        this.path = path;
        this.readOnly = readOnly;
    }

    /** {@code path} read-write. */
    public static SharedDir readWrite(String path) {
        return new SharedDir(path, false);
    }

    /** {@code path} read-only. */
    public static SharedDir readOnly(String path) {
        return new SharedDir(path, true);
    }

    /** "DIR" or "DIR:ro", as on the command line; null for null. */
    public static SharedDir parse(String spec) {
        if (spec == null) return null;
        return spec.endsWith(":ro") ? readOnly(spec.substring(0, spec.length() - 3))
                : readWrite(spec.endsWith(":rw") ? spec.substring(0, spec.length() - 3) : spec);
    }

    /** The absolute host path, the same inside the rocker. */
    public String path() { return path; }

    public boolean isReadOnly() { return readOnly; }

    @Override
    public boolean equals(Object o) {
        return o instanceof SharedDir && ((SharedDir) o).readOnly == readOnly && Objects.equals(((SharedDir) o).path, path);
    }

    @Override
    public int hashCode() {
        return Objects.hash(path, readOnly);
    }

    /** "DIR" or "DIR:ro". */
    @Override
    public String toString() {
        return path + (readOnly ? ":ro" : "");
    }
}
