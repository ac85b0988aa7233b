package rocker.impl.linux.sys;

/**
 * What differs between the CPUs Rocker runs on (x86-64, aarch64, 32-bit arm): the open(2) flags that
 * are not generic and the numbers of the system calls called through syscall(2).
 */
final class Arch {
    static final Arch CURRENT = of(System.getProperty("os.arch", ""));

    final String name;
    final int oDirectory;
    final int oNofollow;
    /** O_LARGEFILE where a 32-bit process needs it for images over 2 GiB; 0 on 64-bit. */
    final int oLargefile;
    final long sysSetgroups;
    final long sysStatx;
    final long sysCapget;
    final long sysCapset;
    final long sysRenameat2;
    /** copy_file_range(2) (Linux 4.5+), called by number: a libc older than glibc 2.27 has no wrapper. */
    final long sysCopyFileRange;
    /** sendfile(2) with a 64-bit offset (sendfile64 on arm). */
    final long sysSendfile;
    /** getdents64(2): one {@code struct linux_dirent64} layout on every CPU, where libc's {@code struct dirent} differs. */
    final long sysGetdents64;
    /** openat(2), for a name given as raw bytes (libc's binding takes a String, passed as UTF-8). */
    final long sysOpenat;
    /** Where {@code f_flags} is in libc's {@code struct statfs} (words of 8 bytes on 64-bit, 4 on arm). */
    final int statfsFlagsOffset;
    /** {@code struct epoll_event}: packed on x86-64 (12 bytes, data at 4), naturally aligned on the arms (16, at 8). */
    final int epollEventSize;
    final int epollDataOffset;

    private Arch(String name, int oDirectory, int oNofollow, int oLargefile, long sysSetgroups, long sysStatx, long sysCapget,
            long sysCapset, long sysRenameat2, long sysCopyFileRange, long sysSendfile, int statfsFlagsOffset, long sysGetdents64, long sysOpenat) {
        this.name = name;
        this.oDirectory = oDirectory;
        this.oNofollow = oNofollow;
        this.oLargefile = oLargefile;
        this.sysSetgroups = sysSetgroups;
        this.sysStatx = sysStatx;
        this.sysCapget = sysCapget;
        this.sysCapset = sysCapset;
        this.sysRenameat2 = sysRenameat2;
        this.sysCopyFileRange = sysCopyFileRange;
        this.sysSendfile = sysSendfile;
        this.statfsFlagsOffset = statfsFlagsOffset;
        this.sysGetdents64 = sysGetdents64;
        this.sysOpenat = sysOpenat;
        boolean packed = name.equals("x86_64");
        this.epollEventSize = packed ? 12 : 16;
        this.epollDataOffset = packed ? 4 : 8;
    }

    static Arch of(String osArch) {
        switch (osArch) {
            case "amd64":
            case "x86_64":
                return new Arch("x86_64", 0200000, 0400000, 0, 116, 332, 125, 126, 316, 326, 40, 80, 217, 257);
            case "aarch64":
                return new Arch("aarch64", 040000, 0100000, 0, 159, 291, 90, 91, 276, 285, 71, 80, 61, 56);
            case "arm":
            case "armhf":
                // setgroups32: the 32-bit gid variant
                return new Arch("armhf", 040000, 0100000, 0400000, 206, 397, 184, 185, 382, 391, 239, 44, 217, 322);
            default:
                throw new UnsupportedOperationException("Rocker does not know the CPU architecture '" + osArch + "'");
        }
    }
}
