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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
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

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET)
#define COLLECT_MS 30000

/* the steps a report names (errno set to the step's errno on failure) */
enum step {
    ST_PIDFD = 1, ST_NAME, ST_CGROUP, ST_SETNS, ST_CLONE, ST_SIGNALS, ST_OOM, ST_CAPS, ST_GROUPS, ST_GID,
    ST_UID, ST_CAPSET, ST_NNP, ST_CHDIR, ST_SECCOMP,
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
    char proc_stat[48];
    const struct rk_reply *reply;
    int uid, gid;
    const char *exec_dir;
    int rep_w, go_r; /* the child's ends */
    int rep_r, go_w, sock; /* the caller's: closed in the child */
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

static int write_zero(const char *path) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, "0", 1);
    int e = errno;
    close(fd);
    errno = e;
    return n == 1 ? 0 : -1;
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

__attribute__((noreturn)) static void app_process(const struct ctx *c) {
    /* the guard's containment, in the guard's order (rocker-guard.c become_app) */
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) fail(c, ST_SIGNALS);
    if (oom_reset() < 0) fail(c, ST_OOM);
    for (int cap = 0; cap <= 63; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) fail(c, ST_CAPS);
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) fail(c, ST_CAPS);
    if (syscall(RK_SETGROUPS, 0, NULL) < 0) fail(c, ST_GROUPS);
    if (syscall(RK_SETRESGID, c->gid, c->gid, c->gid) < 0) fail(c, ST_GID);
    if (syscall(RK_SETRESUID, c->uid, c->uid, c->uid) < 0) fail(c, ST_UID);
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    memset(d, 0, sizeof d);
    if (syscall(SYS_capset, &h, d) < 0) fail(c, ST_CAPSET);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(c, ST_NNP);
    if (chdir(c->exec_dir) < 0) fail(c, ST_CHDIR);
    if (c->reply->filter_len > 0) {
        struct sock_fprog prog = {c->reply->filter_len, c->reply->filter};
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) fail(c, ST_SECCOMP);
    }
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

__attribute__((noreturn)) static void helper(const struct ctx *c) {
    close(c->rep_r);
    close(c->go_w);
    close(c->sock);
    default_dispositions(); /* the caller's handlers must not run here; the mask stays all blocked */

    int pidfd = (int)syscall(SYS_pidfd_open, c->guard_pid, 0);
    int dirfd = -1, nsfd[5] = {-1, -1, -1, -1, -1};
    static const char *const ns_names[5] = {"ns/ipc", "ns/uts", "ns/net", "ns/pid", "ns/mnt"};
    static const int ns_types[5] = {CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWNS};
    int fallback = 0;
#ifdef ROCKER_TEST_NO_PIDFD
    if (pidfd >= 0) close(pidfd);
    pidfd = -1;
    errno = ENOSYS;
#endif
    if (pidfd < 0) {
        if (errno != ENOSYS) fail(c, ST_PIDFD);
        fallback = 1;
    } else {
        /* the pidfd pins the process; its name shows it is the guard; the signal 0 that the pid was
           not reused between pidfd_open and the read */
        int fd = open(c->proc_stat, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) errno = ESRCH;
            fail(c, ST_NAME);
        }
        if (name_matches(fd, c->guard_name) < 0) fail(c, ST_NAME);
        close(fd);
        if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) fail(c, ST_NAME);
    }
    if (fallback) {
        dirfd = open(c->proc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
            if (errno == ENOENT) errno = ESRCH;
            fail(c, ST_PIDFD);
        }
        int fd = openat(dirfd, "stat", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || name_matches(fd, c->guard_name) < 0) fail(c, ST_NAME);
        close(fd);
    }
    /* host paths: before the mount namespace is joined */
    for (int i = 0; i < c->reply->ncgroups; i++) {
        if (write_zero(c->reply->cgroup_procs[i]) < 0) fail(c, ST_CGROUP);
    }
    if (!fallback) {
        if (setns(pidfd, NS_FLAGS) < 0) {
            if (errno != EINVAL) fail(c, ST_SETNS);
            /* Linux 5.3 to 5.7: a pidfd is no namespace file yet */
            int e = errno;
            char name[16];
            memcpy(name, c->guard_name, sizeof name);
            dirfd = open(c->proc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            int fd = dirfd < 0 ? -1 : openat(dirfd, "stat", O_RDONLY | O_CLOEXEC);
            if (fd < 0 || name_matches(fd, name) < 0) {
                errno = e;
                fail(c, ST_SETNS);
            }
            close(fd);
            fallback = 1;
        }
        close(pidfd);
    }
    if (fallback) {
        /* a /proc/<pid> dir fd answers ESRCH once its process is gone: no reused pid is joined */
        for (int i = 0; i < 5; i++) {
            nsfd[i] = openat(dirfd, ns_names[i], O_RDONLY | O_CLOEXEC);
            if (nsfd[i] < 0) fail(c, ST_SETNS);
        }
        for (int i = 0; i < 5; i++) {
            if (setns(nsfd[i], ns_types[i]) < 0) fail(c, ST_SETNS);
            close(nsfd[i]);
        }
        close(dirfd);
    }
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

/* whether pid (our child) has ended, without reaping it */
static int ended(pid_t pid) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) return errno == ECHILD;
    return si.si_pid == pid;
}

static void kill_and_reap(pid_t pid) {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
}

/*
 * Reads the helper's and the app's reports: 0 with *app the app's pid once it is ready, or -1 with
 * *err the errno of the failing step (the app, if it was started, in *app).
 */
static int collect(int rep_r, pid_t helper_pid, pid_t *app, int *err) {
    long long deadline = now_ms() + COLLECT_MS;
    int have_pid = 0, ready = 0, helper_done = 0, helper_status = 0;
    *app = 0;
    while (!(have_pid && ready)) {
        if (!helper_done) {
            pid_t w = waitpid(helper_pid, &helper_status, WNOHANG);
            if (w == helper_pid || (w < 0 && errno == ECHILD)) helper_done = 1;
        }
        struct pollfd p = {rep_r, POLLIN, 0};
        int n = poll(&p, 1, 50);
        if (n > 0) {
            struct msg m;
            ssize_t k = read(rep_r, &m, sizeof m);
            if (k == (ssize_t)sizeof m) {
                if (m.kind == M_PID && m.a > 0) {
                    *app = m.a, have_pid = 1;
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
        if (helper_done && !have_pid && !(WIFEXITED(helper_status) && WEXITSTATUS(helper_status) == 0)) {
            *err = EPIPE; /* the helper died before it reported */
            return -1;
        }
        if (have_pid && ended(*app)) {
            *err = EPIPE; /* the app died before it was ready */
            return -1;
        }
        if (now_ms() > deadline) {
            *err = ETIMEDOUT;
            return -1;
        }
    }
    if (!helper_done) {
        while (waitpid(helper_pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    return 0;
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
        rk_buf_free(&b);
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
    if (r.guard_pid <= 0 || r.guard_name[0] == 0) { /* a success without a rocker: malformed */
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
    snprintf(c.proc_stat, sizeof c.proc_stat, "/proc/%d/stat", r.guard_pid);
    c.reply = &r;
    c.uid = req->uid;
    c.gid = req->gid;
    c.exec_dir = req->app_exec_dir ? req->app_exec_dir : "/";
    c.app = app;
    c.app_args = app_args;
    c.sock = sock;
    int rep[2], go[2];
    int err = 0;
    pid_t app_pid = 0;
    RockerResult res = rk_error(ROCKER_ERR_enter_rocker_failed);
    if (pipe2(rep, O_CLOEXEC) < 0) {
        err = errno;
        goto out_sock;
    }
    /* a socket pair, not a pipe: the go byte is sent with MSG_NOSIGNAL (an app killed meanwhile must
       not raise SIGPIPE in the caller) */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0) {
        err = errno;
        goto out_rep;
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
    if (helper_pid < 0) goto out_go;

    if (collect(rep[0], helper_pid, &app_pid, &err) < 0) {
        kill_and_reap(app_pid);
        goto out_go;
    }

    /* STARTED: the server records the app; then, and only then, the app may run the caller's code */
    rk_buf_free(&b);
    rk_frame_begin(&b, RK_STARTED);
    rk_field_i32(&b, 1, app_pid);
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
            res.app_pid = app_pid;
            err = 0;
        } else {
            err = errno;
            kill_and_reap(app_pid);
        }
    } else {
        kill_and_reap(app_pid);
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

out_go:
    close(go[1]);
    close(rep[0]);
    goto out_sock;
out_rep:
    close(rep[0]);
    close(rep[1]);
out_sock:
    close_quietly(sock);
    rk_reply_free(&r);
    if (res.err_no != ROCKER_ERR_success) {
        res.guard_pid = 0;
        res.guard_pname[0] = 0;
    }
    if (err) errno = err;
    return res;
}
