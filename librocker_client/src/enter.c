/*
 * ROCKER_enter_rocker: PREPARE, a helper child that joins the rocker and starts the app as the
 * caller's child, STARTED, go. The steps, process by process: docs/c-client.md, "Design".
 * After fork() only async-signal-safe calls (raw system calls), until the app has its go byte.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
/* 32-bit arm: the plain calls take 16-bit ids; the 32 ones take the whole id */
#ifdef SYS_setresuid32
#define RK_SETRESUID SYS_setresuid32
#define RK_SETRESGID SYS_setresgid32
#define RK_SETGROUPS SYS_setgroups32
#else
#define RK_SETRESUID SYS_setresuid
#define RK_SETRESGID SYS_setresgid
#define RK_SETGROUPS SYS_setgroups
#endif

#define RK_CGROUP_SUPER_MAGIC 0x27e0eb
#define RK_CGROUP2_SUPER_MAGIC 0x63677270
#define RK_RESOLVE_NO_SYMLINKS 0x04
#define RK_IOPRIO_WHO_PROCESS 1
/* the securebits SECBIT_*_LOCKED (1, 3, 5, 7, 9, 11): each locks the bit below it */
#define RK_SECBITS_LOCKS 0xAAA

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)
#define COLLECT_MS 30000

/* the steps a report names (errno set to the step's errno on failure) */
enum step {
    ST_PIDFD = 1, ST_NAME, ST_CGROUP, ST_SETNS, ST_CLONE, ST_SIGNALS, ST_OOM, ST_CAPS, ST_GROUPS, ST_GID,
    ST_UID, ST_CAPSET, ST_NNP, ST_CHDIR, ST_SECCOMP, ST_SETSID, ST_STDIN, ST_FDS, ST_SECUREBITS, ST_SCHED,
};

/* one message on the report pipe (fixed size, one write: atomic) */
struct msg {
    int32_t kind; /* M_PID, M_READY, M_FAIL */
    int32_t a;    /* pid, or step */
    int32_t b;    /* errno */
};
enum { M_PID = 1, M_READY, M_FAIL };

/* everything the helper and the app need, made before the fork */
struct ctx {
    int guard_pid;
    char guard_name[16];
    char proc_dir[32];
    const struct rk_reply *reply;
    int uid, gid;
    const char *exec_dir;
    int rep_w, go_r; /* the child's ends */
    int rep_r, go_w, sock; /* the caller's: closed in the child */
    int null_fd;           /* /dev/null, the app's stdin */
    int cg_fd[RK_MAX_CGROUPS]; /* the checked cgroup.procs files, opened for writing */
    int ncg;
    int (*app)(void *);
    void *app_args;
};

/* ---- the child side: async-signal-safe only ---------------------------------------------------- */

static void report(int fd, int kind, int a, int b) {
    struct msg m = {kind, a, b};
    ssize_t n;
    do {
        n = write(fd, &m, sizeof m);
    } while (n < 0 && errno == EINTR);
}

__attribute__((noreturn)) static void fail(const struct ctx *c, enum step s) {
    report(c->rep_w, M_FAIL, s, errno ? errno : EIO);
    _exit(127);
}

static void close_quietly(int fd) {
    if (fd >= 0) close(fd);
}

/* the name of /proc/<pid>/stat (read through fd) is the guard's; 0, or -1 with errno */
static int name_matches(int fd, const char *want) {
    char buf[512];
    ssize_t n;
    do {
        n = read(fd, buf, sizeof buf);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        if (n == 0) errno = ESRCH;
        return -1;
    }
    char *open_ = NULL, *close_ = NULL;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == '(' && !open_) open_ = buf + i;
        if (buf[i] == ')') close_ = buf + i;
    }
    size_t wl = strlen(want);
    if (!open_ || !close_ || close_ < open_ || (size_t)(close_ - open_ - 1) != wl || memcmp(open_ + 1, want, wl) != 0) {
        errno = ESRCH; /* another process has the pid now */
        return -1;
    }
    return 0;
}

/* reads fd to its end (at most n - 1 bytes), NUL-terminated: the length, or -1 with errno */
static ssize_t read_text(int fd, char *buf, size_t n) {
    size_t at = 0;
    while (at < n - 1) {
        ssize_t k = read(fd, buf + at, n - 1 - at);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) break;
        at += (size_t)k;
    }
    buf[at] = 0;
    return (ssize_t)at;
}

/* the value of "\nKEY:" in a /proc/<pid>/status text, up to its end of line; NULL when absent */
static const char *status_value(const char *text, const char *key, const char **end) {
    size_t kl = strlen(key);
    for (const char *p = text; (p = strchr(p, '\n')) != NULL;) {
        p++;
        if (strncmp(p, key, kl) == 0 && p[kl] == ':') {
            const char *v = p + kl + 1;
            const char *e = strchr(v, '\n');
            *end = e ? e : v + strlen(v);
            return v;
        }
    }
    return NULL;
}

/* the next whitespace-separated number in [*p, end): 0 with *out, or -1 when there is none */
static int next_number(const char **p, const char *end, long *out) {
    const char *q = *p;
    while (q < end && (*q == ' ' || *q == '\t')) q++;
    if (q >= end || *q < '0' || *q > '9') return -1;
    long v = 0;
    while (q < end && *q >= '0' && *q <= '9' && v < 100000000L) v = v * 10 + (*q++ - '0');
    if (q < end && *q != ' ' && *q != '\t') return -1;
    *p = q;
    *out = v;
    return 0;
}

/*
 * Whether the process of the /proc/<pid> dir fd is the guard the server named: its name, its ids
 * (real, effective, saved, fs) all 0, and it is PID 1 of a pid namespace of its own (NSpid: more than
 * one entry, the last 1). 0, or -1 with errno (ESRCH: it is not the guard, or it is gone).
 */
static int guard_checked(int dirfd, const char *name) {
    int fd = openat(dirfd, "stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) errno = ESRCH;
        return -1;
    }
    int rc = name_matches(fd, name);
    close(fd);
    if (rc < 0) return -1;
    char text[4096];
    fd = openat(dirfd, "status", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) errno = ESRCH;
        return -1;
    }
    ssize_t n = read_text(fd, text, sizeof text);
    int e = errno;
    close(fd);
    if (n <= 0) {
        errno = n == 0 ? ESRCH : e;
        return -1;
    }
    const char *end, *v = status_value(text, "Uid", &end);
    long x;
    int count = 0;
    while (v && next_number(&v, end, &x) == 0) {
        if (x != 0) v = NULL, count = -100;
        else count++;
    }
    if (count != 4) {
        errno = ESRCH; /* not root's: not a guard */
        return -1;
    }
    v = status_value(text, "NSpid", &end);
    count = 0;
    long last = -1;
    while (v && next_number(&v, end, &x) == 0) count++, last = x;
    if (count < 2 || last != 1) {
        errno = ESRCH; /* not the init of a pid namespace of its own: not a guard */
        return -1;
    }
    return 0;
}

/* raises oom_score_adj to 0 when it is below (as the guard does for its apps) */
static int oom_reset(void) {
    char text[16];
    int fd = open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    int rc = 0;
    if (n <= 0) {
        rc = -1;
    } else if (text[0] == '-') {
        rc = pwrite(fd, "0", 1, 0) == 1 ? 0 : -1;
    }
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

static void default_dispositions(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &sa, NULL); /* glibc's own signals: EINVAL, fine */
    }
}

/* fd moved to 3 or above (so that it survives stdin becoming /dev/null): 0, or -1 */
static int lift(int *fd) {
    if (*fd >= 3) return 0;
    int n = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    if (n < 0) return -1;
    close(*fd);
    *fd = n;
    return 0;
}

static int close_range_(unsigned lo, unsigned hi) {
    if (lo > hi) return 0;
#ifdef ROCKER_TEST_NO_PIDFD
    (void)hi;
    errno = ENOSYS; /* the older kernels' way, on purpose */
    return -1;
#else
    return (int)syscall(SYS_close_range, lo, hi, 0);
#endif
}

struct rk_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* closes every descriptor from 3 but keep_a and keep_b: 0, or -1 with errno */
static int close_others(int keep_a, int keep_b) {
    unsigned a = (unsigned)(keep_a < keep_b ? keep_a : keep_b), b = (unsigned)(keep_a < keep_b ? keep_b : keep_a);
    if (close_range_(3, a - 1) == 0 && close_range_(a + 1, b - 1) == 0 && close_range_(b + 1, ~0U) == 0) return 0;
    if (errno != ENOSYS && errno != EINVAL) return -1;
    /* before Linux 5.9: the descriptors /proc/self/fd lists */
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        char buf[1024];
        long n;
        while ((n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
            for (long at = 0; at < n;) {
                struct rk_dirent64 *d = (struct rk_dirent64 *)(buf + at);
                at += d->d_reclen;
                long fd = 0;
                const char *p = d->d_name;
                if (*p < '0' || *p > '9') continue;
                while (*p >= '0' && *p <= '9' && fd < 0x7fffffff) fd = fd * 10 + (*p++ - '0');
                if (fd >= 3 && fd != dir && fd != keep_a && fd != keep_b) close((int)fd);
            }
        }
        close(dir);
        if (n == 0) return 0;
    }
    /* no /proc: every descriptor up to the hard limit (at most 1 << 20, Linux's default nr_open) */
    struct rlimit l;
    if (getrlimit(RLIMIT_NOFILE, &l) < 0) return -1;
    rlim_t top = l.rlim_max > l.rlim_cur ? l.rlim_max : l.rlim_cur;
    if (top > (1u << 20)) top = 1u << 20;
    for (rlim_t fd = 3; fd < top; fd++) {
        if ((int)fd != keep_a && (int)fd != keep_b) close((int)fd);
    }
    return 0;
}

/* securebits down to the locked ones (a locked bit and its lock cannot be cleared): 0, or -1 */
static int securebits_reset(void) {
    int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
    if (bits < 0) return errno == EINVAL ? 0 : -1;
    int locks = bits & RK_SECBITS_LOCKS;
    int want = bits & (locks | locks >> 1);
    if (want == bits) return 0;
    return prctl(PR_SET_SECUREBITS, want, 0, 0, 0);
}

__attribute__((noreturn)) static void app_process(struct ctx *c) {
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) fail(c, ST_SIGNALS);
    /* a session of its own: no controlling terminal of the caller's (TIOCSTI), no job control of it */
    if (setsid() < 0) fail(c, ST_SETSID);
    /* stdin /dev/null; stdout and stderr stay the caller's; every other descriptor of the caller closed
       (no exec follows, so O_CLOEXEC ones too) but the library's two pipes */
    if (lift(&c->rep_w) < 0 || lift(&c->go_r) < 0) fail(c, ST_FDS);
    if (c->null_fd != 0 && dup2(c->null_fd, 0) < 0) fail(c, ST_STDIN);
    if (close_others(c->rep_w, c->go_r) < 0) fail(c, ST_FDS);
    /* the guard's containment, in the guard's order (rocker-guard.c become_app) */
    if (oom_reset() < 0) fail(c, ST_OOM);
    for (int cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) fail(c, ST_CAPS);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) fail(c, ST_CAPS);
    /* the root caller's process state that would outlive the change of ids */
    if (securebits_reset() < 0) fail(c, ST_SECUREBITS);
    struct sched_param sp;
    memset(&sp, 0, sizeof sp);
    if (sched_setscheduler(0, SCHED_OTHER, &sp) < 0) fail(c, ST_SCHED);
    if (setpriority(PRIO_PROCESS, 0, 0) < 0) fail(c, ST_SCHED);
    if (syscall(SYS_ioprio_set, RK_IOPRIO_WHO_PROCESS, 0, 0) < 0 && errno != ENOSYS) fail(c, ST_SCHED);
    if (syscall(RK_SETGROUPS, 0, NULL) < 0) fail(c, ST_GROUPS);
    if (syscall(RK_SETRESGID, c->gid, c->gid, c->gid) < 0) fail(c, ST_GID);
    if (syscall(RK_SETRESUID, c->uid, c->uid, c->uid) < 0) fail(c, ST_UID);
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capset, &h, d) < 0) fail(c, ST_CAPSET);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(c, ST_NNP);
    if (chdir(c->exec_dir) < 0) fail(c, ST_CHDIR);
    struct sock_fprog prog = {c->reply->filter_len, c->reply->filter};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) fail(c, ST_SECCOMP);
    report(c->rep_w, M_READY, 0, 0);
    close(c->rep_w);
    char go = 0;
    ssize_t n;
    do {
        n = read(c->go_r, &go, 1);
    } while (n < 0 && errno == EINTR);
    close(c->go_r);
    if (n != 1 || go != 'g') _exit(127); /* the caller gave up (or died): none of its code runs */
    int ret = c->app(c->app_args);
    fflush(NULL);
    _exit(ret);
}

__attribute__((noreturn)) static void helper(struct ctx *c) {
    close(c->rep_r);
    close(c->go_w);
    close(c->sock);
    default_dispositions(); /* the caller's handlers must not run here; the mask stays all blocked */

    int pidfd = (int)syscall(SYS_pidfd_open, c->guard_pid, 0);
#ifdef ROCKER_TEST_NO_PIDFD
    if (pidfd >= 0) close(pidfd);
    pidfd = -1;
    errno = ENOSYS;
#endif
    if (pidfd < 0 && errno != ENOSYS) fail(c, ST_PIDFD);
    /* /proc/<pid> as a dir fd: it answers ESRCH once its process is gone, so what is read through it
       and joined through it is that process's, never a later one's with the same pid */
    int dirfd = open(c->proc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        if (errno == ENOENT) errno = ESRCH;
        fail(c, ST_PIDFD);
    }
    if (guard_checked(dirfd, c->guard_name) < 0) fail(c, ST_NAME);
    /* the pidfd's process still lives: the dir fd opened after pidfd_open is that process's */
    if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) fail(c, ST_NAME);
    /* the rocker's cgroups (checked and opened by the caller): host files, before the mount namespace */
    for (int i = 0; i < c->ncg; i++) {
        if (write(c->cg_fd[i], "0", 1) != 1) fail(c, ST_CGROUP);
        close(c->cg_fd[i]);
    }
    int joined = 0;
    if (pidfd >= 0) {
        if (setns(pidfd, NS_FLAGS) == 0) {
            joined = 1;
        } else if (errno != EINVAL) {
            fail(c, ST_SETNS);
        } /* else Linux 5.3 to 5.7: a pidfd is no namespace file yet */
        close(pidfd);
    }
    if (!joined) {
        static const char *const ns_names[5] = {"ns/ipc", "ns/uts", "ns/net", "ns/pid", "ns/mnt"};
        static const int ns_types[5] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS};
        int nsfd[5];
        for (int i = 0; i < 5; i++) {
            nsfd[i] = openat(dirfd, ns_names[i], O_RDONLY | O_CLOEXEC);
            if (nsfd[i] < 0) fail(c, ST_SETNS);
        }
        for (int i = 0; i < 5; i++) {
            if (setns(nsfd[i], ns_types[i]) < 0) fail(c, ST_SETNS);
            close(nsfd[i]);
        }
    }
    close(dirfd);
    /*
     * The app, a sibling: CLONE_PARENT makes it the caller's child (its exit signal is ours, SIGCHLD),
     * in the pid namespace joined above. No new stack (it goes on like a fork child) and every other
     * argument 0, so the order of the raw clone's arguments (x86-64: flags, stack, parent_tid,
     * child_tid, tls; aarch64 and arm: flags, stack, parent_tid, tls, child_tid) does not matter.
     */
    long pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0UL, 0UL, 0UL, 0UL);
    if (pid < 0) fail(c, ST_CLONE);
    if (pid == 0) app_process(c);
    report(c->rep_w, M_PID, (int)pid, 0);
    _exit(0);
}

/* ---- the caller's side -------------------------------------------------------------------------- */

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * A child of the caller (the helper, the app), held by a pidfd where the kernel has them (Linux 5.3;
 * waitid on it 5.4): signals and waits then reach that process even if a SIGCHLD handler of the
 * caller reaped it and its pid was reused. Without pidfds: by pid.
 */
struct kid {
    pid_t pid;      /* 0: none */
    int pidfd;      /* -1: by pid */
    int wait_pidfd; /* waitid(P_PIDFD) works */
    int gone;       /* reaped (by us or by someone else) */
};

static void kid_open(struct kid *k, pid_t pid) {
    k->pid = pid, k->pidfd = -1, k->wait_pidfd = 0, k->gone = 0;
#ifndef ROCKER_TEST_NO_PIDFD
    k->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (k->pidfd < 0) return;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid((idtype_t)P_PIDFD, (id_t)k->pidfd, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
        k->wait_pidfd = 1;
    } else if (errno == ECHILD) { /* not our child (any more): reaped by the caller's own handler */
        close(k->pidfd);
        k->pidfd = -1;
        k->gone = 1;
    }
#endif
}

/* waits for (or, with WNOHANG, polls) k's end and reaps it: 1 reaped (status in *si), 0 not yet */
static int kid_reap(struct kid *k, int flags, siginfo_t *si) {
    if (k->pid <= 0 || k->gone) return 1;
    memset(si, 0, sizeof *si);
    int rc;
    do {
        rc = k->wait_pidfd ? waitid((idtype_t)P_PIDFD, (id_t)k->pidfd, si, WEXITED | flags)
                           : waitid(P_PID, (id_t)k->pid, si, WEXITED | flags);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0 || si->si_pid != 0) {
        k->gone = 1; /* ECHILD: someone else reaped it */
        return 1;
    }
    return 0;
}

/* whether k has ended, without reaping it */
static int kid_ended(struct kid *k) {
    if (k->pid <= 0 || k->gone) return 1;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int rc = k->wait_pidfd ? waitid((idtype_t)P_PIDFD, (id_t)k->pidfd, &si, WEXITED | WNOHANG | WNOWAIT)
                           : waitid(P_PID, (id_t)k->pid, &si, WEXITED | WNOHANG | WNOWAIT);
    if (rc < 0) return errno == ECHILD;
    return si.si_pid != 0;
}

static void kid_close(struct kid *k) {
    if (k->pidfd >= 0) close(k->pidfd);
    k->pidfd = -1;
}

static void kid_kill_and_reap(struct kid *k) {
    if (k->pid > 0 && !k->gone) {
        if (k->pidfd >= 0) syscall(SYS_pidfd_send_signal, k->pidfd, SIGKILL, NULL, 0);
        else kill(k->pid, SIGKILL);
        siginfo_t si;
        kid_reap(k, 0, &si);
    }
    kid_close(k);
}

/*
 * Reads the helper's and the app's reports: 0 once the app is ready (the helper reaped), or -1 with
 * *err the errno of the failing step (the app, if its pid came, in *app).
 */
static int collect(int rep_r, struct kid *helper, struct kid *app, int *err) {
    long long deadline = now_ms() + COLLECT_MS;
    int ready = 0, helper_ok = 0;
    while (!(app->pid > 0 && ready)) {
        siginfo_t si;
        if (!helper->gone && kid_reap(helper, WNOHANG, &si) && si.si_code == CLD_EXITED && si.si_status == 0) helper_ok = 1;
        struct pollfd p = {rep_r, POLLIN, 0};
        int n = poll(&p, 1, 50);
        if (n > 0) {
            struct msg m;
            ssize_t k = read(rep_r, &m, sizeof m);
            if (k == (ssize_t)sizeof m) {
                if (m.kind == M_PID && m.a > 0 && app->pid <= 0) {
                    kid_open(app, m.a);
                } else if (m.kind == M_READY) {
                    ready = 1;
                } else if (m.kind == M_FAIL) {
                    *err = m.b > 0 ? m.b : EIO;
                    return -1;
                }
                continue;
            }
            if (k < 0 && errno == EINTR) continue;
            *err = EPIPE; /* end of file, or a torn message: a child died without a report */
            return -1;
        }
        if (n < 0 && errno != EINTR) {
            *err = errno;
            return -1;
        }
        if (helper->gone && !helper_ok && app->pid <= 0) {
            *err = EPIPE; /* the helper died before it reported */
            return -1;
        }
        if (app->pid > 0 && kid_ended(app)) {
            *err = EPIPE; /* the app died before it was ready */
            return -1;
        }
        if (now_ms() > deadline) {
            *err = ETIMEDOUT;
            return -1;
        }
    }
    siginfo_t si;
    kid_reap(helper, 0, &si);
    kid_close(helper);
    return 0;
}

/*
 * After a failed collect: no child of the enter is left, running or as a zombie. The helper is given
 * a moment to end by itself (after an app's failure it is about to report the app's pid and exit),
 * then killed and reaped; an app pid it reported that collect did not read is taken from the pipe;
 * the app is killed and reaped.
 */
static void reap_after_failure(int rep_r, struct kid *helper, struct kid *app) {
    long long until = now_ms() + 500;
    while (!kid_ended(helper) && now_ms() < until) poll(NULL, 0, 5);
    kid_kill_and_reap(helper);
    for (;;) {
        struct pollfd p = {rep_r, POLLIN, 0};
        if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)) break;
        struct msg m;
        if (read(rep_r, &m, sizeof m) != (ssize_t)sizeof m) break;
        if (m.kind == M_PID && m.a > 0 && app->pid <= 0) kid_open(app, m.a);
    }
    kid_kill_and_reap(app);
}

/*
 * Opens a cgroup_procs path of the server's for writing, only if it is a cgroup.procs file of a
 * cgroup file system under /sys/fs/cgroup reached without any symbolic link: the fd, or -1 with errno
 * (EINVAL for a path that is not one).
 */
static int open_cgroup_procs(const char *path) {
    static const char prefix[] = "/sys/fs/cgroup/", suffix[] = "/cgroup.procs";
    size_t n = strlen(path);
    if (n < sizeof prefix - 1 + sizeof suffix - 1 || strncmp(path, prefix, sizeof prefix - 1) != 0 ||
        strcmp(path + n - (sizeof suffix - 1), suffix) != 0) {
        errno = EINVAL;
        return -1;
    }
    for (const char *p = path; *p; p++) { /* no "", "." or ".." component */
        if (*p != '/') continue;
        const char *q = p + 1;
        if (*q == '/' || *q == 0 || (q[0] == '.' && (q[1] == '/' || q[1] == 0 || (q[1] == '.' && (q[2] == '/' || q[2] == 0))))) {
            errno = EINVAL;
            return -1;
        }
    }
    int fd;
    struct {
        uint64_t flags, mode, resolve;
    } how = {O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0, RK_RESOLVE_NO_SYMLINKS};
#ifdef ROCKER_TEST_NO_PIDFD
    fd = -1;
    errno = ENOSYS; /* the older kernels' way, on purpose */
#else
    fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
#endif
    if (fd < 0 && errno == ENOSYS) {
        /* before Linux 5.6: component by component, none of them a symbolic link */
        int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        const char *p = path + 1;
        while (dir >= 0) {
            const char *slash = strchr(p, '/');
            char name[256];
            size_t len = slash ? (size_t)(slash - p) : strlen(p);
            if (len >= sizeof name) {
                close(dir);
                errno = ENAMETOOLONG;
                return -1;
            }
            memcpy(name, p, len);
            name[len] = 0;
            int next = slash ? openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                             : openat(dir, name, (int)how.flags);
            int e = errno;
            close(dir);
            errno = e;
            if (!slash) {
                fd = next;
                break;
            }
            dir = next;
            p = slash + 1;
        }
    }
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV) errno = EINVAL; /* a symbolic link on the way */
        return -1;
    }
    struct statfs sf;
    struct stat st;
    if (fstatfs(fd, &sf) < 0 || fstat(fd, &st) < 0 ||
        !((unsigned long)sf.f_type == RK_CGROUP_SUPER_MAGIC || (unsigned long)sf.f_type == RK_CGROUP2_SUPER_MAGIC) ||
        !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

RockerResult ROCKER_enter_rocker(RockerRequest *req, int (*app)(void *), void *app_args) {
    if (!req || !app) return rk_error(ROCKER_ERR_param_invalid);

    struct rk_buf b = {0};
    rk_frame_begin(&b, RK_PREPARE);
    rk_put_request(&b, req);
    if (rk_frame_end(&b) < 0) {
        rk_buf_free(&b);
        return rk_error(ROCKER_ERR_param_invalid);
    }
    int sock;
    ROCKER_ERR e = rk_connect(&sock);
    if (e != ROCKER_ERR_success) {
        int ce = errno;
        rk_buf_free(&b);
        errno = ce;
        return rk_error(e);
    }
    struct rk_reply r;
    memset(&r, 0, sizeof r);
    e = rk_send(sock, &b);
    rk_buf_free(&b);
    if (e != ROCKER_ERR_success) {
        if (rk_recv_result(sock, &r, 1000) == ROCKER_ERR_success) e = ROCKER_ERR_success;
    } else {
        e = rk_recv_result(sock, &r, RK_RESPONSE_MS);
    }
    if (e != ROCKER_ERR_success) {
        close(sock);
        return rk_error(e);
    }
    if (r.err_no != ROCKER_ERR_success) {
        RockerResult res = rk_result(&r);
        int has_errno = r.has_errno, value = r.errno_value;
        rk_reply_free(&r);
        close(sock);
        if (has_errno) errno = value;
        return res;
    }
    /* a success without a rocker, or without a system call filter (the C request never asks for
       'unconfined', so the server always sends one): malformed */
    if (r.guard_pid <= 0 || r.guard_name[0] == 0 || r.filter_len == 0) {
        rk_reply_free(&r);
        close(sock);
        return rk_error(ROCKER_ERR_recv_resp_failed);
    }

    /* everything the children need, before the fork */
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.guard_pid = r.guard_pid;
    memcpy(c.guard_name, r.guard_name, sizeof c.guard_name);
    snprintf(c.proc_dir, sizeof c.proc_dir, "/proc/%d", r.guard_pid);
    c.reply = &r;
    c.uid = req->uid;
    c.gid = req->gid;
    c.exec_dir = req->app_exec_dir ? req->app_exec_dir : "/";
    c.app = app;
    c.app_args = app_args;
    c.sock = sock;
    c.null_fd = -1;
    int rep[2] = {-1, -1}, go[2] = {-1, -1};
    int err = 0;
    struct kid helper_kid = {0, -1, 0, 0}, app_kid = {0, -1, 0, 0};
    RockerResult res = rk_error(ROCKER_ERR_enter_rocker_failed);
    /* the cgroups the server named, checked and opened before anything is written */
    for (int i = 0; i < r.ncgroups; i++) {
        int fd = open_cgroup_procs(r.cgroup_procs[i]);
        if (fd < 0) {
            err = errno;
            goto out_sock;
        }
        c.cg_fd[c.ncg++] = fd;
    }
    c.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (c.null_fd < 0) {
        err = errno;
        goto out_sock;
    }
    if (pipe2(rep, O_CLOEXEC) < 0) {
        err = errno;
        goto out_sock;
    }
    /* a socket pair, not a pipe: the go byte is sent with MSG_NOSIGNAL (an app killed meanwhile must
       not raise SIGPIPE in the caller) */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0) {
        err = errno;
        goto out_sock;
    }
    c.rep_r = rep[0], c.rep_w = rep[1], c.go_r = go[0], c.go_w = go[1];

    fflush(NULL);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t helper_pid = fork();
    if (helper_pid == 0) helper(&c);
    err = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(rep[1]);
    close(go[0]);
    rep[1] = go[0] = -1;
    if (helper_pid < 0) goto out_sock;
    err = 0;
    kid_open(&helper_kid, helper_pid);

    if (collect(rep[0], &helper_kid, &app_kid, &err) < 0) {
        reap_after_failure(rep[0], &helper_kid, &app_kid);
        goto out_sock;
    }

    /* STARTED: the server records the app; then, and only then, the app may run the caller's code */
    rk_buf_free(&b);
    rk_frame_begin(&b, RK_STARTED);
    rk_field_i32(&b, 1, app_kid.pid);
    struct rk_reply s;
    memset(&s, 0, sizeof s);
    if (rk_frame_end(&b) < 0) {
        e = ROCKER_ERR_send_req_failed;
    } else if ((e = rk_send(sock, &b)) != ROCKER_ERR_success) {
        if (rk_recv_result(sock, &s, 1000) == ROCKER_ERR_success) e = ROCKER_ERR_success;
    } else {
        e = rk_recv_result(sock, &s, RK_RESPONSE_MS);
    }
    rk_buf_free(&b);
    if (e == ROCKER_ERR_success && s.err_no == ROCKER_ERR_success) {
        char g = 'g';
        if (send(go[1], &g, 1, MSG_NOSIGNAL) == 1) {
            res = rk_result(&r);
            res.app_pid = app_kid.pid;
            err = 0;
            kid_close(&app_kid); /* the app is the caller's now */
        } else {
            err = errno;
            kid_kill_and_reap(&app_kid);
        }
    } else {
        kid_kill_and_reap(&app_kid);
        if (e != ROCKER_ERR_success) {
            res = rk_error(e);
            err = 0;
        } else {
            res = rk_result(&s);
            res.app_pid = 0;
            err = s.has_errno ? s.errno_value : 0;
        }
    }
    rk_reply_free(&s);

out_sock:
    for (int i = 0; i < 2; i++) {
        close_quietly(rep[i]);
        close_quietly(go[i]);
    }
    for (int i = 0; i < c.ncg; i++) close(c.cg_fd[i]);
    close_quietly(c.null_fd);
    close_quietly(sock);
    rk_reply_free(&r);
    if (res.err_no != ROCKER_ERR_success) {
        res.guard_pid = 0;
        res.guard_pname[0] = 0;
    }
    if (err) errno = err;
    return res;
}
