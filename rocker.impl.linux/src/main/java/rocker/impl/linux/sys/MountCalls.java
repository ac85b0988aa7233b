package rocker.impl.linux.sys;

import jnr.ffi.types.size_t;

/** libc: namespaces, mounts and the directories they need. */
@jnr.ffi.annotations.Encoding("UTF-8") // every String as UTF-8 bytes, whatever the JVM's locale (Native)
public interface MountCalls {
    int unshare(int flags);

    int setns(int fd, int nstype);

    int mount(String source, String target, String type, @size_t long flags, String data);

    int umount2(String target, int flags);

    int mkdir(String path, int mode);

    int chown(String path, int uid, int gid);

    int chmod(String path, int mode);
}
