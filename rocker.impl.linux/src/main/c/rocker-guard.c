/*
 * rocker-guard: the only native program of Rocker. It makes the rocker's namespaces, becomes its
 * PID 1 (the guard), and on request forks and execs the app as the requested identity. Everything
 * else (overlays, loop device, image mount, bookkeeping) is done by the Java engine over JNR-FFI.
 *
 * Started by the engine with posix_spawn():
 *   rocker-guard NAME HOSTNAME FLAGS        FLAGS: string of 'n' (private network), 'r' (--rm)
 *   fd 0,1,2 = /dev/null, fd 3 = SOCK_SEQPACKET control socket, nothing else.
 *   The engine may start guards ahead of need (spares): a guard takes its final name and hostname,
 *   and the app's stdio, with the app request; a guard that never got one ends when the engine's end
 *   of the control socket closes.
 *
 * Processes:
 *   keeper (host pid ns)  unshare(NEWNS|NEWPID|NEWUTS|NEWIPC[|NEWNET]), make / rprivate, fork the
 *                         guard, report its host pid, close fd 0-3, wait for the guard and reap it,
 *                         exit. It keeps zombies from piling up under an init that does not reap.
 *   guard (pid 1)         set its name and hostname, report ready, then serve one EXEC request (its
 *                         name, hostname, a fresh /proc with the OCI defaults applied, /dev/mqueue,
 *                         the app) and reap every process of the rocker until it is killed (or,
 *                         with 'r', until the app ends). /proc is mounted only then: the engine's
 *                         mounts before it use the host's /proc/self/fd/N to name the dirs it opened.
 *   app                   setsid, identity (setgroups/setresgid/setresuid or a user namespace),
 *                         no capabilities, no_new_privs, chdir, execvpe. Reports its own pid to
 *                         the engine first (the engine reads it with SO_PASSCRED: kernel-translated).
 *
 * Messages (one datagram each, fields NUL-separated, text):
 *   keeper -> engine   "P" guard_host_pid        | "E" step errno
 *   guard  -> engine   "R"                       | "E" step errno
 *   engine -> guard    "X" name hostname uid gid userns ngroups g... cwd argc argv... envc env...
 *                      with the app's stdin, stdout, stderr as SCM_RIGHTS
 *   app    -> engine   "C"                       (credentials carry the app's host pid)
 *   guard  -> engine   "A" app_ns_pid            | "F" step errno
 *   guard  -> engine   "W" wait_status           (the app ended)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CTL 3
#define MAX_MSG (256 * 1024)

/*
 * Fault injection for the engine's tests: ROCKER_GUARD_FAULT=N makes step N fail with EIO, so that
 * every step's failure path (error code, message, nothing left behind) is exercised on the real
 * kernel. The engine starts the guard with an empty environment, so only a wrapper that sets the
 * variable (a test's guardPath) can use it.
 */
static int fault;
#define FAULT(s) (fault == (s) ? (errno = EIO, 1) : 0)

/* steps, reported with errno; the engine maps them to error codes and messages */
enum step {
    S_ARGS = 1, S_UNSHARE, S_PRIVATE, S_FORK, S_NAME, S_HOSTNAME, S_PROC, S_LOOPBACK, S_SIGNALS,
    S_RECV, S_REQUEST, S_PIPE, S_FORK_APP, S_SETSID, S_USERNS, S_IDMAP, S_GROUPS, S_GID, S_UID,
    S_CAPS, S_NNP, S_CHDIR, S_EXEC, S_REPORT, S_PROC_RO, S_PROC_NULL, S_PROC_MASK, S_MQUEUE
};

static void say(const char *kind, long a, long b) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s%c%ld%c%ld", kind, 0, a, 0, b);
    while (send(CTL, buf, (size_t)n + 1, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
}

static void die(enum step s) {
    say("E", s, errno);
    _exit(120 + (s > 7 ? 7 : (int)s));
}

static void reset_signals(void) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            signal(sig, SIG_DFL);
        }
    }
}

static void close_from(int lowest) {
    if (syscall(SYS_close_range, lowest, ~0U, 0) == 0) {
        return;
    }
    for (int fd = lowest; fd < 65536; fd++) {
        close(fd);
    }
}

static void loopback_up(void) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (FAULT(S_LOOPBACK) || s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die(S_LOOPBACK);
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die(S_LOOPBACK);
    close(s);
}

/* ---- the app ---------------------------------------------------------------------------- */

struct request {
    char *name, *hostname;
    int stdio[3];
    long uid, gid, userns, ngroups;
    gid_t groups[64];
    char *cwd;
    char **argv;
    char **envp;
};

static char *next_field(char **p, char *end) {
    if (*p >= end) return NULL;
    char *f = *p;
    char *z = memchr(f, 0, (size_t)(end - f));
    if (!z) return NULL;
    *p = z + 1;
    return f;
}

static int next_long(char **p, char *end, long *out) {
    char *f = next_field(p, end), *e;
    if (!f) return -1;
    errno = 0;
    *out = strtol(f, &e, 10);
    return (errno || *e || e == f) ? -1 : 0;
}

static char **next_vector(char **p, char *end) {
    long n;
    if (next_long(p, end, &n) < 0 || n < 0 || n > 65536) return NULL;
    char **v = calloc((size_t)n + 1, sizeof *v);
    if (!v) return NULL;
    for (long i = 0; i < n; i++) {
        if (!(v[i] = next_field(p, end))) return NULL;
    }
    return v;
}

static int parse_request(char *buf, size_t len, struct request *r) {
    char *p = buf, *end = buf + len, *kind = next_field(&p, end);
    if (!kind || strcmp(kind, "X")) return -1;
    if (!(r->name = next_field(&p, end)) || !(r->hostname = next_field(&p, end))) return -1;
    if (strlen(r->name) == 0 || strlen(r->name) > 15) return -1;
    if (next_long(&p, end, &r->uid) || next_long(&p, end, &r->gid) || next_long(&p, end, &r->userns)
        || next_long(&p, end, &r->ngroups) || r->ngroups < 0 || r->ngroups > 64) return -1;
    for (long i = 0; i < r->ngroups; i++) {
        long g;
        if (next_long(&p, end, &g)) return -1;
        r->groups[i] = (gid_t)g;
    }
    if (!(r->cwd = next_field(&p, end)) || !(r->argv = next_vector(&p, end)) || !r->argv[0]
        || !(r->envp = next_vector(&p, end))) return -1;
    return 0;
}

static void fail_app(int report, enum step s) {
    int e[2] = {s, errno};
    ssize_t ignored = write(report, e, sizeof e);
    (void)ignored;
    _exit(127);
}

static void drop_capabilities(int report) {
    for (int cap = 0; cap <= 63; cap++) {
        if (FAULT(S_CAPS) || (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)) fail_app(report, S_CAPS);
    }
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

static void clear_capability_sets(int report) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (FAULT(S_CAPS) || syscall(SYS_capset, &h, d) < 0) fail_app(report, S_CAPS);
}

/* In the child: become the app. report: CLOEXEC pipe to the guard; sync: user-namespace handshake. */
static void become_app(struct request *r, int report, int sync_to_guard, int sync_from_guard) {
    reset_signals();
    for (int i = 0; i < 3; i++) {
        if (dup2(r->stdio[i], i) < 0) fail_app(report, S_REQUEST);
    }
    for (int i = 0; i < 3; i++) {
        if (r->stdio[i] > 2) close(r->stdio[i]);
    }
    if (FAULT(S_SETSID) || setsid() < 0) fail_app(report, S_SETSID);
    /* tell the engine our pid (SO_PASSCRED on its end translates it to the host's pid namespace) */
    if (FAULT(S_REPORT) || send(CTL, "C", 2, MSG_NOSIGNAL) < 0) fail_app(report, S_REPORT);
    if (r->userns) {
        if (FAULT(S_GROUPS) || setgroups(0, NULL) < 0) fail_app(report, S_GROUPS);
        if (FAULT(S_USERNS) || unshare(CLONE_NEWUSER) < 0) fail_app(report, S_USERNS);
        char c = 1;
        if (write(sync_to_guard, &c, 1) != 1 || read(sync_from_guard, &c, 1) != 1 || c != 1) {
            fail_app(report, S_IDMAP);
        }
        if (FAULT(S_GID) || setresgid(0, 0, 0) < 0) fail_app(report, S_GID);
        if (FAULT(S_UID) || setresuid(0, 0, 0) < 0) fail_app(report, S_UID);
    } else {
        drop_capabilities(report);
        if (FAULT(S_GROUPS) || setgroups((size_t)r->ngroups, r->groups) < 0) fail_app(report, S_GROUPS);
        if (FAULT(S_GID) || setresgid((gid_t)r->gid, (gid_t)r->gid, (gid_t)r->gid) < 0) fail_app(report, S_GID);
        if (FAULT(S_UID) || setresuid((uid_t)r->uid, (uid_t)r->uid, (uid_t)r->uid) < 0) fail_app(report, S_UID);
        clear_capability_sets(report);
    }
    if (FAULT(S_NNP) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail_app(report, S_NNP);
    if (FAULT(S_CHDIR) || chdir(r->cwd) < 0) fail_app(report, S_CHDIR);
    /* nothing but stdio and the CLOEXEC report pipe survives exec */
    close(CTL);
    close(sync_to_guard);
    close(sync_from_guard);
    extern char **environ;
    environ = r->envp;
    if (!FAULT(S_EXEC)) execvp(r->argv[0], r->argv);
    fail_app(report, S_EXEC);
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int map_ids(pid_t app, long uid, long gid) {
    char path[64], map[64];
    snprintf(path, sizeof path, "/proc/%d/setgroups", app);
    if (write_file(path, "deny") < 0) return -1;
    snprintf(path, sizeof path, "/proc/%d/uid_map", app);
    snprintf(map, sizeof map, "0 %ld 1\n", uid);
    if (write_file(path, map) < 0) return -1;
    snprintf(path, sizeof path, "/proc/%d/gid_map", app);
    snprintf(map, sizeof map, "0 %ld 1\n", gid);
    return write_file(path, map);
}

/* In the guard: start the app; returns its pid (in the rocker's pid namespace) or -1. */
static pid_t start_app(struct request *r) {
    int report[2], to_guard[2], from_guard[2];
    if (pipe2(report, O_CLOEXEC) < 0 || pipe2(to_guard, O_CLOEXEC) < 0 || pipe2(from_guard, O_CLOEXEC) < 0) {
        say("F", S_PIPE, errno);
        return -1;
    }
    pid_t app = fork();
    if (app < 0) {
        say("F", S_FORK_APP, errno);
        return -1;
    }
    if (app == 0) {
        close(report[0]);
        close(to_guard[0]);
        close(from_guard[1]);
        become_app(r, report[1], to_guard[1], from_guard[0]);
    }
    close(report[1]);
    close(to_guard[1]);
    close(from_guard[0]);
    if (r->userns) {
        char c;
        if (read(to_guard[0], &c, 1) == 1) {
            c = !FAULT(S_IDMAP) && map_ids(app, r->uid, r->gid) == 0 ? 1 : 0;
            if (c != 1) {
                say("F", S_IDMAP, errno);
                kill(app, SIGKILL);
                return -1;
            }
            ssize_t ignored = write(from_guard[1], &c, 1);
            (void)ignored;
        }
    }
    close(to_guard[0]);
    close(from_guard[1]);
    int e[2];
    ssize_t n;
    while ((n = read(report[0], e, sizeof e)) < 0 && errno == EINTR) {
    }
    close(report[0]);
    if (n == (ssize_t)sizeof e) {
        say("F", e[0], e[1]);
        return -1;
    }
    say("A", app, 0);
    return app;
}

/* ---- the rocker's /proc and /dev/mqueue ---------------------------------------------------- */

/*
 * The OCI runtime spec's defaults (runc's and crun's readonlyPaths and maskedPaths) on the fresh /proc;
 * a path this kernel does not have is skipped. No path here can be a symlink: the procfs is our own.
 */
#define NO_SUID_DEV_EXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)
static const char *const proc_readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL
};
static const char *const proc_masked[] = {
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
    "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", NULL
};

/* 1: path is there (type in *mode); 0: not on this kernel; -1: error */
static int present(const char *path, mode_t *mode) {
    struct stat st;
    if (lstat(path, &st) < 0) return errno == ENOENT ? 0 : -1;
    *mode = st.st_mode;
    return 1;
}

/* the null device, opened without following a symlink (/dev may be the engine's tmpfs); -1 if not */
static int open_null(void) {
    struct stat st;
    int fd = open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
        close(fd);
        errno = ENODEV;
        return -1;
    }
    return fd;
}

/* the step that failed (errno set), or 0 */
static int proc_defaults(void) {
    mode_t mode;
    int p;
    if (FAULT(S_PROC_RO)) return S_PROC_RO;
    for (const char *const *path = proc_readonly; *path; path++) {
        if ((p = present(*path, &mode)) < 0) return S_PROC_RO;
        if (p && (mount(*path, *path, NULL, MS_BIND, NULL) < 0
                || mount(NULL, *path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | NO_SUID_DEV_EXEC, NULL) < 0)) return S_PROC_RO;
    }
    /* files get the null device (reads give nothing), dirs an empty read-only tmpfs; never left readable */
    int null = FAULT(S_PROC_NULL) ? -1 : open_null();
    if (null < 0) return S_PROC_NULL;
    char source[32];
    snprintf(source, sizeof source, "/proc/self/fd/%d", null);
    int step = FAULT(S_PROC_MASK) ? S_PROC_MASK : 0;
    for (const char *const *path = proc_masked; *path && !step; path++) {
        if ((p = present(*path, &mode)) < 0) step = S_PROC_MASK;
        else if (p && (S_ISDIR(mode) ? mount("tmpfs", *path, "tmpfs", MS_RDONLY | NO_SUID_DEV_EXEC, "size=4k,nr_inodes=1,mode=0555")
                : mount(source, *path, NULL, MS_BIND, NULL)) < 0) step = S_PROC_MASK;
    }
    int e = errno;
    close(null);
    errno = e;
    return step;
}

/* the rocker's own POSIX message queues (the guard is in its ipc namespace) where /dev has the dir */
static int mount_mqueue(void) {
    if (FAULT(S_MQUEUE)) return S_MQUEUE;
    int fd = open("/dev/mqueue", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : S_MQUEUE;
    char at[32];
    snprintf(at, sizeof at, "/proc/self/fd/%d", fd);
    int r = mount("mqueue", at, "mqueue", NO_SUID_DEV_EXEC, NULL), e = errno;
    close(fd);
    errno = e;
    return r < 0 ? S_MQUEUE : 0;
}

/* ---- the guard ---------------------------------------------------------------------------- */

/* One request and the three descriptors that come with it (-1 when none came). */
static ssize_t receive(char *buf, int fds[3]) {
    union {
        char space[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {buf, MAX_MSG};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    fds[0] = fds[1] = fds[2] = -1;
    ssize_t n = recvmsg(CTL, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(3 * sizeof(int))) {
            memcpy(fds, CMSG_DATA(c), 3 * sizeof(int));
        }
    }
    return n;
}

static void guard(const char *name, const char *hostname, int private_net, int remove_on_exit, int keeper_said) {
    /* speak only after the keeper has reported our pid: the engine reads "P" before "R" */
    char c;
    while (read(keeper_said, &c, 1) < 0 && errno == EINTR) {
    }
    close(keeper_said);
    if (FAULT(S_NAME) || prctl(PR_SET_NAME, name, 0, 0, 0) < 0) die(S_NAME);
    if (FAULT(S_HOSTNAME) || sethostname(hostname, strlen(hostname)) < 0) die(S_HOSTNAME);
    if (private_net) loopback_up();

    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    if (FAULT(S_SIGNALS) || sigprocmask(SIG_BLOCK, &chld, NULL) < 0) die(S_SIGNALS);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (FAULT(S_SIGNALS) || sfd < 0) die(S_SIGNALS);
    say("R", 0, 0);

    char *buf = malloc(MAX_MSG);
    pid_t app = 0;
    int ctl_open = 1, app_done = 0;
    for (;;) {
        struct pollfd p[2] = {{sfd, POLLIN, 0}, {ctl_open ? CTL : -1, POLLIN, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR) die(S_SIGNALS);
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {
            }
            int status;
            pid_t dead;
            while ((dead = waitpid(-1, &status, WNOHANG)) > 0) {
                if (dead == app && !app_done) {
                    app_done = 1;
                    if (ctl_open) say("W", status, 0);
                    if (remove_on_exit) _exit(0);
                }
            }
        }
        if (ctl_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            struct request r;
            memset(&r, 0, sizeof r);
            ssize_t n = receive(buf, r.stdio);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                /* the engine went away: a spare that never got an app ends; a rocker keeps guarding */
                if (!app) _exit(0);
                close(CTL);
                ctl_open = 0;
                continue;
            }
            if (app || r.stdio[0] < 0 || parse_request(buf, (size_t)n, &r) < 0) {
                for (int i = 0; i < 3; i++) if (r.stdio[i] >= 0) close(r.stdio[i]);
                say("F", S_REQUEST, EINVAL);
                continue;
            }
            /*
             * the rocker's own name and hostname (a spare was started under a placeholder), and its own
             * /proc: mounted only now, after the engine's mounts, which name the engine's opened dirs as
             * /proc/self/fd/N and so need the host's /proc until then
             */
            int step = prctl(PR_SET_NAME, r.name, 0, 0, 0) < 0 ? S_NAME
                    : sethostname(r.hostname, strlen(r.hostname)) < 0 ? S_HOSTNAME
                    : (FAULT(S_PROC) || mount("proc", "/proc", "proc", NO_SUID_DEV_EXEC, NULL) < 0) ? S_PROC : 0;
            if (!step) step = proc_defaults();
            if (!step) step = mount_mqueue();
            if (step) {
                say("F", step, errno);
                for (int i = 0; i < 3; i++) close(r.stdio[i]);
                continue;
            }
            app = start_app(&r);
            for (int i = 0; i < 3; i++) close(r.stdio[i]);
            if (app < 0) {
                app = 0;
                if (remove_on_exit) _exit(1);
            }
        }
    }
}

/* ---- the keeper --------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    close_from(CTL + 1);
    reset_signals();
    const char *f = getenv("ROCKER_GUARD_FAULT");
    fault = f ? atoi(f) : 0;
    if (argc != 4 || strlen(argv[1]) == 0 || strlen(argv[1]) > 15) die(S_ARGS);
    int private_net = strchr(argv[3], 'n') != NULL;
    int remove_on_exit = strchr(argv[3], 'r') != NULL;
    int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | (private_net ? CLONE_NEWNET : 0);
    if (FAULT(S_UNSHARE) || unshare(flags) < 0) die(S_UNSHARE);
    /* before any other mount: nothing done in the rocker may propagate to the host */
    if (FAULT(S_PRIVATE) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die(S_PRIVATE);
    /* the keeper ends when its guard ends; it must not outlive or be confused by the engine */
    int said[2];
    if (FAULT(S_FORK) || pipe2(said, O_CLOEXEC) < 0) die(S_FORK);
    pid_t g = fork();
    if (g < 0) die(S_FORK);
    if (g == 0) {
        close(said[1]);
        guard(argv[1], argv[2], private_net, remove_on_exit, said[0]);
        _exit(0);
    }
    close(said[0]);
    say("P", g, 0);
    close(said[1]);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd <= 2 && null >= 0; fd++) dup2(null, fd);
    close(CTL);
    if (null > 2) close(null);
    prctl(PR_SET_NAME, "rocker-keeper", 0, 0, 0);
    int status;
    while (waitpid(g, &status, 0) < 0 && errno == EINTR) {
    }
    return 0;
}
