/*
 * rocker-guard: the only native program of Rocker. It makes the rocker's namespaces, becomes its
 * PID 1 (the guard), and on request forks and execs the app as the requested identity. Everything
 * else (overlays, loop device, image mount, bookkeeping) is done by the Java engine over JNR-FFI.
 *
 * Started by the engine with posix_spawn():
 *   rocker-guard NAME HOSTNAME FLAGS [RECORD STATEKEY]
 *                                           FLAGS: string of 'n' (private network), 'r' (--rm),
 *                                           'h' (an image holder: holds a shared image mount in its
 *                                           mount namespace, gets no app and keeps living when the
 *                                           engine's end of the control socket closes);
 *                                           RECORD, STATEKEY: the rocker's record name and its state
 *                                           dir's device:inode, unused here but in /proc/PID/cmdline,
 *                                           where an engine that starts reconciling finds them
 *   fd 0,1,2 = /dev/null, fd 3 = SOCK_SEQPACKET control socket, nothing else.
 *   The engine may start guards ahead of need (spares): a guard takes its final name and hostname,
 *   and the app's stdio, with the app request; a guard that never got one ends when the engine's end
 *   of the control socket closes.
 *
 * Processes:
 *   keeper (host pid ns)  setsid, ignore INT HUP TERM PIPE TSTP QUIT TTIN TTOU (so does the guard),
 *                         unshare(NEWNS|NEWPID|NEWUTS|NEWIPC[|NEWNET]), make / rprivate, fork the
 *                         guard, report its host pid, close fd 0-3, wait for the guard and reap it,
 *                         exit. It keeps zombies from piling up under an init that does not reap.
 *   guard (pid 1)         set its name and hostname, report ready, then serve one EXEC request (its
 *                         name, hostname, a fresh /proc with the OCI defaults applied, /dev/mqueue,
 *                         the app) and reap every process of the rocker until it is killed (or,
 *                         with 'r', until the app ends). /proc is on /proc only then: the engine's
 *                         mounts before it use the host's /proc/self/fd/N to name the dirs it opened
 *                         (a spare mounts it ahead on its own /dev's mqueue dir, "S", and moves it).
 *                         With bounded logs it also pumps the app's output pipes into the log
 *                         files in its poll loop (never blocking on the pipes; a failing disk loses
 *                         output, never blocks the app) and rotates them beneath the log dir's fd.
 *   app                   oom_score_adj raised to 0 when below (the guard and keeper may run at
 *                         -1000), setsid, identity (setgroups/setresgid/setresuid or a user
 *                         namespace), no capabilities, no_new_privs, chdir, the system call filter (seccomp),
 *                         execvp (with the request's environment). The guard reports the app's pid with the app's
 *                         credentials once it has exec'd (the engine reads it with SO_PASSCRED: kernel-translated).
 *
 * Tables (never used by the engine): "rocker-guard --seccomp-dump [seccomp fields...]" prints this
 * architecture's system call table and the filter the fields (as in "X"; none: the default) make.
 *
 * Messages (one datagram each, fields NUL-separated, text):
 *   keeper -> engine   "P" guard_host_pid        | "E" step errno
 *   guard  -> engine   "R"                       | "E" step errno
 *                      (step: the step's name, step_names below)
 *   engine -> guard    "H" [t]                   once, before "X", with SCM_RIGHTS: a listening SOCK_SEQPACKET
 *                      socket (the rocker's status socket in the state dir) and the data-dir locks; the
 *                      guard holds them all its life. An engine that connects to the status socket (a new
 *                      server adopting the rocker) gets "W" when the app ends, at once if it has, and
 *                      end of stream when the guard is gone; when 8 engines are connected already, "Q"
 *                      and the end of its connection.
 *   engine -> guard    "B"                       a spare's, once it is in its rocker's cgroups: the guard forks the
 *                      app's process ahead now (below), off every start's path; no answer. "H" without "t"
 *                      ends it (killed and reaped at once), "H t" forks one if there is none.
 *   engine -> guard    "S"                       a spare's, once its /dev was built ahead (the engine's own tmpfs):
 *                      the guard mounts the rocker's /proc with the OCI defaults on the empty /dev/mqueue
 *                      now, and moves it on /proc with "X" or "J"; it answers "S" 1 0 (made) or "S" 0 errno
 *                      (not made: /proc is mounted with the request, as without "S"), and the engine puts the
 *                      spare in its pool only then, so no plan runs while it is made
 *   engine -> guard    "D"                       before "X", with SCM_RIGHTS: the read ends (1 or 2) of the pipes the
 *                      engine streams the app's output from; the guard drains and drops them once the
 *                      engine is gone (its control socket closed), so the app never gets SIGPIPE from a
 *                      server's stop
 *   engine -> guard    "X" name hostname uid gid userns ngroups g... cwd argc argv... envc env... seccomp
 *                      log_limit log_stdout log_stderr logs_as_app
 *                      with the app's stdin, stdout, stderr as SCM_RIGHTS, and after them the host's log
 *                      dir when log_stdout or log_stderr is 1; seccomp is one of
 *                        "default"      Rocker's filter (below)
 *                        "unconfined"   no filter
 *                        "profile" default_action default_errno nrules (name action errno)...
 *                      where an action is allow, errno, kill_process, kill_thread or log, and errno
 *                      (0-4095) counts only for errno; log_stdout (log_stderr) 1: stdout (stderr) is the
 *                      opened log/stdout.log (stderr.log), which the guard bounds to log_limit bytes (> 0)
 *                      with one rotated file, .1: the app gets a pipe, the guard pumps it (below);
 *                      logs_as_app 1 (a user's rocker): once the app runs, the guard's own file
 *                      credentials become the app's and it gives up CAP_SYS_RESOURCE, so the user's disk
 *                      quota and the file system's reserve for root hold against the logs it writes
 *   engine -> guard    "J" name hostname         instead of "X", for an entered rocker (ROCKER_enter_rocker of
 *                      the C library): the rocker's name, hostname, /proc and /dev/mqueue as for "X", but no
 *                      app: the caller joins the namespaces and starts its own process (not our child);
 *                      "J" back when done, or "F" step errno. The guard then keeps guarding when the
 *                      engine's end closes, and takes no "X".
 *   guard  -> engine   "A" app_ns_pid forked_ahead | "F" step errno
 *                      (forked_ahead 1: the app's process was forked with "H t", below)
 *                      ("A" carries the app's credentials, SCM_CREDENTIALS with the app's pid: the engine
 *                      reads its host pid from them)
 *                      (step SECCOMP_NAME: "errno" is the index of the profile rule whose name this
 *                      guard does not know)
 *   guard  -> engine   "W" wait_status           (the app ended)
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statfs.h>
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
 * Fault injection for the engine's tests: ROCKER_GUARD_FAULT=NAME makes the step of that name fail with EIO, so that
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
    S_CAPS, S_NNP, S_CHDIR, S_EXEC, S_REPORT, S_PROC_RO, S_PROC_NULL, S_PROC_MASK, S_MQUEUE, S_SECCOMP,
    S_SECCOMP_NAME, S_LOG, S_OOM
};

/* the steps' names on the wire (and in ROCKER_GUARD_FAULT): the engine knows them by name, not by number */
static const char *const step_names[] = {
    [S_ARGS] = "args", [S_UNSHARE] = "unshare", [S_PRIVATE] = "private", [S_FORK] = "fork", [S_NAME] = "name",
    [S_HOSTNAME] = "hostname", [S_PROC] = "proc", [S_LOOPBACK] = "loopback", [S_SIGNALS] = "signals",
    [S_RECV] = "recv", [S_REQUEST] = "request", [S_PIPE] = "pipe", [S_FORK_APP] = "fork_app", [S_SETSID] = "setsid",
    [S_USERNS] = "userns", [S_IDMAP] = "idmap", [S_GROUPS] = "groups", [S_GID] = "gid", [S_UID] = "uid",
    [S_CAPS] = "caps", [S_NNP] = "nnp", [S_CHDIR] = "chdir", [S_EXEC] = "exec", [S_REPORT] = "report",
    [S_PROC_RO] = "proc_ro", [S_PROC_NULL] = "proc_null", [S_PROC_MASK] = "proc_mask", [S_MQUEUE] = "mqueue",
    [S_SECCOMP] = "seccomp", [S_SECCOMP_NAME] = "seccomp_name", [S_LOG] = "log", [S_OOM] = "oom",
};
#define STEPS ((int)(sizeof step_names / sizeof step_names[0]))

static int step_named(const char *name) {
    for (int i = 1; name && i < STEPS; i++) {
        if (step_names[i] && !strcmp(step_names[i], name)) return i;
    }
    return 0;
}

static void say(const char *kind, long a, long b) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%s%c%ld%c%ld", kind, 0, a, 0, b);
    while (send(CTL, buf, (size_t)n + 1, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
}

/* "E" or "F": the step by name, and errno (or, for seccomp_name, the index of the profile's rule) */
static void say_step(const char *kind, int step, long err) {
    char buf[64];
    const char *name = step > 0 && step < STEPS && step_names[step] ? step_names[step] : "?";
    int n = snprintf(buf, sizeof buf, "%s%c%s%c%ld", kind, 0, name, 0, err);
    while (send(CTL, buf, (size_t)n + 1, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
}

/*
 * "A" app: the app runs. Its credentials go with it (SCM_CREDENTIALS naming the app's pid, which the
 * guard may as CAP_SYS_ADMIN of its pid namespace): SO_PASSCRED on the engine's end translates the pid
 * into the host's pid namespace, so one message tells both that the app runs and its host pid.
 */
/* one datagram of len bytes with one SOL_SOCKET control message (type: SCM_RIGHTS, SCM_CREDENTIALS) on fd; 0 or -1 */
static int send_with(int fd, const void *buf, size_t len, int type, const void *data, size_t data_len) {
    union {
        char b[CMSG_SPACE(64 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    if (data_len > 64 * sizeof(int)) {
        errno = EINVAL;
        return -1;
    }
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)buf, len};
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.b;
    m.msg_controllen = CMSG_SPACE(data_len);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(data_len);
    memcpy(CMSG_DATA(c), data, data_len);
    ssize_t r;
    while ((r = sendmsg(fd, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
    }
    return r == (ssize_t)len ? 0 : -1;
}

static int say_app(pid_t app, int forked_ahead) {
    char buf[64];
    int n = snprintf(buf, sizeof buf, "A%c%ld%c%d", 0, (long)app, 0, forked_ahead);
    struct ucred cred = {app, getuid(), getgid()};
    if (FAULT(S_REPORT)) return -1;
    return send_with(CTL, buf, (size_t)n + 1, SCM_CREDENTIALS, &cred, sizeof cred);
}

static void die(enum step s) {
    say_step("E", s, errno);
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
    int sc_mode;        /* enum sc_mode */
    uint32_t sc_default;
    long sc_nrules;
    char **sc_names;
    uint32_t *sc_rets;
    long log_limit, log_stream[3]; /* log_stream[1], [2]: stdout, stderr bounded */
    long logs_as_app;
    int logdir;
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

/* ---- the app's system call filter ------------------------------------------------------------ */

/*
 * Classic BPF, hand-made (no libseccomp), installed by the app right before execvp, after
 * no_new_privs (so no capability is needed). The numbers come from this architecture's own
 * <asm/unistd.h>: build.sh writes rocker-syscalls.h with one {"name", __NR_name} for every call those
 * headers define (and arm's __ARM_NR_ calls), so each guard's table is right by construction.
 */
struct sc_call {
    const char *name;
    long nr;
};
static const struct sc_call sc_calls[] = {
#include "rocker-syscalls.h"
};
#define SC_CALLS (sizeof sc_calls / sizeof *sc_calls)

#if defined(__x86_64__) && !defined(__ILP32__)
#define SC_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SC_ARCH AUDIT_ARCH_AARCH64
#elif defined(__arm__) && defined(__ARM_EABI__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SC_ARCH AUDIT_ARCH_ARM
#else
#error "no system call filter for this architecture yet: add its AUDIT_ARCH and check where clone's flags are"
#endif
/* the low 32 bits of argument 0 (little-endian): the flags of clone (on all three) and unshare */
#define SC_ARG0 ((uint32_t)offsetof(struct seccomp_data, args[0]))
#ifdef __ARM_NR_BASE
#define SC_PRIVATE ((uint32_t)__ARM_NR_BASE) /* arm's own calls (cacheflush, set_tls): not newer calls */
#else
#define SC_PRIVATE UINT32_MAX
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
/* clone's low byte is its exit signal, so CLONE_NEWTIME (0x80) is a namespace only for unshare */
#define SC_NS_CLONE (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define SC_NS_UNSHARE (SC_NS_CLONE | CLONE_NEWTIME)
#define SC_EPERM (SECCOMP_RET_ERRNO | EPERM)
#define SC_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)
#define SC_MAX_RULES 4096

/*
 * Rocker's default: Docker's default profile (moby profiles/seccomp/default.json), the calls it
 * allows every container, including ptrace and process_vm_* (as Docker on kernels from 4.8), without
 * io_uring_* (as Docker since 25.0) and name_to_handle_at. Names this architecture lacks are skipped.
 * clone, unshare, clone3, personality and socket are decided in sc_build. Every other call this
 * guard's table names gets EPERM; a number above its highest (a newer kernel's call) ENOSYS.
 */
static const char *const sc_allowed[] = {
    "_llseek", "_newselect", "accept", "accept4", "access", "adjtimex", "alarm", "arch_prctl",
    "arm_fadvise64_64", "arm_sync_file_range", "bind", "breakpoint", "brk", "cacheflush", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
    "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
    "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
    "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
    "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
    "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
    "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat",
    "get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
    "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername",
    "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32",
    "getresuid", "getresuid32", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid",
    "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
    "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit", "ioctl",
    "ioprio_get", "ioprio_set", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
    "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "lremovexattr",
    "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create",
    "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2",
    "mlockall", "mmap", "mmap2", "modify_ldt", "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
    "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "mseal", "msgctl",
    "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "nanosleep",
    "newfstatat", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
    "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
    "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "process_vm_readv", "process_vm_writev", "pselect6",
    "pselect6_time64", "ptrace", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
    "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
    "removexattr", "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
    "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
    "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
    "sendmsg", "sendto", "set_robust_list", "set_thread_area", "set_tid_address", "set_tls", "setfsgid", "setfsgid32",
    "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
    "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
    "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid", "setuid32", "setxattr", "shmat",
    "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask",
    "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64",
    "statx", "symlink", "symlinkat", "sync", "sync_file_range", "sync_file_range2", "syncfs", "sysinfo",
    "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
    "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
    "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat",
    "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid",
    "waitpid", "write", "writev"
};
/* calls of other architectures (Linux's, or Docker's profile's): a profile may name them; skipped here */
static const char *const sc_elsewhere[] = {
    "_sysctl", "afs_syscall", "bdflush", "cachectl", "clock_settime64", "create_module", "get_kernel_syms", "get_tls",
    "getpmsg", "ioperm", "iopl", "nice", "oldfstat", "oldlstat", "oldolduname", "oldstat",
    "olduname", "pciconfig_iobase", "pciconfig_read", "pciconfig_write", "putpmsg", "query_module", "readdir", "riscv_flush_icache",
    "riscv_hwprobe", "rtas", "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr", "security", "sgetmask", "sigaction",
    "signal", "sigpending", "sigsuspend", "spu_create", "spu_run", "ssetmask", "stime", "subpage_prot",
    "swapcontext", "sys_debug_setcontext", "sysfs", "sysmips", "tuxcall", "umount", "uselib", "usr26",
    "usr32", "ustat", "vm86", "vm86old", "vserver"
};

enum sc_mode { SC_DEFAULT, SC_UNCONFINED, SC_PROFILE };
/* what a call gets: ret, or with a check on argument 0 EPERM or SECCOMP_RET_ALLOW */
enum sc_check { SC_PLAIN, SC_NS, SC_PERSONALITY, SC_VSOCK };
struct sc_rule {
    uint32_t ret, mask;
    int check;
};
/* personality(2) values Docker allows: PER_LINUX, UNAME26, ADDR_NO_RANDOMIZE, both, and the query */
static const uint32_t sc_personalities[] = {0, 8, 0x20000, 0x20008, 0xffffffff};

static struct sc_rule sc_rule_of[SC_CALLS];
static unsigned sc_order[SC_CALLS];
static struct sc_seg {
    uint32_t start;
    struct sc_rule rule;
} sc_segs[3 * SC_CALLS + 4];
static unsigned sc_nsegs;
static uint32_t sc_max;
static struct sock_filter sc_prog[BPF_MAXINSNS];
static unsigned short sc_len;

static int sc_listed(const char *name, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(list[i], name)) return 1;
    }
    return 0;
}

static int sc_known_elsewhere(const char *name) {
    return sc_listed(name, sc_allowed, sizeof sc_allowed / sizeof *sc_allowed)
        || sc_listed(name, sc_elsewhere, sizeof sc_elsewhere / sizeof *sc_elsewhere);
}

/*
 * The table by number, made once: sc_order (calls by number, aliases next to each other) and sc_leader
 * (each call's first alias in sc_order, where its rule is kept), sc_max, and whether the names are in
 * strcmp order (build.sh sorts them: sc_find then searches by halves). A merge sort of our own: glibc's
 * qsort asks sysinfo(2) for the machine's memory first, each spare's guard paid for that.
 */
static unsigned sc_leader[SC_CALLS];
static int sc_indexed, sc_names_sorted;

static void sc_index(void) {
    if (sc_indexed) return;
    static unsigned tmp[SC_CALLS];
    for (unsigned i = 0; i < SC_CALLS; i++) sc_order[i] = i;
    for (size_t width = 1; width < SC_CALLS; width *= 2) {
        for (size_t lo = 0; lo < SC_CALLS; lo += 2 * width) {
            size_t mid = lo + width < SC_CALLS ? lo + width : SC_CALLS, hi = lo + 2 * width < SC_CALLS ? lo + 2 * width : SC_CALLS;
            size_t a = lo, b = mid, k = lo;
            while (a < mid || b < hi) {
                tmp[k++] = b >= hi || (a < mid && sc_calls[sc_order[a]].nr <= sc_calls[sc_order[b]].nr) ? sc_order[a++] : sc_order[b++];
            }
        }
        memcpy(sc_order, tmp, sizeof sc_order);
    }
    sc_max = 0;
    for (unsigned k = 0; k < SC_CALLS; k++) {
        unsigned i = sc_order[k];
        sc_leader[i] = k > 0 && sc_calls[sc_order[k - 1]].nr == sc_calls[i].nr ? sc_leader[sc_order[k - 1]] : i;
        if ((uint64_t)sc_calls[i].nr < SC_PRIVATE && (uint64_t)sc_calls[i].nr > sc_max) sc_max = (uint32_t)sc_calls[i].nr;
    }
    sc_names_sorted = 1;
    for (size_t i = 1; i < SC_CALLS; i++) {
        if (strcmp(sc_calls[i - 1].name, sc_calls[i].name) >= 0) sc_names_sorted = 0;
    }
    sc_indexed = 1;
}

/* the call named name in the table, or -1 */
static long sc_find(const char *name) {
    if (!sc_names_sorted) {
        for (size_t i = 0; i < SC_CALLS; i++) {
            if (!strcmp(sc_calls[i].name, name)) return (long)i;
        }
        return -1;
    }
    size_t lo = 0, hi = SC_CALLS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sc_calls[mid].name, name);
        if (c == 0) return (long)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

/* gives the call named name (and its aliases: the same number) the rule; 0 if this table lacks it */
static int sc_set(const char *name, struct sc_rule rule) {
    long i = sc_find(name);
    if (i < 0) return 0;
    sc_rule_of[sc_leader[i]] = rule;
    return 1;
}

static void sc_seg(uint64_t start, struct sc_rule rule) {
    struct sc_seg *last = sc_nsegs ? &sc_segs[sc_nsegs - 1] : NULL;
    if (last && rule.check == SC_PLAIN && last->rule.check == SC_PLAIN && last->rule.ret == rule.ret) return;
    sc_segs[sc_nsegs++] = (struct sc_seg){(uint32_t)start, rule};
}

/* numbers in [from, to) that the table does not name: up to its highest gap, above it above */
static void sc_gap(uint64_t from, uint64_t to, uint32_t gap, uint32_t above) {
    if (from >= to) return;
    if (from <= sc_max) sc_seg(from, (struct sc_rule){gap, 0, SC_PLAIN});
    if (to > (uint64_t)sc_max + 1) sc_seg(from > (uint64_t)sc_max + 1 ? from : (uint64_t)sc_max + 1, (struct sc_rule){above, 0, SC_PLAIN});
}

static int sc_emit(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
    if (sc_len >= BPF_MAXINSNS) return -1;
    sc_prog[sc_len++] = (struct sock_filter){code, jt, jf, k};
    return 0;
}
#define SC_RET(k) sc_emit(BPF_RET | BPF_K, 0, 0, (k))
#define SC_LOAD(off) sc_emit(BPF_LD | BPF_W | BPF_ABS, 0, 0, (off))

static unsigned sc_leaf_len(const struct sc_rule *r) {
    return r->check == SC_PLAIN ? 1 : r->check == SC_PERSONALITY ? 8 : 4;
}

static int sc_leaf(const struct sc_rule *r) {
    switch (r->check) {
        case SC_NS: /* any namespace flag: EPERM */
            return SC_LOAD(SC_ARG0) || sc_emit(BPF_JMP | BPF_JSET | BPF_K, 0, 1, r->mask) || SC_RET(SC_EPERM)
                || SC_RET(SECCOMP_RET_ALLOW);
        case SC_VSOCK:
            return SC_LOAD(SC_ARG0) || sc_emit(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, AF_VSOCK) || SC_RET(SC_EPERM)
                || SC_RET(SECCOMP_RET_ALLOW);
        case SC_PERSONALITY:
            if (SC_LOAD(SC_ARG0)) return -1;
            for (int j = 0; j < 5; j++) {
                if (sc_emit(BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(5 - j), 0, sc_personalities[j])) return -1;
            }
            return SC_RET(SC_EPERM) || SC_RET(SECCOMP_RET_ALLOW);
        default:
            return SC_RET(r->ret);
    }
}

/* a binary search over the segments' starts (A holds the number); forward jumps only */
static unsigned sc_tree_len(unsigned lo, unsigned hi) {
    if (hi - lo == 1) return sc_leaf_len(&sc_segs[lo].rule);
    unsigned mid = lo + (hi - lo) / 2, left = sc_tree_len(lo, mid);
    return (left > 255 ? 2 : 1) + left + sc_tree_len(mid, hi);
}

static int sc_tree(unsigned lo, unsigned hi) {
    if (hi - lo == 1) return sc_leaf(&sc_segs[lo].rule);
    unsigned mid = lo + (hi - lo) / 2, left = sc_tree_len(lo, mid);
    uint32_t start = sc_segs[mid].start;
    if (left > 255 ? sc_emit(BPF_JMP | BPF_JGE | BPF_K, 0, 1, start) || sc_emit(BPF_JMP | BPF_JA, 0, 0, left)
            : sc_emit(BPF_JMP | BPF_JGE | BPF_K, (uint8_t)left, 0, start)) return -1;
    return sc_tree(lo, mid) || sc_tree(mid, hi) ? -1 : 0;
}

/*
 * Builds the app's filter into sc_prog (nothing for unconfined): 0, or the step that failed, with
 * errno set (S_SECCOMP_NAME: *bad is the index of the profile rule this guard cannot name).
 */
static int sc_build(const struct request *r, long *bad) {
    sc_len = 0;
    sc_nsegs = 0;
    if (r->sc_mode == SC_UNCONFINED) return 0;
    sc_index();
    uint32_t gap = r->sc_mode == SC_PROFILE ? r->sc_default : SC_EPERM;
    for (size_t i = 0; i < SC_CALLS; i++) sc_rule_of[i] = (struct sc_rule){gap, 0, SC_PLAIN};
    uint32_t above = SC_ENOSYS;
    if (r->sc_mode == SC_DEFAULT) {
        for (size_t i = 0; i < sizeof sc_allowed / sizeof *sc_allowed; i++) {
            sc_set(sc_allowed[i], (struct sc_rule){SECCOMP_RET_ALLOW, 0, SC_PLAIN});
        }
        sc_set("clone", (struct sc_rule){0, SC_NS_CLONE, SC_NS});
        sc_set("unshare", (struct sc_rule){0, SC_NS_UNSHARE, SC_NS});
        sc_set("clone3", (struct sc_rule){SC_ENOSYS, 0, SC_PLAIN}); /* glibc falls back to clone */
        sc_set("personality", (struct sc_rule){0, 0, SC_PERSONALITY});
        sc_set("socket", (struct sc_rule){0, 0, SC_VSOCK});
    } else {
        for (long k = 0; k < r->sc_nrules; k++) {
            if (!sc_set(r->sc_names[k], (struct sc_rule){r->sc_rets[k], 0, SC_PLAIN}) && !sc_known_elsewhere(r->sc_names[k])) {
                *bad = k;
                errno = ENOENT;
                return S_SECCOMP_NAME;
            }
        }
        /* a newer kernel's calls answer ENOSYS (so that libraries fall back) unless the default allows */
        if ((gap & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW || (gap & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_LOG) above = gap;
    }
    uint64_t next = 0;
    for (unsigned k = 0; k < SC_CALLS; k++) {
        uint64_t nr = (uint64_t)sc_calls[sc_order[k]].nr;
        if (nr < next) continue; /* an alias: its rule is its leader's, this one */
        sc_gap(next, nr, gap, above);
        sc_seg(nr, sc_rule_of[sc_order[k]]);
        next = nr + 1;
    }
    sc_gap(next, (uint64_t)1 << 32, gap, above);
    /* only this architecture's calls reach the table: i386 (int 0x80), x32 and arm32 compat get EPERM */
    int e = SC_LOAD(offsetof(struct seccomp_data, arch)) || sc_emit(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SC_ARCH)
        || SC_RET(SC_EPERM) || SC_LOAD(offsetof(struct seccomp_data, nr));
#ifdef __X32_SYSCALL_BIT
    e = e || sc_emit(BPF_JMP | BPF_JSET | BPF_K, 0, 1, __X32_SYSCALL_BIT) || SC_RET(SC_EPERM);
#endif
    if (e || sc_tree(0, sc_nsegs)) {
        errno = E2BIG;
        return S_SECCOMP;
    }
    return 0;
}

/*
 * Rocker's default filter, built once while the guard waits for its request (a spare's idle time): it is
 * the same for every app. Building it takes ~50 us (the table indexed once, each allowed name found by
 * halves; it took ~0.3 ms when each name was looked up in the whole table).
 */
static struct sock_filter sc_default_prog[BPF_MAXINSNS];
static unsigned short sc_default_len;

static void sc_prebuild_default(void) {
    struct request d;
    memset(&d, 0, sizeof d);
    d.sc_mode = SC_DEFAULT;
    long bad = -1;
    if (sc_build(&d, &bad) != 0) return; /* built again (and its failure reported) with the request */
    memcpy(sc_default_prog, sc_prog, sc_len * sizeof *sc_prog);
    sc_default_len = sc_len;
}

/* the request's filter into sc_prog: the prebuilt default, or built now (sc_build) */
static int sc_prepare(const struct request *r, long *bad) {
    if (r->sc_mode == SC_DEFAULT && sc_default_len > 0) {
        memcpy(sc_prog, sc_default_prog, sc_default_len * sizeof *sc_prog);
        sc_len = sc_default_len;
        return 0;
    }
    return sc_build(r, bad);
}

static int sc_install(void) {
    struct sock_fprog prog = {sc_len, sc_prog};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static int sc_action(char **p, char *end, uint32_t *ret) {
    char *a = next_field(p, end);
    long e;
    if (!a || next_long(p, end, &e) || e < 0 || e > 4095) return -1;
    if (!strcmp(a, "allow")) *ret = SECCOMP_RET_ALLOW;
    else if (!strcmp(a, "errno")) *ret = SECCOMP_RET_ERRNO | (uint32_t)e;
    else if (!strcmp(a, "kill_process")) *ret = SECCOMP_RET_KILL_PROCESS;
    else if (!strcmp(a, "kill_thread")) *ret = SECCOMP_RET_KILL_THREAD;
    else if (!strcmp(a, "log")) *ret = SECCOMP_RET_LOG;
    else return -1;
    return 0;
}

/* the request's seccomp fields (see the top of this file) */
static int parse_seccomp(char **p, char *end, struct request *r) {
    char *mode = next_field(p, end);
    if (!mode) return -1;
    if (!strcmp(mode, "default") || !strcmp(mode, "unconfined")) {
        r->sc_mode = mode[0] == 'd' ? SC_DEFAULT : SC_UNCONFINED;
        return 0;
    }
    if (strcmp(mode, "profile") || sc_action(p, end, &r->sc_default) || next_long(p, end, &r->sc_nrules)
        || r->sc_nrules < 0 || r->sc_nrules > SC_MAX_RULES) return -1;
    r->sc_mode = SC_PROFILE;
    r->sc_names = calloc((size_t)r->sc_nrules + 1, sizeof *r->sc_names);
    r->sc_rets = calloc((size_t)r->sc_nrules + 1, sizeof *r->sc_rets);
    if (!r->sc_names || !r->sc_rets) return -1;
    for (long k = 0; k < r->sc_nrules; k++) {
        if (!(r->sc_names[k] = next_field(p, end)) || sc_action(p, end, &r->sc_rets[k])) return -1;
    }
    return 0;
}

/* rocker-guard --seccomp-dump [fields]: the table (a call this architecture lacks: "-") and the filter */
static int dump_seccomp(int argc, char **argv) {
    size_t len = 0;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    char *buf = malloc(len + 1), *p = buf;
    for (int i = 0; buf && i < argc; i++) p = stpcpy(p, argv[i]) + 1;
    struct request r;
    memset(&r, 0, sizeof r);
    p = buf;
    if (!buf || (argc > 0 && (parse_seccomp(&p, buf + len, &r) < 0 || p != buf + len))) {
        fprintf(stderr, "rocker-guard: bad seccomp fields\n");
        return 2;
    }
    long bad = -1;
    int step = sc_build(&r, &bad);
    if (step) {
        if (step == S_SECCOMP_NAME) printf("unknown %ld %s\n", bad, r.sc_names[bad]);
        else printf("failed %d %d\n", step, errno);
        return 3;
    }
    printf("arch %u\n", (unsigned)SC_ARCH);
#ifdef __X32_SYSCALL_BIT
    printf("x32 %u\n", (unsigned)__X32_SYSCALL_BIT);
#endif
    printf("max %u\n", (unsigned)sc_max);
    for (size_t i = 0; i < SC_CALLS; i++) printf("call %s %ld\n", sc_calls[i].name, sc_calls[i].nr);
    const char *const *lists[] = {sc_allowed, sc_elsewhere};
    size_t sizes[] = {sizeof sc_allowed / sizeof *sc_allowed, sizeof sc_elsewhere / sizeof *sc_elsewhere};
    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; i < sizes[l]; i++) {
            int here = 0;
            for (size_t j = 0; j < SC_CALLS && !here; j++) here = !strcmp(sc_calls[j].name, lists[l][i]);
            if (!here) printf("call %s -\n", lists[l][i]);
        }
    }
    for (unsigned i = 0; i < sc_len; i++) {
        printf("bpf %u %u %u %u\n", sc_prog[i].code, sc_prog[i].jt, sc_prog[i].jf, sc_prog[i].k);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

/* the fields of "X" (the template reads them again: its guard checked the descriptors that came with them) */
static int parse_fields(char *buf, size_t len, struct request *r) {
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
    if (parse_seccomp(&p, end, r) < 0 || next_long(&p, end, &r->log_limit) || next_long(&p, end, &r->log_stream[1])
        || next_long(&p, end, &r->log_stream[2]) || next_long(&p, end, &r->logs_as_app) || p != end) return -1;
    if (r->logs_as_app != 0 && r->logs_as_app != 1) return -1;
    for (int i = 1; i <= 2; i++) {
        if (r->log_stream[i] != 0 && r->log_stream[i] != 1) return -1;
    }
    return 0;
}

static int parse_request(char *buf, size_t len, struct request *r) {
    if (parse_fields(buf, len, r) < 0) return -1;
    int bounded = r->log_stream[1] || r->log_stream[2];
    /* the log dir comes exactly when a stream is bounded, and then the limit is one */
    return (bounded && r->log_limit <= 0) || bounded != (r->logdir >= 0) ? -1 : 0;
}

static void fail_app(int report, enum step s) {
    int e[2] = {s, errno};
    ssize_t ignored = write(report, e, sizeof e);
    (void)ignored;
    _exit(127);
}

static void drop_capabilities(int report) {
    for (int cap = 0; cap <= 63; cap++) {
        if (FAULT(S_CAPS)) fail_app(report, S_CAPS);
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            if (errno == EINVAL) break; /* past this kernel's last capability (they are numbered without gaps) */
            fail_app(report, S_CAPS);
        }
    }
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

static void clear_capability_sets(int report) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (FAULT(S_CAPS) || syscall(SYS_capset, &h, d) < 0) fail_app(report, S_CAPS);
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

/* raises this process's oom_score_adj to 0 when it is below; 0, or -1 (errno set) */
static int oom_reset(void) {
    char text[16];
    int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    int e = errno;
    close(fd);
    errno = e;
    if (n <= 0) return -1;
    text[n] = 0;
    return atoi(text) < 0 ? write_file("/proc/self/oom_score_adj", "0") : 0;
}

/* In the child: become the app. report: CLOEXEC pipe to the guard; sync: user-namespace handshake. */
static void app_setup(struct request *r, int report, int sync_to_guard, int sync_from_guard, int from_template);

static void become_app(struct request *r, int report, int sync_to_guard, int sync_from_guard) {
    reset_signals();
    app_setup(r, report, sync_to_guard, sync_from_guard, 0);
}

/* Runs FILE with /bin/sh, as glibc's execvp does for a file the kernel cannot run (ENOEXEC). */
static void exec_script(const char *file, char *const argv[]) {
    size_t n = 0;
    while (argv[n]) n++;
    char *sh[n + 2];
    sh[0] = "/bin/sh";
    sh[1] = (char *)file;
    for (size_t i = 1; i <= n; i++) sh[i + 1] = argv[i];
    extern char **environ;
    execve("/bin/sh", sh, environ);
    errno = ENOEXEC; /* the file's own failure, not the shell's */
}

static void exec_file(const char *path, char *const argv[]) {
    extern char **environ;
    execve(path, argv, environ);
    if (errno == ENOEXEC) exec_script(path, argv);
}

/*
 * execvp(3) with glibc's semantics whatever the libc (the x86-64 guard is built against musl, whose
 * execvp neither runs a script without "#!" by /bin/sh nor goes on past a dir that fails with ESTALE,
 * ENODEV or ETIMEDOUT): a name without '/' is looked for in PATH (the app's environment; unset:
 * /bin:/usr/bin), going on past EACCES (reported if nothing runs), ENOENT, ENOTDIR, ESTALE, ENODEV and
 * ETIMEDOUT. Returns only on failure, errno set.
 */
static void app_exec(char *const argv[]) {
    const char *file = argv[0];
    if (!*file) {
        errno = ENOENT;
        return;
    }
    if (strchr(file, '/')) {
        exec_file(file, argv);
        return;
    }
    const char *path = getenv("PATH");
    if (!path) path = "/bin:/usr/bin";
    size_t flen = strlen(file);
    int eacces = 0;
    for (const char *p = path;; ) {
        const char *end = strchrnul(p, ':');
        size_t dlen = (size_t)(end - p);
        char buf[PATH_MAX];
        if (dlen + 1 + flen + 1 <= sizeof buf) {
            if (dlen) {
                memcpy(buf, p, dlen);
                buf[dlen] = '/';
                memcpy(buf + dlen + 1, file, flen + 1);
            } else {
                memcpy(buf, file, flen + 1); /* an empty entry: the working dir */
            }
            exec_file(buf, argv);
            switch (errno) {
            case EACCES:
                eacces = 1;
                break;
            case ENOENT: case ENOTDIR: case ESTALE: case ENODEV: case ETIMEDOUT:
                break;
            default:
                return;
            }
        }
        if (!*end) break;
        p = end + 1;
    }
    errno = eacces ? EACCES : ENOENT;
}

/*
 * The app's setup from its stdio to exec. from_template: the process is the app forked ahead of need
 * (below), which reset its signals, took a session of its own, emptied its bounding set and installed the
 * default filter already.
 */
static void app_setup(struct request *r, int report, int sync_to_guard, int sync_from_guard, int from_template) {
    /*
     * The guard and keeper may be exempt from the OOM killer (-1000): the app must not be. A negative
     * score is raised to 0 (raising needs no capability); a positive one, the engine's choice, is kept
     * (lowering it would need CAP_SYS_RESOURCE).
     */
    if (FAULT(S_OOM) || oom_reset() < 0) fail_app(report, S_OOM);
    for (int i = 0; i < 3; i++) {
        if (dup2(r->stdio[i], i) < 0) fail_app(report, S_REQUEST);
    }
    for (int i = 0; i < 3; i++) {
        if (r->stdio[i] > 2) close(r->stdio[i]);
    }
    if (!from_template && (FAULT(S_SETSID) || setsid() < 0)) fail_app(report, S_SETSID);
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
        if (!from_template) drop_capabilities(report);
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
    /* last: after no_new_privs (no capability needed) and after the user namespace was made */
    if (!from_template && r->sc_mode != SC_UNCONFINED && (FAULT(S_SECCOMP) || sc_install() < 0)) fail_app(report, S_SECCOMP);
    if (!FAULT(S_EXEC)) app_exec(r->argv);
    fail_app(report, S_EXEC);
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

/* ---- bounded logs ------------------------------------------------------------------------ */

/*
 * log/stdout.log and log/stderr.log of a bounded LOG stream: the app writes into a pipe, the guard
 * copies it into the file in its poll loop. At log_limit bytes the file becomes NAME.1 (replacing the
 * old one) and a new NAME is made, all beneath the host's log dir fd: the dir is the user's for a
 * user's data dir, so no name is ever followed (renameat moves a planted symlink, it never writes
 * through it; O_EXCL|O_NOFOLLOW creates a file of our own) and the owner is set on the new fd.
 * Rockers outlive the engine, so the bound must be kept here.
 */
struct log_pump {
    int in;             /* the read end of the app's pipe (non-blocking); -1: the stream ended */
    int file;           /* the current log file; -1: this stream's output is dropped */
    long long size;
    const char *name, *old;
};
static struct log_pump pumps[3] = {{-1, -1, 0, NULL, NULL}, {-1, -1, 0, "stdout.log", "stdout.log.1"},
                                   {-1, -1, 0, "stderr.log", "stderr.log.1"}};
static int logdir = -1;
static long long log_limit;
static uid_t log_uid;
static gid_t log_gid;

static void log_close_dir_if_done(void) {
    if (logdir >= 0 && pumps[1].in < 0 && pumps[2].in < 0) {
        close(logdir);
        logdir = -1;
    }
}

static void log_end(struct log_pump *l) {
    if (l->in >= 0) close(l->in);
    if (l->file >= 0) close(l->file);
    l->in = l->file = -1;
    log_close_dir_if_done();
}

/* NAME -> NAME.1, then a new NAME of the app's; 0, or -1 (the stream is dropped from now on) */
static int log_rotate(struct log_pump *l) {
    close(l->file);
    l->file = -1;
    /* a missing NAME is fine; any other trouble shows below as a name in the way */
    renameat(logdir, l->name, logdir, l->old);
    for (int tries = 0; tries < 2; tries++) {
        int fd = openat(logdir, l->name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_LARGEFILE, 0640);
        if (fd >= 0) {
            if (fchown(fd, log_uid, log_gid) < 0) {
                close(fd);
                return -1;
            }
            l->file = fd;
            l->size = 0;
            return 0;
        }
        if (errno != EEXIST || tries || unlinkat(logdir, l->name, 0) < 0) return -1;
    }
    return -1;
}

/*
 * From now on the guard writes (and rotates) the logs: without CAP_SYS_RESOURCE, so disk quotas hold,
 * and for a user's rocker with the app's file credentials, so the file system's reserve for root holds
 * too and new files are the user's. The guard needs neither for anything it still does (reap, report).
 */
static void logs_as(struct request *r) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) == 0) {
        d[CAP_SYS_RESOURCE / 32].effective &= ~(1u << (CAP_SYS_RESOURCE % 32));
        d[CAP_SYS_RESOURCE / 32].permitted &= ~(1u << (CAP_SYS_RESOURCE % 32));
        syscall(SYS_capset, &h, d);
    }
    if (r->logs_as_app) {
        /* the host's uid/gid of the app (in --userns mode: what its root is mapped to) */
        setfsgid((gid_t)r->gid);
        setfsuid((uid_t)r->uid);
    }
}

/* writes what fits, rotating at the limit; a failing write drops the rest of the chunk */
static void log_write(struct log_pump *l, const char *buf, size_t n) {
    while (n > 0 && l->file >= 0) {
        if (l->size >= log_limit && log_rotate(l) < 0) return;
        size_t k = (unsigned long long)(log_limit - l->size) < n ? (size_t)(log_limit - l->size) : n;
        ssize_t w = write(l->file, buf, k);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        l->size += w;
        buf += w;
        n -= (size_t)w;
    }
}

/* copies at most rounds chunks from the pipe; ends the stream at its end (every writer gone) */
static void log_pump(struct log_pump *l, int rounds) {
    static char buf[64 * 1024];
    while (l->in >= 0 && rounds-- > 0) {
        ssize_t n = read(l->in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return; /* EAGAIN: nothing more for now */
        if (n == 0) {
            log_end(l);
            return;
        }
        log_write(l, buf, (size_t)n);
    }
}

/*
 * Before the fork: a pipe for each bounded stream, whose write end replaces the log file in the
 * request's stdio; the pumps take the files and the log dir. 0, or the step that failed (errno set).
 */
static int log_setup(struct request *r) {
    if (r->logdir < 0) return 0;
    if (FAULT(S_LOG)) return S_LOG;
    int p[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
    struct stat st[3];
    for (int i = 1; i <= 2; i++) {
        if (r->log_stream[i] && (fstat(r->stdio[i], &st[i]) < 0 || pipe2(p[i], O_CLOEXEC) < 0
                || fcntl(p[i][0], F_SETFL, O_NONBLOCK) < 0)) {
            int e = errno;
            for (int j = 1; j <= 2; j++) {
                if (p[j][0] >= 0) close(p[j][0]);
                if (p[j][1] >= 0) close(p[j][1]);
            }
            errno = e;
            return S_LOG;
        }
    }
    log_limit = r->log_limit;
    log_uid = (uid_t)r->uid;
    log_gid = (gid_t)r->gid;
    logdir = r->logdir;
    r->logdir = -1;
    for (int i = 1; i <= 2; i++) {
        if (!r->log_stream[i]) continue;
        pumps[i].in = p[i][0];
        pumps[i].file = r->stdio[i];
        pumps[i].size = st[i].st_size;
        r->stdio[i] = p[i][1];
    }
    return 0;
}

/* the app could not be started: the log files go back to nobody, the pipes are closed */
static void log_abandon(void) {
    log_end(&pumps[1]);
    log_end(&pumps[2]);
}

/* ---- the app forked ahead of need ---------------------------------------------------------- */

/*
 * A spare (in its rocker's cgroups already) forks the app's process when the engine has put it in its
 * cgroups ("B"), before any request, so that neither the fork nor the process's own set-up is on a start's
 * path (on a machine with costly system calls the two took ~1-2 ms of CPU while the plan ran). With "H"
 * the engine says "t" when the request will have Rocker's default filter and no user namespace (one is
 * forked then if there is none); else the one forked ahead is killed and reaped. The process resets its
 * signals, takes a session of its own and installs the default filter (~0.3 ms on the kernel's side
 * alone), then waits on a socket of its own for the request. With "X" the guard hands it the request and
 * the app's stdio, and it does the rest as a forked app would (identity, no capabilities, no_new_privs,
 * chdir, exec), reporting a failure on its close-on-exec pipe the same way. If it died meanwhile, or the
 * request cannot use it, the app is forked as before (and an unused one is killed). Until the request it
 * holds nothing but its socket and that pipe (fd 3 and 4) and /dev/null as stdio.
 */
static pid_t tpl_pid;     /* 0: none */
static int tpl_sock = -1; /* the guard's end of the template's socket */
static int tpl_report = -1;
#define TPL_MAX_REQUEST (64 * 1024)

static void tpl_forget(void) {
    if (tpl_sock >= 0) close(tpl_sock);
    if (tpl_report >= 0) close(tpl_report);
    tpl_sock = tpl_report = -1;
    tpl_pid = 0;
}

/*
 * an unused template goes, reaped at once: it must not count against the rocker's pids limit (which may be
 * as low as 3: keeper, guard, app) when the app is forked next; it waits in recvmsg, so it dies at once
 */
static void tpl_discard(void) {
    if (tpl_pid > 0 && kill(tpl_pid, SIGKILL) == 0) {
        while (waitpid(tpl_pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    tpl_forget();
}

/* the request and the app's three stdio descriptors to the template; 0 or -1 */
static int tpl_send(const char *buf, size_t len, const int stdio[3]) {
    return send_with(tpl_sock, buf, len, SCM_RIGHTS, stdio, 3 * sizeof(int));
}

/* In the guard: start the app; returns its pid (in the rocker's pid namespace) or -1. */
static pid_t start_app(struct request *r, const char *raw, size_t raw_len) {
    long bad = -1;
    int step = sc_prepare(r, &bad);
    if (step) {
        say_step("F", step, step == S_SECCOMP_NAME ? bad : errno);
        return -1;
    }
    if ((step = log_setup(r))) {
        say_step("F", step, errno);
        return -1;
    }
    pid_t app;
    int forked_ahead = 0;
    int report[2], to_guard[2], from_guard[2];
    if (tpl_pid > 0 && r->sc_mode == SC_DEFAULT && !r->userns && raw_len <= TPL_MAX_REQUEST && tpl_send(raw, raw_len, r->stdio) == 0) {
        /* the template takes it from here; its report pipe says how its exec went */
        app = tpl_pid;
        forked_ahead = 1;
        report[0] = tpl_report;
        tpl_report = -1;
        tpl_forget();
        goto wait_exec;
    }
    tpl_discard();
    if (pipe2(report, O_CLOEXEC) < 0 || pipe2(to_guard, O_CLOEXEC) < 0 || pipe2(from_guard, O_CLOEXEC) < 0) {
        say_step("F", S_PIPE, errno);
        log_abandon();
        return -1;
    }
    app = fork();
    if (app < 0) {
        say_step("F", S_FORK_APP, errno);
        log_abandon();
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
                say_step("F", S_IDMAP, errno);
                kill(app, SIGKILL);
                log_abandon();
                return -1;
            }
            ssize_t ignored = write(from_guard[1], &c, 1);
            (void)ignored;
        }
    }
    close(to_guard[0]);
    close(from_guard[1]);
wait_exec:;
    int e[2];
    ssize_t n;
    while ((n = read(report[0], e, sizeof e)) < 0 && errno == EINTR) {
    }
    close(report[0]);
    if (n == (ssize_t)sizeof e) {
        say_step("F", e[0], e[1]);
        log_abandon();
        return -1;
    }
    if (say_app(app, forked_ahead) < 0) {
        say_step("F", S_REPORT, errno);
        kill(app, SIGKILL);
        log_abandon();
        return -1;
    }
    return app;
}

/* ---- the rocker's /proc and /dev/mqueue ---------------------------------------------------- */

/*
 * The OCI runtime spec's defaults (runc's and crun's readonlyPaths and maskedPaths) on the fresh /proc;
 * a path this kernel does not have is skipped. No path here can be a symlink: the procfs is our own.
 */
#define NO_SUID_DEV_EXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)
static const char *const proc_readonly[] = {
    "bus", "fs", "irq", "sys", "sysrq-trigger", NULL
};
static const char *const proc_masked[] = {
    "acpi", "asound", "kcore", "keys", "latency_stats", "timer_list", "timer_stats", "sched_debug", "scsi", NULL
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

/* the step that failed (errno set), or 0; on the fresh procfs mounted at base ("/proc", or where it is staged) */
static int proc_defaults(const char *base) {
    mode_t mode;
    int p;
    char at[64];
    if (FAULT(S_PROC_RO)) return S_PROC_RO;
    for (const char *const *name = proc_readonly; *name; name++) {
        snprintf(at, sizeof at, "%s/%s", base, *name);
        if ((p = present(at, &mode)) < 0) return S_PROC_RO;
        if (p && (mount(at, at, NULL, MS_BIND, NULL) < 0
                || mount(NULL, at, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | NO_SUID_DEV_EXEC, NULL) < 0)) return S_PROC_RO;
    }
    /* files get the null device (reads give nothing), dirs an empty read-only tmpfs; never left readable */
    int null = FAULT(S_PROC_NULL) ? -1 : open_null();
    if (null < 0) return S_PROC_NULL;
    char source[32];
    snprintf(source, sizeof source, "/proc/self/fd/%d", null);
    int step = FAULT(S_PROC_MASK) ? S_PROC_MASK : 0;
    for (const char *const *name = proc_masked; *name && !step; name++) {
        snprintf(at, sizeof at, "%s/%s", base, *name);
        if ((p = present(at, &mode)) < 0) step = S_PROC_MASK;
        else if (p && (S_ISDIR(mode) ? mount("tmpfs", at, "tmpfs", MS_RDONLY | NO_SUID_DEV_EXEC, "size=4k,nr_inodes=1,mode=0555")
                : mount(source, at, NULL, MS_BIND, NULL)) < 0) step = S_PROC_MASK;
    }
    int e = errno;
    close(null);
    errno = e;
    return step;
}

/*
 * The rocker's /proc made ahead ("S", a spare's idle time, before the engine puts the spare in its pool:
 * no plan runs meanwhile): mounted on the empty /dev/mqueue of the /dev the engine built for the spare
 * (its own tmpfs, checked on the opened dir), then checked to be a procfs of this guard's pid namespace
 * (its "self" is 1: the guard is PID 1 there), the OCI defaults applied through its opened root, and that
 * root kept open. With the request it is checked again, moved on /proc (move_mount, Linux 5.2+) and made
 * writable again where a fresh one is (the plan's last step made every mount of the rocker's tree
 * read-only; the engine says "S" only where mount_setattr, 5.12+, is there). A staged /proc that is gone
 * (a plan that needed the host's /dev dropped the spare's, and it with it), no longer checks out or cannot
 * be moved: it is detached through its descriptor and /proc is mounted as ever.
 */
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define ROCKER_MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define ROCKER_MOUNT_ATTR_RDONLY 0x00000001
#define ROCKER_AT_EMPTY_PATH 0x1000
#define ROCKER_PROC_SUPER_MAGIC 0x9fa0
#define ROCKER_TMPFS_MAGIC 0x01021994
#define PROC_STAGE "/dev/mqueue"
struct rocker_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};
static int staged_proc = -1;

/* whether fd is the root of a procfs of this guard's pid namespace */
static int our_procfs(int fd) {
    struct statfs sf;
    char self[8];
    if (fstatfs(fd, &sf) < 0 || sf.f_type != ROCKER_PROC_SUPER_MAGIC) return 0;
    ssize_t n = readlinkat(fd, "self", self, sizeof self);
    return n == 1 && self[0] == '1';
}

/* detaches the mount (and the mounts on it) that fd is the root of; errno kept */
static void detach(int fd) {
    int e = errno;
    char at[32];
    snprintf(at, sizeof at, "/proc/self/fd/%d", fd);
    umount2(at, MNT_DETACH);
    errno = e;
}

/* 0, or -1 with errno set (nothing staged then) */
static int stage_proc(void) {
    if (staged_proc >= 0) return 0;
    struct statfs sf;
    int dir = open(PROC_STAGE, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir < 0) return -1;
    char at[32];
    snprintf(at, sizeof at, "/proc/self/fd/%d", dir);
    int e = fstatfs(dir, &sf) < 0 ? errno : sf.f_type != ROCKER_TMPFS_MAGIC ? EXDEV
            : mount("proc", at, "proc", NO_SUID_DEV_EXEC, NULL) < 0 ? errno : 0;
    close(dir);
    if (e) {
        errno = e;
        return -1;
    }
    /* the mount just made there: it must be a procfs of ours (nothing else mounts in this namespace now) */
    int root = open(PROC_STAGE, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root < 0 || !our_procfs(root)) {
        e = root < 0 ? errno : EXDEV;
        if (root >= 0) close(root);
        umount2(PROC_STAGE, MNT_DETACH);
        errno = e;
        return -1;
    }
    snprintf(at, sizeof at, "/proc/self/fd/%d", root);
    if (proc_defaults(at) != 0) {
        detach(root);
        e = errno;
        close(root);
        errno = e;
        return -1;
    }
    staged_proc = root;
    return 0;
}

/* the staged /proc, if any, detached (a guard failing anyway) */
static void drop_staged_proc(void) {
    if (staged_proc < 0) return;
    detach(staged_proc);
    close(staged_proc);
    staged_proc = -1;
}

/* writable again: the procfs's root (fd) and its masks of files (the null device bound, writable as on a fresh /proc) */
static int proc_writable(int fd) {
    struct rocker_mount_attr rw = {0, ROCKER_MOUNT_ATTR_RDONLY, 0, 0};
    if (syscall(SYS_mount_setattr, fd, "", ROCKER_AT_EMPTY_PATH, &rw, sizeof rw) < 0) return -1;
    char at[64];
    mode_t mode;
    for (const char *const *name = proc_masked; *name; name++) {
        snprintf(at, sizeof at, "/proc/self/fd/%d/%s", fd, *name);
        int p = present(at, &mode);
        if (p < 0 || (p && !S_ISDIR(mode) && syscall(SYS_mount_setattr, AT_FDCWD, at, 0, &rw, sizeof rw) < 0)) return -1;
    }
    return 0;
}

/* the staged /proc on /proc: 0, or -1 (none is left then: /proc is mounted as ever) */
static int use_staged_proc(void) {
    int fd = staged_proc;
    staged_proc = -1;
    if (fd < 0) return -1;
    if (our_procfs(fd) && syscall(SYS_move_mount, fd, "", AT_FDCWD, "/proc", ROCKER_MOVE_MOUNT_F_EMPTY_PATH) == 0
        && proc_writable(fd) == 0) {
        close(fd);
        return 0;
    }
    detach(fd); /* wherever it is; gone with the spare's /dev already: EINVAL */
    close(fd);
    return -1;
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

/*
 * One message and the descriptors that came with it (at most MAX_FDS; *nfds says how many, the rest
 * are -1). A message's kind decides which descriptors it may carry; the caller closes the others.
 */
#define MAX_FDS 64
static ssize_t receive(char *buf, int fds[MAX_FDS], int *nfds) {
    union {
        char space[CMSG_SPACE(MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = {buf, MAX_MSG};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    for (int i = 0; i < MAX_FDS; i++) fds[i] = -1;
    *nfds = 0;
    ssize_t n = recvmsg(CTL, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *got = (int *)CMSG_DATA(c);
        for (size_t i = 0; i < k; i++) {
            int fd;
            memcpy(&fd, got + i, sizeof fd);
            if (*nfds < MAX_FDS) fds[(*nfds)++] = fd;
            else close(fd);
        }
    }
    if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) {
        /* cut short: never acted on (*nfds -1 says so) */
        for (int i = 0; i < *nfds; i++) close(fds[i]);
        for (int i = 0; i < MAX_FDS; i++) fds[i] = -1;
        *nfds = -1;
    }
    return n;
}

static void close_all(int *fds, int n) {
    for (int i = 0; i < n; i++) {
        if (fds[i] >= 0) close(fds[i]);
        fds[i] = -1;
    }
}

/*
 * What the guard holds for the rocker's whole life, from the "H" message: the listening status socket
 * (a new engine connects to it after a server restart) and the data-dir locks (released by the kernel
 * when the guard dies). Watchers are the engines connected to the status socket; each is told "W" when
 * the app ends, or at once when it already has; one too many is told "Q" and let go. The guard never
 * closes a watcher otherwise: to a watcher, end of stream means the guard is gone.
 */
#define MAX_WATCHERS 8
static int held[MAX_FDS], nheld, status_listen = -1;
/*
 * The read ends of the pipes an engine streams the app's output from ("D"): held, never read while the
 * engine is there; once it is gone the guard reads and drops what comes, so the app neither gets SIGPIPE
 * nor blocks on a full pipe.
 */
static int drains[2] = {-1, -1};
static int watchers[MAX_WATCHERS] = {-1, -1, -1, -1, -1, -1, -1, -1};

static void say_to(int fd, const char *kind, long a) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%s%c%ld%c0", kind, 0, a, 0);
    while (send(fd, buf, (size_t)n + 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EINTR) {
    }
}

static void watcher_accept(int app_done, int app_status) {
    int c = accept4(status_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (c < 0) return;
    int slot = -1;
    for (int i = 0; i < MAX_WATCHERS && slot < 0; i++) {
        if (watchers[i] < 0) slot = i;
    }
    if (slot < 0) {
        /* full: "Q" tells this engine it is not watching (a plain end of stream says the guard died) */
        say_to(c, "Q", 0);
        close(c);
        return;
    }
    watchers[slot] = c;
    if (app_done) say_to(c, "W", app_status);
}

/*
 * The rocker's own name and hostname (a spare was started under a placeholder), and its own /proc: on
 * /proc only now, after the engine's mounts, which name the engine's opened dirs as /proc/self/fd/N and
 * so need the host's /proc until then (the one a spare made ahead is moved there, else one is mounted).
 * 0, or the failed step (errno set).
 */
static int become_rocker(const char *name, const char *hostname) {
    int step = prctl(PR_SET_NAME, name, 0, 0, 0) < 0 ? S_NAME : sethostname(hostname, strlen(hostname)) < 0 ? S_HOSTNAME : 0;
    if (!step && FAULT(S_PROC)) {
        drop_staged_proc();
        step = S_PROC;
    }
    if (!step && use_staged_proc() < 0) {
        step = mount("proc", "/proc", "proc", NO_SUID_DEV_EXEC, NULL) < 0 ? S_PROC : 0;
        if (!step) step = proc_defaults("/proc");
    }
    if (!step) step = mount_mqueue();
    return step;
}

/* the template itself: its descriptors, signals, session and filter, then the request (never returns) */
static void become_template(int sock, int report) {
    int a = fcntl(sock, F_DUPFD, 16), b = fcntl(report, F_DUPFD, 16);
    if (a < 0 || b < 0 || dup2(a, CTL) < 0 || dup2(b, CTL + 1) < 0 || fcntl(CTL + 1, F_SETFD, FD_CLOEXEC) < 0) _exit(1);
    close_from(CTL + 2);
    reset_signals();
    /*
     * a failure from here on is reported on the report pipe as an app's would be: the guard may have handed
     * the request over already (it reads the pipe then, and says "F"), else it forgets the pipe with us
     */
    if (FAULT(S_SETSID) || setsid() < 0) fail_app(CTL + 1, S_SETSID);
    /*
     * what every app of the template's kind gets, whatever its request: an empty bounding set (it keeps its
     * other capability sets until the request's identity is taken), done here, off the start's path (~40
     * prctl calls). Not its OOM score: /proc is still the host's here, which the plan makes read-only
     * meanwhile (the write would fail, or make that remount fail with EBUSY); that waits for the request,
     * on the rocker's own /proc.
     */
    drop_capabilities(CTL + 1);
    struct request d;
    memset(&d, 0, sizeof d);
    d.sc_mode = SC_DEFAULT;
    long bad = -1;
    if (sc_prepare(&d, &bad) != 0 || FAULT(S_SECCOMP) || sc_install() < 0) fail_app(CTL + 1, S_SECCOMP);
    char *buf = malloc(MAX_MSG);
    if (!buf) fail_app(CTL + 1, S_REQUEST);
    int fds[MAX_FDS], nfds;
    ssize_t n;
    while ((n = receive(buf, fds, &nfds)) < 0 && errno == EINTR) {
    }
    if (n <= 0) _exit(0); /* the guard is gone, or ended its template */
    struct request r;
    memset(&r, 0, sizeof r);
    if (nfds != 3 || parse_fields(buf, (size_t)n, &r) < 0 || r.userns || r.sc_mode != SC_DEFAULT) {
        errno = EINVAL;
        fail_app(CTL + 1, S_REQUEST);
    }
    for (int i = 0; i < 3; i++) r.stdio[i] = fds[i];
    app_setup(&r, CTL + 1, -1, -1, 1);
}

/* forks the template (the guard is in its cgroups, the default filter is built); quietly none on failure */
static void tpl_fork(void) {
    if (tpl_pid > 0 || sc_default_len == 0) return;
    int s[2], rp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s) < 0) return;
    if (pipe2(rp, O_CLOEXEC) < 0) {
        close(s[0]);
        close(s[1]);
        return;
    }
    pid_t t = fork();
    if (t == 0) {
        close(s[0]);
        close(rp[0]);
        become_template(s[1], rp[1]);
        _exit(1);
    }
    close(s[1]);
    close(rp[1]);
    if (t < 0) {
        close(s[0]);
        close(rp[0]);
        return;
    }
    tpl_pid = t;
    tpl_sock = s[0];
    tpl_report = rp[0];
}

static void guard(const char *name, const char *hostname, int private_net, int remove_on_exit, int holder, int keeper_said) {
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
    if (!holder) sc_prebuild_default(); /* after "R": the engine does not wait for it */

    char *buf = malloc(MAX_MSG);
    pid_t app = 0;
    int ctl_open = 1, app_done = 0, app_status = 0, joined = 0;
    for (;;) {
        struct pollfd p[7 + MAX_WATCHERS] = {{sfd, POLLIN, 0}, {ctl_open ? CTL : -1, POLLIN, 0},
                                             {pumps[1].in, POLLIN, 0}, {pumps[2].in, POLLIN, 0},
                                             {status_listen, POLLIN, 0}};
        for (int i = 0; i < MAX_WATCHERS; i++) p[5 + i] = (struct pollfd){watchers[i], POLLIN, 0};
        for (int i = 0; i < 2; i++) p[5 + MAX_WATCHERS + i] = (struct pollfd){ctl_open ? -1 : drains[i], POLLIN, 0};
        if (poll(p, 7 + MAX_WATCHERS, -1) < 0 && errno != EINTR) die(S_SIGNALS);
        for (int i = 0; i < 2; i++) {
            if (p[5 + MAX_WATCHERS + i].revents && read(drains[i], buf, MAX_MSG) <= 0) {
                close(drains[i]); /* the app's end is closed: nothing more to drop */
                drains[i] = -1;
            }
        }
        for (int i = 0; i < MAX_WATCHERS; i++) {
            /* a watcher says nothing: anything readable is its end (or noise, dropped with it) */
            if (p[5 + i].revents) {
                close(watchers[i]);
                watchers[i] = -1;
            }
        }
        if (p[4].revents & POLLIN) watcher_accept(app_done, app_status);
        /* a few chunks per stream and round, so that neither stream nor the reaping waits for the other */
        for (int i = 1; i <= 2; i++) {
            if (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) log_pump(&pumps[i], 16);
        }
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) {
            }
            int status;
            pid_t dead;
            while ((dead = waitpid(-1, &status, WNOHANG)) > 0) {
                if (dead == tpl_pid) tpl_forget(); /* the template died before the request: apps are forked again */
                if (dead == app && !app_done) {
                    app_done = 1;
                    app_status = status;
                    /* all the app wrote is in the pipes (at most their buffers): in the logs before "W" */
                    for (int i = 1; i <= 2; i++) log_pump(&pumps[i], 64);
                    if (ctl_open) say("W", status, 0);
                    for (int i = 0; i < MAX_WATCHERS; i++) {
                        if (watchers[i] >= 0) say_to(watchers[i], "W", status);
                    }
                    if (remove_on_exit) _exit(0);
                }
            }
        }
        if (ctl_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            struct request r;
            memset(&r, 0, sizeof r);
            int fds[MAX_FDS], nfds;
            ssize_t n = receive(buf, fds, &nfds);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                /* the engine went away: a spare that never got an app ends; a rocker (or a holder) keeps guarding */
                if (!app && !joined && !holder) _exit(0);
                close(CTL);
                ctl_open = 0;
                continue;
            }
            if (nfds < 0) {
                say_step("F", S_REQUEST, EMSGSIZE);
                continue;
            }
            if (n == 2 && buf[0] == 'D' && buf[1] == 0) {
                /* before the app: the read ends of the pipes the engine streams the app's output from */
                if (app || nfds < 1 || nfds > 2 || drains[0] >= 0) {
                    close_all(fds, nfds);
                    say_step("F", S_REQUEST, EINVAL);
                    continue;
                }
                drains[0] = fds[0];
                drains[1] = fds[1];
                continue;
            }
            if ((n == 2 || (n == 4 && buf[2] == 't' && buf[3] == 0)) && buf[0] == 'H' && buf[1] == 0) {
                /* once, before the app: the status socket, then the locks to hold ("t": fork the app ahead) */
                if (app || status_listen >= 0 || nfds < 1) {
                    close_all(fds, nfds);
                    say_step("F", S_REQUEST, EINVAL);
                    continue;
                }
                status_listen = fds[0];
                for (int i = 1; i < nfds; i++) held[nheld++] = fds[i];
                /* a process forked ahead ("B") serves only a request that says "t" */
                if (n == 4 && !holder) tpl_fork();
                else tpl_discard();
                continue;
            }
            if (n == 2 && buf[0] == 'B' && buf[1] == 0) {
                /*
                 * a spare's, once in its cgroups: fork the app's process ahead now, off every start's path. No
                 * answer, also not to a "B" out of place (ignored: an "F" would be read as the next message's answer)
                 */
                close_all(fds, nfds);
                if (!app && !joined && !holder && status_listen < 0) tpl_fork();
                continue;
            }
            if (n == 2 && buf[0] == 'S' && buf[1] == 0) {
                /* a spare's, its /dev built: its /proc made now */
                close_all(fds, nfds);
                if (app || joined || holder || status_listen >= 0) {
                    say_step("F", S_REQUEST, EINVAL);
                    continue;
                }
                int made = stage_proc() == 0;
                say("S", made, made ? 0 : errno);
                continue;
            }
            if (n >= 2 && buf[0] == 'J' && buf[1] == 0) {
                /*
                 * an entered rocker (ROCKER_enter_rocker): its name, hostname, /proc and /dev/mqueue as for
                 * "X", but no app: the caller joins our namespaces and starts its own
                 */
                char *p = buf + 2, *end = buf + n, *name = next_field(&p, end), *host = next_field(&p, end);
                if (app || joined || nfds != 0 || !name || !host || p != end || !*name || strlen(name) > 15 || !*host) {
                    close_all(fds, nfds);
                    say_step("F", S_REQUEST, EINVAL);
                    continue;
                }
                tpl_discard(); /* no app of ours here */
                int step = become_rocker(name, host);
                if (step) {
                    say_step("F", step, errno);
                    continue;
                }
                joined = 1;
                say("J", 0, 0);
                continue;
            }
            r.stdio[0] = fds[0];
            r.stdio[1] = fds[1];
            r.stdio[2] = fds[2];
            r.logdir = nfds == 4 ? fds[3] : -1;
            if (app || joined || (nfds != 3 && nfds != 4) || parse_request(buf, (size_t)n, &r) < 0) {
                close_all(fds, nfds);
                say_step("F", S_REQUEST, EINVAL);
                continue;
            }
            int step = become_rocker(r.name, r.hostname);
            if (step) {
                say_step("F", step, errno);
                for (int i = 0; i < 3; i++) close(r.stdio[i]);
                if (r.logdir >= 0) close(r.logdir);
                continue;
            }
            app = start_app(&r, buf, (size_t)n);
            if (app > 0) logs_as(&r);
            /* the engine's copies (or the pipes' write ends, which only the app may hold) */
            for (int i = 0; i < 3; i++) close(r.stdio[i]);
            if (r.logdir >= 0) close(r.logdir);
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
    fault = step_named(f);
    if (argc >= 2 && !strcmp(argv[1], "--seccomp-dump")) return dump_seccomp(argc - 2, argv + 2);
    /* argv[4], argv[5] (optional): the rocker's record name and its state dir's key, for reconciliation */
    if (argc < 4 || argc > 6 || strlen(argv[1]) == 0 || strlen(argv[1]) > 15) die(S_ARGS);
    /*
     * A rocker outlives its server, however the server stops: the keeper (and the guard it forks) run in
     * a session of their own, out of the server's process group and terminal, and ignore the signals a
     * terminal or a service manager sends a group (Ctrl-C, hang-up, stop requests). Destroy is SIGKILL
     * through a pidfd; the app gets the default dispositions back (become_app).
     */
    setsid();
    int ignored[] = {SIGINT, SIGHUP, SIGTERM, SIGPIPE, SIGTSTP, SIGQUIT, SIGTTIN, SIGTTOU};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) signal(ignored[i], SIG_IGN);
    int private_net = strchr(argv[3], 'n') != NULL;
    int remove_on_exit = strchr(argv[3], 'r') != NULL;
    int holder = strchr(argv[3], 'h') != NULL;
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
        guard(argv[1], argv[2], private_net, remove_on_exit, holder, said[0]);
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
