/*
 * floor: the least a Rocker-like start can cost on this kernel, for the benchmark (bench/). It does
 * the same kernel work as a rocker, in C, with no JVM, no control protocol and no bookkeeping:
 *
 *   prepare the data dir (upper/D and work/D per overlay dir, owner and mode of upper/D copied from D)
 *   fork; in the child: unshare(mount, pid, uts, ipc); make / MS_REC|MS_PRIVATE;
 *     an overlay on each overlay dir D (lowerdir=D, upperdir=DATA/upper/D, workdir=DATA/work/D);
 *     mkdir -p the exec dir; a free loop device (LOOP_CTL_GET_FREE, LOOP_CONFIGURE read-only and
 *     auto-clear, retried on EBUSY), the squashfs image mounted ro,nosuid,nodev on the exec dir;
 *     sethostname; fork PID 1 of the new pid namespace, which mounts a fresh /proc, becomes uid/gid
 *     (setgroups none, setresgid, setresuid), sets no_new_privs, stdio on /dev/null, chdir to the exec
 *     dir and execs the app; wait for it.
 *   The child then exits: the pid namespace, the mount namespace, the mounts and the auto-clear loop
 *   device go with it (the "teardown").
 *
 * Usage:
 *   floor run  -n N [-c C] [-p MS] [-s clone|loop] [-k FILTER STATEDIR] -i IMAGE -e EXECDIR -d DATAROOT -o /usr,/var,... -u UID -g GID -- APP ARGS...
 *   floor time -n N [-c C] -d DATAROOT -o /usr,/var,... [-x SUBDIR] -- CMD ARGS...
 *
 * run:  N starts, by C concurrent worker processes (default 1); run i uses the data dir DATAROOT/i.
 *       -p MS: each worker pauses MS milliseconds after each run's teardown (the "spaced" series).
 *       -s: the shared-mount job (issue 19): a holder process mounts the image once (one loop device,
 *       one squashfs superblock) in a private mount namespace of its own before the runs; each run then
 *       gets, instead of its own loop device, a clone of that mount ("clone": setns into the holder's
 *       namespace, open_tree(OPEN_TREE_CLONE), setns back, move_mount; Linux 5.2+) or a mount of the
 *       holder's loop device ("loop": the kernel finds the superblock of the mounted device). The LOOP
 *       column is then the clone (or nothing), MOUNT the move_mount (or the mount).
 *       -k FILTER STATEDIR: Rocker's containment too, all of it on the start's path, nothing made
 *       ahead (the "contained" floor, issue 19): before the fork, a write-ahead record (write +
 *       rename, as Rocker's registry) and lock files (the data dir exclusively and each dir above it
 *       shared, each overlay's upper and work dir, flock) in STATEDIR, the private /tmp and /run dirs,
 *       a cgroup per v1 controller (pids, memory, cpu; or one v2 cgroup) with pids.max; in the child,
 *       after the overlays, private /tmp and /run (binds from the data dir; OVERLAYS counts them, and
 *       the exec dir is made after them, as the engine's plan does), after the image a minimal /dev (tmpfs, the
 *       host's null zero full random urandom tty bound on empty files, devpts, shm tmpfs, links, then
 *       read-only), /sys/firmware and /sys/devices/virtual/powercap masked, the host read-only
 *       (mount_setattr AT_RECURSIVE, Linux 5.12+) with the rocker's own mounts writable again, the
 *       child in its cgroups; PID 1 mounts /proc with the OCI masks (read-only bus fs irq sys
 *       sysrq-trigger; acpi asound kcore keys latency_stats timer_list timer_stats sched_debug scsi
 *       masked) and mqueue, drops the bounding set, and the app installs FILTER (the lines "bpf CODE
 *       JT JF K" that rocker-guard --seccomp-dump prints: Rocker's default filter) right before exec;
 *       a second record (the running one) once the app was forked. Teardown also removes the cgroups
 *       and the record and releases the locks.
 * time: N runs of an external command (bwrap, unshare(1), ...): prepare DATAROOT/i as above, then
 *       posix_spawn + waitpid; "{}" in any argument is replaced by DATAROOT/i; -x also creates
 *       DATAROOT/i/SUBDIR with mode 1777 (a writable dir to bind where the overlays are missing).
 *
 * Output, one line per run on stdout (each written with one write(2), so lines of concurrent workers
 * never mix):
 *   run I START_NS TEARDOWN_NS PREP UNSHARE PRIVATE OVERLAYS LOOP MOUNT EXEC_WAIT
 * START_NS: from the start of the run to the app's exit seen by its parent; TEARDOWN_NS: from there to
 * the namespace holder being reaped (time mode: START_NS is the whole run, TEARDOWN_NS 0). The step
 * columns (run mode only, ns) split START_NS. A failing run prints "fail I STEP ERRNO" on stdout and a
 * message on stderr, and the worker stops; the exit code is then 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/loop.h>
#include <linux/seccomp.h>
#include <sys/file.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef LOOP_CONFIGURE
#define LOOP_CONFIGURE 0x4C0A
struct loop_config {
    uint32_t fd;
    uint32_t block_size;
    struct loop_info64 info;
    uint64_t __reserved[8];
};
#endif

#define MAX_OVERLAYS 16
#define PATH_LEN 4096

extern char **environ;

enum step { T_START, T_PREP, T_UNSHARE, T_PRIVATE, T_OVERLAYS, T_LOOP, T_MOUNT, T_EXITED, T_COUNT };
static const char *step_names[] = {"start", "prepare", "unshare", "private", "overlay", "loop", "mount", "exec"};

static struct {
    int run_mode;
    long n, c;
    long pause_ms; /* -p: after each run */
    const char *image, *exec_dir, *data_root;
    char *overlays[MAX_OVERLAYS];
    int n_overlays;
    uid_t uid;
    gid_t gid;
    const char *extra_dir;
    char **cmd;
    const char *shared; /* NULL, "clone" or "loop" */
    int holder_ns;      /* the holder's mount namespace (clone) */
    char holder_dev[64]; /* the holder's loop device (loop) */
    pid_t holder;
    const char *filter_file, *state_dir; /* -k: Rocker's containment */
    struct sock_filter *filter;
    unsigned short filter_len;
    int cgroup_v1;
    int rockers_fd; /* STATEDIR/rockers, opened before any mount */
    int locks[128];  /* this run's lock files */
    int n_locks;
} opt;

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#define F_OPEN_TREE_CLONE 1
#define F_MOVE_MOUNT_F_EMPTY_PATH 0x04

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0) {
        ssize_t r = write(1, buf, (size_t)(n < (int)sizeof buf ? n : (int)sizeof buf - 1));
        (void)r;
    }
}

static void usage(void) {
    fprintf(stderr,
            "usage: floor run  -n N [-c C] [-p MS] [-s clone|loop] [-k FILTER STATEDIR] -i IMAGE -e EXECDIR -d DATAROOT -o DIRS -u UID -g GID -- APP ARGS...\n"
            "       floor time -n N [-c C] -d DATAROOT -o DIRS [-x SUBDIR] -- CMD ARGS...   ({} = the run's data dir)\n");
    exit(2);
}

/* mkdir -p with mode/owner for the last component only; parents 0755 root */
static int mkdir_p(const char *path, mode_t mode, uid_t uid, gid_t gid, int copy_owner) {
    char tmp[PATH_LEN];
    size_t len = strlen(path);
    if (len >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(tmp, path, len + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST) return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, mode) < 0) {
        if (errno == EEXIST) return 0;
        return -1;
    }
    if (copy_owner && chown(tmp, uid, gid) < 0) return -1;
    return chmod(tmp, mode);
}

/* DATA/upper/D (owner and mode of D), DATA/work/D (0700 root), as the engine's DataDir does */
static int prepare_data(const char *data) {
    char p[PATH_LEN];
    if (mkdir_p(data, 0755, 0, 0, 0) < 0) return -1;
    snprintf(p, sizeof p, "%s/upper", data);
    if (mkdir_p(p, 0755, 0, 0, 0) < 0) return -1;
    snprintf(p, sizeof p, "%s/work", data);
    if (mkdir_p(p, 0700, 0, 0, 0) < 0) return -1;
    for (int i = 0; i < opt.n_overlays; i++) {
        struct stat st;
        if (stat(opt.overlays[i], &st) < 0) return -1;
        snprintf(p, sizeof p, "%s/upper%s", data, opt.overlays[i]);
        if (mkdir_p(p, st.st_mode & 07777, st.st_uid, st.st_gid, 1) < 0) return -1;
        snprintf(p, sizeof p, "%s/work%s", data, opt.overlays[i]);
        if (mkdir_p(p, 0700, 0, 0, 0) < 0) return -1;
    }
    if (opt.extra_dir) {
        snprintf(p, sizeof p, "%s/%s", data, opt.extra_dir);
        if (mkdir_p(p, 01777, 0, 0, 0) < 0 || chmod(p, 01777) < 0) return -1;
    }
    return 0;
}

/* arg with every "{}" replaced by data (malloc'd) */
static char *substitute(const char *arg, const char *data) {
    size_t cap = strlen(arg) + 1, dl = strlen(data);
    for (const char *q = strstr(arg, "{}"); q; q = strstr(q + 2, "{}")) cap += dl;
    char *r = malloc(cap), *w = r;
    if (!r) return NULL;
    for (const char *q = arg; *q;) {
        if (q[0] == '{' && q[1] == '}') {
            memcpy(w, data, dl);
            w += dl;
            q += 2;
        } else {
            *w++ = *q++;
        }
    }
    *w = 0;
    return r;
}

static int attach_loop(int image_fd, char *dev, size_t dev_len) {
    for (int attempt = 0; attempt < 32; attempt++) {
        int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (ctl < 0) return -1;
        int nr = ioctl(ctl, LOOP_CTL_GET_FREE);
        close(ctl);
        if (nr < 0) return -1;
        snprintf(dev, dev_len, "/dev/loop%d", nr);
        int fd = open(dev, O_RDWR | O_CLOEXEC);
        if (fd < 0) return -1;
        struct loop_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.fd = (uint32_t)image_fd;
        cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
        strncpy((char *)cfg.info.lo_file_name, opt.image, LO_NAME_SIZE - 1);
        if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0) return fd;
        int e = errno;
        close(fd);
        if (e != EBUSY) {
            errno = e;
            return -1;
        }
    }
    errno = EBUSY;
    return -1;
}


/* ---- Rocker's containment (-k) ------------------------------------------------------------------ */

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
struct mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#define NO_SUID_DEV_EXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)
static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
#define N_NODES 6
static const char *const cg_v1[] = {"pids", "memory", "cpu"};

/* the filter file (Rocker's default filter, as rocker-guard prints it); the cgroup layout */
static int contain_init(void) {
    FILE *f = fopen(opt.filter_file, "r");
    if (!f) return -1;
    opt.filter = calloc(4096, sizeof *opt.filter);
    unsigned c, jt, jf, k;
    char line[256];
    while (fgets(line, sizeof line, f) && opt.filter_len < 4096) {
        if (sscanf(line, "bpf %u %u %u %u", &c, &jt, &jf, &k) == 4) {
            opt.filter[opt.filter_len++] = (struct sock_filter){(uint16_t)c, (uint8_t)jt, (uint8_t)jf, k};
        }
    }
    fclose(f);
    if (opt.filter_len == 0) {
        errno = EINVAL;
        return -1;
    }
    opt.cgroup_v1 = access("/sys/fs/cgroup/pids/cgroup.procs", F_OK) == 0;
    char p[PATH_LEN];
    snprintf(p, sizeof p, "%s/locks", opt.state_dir);
    if (mkdir_p(p, 0700, 0, 0, 0) < 0) return -1;
    snprintf(p, sizeof p, "%s/rockers", opt.state_dir);
    if (mkdir_p(p, 0700, 0, 0, 0) < 0) return -1;
    opt.rockers_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return opt.rockers_fd < 0 ? -1 : 0;
}

static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* a record as Rocker's registry writes one: a temp file, then renamed over the name */
static int record(long i, const char *state) {
    char tmp[64], name[64], text[512];
    snprintf(tmp, sizeof tmp, ".floor-%ld.tmp", i);
    snprintf(name, sizeof name, "floor-%ld", i);
    int n = snprintf(text, sizeof text, "state=%s\nengine=1\nname=floor-%ld\nguard=%d\nimage=%s\ndata=%s/%ld\nexec=%s\n"
                     "uid=%d\ngid=%d\noverlays=%d\n", state, i, (int)getpid(), opt.image, opt.data_root, i, opt.exec_dir,
                     (int)opt.uid, (int)opt.gid, opt.n_overlays);
    int fd = openat(opt.rockers_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    if (write(fd, text, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    close(fd);
    return renameat(opt.rockers_fd, tmp, opt.rockers_fd, name);
}

/* the lock file named by the dir's device and inode, locked (kept open: the lock goes with the run's process) */
static int lock_dir(const char *dir, int op) {
    struct stat st;
    if (stat(dir, &st) < 0) return -1;
    char p[PATH_LEN];
    snprintf(p, sizeof p, "%s/locks/%lx-%lx", opt.state_dir, (unsigned long)st.st_dev, (unsigned long)st.st_ino);
    if (opt.n_locks == (int)(sizeof opt.locks / sizeof *opt.locks)) {
        errno = EMFILE;
        return -1;
    }
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    opt.locks[opt.n_locks++] = fd;
    return flock(fd, op | LOCK_NB);
}

/* before the fork: records, locks, the private dirs, the cgroups; 0 or -1 */
static int contain_prepare(const char *data, long i) {
    char p[PATH_LEN], q[PATH_LEN];
    if (record(i, "BUILDING") < 0) return -1;
    if (lock_dir(data, LOCK_EX) < 0) return -1;
    snprintf(p, sizeof p, "%s", data);
    for (char *slash = strrchr(p, '/'); slash && slash != p; slash = strrchr(p, '/')) {
        *slash = 0;
        if (lock_dir(p, LOCK_SH) < 0) return -1;
    }
    if (lock_dir("/", LOCK_SH) < 0) return -1;
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof p, "%s/%s", data, k ? "run" : "tmp");
        if (mkdir_p(p, 01777, 0, 0, 0) < 0 || chmod(p, 01777) < 0) return -1;
    }
    for (int k = 0; k < opt.n_overlays; k++) {
        snprintf(p, sizeof p, "%s/upper%s", data, opt.overlays[k]);
        snprintf(q, sizeof q, "%s/work%s", data, opt.overlays[k]);
        if (lock_dir(p, LOCK_EX) < 0 || lock_dir(q, LOCK_EX) < 0) return -1;
    }
    for (int k = 0; k < (opt.cgroup_v1 ? 3 : 1); k++) {
        if (opt.cgroup_v1) snprintf(p, sizeof p, "/sys/fs/cgroup/%s/rocker-floor-%d-%ld", cg_v1[k], (int)getpid(), i);
        else snprintf(p, sizeof p, "/sys/fs/cgroup/rocker-floor-%d-%ld", (int)getpid(), i);
        if (mkdir(p, 0755) < 0 && errno != EEXIST) return -1;
        if (k == 0) {
            snprintf(q, sizeof q, "%s/pids.max", p);
            if (write_text(q, "1024") < 0) return -1;
        }
    }
    return 0;
}

/* in the child, before PID 1 is forked: into the cgroups */
static int contain_join(long i) {
    char p[PATH_LEN], pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    for (int k = 0; k < (opt.cgroup_v1 ? 3 : 1); k++) {
        if (opt.cgroup_v1) snprintf(p, sizeof p, "/sys/fs/cgroup/%s/rocker-floor-%d-%ld/cgroup.procs", cg_v1[k], (int)getppid(), i);
        else snprintf(p, sizeof p, "/sys/fs/cgroup/rocker-floor-%d-%ld/cgroup.procs", (int)getppid(), i);
        if (write_text(p, pid) < 0) return -1;
    }
    return 0;
}

/* teardown: cgroups (retried while the namespace's last processes go), records, lock files */
static void contain_teardown(long i) {
    char p[PATH_LEN];
    for (int k = 0; k < (opt.cgroup_v1 ? 3 : 1); k++) {
        if (opt.cgroup_v1) snprintf(p, sizeof p, "/sys/fs/cgroup/%s/rocker-floor-%d-%ld", cg_v1[k], (int)getpid(), i);
        else snprintf(p, sizeof p, "/sys/fs/cgroup/rocker-floor-%d-%ld", (int)getpid(), i);
        for (int tries = 0; rmdir(p) < 0 && errno == EBUSY && tries < 2000; tries++) usleep(1000);
    }
    snprintf(p, sizeof p, "floor-%ld", i);
    unlinkat(opt.rockers_fd, p, 0);
    for (int k = 0; k < opt.n_locks; k++) close(opt.locks[k]);
    opt.n_locks = 0;
}

static int mount_attr(const char *path, unsigned flags, uint64_t set, uint64_t clr) {
    struct mount_attr a = {set, clr, 0, 0};
    return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, flags, &a, sizeof a);
}

/* in the child, after the overlays and before the exec dir (which may lie in them): private /tmp and /run */
static int contain_private(const char *data) {
    char p[PATH_LEN], src[64];
    int priv[2];
    for (int k = 0; k < 2; k++) {
        /* opened first, as the engine does: the data dir may lie under /tmp or /run */
        snprintf(p, sizeof p, "%s/%s", data, k ? "run" : "tmp");
        if ((priv[k] = open(p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) return -1;
    }
    for (int k = 0; k < 2; k++) {
        snprintf(src, sizeof src, "/proc/self/fd/%d", priv[k]);
        if (mount(src, k ? "/run" : "/tmp", NULL, MS_BIND, NULL) < 0) return -1;
        close(priv[k]);
    }
    return 0;
}

/* in the child, after the image: /dev, masks, the host read-only; 0 or -1 */
static int contain_mounts(void) {
    char p[PATH_LEN], src[64];
    int nodes[N_NODES];
    for (int k = 0; k < N_NODES; k++) {
        snprintf(p, sizeof p, "/dev/%s", dev_nodes[k]);
        if ((nodes[k] = open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0) return -1;
    }
    if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k,nr_inodes=256") < 0) return -1;
    for (int k = 0; k < N_NODES; k++) {
        snprintf(p, sizeof p, "/dev/%s", dev_nodes[k]);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) return -1;
        close(fd);
        snprintf(src, sizeof src, "/proc/self/fd/%d", nodes[k]);
        if (mount(src, p, NULL, MS_BIND, NULL) < 0) return -1;
        close(nodes[k]);
    }
    if (mkdir("/dev/pts", 0755) < 0 || mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") < 0
        || symlink("pts/ptmx", "/dev/ptmx") < 0 || mkdir("/dev/shm", 01777) < 0
        || mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") < 0 || mkdir("/dev/mqueue", 0755) < 0
        || symlink("/proc/self/fd", "/dev/fd") < 0 || symlink("/proc/self/fd/0", "/dev/stdin") < 0
        || symlink("/proc/self/fd/1", "/dev/stdout") < 0 || symlink("/proc/self/fd/2", "/dev/stderr") < 0
        || mount(NULL, "/dev", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL) < 0) return -1;
    const char *masks[] = {"/sys/firmware", "/sys/devices/virtual/powercap"};
    for (int k = 0; k < 2; k++) {
        if (access(masks[k], F_OK) == 0 && mount("tmpfs", masks[k], "tmpfs", MS_RDONLY | NO_SUID_DEV_EXEC, "size=4k,nr_inodes=1,mode=0555") < 0) return -1;
    }
    if (mount_attr("/", AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0) < 0) return -1;
    for (int k = 0; k < opt.n_overlays; k++) {
        if (mount_attr(opt.overlays[k], 0, 0, MOUNT_ATTR_RDONLY) < 0) return -1;
    }
    const char *writable[] = {"/tmp", "/run", "/dev/pts", "/dev/shm", "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};
    for (int k = 0; k < 10; k++) {
        if (mount_attr(writable[k], 0, 0, MOUNT_ATTR_RDONLY) < 0) return -1;
    }
    return 0;
}

static const char *const proc_ro[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
static const char *const proc_masked[] = {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                                          "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", NULL};

/* PID 1, after /proc: the OCI defaults on it, mqueue, the bounding set dropped; 0 or -1 */
static int contain_pid1(void) {
    struct stat st;
    for (const char *const *p = proc_ro; *p; p++) {
        if (lstat(*p, &st) < 0) continue;
        if (mount(*p, *p, NULL, MS_BIND, NULL) < 0 || mount(NULL, *p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | NO_SUID_DEV_EXEC, NULL) < 0) return -1;
    }
    for (const char *const *p = proc_masked; *p; p++) {
        if (lstat(*p, &st) < 0) continue;
        if ((S_ISDIR(st.st_mode) ? mount("tmpfs", *p, "tmpfs", MS_RDONLY | NO_SUID_DEV_EXEC, "size=4k,nr_inodes=1,mode=0555")
                                 : mount("/dev/null", *p, NULL, MS_BIND, NULL)) < 0) return -1;
    }
    if (mount("mqueue", "/dev/mqueue", "mqueue", NO_SUID_DEV_EXEC, NULL) < 0) return -1;
    for (int cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) return -1;
    }
    return 0;
}

/* the child of one run: reports its step times on `report` and exits with the app's status */
static void sandbox(const char *data, long run_index, int report, uint64_t *t) {
    char p[PATH_LEN], o[3 * PATH_LEN], dev[64];
    int step = 0;
#define FAIL(s) do { step = (s); goto fail; } while (0)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC) < 0) FAIL(T_UNSHARE);
    t[T_UNSHARE] = now_ns();
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) FAIL(T_PRIVATE);
    t[T_PRIVATE] = now_ns();
    for (int i = 0; i < opt.n_overlays; i++) {
        const char *d = opt.overlays[i];
        snprintf(o, sizeof o, "lowerdir=%s,upperdir=%s/upper%s,workdir=%s/work%s", d, data, d, data, d);
        if (mount("overlay", d, "overlay", 0, o) < 0) FAIL(T_OVERLAYS);
    }
    if (opt.filter_file && contain_private(data) < 0) FAIL(T_OVERLAYS);
    t[T_OVERLAYS] = now_ns();
    snprintf(p, sizeof p, "%s", opt.exec_dir);
    if (mkdir_p(p, 0755, 0, 0, 0) < 0) FAIL(T_LOOP);
    if (opt.shared && !strcmp(opt.shared, "clone")) {
        int self = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        if (self < 0 || setns(opt.holder_ns, CLONE_NEWNS) < 0) FAIL(T_LOOP);
        int tree = (int)syscall(SYS_open_tree, AT_FDCWD, opt.exec_dir, F_OPEN_TREE_CLONE | O_CLOEXEC);
        if (tree < 0 || setns(self, CLONE_NEWNS) < 0) FAIL(T_LOOP);
        close(self);
        t[T_LOOP] = now_ns();
        if (syscall(SYS_move_mount, tree, "", AT_FDCWD, opt.exec_dir, F_MOVE_MOUNT_F_EMPTY_PATH) < 0) FAIL(T_MOUNT);
        close(tree);
    } else if (opt.shared) {
        t[T_LOOP] = now_ns();
        if (mount(opt.holder_dev, opt.exec_dir, "squashfs", MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) FAIL(T_MOUNT);
    } else {
        int image = open(opt.image, O_RDONLY | O_CLOEXEC);
        if (image < 0) FAIL(T_LOOP);
        int loop = attach_loop(image, dev, sizeof dev);
        if (loop < 0) FAIL(T_LOOP);
        t[T_LOOP] = now_ns();
        if (mount(dev, opt.exec_dir, "squashfs", MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) FAIL(T_MOUNT);
        close(loop);
        close(image);
    }
    if (sethostname("floor", 5) < 0) FAIL(T_MOUNT);
    if (opt.filter_file && (contain_join(run_index) < 0 || contain_mounts() < 0)) FAIL(T_MOUNT);
    t[T_MOUNT] = now_ns();
    pid_t app = fork();
    if (app < 0) FAIL(T_EXITED);
    if (app == 0) {
        /* PID 1 of the new pid namespace: /proc, identity, exec */
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) _exit(121);
        if (opt.filter_file && contain_pid1() < 0) _exit(128);
        setsid();
        if (setgroups(0, NULL) < 0 || setresgid(opt.gid, opt.gid, opt.gid) < 0 || setresuid(opt.uid, opt.uid, opt.uid) < 0)
            _exit(122);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) _exit(123);
        int null = open("/dev/null", O_RDWR);
        if (null < 0) _exit(124);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2) close(null);
        if (chdir(opt.exec_dir) < 0) _exit(125);
        char *env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "TERM=dumb", NULL};
        if (opt.filter_file) {
            struct sock_fprog prog = {opt.filter_len, opt.filter};
            if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) _exit(129);
        }
        execve(opt.cmd[0], opt.cmd, env);
        _exit(127);
    }
    if (opt.filter_file && record(run_index, "RUNNING") < 0) FAIL(T_EXITED);
    int status;
    while (waitpid(app, &status, 0) < 0) {
        if (errno != EINTR) FAIL(T_EXITED);
    }
    t[T_EXITED] = now_ns();
    if (write(report, t, sizeof(uint64_t) * T_COUNT) < 0) _exit(126);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
fail:;
    int e = errno;
    fprintf(stderr, "floor: %s failed: %s\n", step_names[step], strerror(e));
    uint64_t failed[T_COUNT] = {0};
    failed[0] = (uint64_t)step;
    failed[1] = (uint64_t)e;
    failed[2] = 1; /* marks a failure report: failed[T_START] is never a step number otherwise */
    if (write(report, failed, sizeof failed) < 0) _exit(126);
    _exit(120);
#undef FAIL
}

static int one_run(long i) {
    char data[PATH_LEN];
    snprintf(data, sizeof data, "%s/%ld", opt.data_root, i);
    uint64_t t[T_COUNT] = {0};
    t[T_START] = now_ns();
    if (prepare_data(data) < 0) {
        out("fail %ld %s %d\n", i, step_names[T_PREP], errno);
        fprintf(stderr, "floor: prepare %s: %s\n", data, strerror(errno));
        return -1;
    }
    if (opt.filter_file && contain_prepare(data, i) < 0) {
        out("fail %ld %s %d\n", i, step_names[T_PREP], errno);
        fprintf(stderr, "floor: containment before the fork (records, locks, cgroups) for %s: %s\n", data, strerror(errno));
        contain_teardown(i);
        return -1;
    }
    t[T_PREP] = now_ns();
    if (!opt.run_mode) {
        /* time mode: spawn the command with {} replaced by the data dir */
        int argc = 0;
        while (opt.cmd[argc]) argc++;
        char **argv = calloc((size_t)argc + 1, sizeof *argv);
        for (int k = 0; k < argc; k++) argv[k] = substitute(opt.cmd[k], data);
        pid_t pid;
        int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
        for (int k = 0; k < argc; k++) free(argv[k]);
        free(argv);
        if (rc != 0) {
            out("fail %ld spawn %d\n", i, rc);
            fprintf(stderr, "floor: spawn %s: %s\n", opt.cmd[0], strerror(rc));
            return -1;
        }
        int status;
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) return -1;
        }
        uint64_t end = now_ns();
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            out("fail %ld exit %d\n", i, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            fprintf(stderr, "floor: %s exited with status 0x%x\n", opt.cmd[0], status);
            return -1;
        }
        out("run %ld %llu 0\n", i, (unsigned long long)(end - t[T_START]));
        return 0;
    }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) return -1;
    pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
        close(pipefd[0]);
        sandbox(data, i, pipefd[1], t);
    }
    close(pipefd[1]);
    uint64_t r[T_COUNT];
    ssize_t got = read(pipefd[0], r, sizeof r);
    close(pipefd[0]);
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    if (opt.filter_file) contain_teardown(i);
    uint64_t end = now_ns();
    if (got != (ssize_t)sizeof r || r[2] == 1) {
        out("fail %ld %s %d\n", i, got == (ssize_t)sizeof r && r[0] < T_COUNT ? step_names[r[0]] : "child",
            got == (ssize_t)sizeof r ? (int)r[1] : 0);
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        out("fail %ld app %d\n", i, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        fprintf(stderr, "floor: the app of run %ld exited with status 0x%x\n", i, status);
        return -1;
    }
    out("run %ld %llu %llu %llu %llu %llu %llu %llu %llu %llu\n", i,
        (unsigned long long)(r[T_EXITED] - r[T_START]), (unsigned long long)(end - r[T_EXITED]),
        (unsigned long long)(r[T_PREP] - r[T_START]), (unsigned long long)(r[T_UNSHARE] - r[T_PREP]),
        (unsigned long long)(r[T_PRIVATE] - r[T_UNSHARE]), (unsigned long long)(r[T_OVERLAYS] - r[T_PRIVATE]),
        (unsigned long long)(r[T_LOOP] - r[T_OVERLAYS]), (unsigned long long)(r[T_MOUNT] - r[T_LOOP]),
        (unsigned long long)(r[T_EXITED] - r[T_MOUNT]));
    return 0;
}

/*
 * The shared mount's holder: a child in a private mount namespace of its own that mounts the image once
 * on the exec dir there and waits to be killed (never visible on the host). 0, or -1 with errno.
 */
static int start_holder(void) {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0) return -1;
    opt.holder = fork();
    if (opt.holder < 0) return -1;
    if (opt.holder == 0) {
        close(ready[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        char ok = 0;
        int image = -1, loop = -1;
        if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
            mkdir_p(opt.exec_dir, 0755, 0, 0, 0) == 0 && (image = open(opt.image, O_RDONLY | O_CLOEXEC)) >= 0 &&
            (loop = attach_loop(image, opt.holder_dev, sizeof opt.holder_dev)) >= 0 &&
            mount(opt.holder_dev, opt.exec_dir, "squashfs", MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) == 0) {
            ok = 1;
        } else {
            perror("floor: the shared mount's holder");
        }
        if (loop >= 0) close(loop);
        if (image >= 0) close(image);
        if (write(ready[1], &ok, 1) < 0 || !ok) _exit(1);
        if (write(ready[1], opt.holder_dev, sizeof opt.holder_dev) < 0) _exit(1);
        for (;;) pause();
    }
    close(ready[1]);
    char ok = 0;
    if (read(ready[0], &ok, 1) != 1 || !ok || read(ready[0], opt.holder_dev, sizeof opt.holder_dev) != (ssize_t)sizeof opt.holder_dev) {
        close(ready[0]);
        errno = EIO;
        return -1;
    }
    close(ready[0]);
    char ns[64];
    snprintf(ns, sizeof ns, "/proc/%d/ns/mnt", (int)opt.holder);
    opt.holder_ns = open(ns, O_RDONLY | O_CLOEXEC);
    return opt.holder_ns < 0 ? -1 : 0;
}

static void stop_holder(void) {
    if (opt.holder <= 0) return;
    kill(opt.holder, SIGKILL);
    while (waitpid(opt.holder, NULL, 0) < 0 && errno == EINTR) {
    }
}

static int worker(long w) {
    for (long i = w; i < opt.n; i += opt.c) {
        if (one_run(i) < 0) return 1;
        struct timespec pause = {opt.pause_ms / 1000, (opt.pause_ms % 1000) * 1000000L};
        while (opt.pause_ms > 0 && i + opt.c < opt.n && nanosleep(&pause, &pause) < 0 && errno == EINTR) {
        }
    }
    return 0;
}

static void split_overlays(char *list) {
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (opt.n_overlays == MAX_OVERLAYS) usage();
        opt.overlays[opt.n_overlays++] = tok;
    }
}

int main(int argc, char **argv) {
    if (argc < 2) usage();
    if (strcmp(argv[1], "run") == 0) opt.run_mode = 1;
    else if (strcmp(argv[1], "time") != 0) usage();
    opt.n = 1;
    opt.c = 1;
    opt.uid = 1000;
    opt.gid = 1000;
    int a = 2;
    for (; a < argc; a++) {
        const char *o = argv[a];
        if (strcmp(o, "--") == 0) {
            a++;
            break;
        }
        if (a + 1 >= argc) usage();
        const char *v = argv[++a];
        if (strcmp(o, "-n") == 0) opt.n = atol(v);
        else if (strcmp(o, "-c") == 0) opt.c = atol(v);
        else if (strcmp(o, "-p") == 0) opt.pause_ms = atol(v);
        else if (strcmp(o, "-i") == 0) opt.image = v;
        else if (strcmp(o, "-e") == 0) opt.exec_dir = v;
        else if (strcmp(o, "-d") == 0) opt.data_root = v;
        else if (strcmp(o, "-o") == 0) split_overlays(strdup(v));
        else if (strcmp(o, "-u") == 0) opt.uid = (uid_t)atol(v);
        else if (strcmp(o, "-g") == 0) opt.gid = (gid_t)atol(v);
        else if (strcmp(o, "-x") == 0) opt.extra_dir = v;
        else if (strcmp(o, "-s") == 0 && (!strcmp(v, "clone") || !strcmp(v, "loop"))) opt.shared = v;
        else if (strcmp(o, "-k") == 0 && a + 1 < argc) {
            opt.filter_file = v;
            opt.state_dir = argv[++a];
        } else usage();
    }
    if (a >= argc || opt.n < 1 || opt.c < 1 || opt.pause_ms < 0 || opt.pause_ms > 60000 || !opt.data_root) usage();
    if (opt.run_mode && (!opt.image || !opt.exec_dir)) usage();
    if (!opt.run_mode && opt.pause_ms) usage();
    /* every path built from these stays far below PATH_LEN (snprintf truncation cannot happen) */
    if (strlen(opt.data_root) > 1024 || (opt.exec_dir && strlen(opt.exec_dir) > 1024)) usage();
    for (int k = 0; k < opt.n_overlays; k++) {
        if (strlen(opt.overlays[k]) > 255) usage();
    }
    opt.cmd = argv + a;
    if (opt.filter_file && (!opt.run_mode || contain_init() < 0)) {
        fprintf(stderr, "floor: cannot set up the containment (-k %s %s): %s\n", opt.filter_file, opt.state_dir, strerror(errno));
        return 1;
    }
    if (opt.shared && (!opt.run_mode || start_holder() < 0)) {
        fprintf(stderr, "floor: cannot start the shared mount's holder: %s\n", strerror(errno));
        stop_holder();
        return 1;
    }
    if (opt.c == 1) {
        int rc = worker(0);
        stop_holder();
        return rc;
    }
    pid_t *workers = calloc((size_t)opt.c, sizeof *workers);
    for (long w = 0; w < opt.c; w++) {
        workers[w] = fork();
        if (workers[w] < 0) {
            perror("floor: fork");
            return 1;
        }
        if (workers[w] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            _exit(worker(w));
        }
    }
    int rc = 0;
    for (long w = 0; w < opt.c; w++) {
        int status;
        while (waitpid(workers[w], &status, 0) < 0) {
            if (errno != EINTR) break;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) rc = 1;
    }
    stop_holder();
    return rc;
}
