/*
 * The C tests of librocker_client, run by CClientIT against a real server (ROCKER_SOCKET) as root,
 * once as built and once with ASan+UBSan:  ctest CASE PKG WORK [HOME]
 *   inside     the callback runs in the rocker (pid ns, ids, cwd, /var/tmp, the image), exit status,
 *              the caller unchanged
 *   threads    two threads enter at once; exit statuses 300 (-> 44) and 7
 *   errors     every client-side ROCKER_ERR (fake servers here), server-side param_invalid
 *   guardname  ROCKER_get_guardname: a live guard, a dead pid, a name with spaces and parentheses
 *   nonroot    (run as an unprivileged user, HOME its dir) enter refused with EPERM; run_rocker works
 *   hygiene    a root caller with a controlling terminal, open descriptors, nice -5, securebits and
 *              SCHED_BATCH enters: the app has a session of its own, no terminal, stdin /dev/null, no
 *              descriptor but 0-2, nice 0, securebits 0, SCHED_OTHER
 *   hostile    fake servers: one not root is refused; a root one's cgroup paths that are no cgroup.procs
 *              of a cgroup file system (outside, "..", symbolic links, tmpfs) are refused before anything
 *              is written; a success without a seccomp filter is refused; a "guard" that is not root's or
 *              not a pid namespace's init is refused; failed enters leave no zombie child
 * Prints "ok ..." / "FAIL ..." lines, exits 0 when nothing failed. PKG holds hello.txt, hello.sh, sleep.sh.
 */
#define _GNU_SOURCE
#include "lib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/securebits.h>
#include <sched.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/mount.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;
static const char *pkg, *work;

static void check(int ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "ok" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    if (!ok) failures++;
}

static char *str(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) abort();
    va_end(ap);
    return s;
}

struct req_paths {
    char *exec, *data;
};

static RockerRequest request(const char *name, struct req_paths *p, int uid, int gid, const char *base) {
    RockerRequest req = ROCKER_request_new();
    p->exec = str("%s/exec-%s", base, name);
    p->data = str("%s/data-%s", base, name);
    req.app_id = 7;
    req.uid = uid;
    req.gid = gid;
    req.app_pkg_path = (char *)pkg;
    req.app_exec_dir = p->exec;
    req.app_data_dir = p->data;
    req.app_overlay_dirs[0] = "/var";
    return req;
}

static void free_paths(struct req_paths *p) {
    free(p->exec);
    free(p->data);
}

/* ROCKER_destroy, then the guard is gone within 10 s */
static void destroy(RockerResult res) {
    RockerResult d = ROCKER_destroy(res.guard_pid, res.guard_pname);
    check(d.err_no == ROCKER_ERR_success, "destroy %s (%d): %s", res.guard_pname, res.guard_pid, ROCKER_strerror(d.err_no));
    int gone = 0;
    for (int i = 0; i < 500 && !gone; i++) {
        RockerResult g = ROCKER_get_guardname(res.guard_pid);
        gone = g.err_no != ROCKER_ERR_success || strcmp(g.guard_pname, res.guard_pname) != 0;
        if (!gone) usleep(20000);
    }
    check(gone, "guard %s (%d) is gone", res.guard_pname, res.guard_pid);
}

/* ---- inside ------------------------------------------------------------------------------------- */

struct app_args {
    int fd;
    char caller_pidns[128];
    const char *exec;
    int ret;
};

static void say(int fd, int ok, const char *what) {
    char line[256];
    int n = snprintf(line, sizeof line, "%s in the app: %s\n", ok ? "ok" : "FAIL", what);
    if (write(fd, line, (size_t)n) < 0) _exit(99);
}

static int status_field(const char *key, char *out, size_t n) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':') {
            char *v = line + strlen(key) + 1;
            while (*v == ' ' || *v == '\t') v++;
            v[strcspn(v, "\n")] = 0;
            snprintf(out, n, "%s", v);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

static int inside_app(void *arg) {
    struct app_args *a = arg;
    char buf[512];
    ssize_t n = readlink("/proc/self/ns/pid", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    say(a->fd, n > 0 && strcmp(buf, a->caller_pidns) != 0, "its pid namespace is not the caller's");
    say(a->fd, getpid() > 1, "getpid() > 1 (the guard is 1)");
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    say(a->fd, r == 1000 && e == 1000 && s == 1000, "uid 1000");
    say(a->fd, gr == 1000 && ge == 1000 && gs == 1000, "gid 1000");
    say(a->fd, getgroups(0, NULL) == 0, "no supplementary groups");
    say(a->fd, getcwd(buf, sizeof buf) && strcmp(buf, a->exec) == 0, "cwd is the exec dir");
    say(a->fd, status_field("NoNewPrivs", buf, sizeof buf) == 0 && strcmp(buf, "1") == 0, "no_new_privs");
    say(a->fd, status_field("CapEff", buf, sizeof buf) == 0 && strcmp(buf, "0000000000000000") == 0, "no effective capabilities");
    say(a->fd, status_field("CapBnd", buf, sizeof buf) == 0 && strcmp(buf, "0000000000000000") == 0, "empty bounding set");
    say(a->fd, status_field("Seccomp", buf, sizeof buf) == 0 && strcmp(buf, "2") == 0, "a seccomp filter");
    FILE *f = fopen("hello.txt", "r");
    buf[0] = 0;
    if (f) {
        if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
        fclose(f);
    }
    say(a->fd, strcmp(buf, "hello from the image\n") == 0, "the exec dir holds the image's hello.txt");
    f = fopen("/var/tmp/c-client-marker.txt", "w");
    int wrote = f && fputs("written in the rocker\n", f) >= 0;
    if (f) wrote = fclose(f) == 0 && wrote;
    say(a->fd, wrote, "wrote /var/tmp/c-client-marker.txt");
    return a->ret;
}

struct snapshot {
    char ns[8][128];
    uid_t uid[3];
    gid_t gid[3];
    char cwd[PATH_MAX];
    void (*usr1)(int);
    sigset_t mask;
    char threads[32];
};

static const char *const NS[8] = {"mnt", "pid", "net", "uts", "ipc", "user", "cgroup", "pid_for_children"};

static void snap(struct snapshot *s) {
    memset(s, 0, sizeof *s);
    for (int i = 0; i < 8; i++) {
        char p[64];
        snprintf(p, sizeof p, "/proc/self/ns/%s", NS[i]);
        ssize_t n = readlink(p, s->ns[i], sizeof s->ns[i] - 1);
        if (n < 0) snprintf(s->ns[i], sizeof s->ns[i], "?");
    }
    getresuid(&s->uid[0], &s->uid[1], &s->uid[2]);
    getresgid(&s->gid[0], &s->gid[1], &s->gid[2]);
    if (!getcwd(s->cwd, sizeof s->cwd)) s->cwd[0] = 0;
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    s->usr1 = sa.sa_handler;
    pthread_sigmask(SIG_SETMASK, NULL, &s->mask);
    status_field("Threads", s->threads, sizeof s->threads);
}

static void on_usr1(int sig) {
    (void)sig;
}

static void same(const struct snapshot *a, const struct snapshot *b) {
    for (int i = 0; i < 8; i++) check(strcmp(a->ns[i], b->ns[i]) == 0, "the caller's %s namespace is unchanged: %s", NS[i], b->ns[i]);
    check(memcmp(a->uid, b->uid, sizeof a->uid) == 0 && memcmp(a->gid, b->gid, sizeof a->gid) == 0, "the caller's ids are unchanged");
    check(strcmp(a->cwd, b->cwd) == 0, "the caller's cwd is unchanged: %s", b->cwd);
    check(a->usr1 == b->usr1 && b->usr1 == on_usr1, "the caller's SIGUSR1 handler is unchanged");
    check(memcmp(&a->mask, &b->mask, sizeof a->mask) == 0, "the caller's signal mask is unchanged");
    check(strcmp(a->threads, b->threads) == 0, "the caller's thread count is unchanged: %s", b->threads);
}

static int case_inside(void) {
    signal(SIGUSR1, on_usr1);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &m, NULL);
    struct snapshot before, after;
    snap(&before);
    struct req_paths p;
    RockerRequest req = request("inside", &p, 1000, 1000, work);
    /* the app keeps only stdout and stderr of the caller's descriptors: its lines come through a pipe
       that is the caller's stdout for the call */
    int fds[2];
    if (pipe(fds) < 0) return 2;
    fflush(stdout);
    int saved = dup(1);
    dup2(fds[1], 1);
    close(fds[1]);
    struct app_args a = {1, "", p.exec, 42};
    snprintf(a.caller_pidns, sizeof a.caller_pidns, "%s", before.ns[1]);
    RockerResult res = ROCKER_enter_rocker(&req, inside_app, &a);
    int e = errno;
    dup2(saved, 1);
    close(saved);
    snap(&after);
    check(res.err_no == ROCKER_ERR_success, "enter: %s (errno %d)", ROCKER_strerror(res.err_no), e);
    if (res.err_no != ROCKER_ERR_success) return 1;
    check(res.app_pid > 0 && res.guard_pid > 0 && res.app_pid != res.guard_pid, "app_pid %d, guard_pid %d", res.app_pid, res.guard_pid);
    RockerResult g = ROCKER_get_guardname(res.guard_pid);
    check(g.err_no == ROCKER_ERR_success && strcmp(g.guard_pname, res.guard_pname) == 0 && strlen(res.guard_pname) > 0,
          "the guard's name is %s (get_guardname: %s)", res.guard_pname, g.guard_pname);
    char out[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof out - 1 && (n = read(fds[0], out + len, sizeof out - 1 - len)) > 0) len += (size_t)n;
    out[len] = 0;
    close(fds[0]);
    fputs(out, stdout);
    check(strstr(out, "FAIL") == NULL && strstr(out, "wrote /var/tmp") != NULL, "every check in the app passed");
    int st = 0;
    pid_t w = waitpid(res.app_pid, &st, 0);
    check(w == res.app_pid && WIFEXITED(st) && WEXITSTATUS(st) == 42, "waitpid(app_pid) gives the callback's 42 (status 0x%x)", st);
    same(&before, &after);
    destroy(res);
    free_paths(&p);
    return 0;
}

/* ---- threads ------------------------------------------------------------------------------------ */

static int ret_of(void *arg) {
    return *(int *)arg;
}

struct thread_case {
    const char *name;
    int ret;
    RockerResult res;
    struct req_paths p;
};

static void *enter_thread(void *arg) {
    struct thread_case *t = arg;
    RockerRequest req = request(t->name, &t->p, 1000, 1000, work);
    t->res = ROCKER_enter_rocker(&req, ret_of, &t->ret);
    return NULL;
}

static int case_threads(void) {
    struct thread_case t[2] = {{"thread-a", 300, {0}, {0}}, {"thread-b", 7, {0}, {0}}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, enter_thread, &t[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        check(t[i].res.err_no == ROCKER_ERR_success, "%s entered: %s", t[i].name, ROCKER_strerror(t[i].res.err_no));
        if (t[i].res.err_no != ROCKER_ERR_success) continue;
        int st = 0;
        pid_t w = waitpid(t[i].res.app_pid, &st, 0);
        /* an exit status is 8 bits: 300 & 0xff = 44 */
        check(w == t[i].res.app_pid && WIFEXITED(st) && WEXITSTATUS(st) == (t[i].ret & 0xff),
              "%s: waitpid gives %d & 0xff = %d (status 0x%x)", t[i].name, t[i].ret, t[i].ret & 0xff, st);
        destroy(t[i].res);
    }
    check(strcmp(t[0].res.guard_pname, t[1].res.guard_pname) != 0, "two rockers");
    for (int i = 0; i < 2; i++) free_paths(&t[i].p);
    return 0;
}

/* ---- errors: fake servers ----------------------------------------------------------------------- */

struct fake {
    int listen_fd;
    const unsigned char *reply; /* written after the request was read; NULL: nothing */
    size_t reply_len;
    int read_request;           /* 0: never reads, closes after 300 ms */
    int wait_eof;               /* after the reply, waits for the client to close (else closes at once) */
    int got_eof_after;          /* out: after the reply, the client closed without another frame */
};

static int read_full(int fd, unsigned char *p, size_t n) {
    size_t at = 0;
    while (at < n) {
        ssize_t k = read(fd, p + at, n - at);
        if (k <= 0) return -1;
        at += (size_t)k;
    }
    return 0;
}

static void *fake_serve(void *arg) {
    struct fake *f = arg;
    int c = accept(f->listen_fd, NULL, NULL);
    if (c < 0) return NULL;
    if (!f->read_request) {
        usleep(300000);
        close(c);
        return NULL;
    }
    unsigned char head[4];
    if (read_full(c, head, 4) == 0) {
        size_t len = (size_t)head[0] << 24 | (size_t)head[1] << 16 | (size_t)head[2] << 8 | head[3];
        unsigned char *body = malloc(len ? len : 1);
        if (body && len < (64u << 20) && read_full(c, body, len) == 0 && f->reply) {
            if (write(c, f->reply, f->reply_len) < 0) {
            }
            unsigned char x;
            if (f->wait_eof) f->got_eof_after = read(c, &x, 1) == 0;
        }
        free(body);
    }
    close(c);
    return NULL;
}

static char *fake_path(const char *name) {
    return str("%s/fake-%s.sock", work, name);
}

static int listen_on(const char *path, int do_listen) {
    unlink(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || (do_listen && listen(fd, 8) < 0)) {
        perror(path);
        exit(2);
    }
    return fd;
}

static int app_noop(void *arg) {
    (void)arg;
    return 0;
}

/* a request to the fake server answering `reply`; enter (PREPARE) or run (ENTER) */
static RockerResult against_fake(const unsigned char *reply, size_t len, int use_enter, struct fake *out) {
    char *path = fake_path("x");
    struct fake f = {listen_on(path, 1), reply, len, 1, out != NULL, 0};
    pthread_t th;
    pthread_create(&th, NULL, fake_serve, &f);
    ROCKER_set_socket_path(path);
    struct req_paths p;
    RockerRequest req = request("fake", &p, 1000, 1000, work);
    char *argv[] = {"/bin/true", NULL};
    errno = 0;
    RockerResult res = use_enter ? ROCKER_enter_rocker(&req, app_noop, NULL) : ROCKER_run_rocker(&req, argv, NULL);
    int e = errno;
    ROCKER_set_socket_path(NULL);
    pthread_join(th, NULL);
    close(f.listen_fd);
    unlink(path);
    free(path);
    free_paths(&p);
    if (out) *out = f;
    errno = e;
    return res;
}

/* builders of replies */
struct bytes {
    unsigned char b[1024];
    size_t n;
};

static void b_u8(struct bytes *x, unsigned v) { x->b[x->n++] = (unsigned char)v; }
static void b_u16(struct bytes *x, unsigned v) { b_u8(x, v >> 8); b_u8(x, v); }
static void b_u32(struct bytes *x, uint32_t v) { b_u16(x, v >> 16); b_u16(x, v & 0xFFFF); }
static void b_raw(struct bytes *x, const void *p, size_t n) { memcpy(x->b + x->n, p, n); x->n += n; }
static void b_i32f(struct bytes *x, unsigned tag, int32_t v) { b_u16(x, tag); b_u32(x, 4); b_u32(x, (uint32_t)v); }
static void b_strf(struct bytes *x, unsigned tag, const char *s) { b_u16(x, tag); b_u32(x, (uint32_t)strlen(s)); b_raw(x, s, strlen(s)); }
/* a seccomp_filter field of one instruction: return SECCOMP_RET_ALLOW */
static void b_allow(struct bytes *x) { b_u16(x, 0x8007); b_u32(x, 8); b_u16(x, 0x06); b_u8(x, 0); b_u8(x, 0); b_u32(x, 0x7fff0000u); }
/* a RESULT frame around body */
static struct bytes result_frame(const struct bytes *body) {
    struct bytes f = {{0}, 0};
    b_u32(&f, (uint32_t)body->n + 1);
    b_u8(&f, 0x81);
    b_raw(&f, body->b, body->n);
    return f;
}

static void expect_recv_failed(const char *what, struct bytes body, int frame_it, int use_enter) {
    struct bytes f = frame_it ? result_frame(&body) : body;
    RockerResult r = against_fake(f.b, f.n, use_enter, NULL);
    check(r.err_no == ROCKER_ERR_recv_resp_failed, "%s %s: recv_resp_failed (got %s)", use_enter ? "enter" : "run", what,
          ROCKER_strerror(r.err_no));
}

static int case_errors(void) {
    /* param_invalid, locally */
    RockerRequest req0 = ROCKER_request_new();
    check(req0.app_id == -1 && req0.uid == -1 && req0.gid == -1 && !req0.app_pkg_path && !req0.app_exec_dir &&
              !req0.app_data_dir && !req0.app_overlay_dirs[0] && !req0.app_overlay_dirs[15],
          "ROCKER_request_new: -1 ids, NULL pointers");
    check(ROCKER_enter_rocker(NULL, app_noop, NULL).err_no == ROCKER_ERR_param_invalid, "enter NULL req: param_invalid");
    check(ROCKER_enter_rocker(&req0, NULL, NULL).err_no == ROCKER_ERR_param_invalid, "enter NULL app: param_invalid");
    check(ROCKER_run_rocker(&req0, NULL, NULL).err_no == ROCKER_ERR_param_invalid, "run NULL argv: param_invalid");
    check(ROCKER_destroy(1, NULL).err_no == ROCKER_ERR_param_invalid, "destroy NULL name: param_invalid");
    check(strcmp(ROCKER_strerror(ROCKER_ERR_recv_resp_failed), "recv_resp_failed") == 0 && strcmp(ROCKER_strerror((ROCKER_ERR)99), "unknown") == 0,
          "ROCKER_strerror");

    /* server_unaddr_invalid */
    struct req_paths p;
    RockerRequest req = request("errors", &p, 1000, 1000, work);
    char *missing = str("%s/no-such.sock", work);
    char *file = str("%s/plain-file", work);
    char *deaf = fake_path("deaf");
    int ffd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    close(ffd);
    int deaf_fd = listen_on(deaf, 0); /* bound, nobody listens */
    char longp[300];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = 0;
    char p108[109];
    memset(p108, 'b', 108);
    p108[0] = '/';
    p108[108] = 0;
    const char *bad[] = {missing, file, deaf, work, longp, p108, ""};
    const char *why[] = {"no socket", "a plain file", "nobody listens", "a dir", "300 bytes", "108 bytes", "empty"};
    for (int i = 0; i < 7; i++) {
        ROCKER_set_socket_path(bad[i]);
        check(ROCKER_enter_rocker(&req, app_noop, NULL).err_no == ROCKER_ERR_server_unaddr_invalid, "enter, %s: server_unaddr_invalid", why[i]);
        check(ROCKER_destroy(1, "x").err_no == ROCKER_ERR_server_unaddr_invalid, "destroy, %s: server_unaddr_invalid", why[i]);
    }
    ROCKER_set_socket_path(NULL);
    char *env_missing = str("ROCKER_SOCKET=%s", missing);
    const char *real = getenv("ROCKER_SOCKET");
    char *saved = real ? strdup(real) : NULL;
    setenv("ROCKER_SOCKET", missing, 1);
    check(ROCKER_destroy(1, "x").err_no == ROCKER_ERR_server_unaddr_invalid, "ROCKER_SOCKET is used");
    if (saved) setenv("ROCKER_SOCKET", saved, 1);
    free(env_missing);
    close(deaf_fd);
    unlink(deaf);
    unlink(file);

    /* gen_local_addr_failed: no descriptor left */
    struct rlimit old, low;
    getrlimit(RLIMIT_NOFILE, &old);
    int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
    close(probe);
    low = old;
    low.rlim_cur = (rlim_t)probe;
    setrlimit(RLIMIT_NOFILE, &low);
    RockerResult nofd = ROCKER_destroy(1, "x");
    setrlimit(RLIMIT_NOFILE, &old);
    check(nofd.err_no == ROCKER_ERR_gen_local_addr_failed, "no descriptor left: gen_local_addr_failed (got %s)", ROCKER_strerror(nofd.err_no));

    /* send_req_failed: a request too large for the socket's buffers, to a server that never reads */
    {
        char *path = fake_path("noread");
        struct fake f = {listen_on(path, 1), NULL, 0, 0, 0, 0};
        pthread_t th;
        pthread_create(&th, NULL, fake_serve, &f);
        ROCKER_set_socket_path(path);
        size_t big = 8u << 20;
        char *arg = malloc(big + 1);
        memset(arg, 'x', big);
        arg[big] = 0;
        char *argv[] = {"/bin/true", arg, NULL};
        RockerResult r = ROCKER_run_rocker(&req, argv, NULL);
        ROCKER_set_socket_path(NULL);
        pthread_join(th, NULL);
        close(f.listen_fd);
        unlink(path);
        free(path);
        free(arg);
        check(r.err_no == ROCKER_ERR_send_req_failed, "a server that closes without reading: send_req_failed (got %s)", ROCKER_strerror(r.err_no));
    }

    /* recv_resp_failed: closed early, garbage */
    for (int use_enter = 0; use_enter < 2; use_enter++) {
        struct bytes none = {{0}, 0};
        expect_recv_failed("closed before the answer", none, 0, use_enter);
        struct bytes x = {{0}, 0};
        b_u32(&x, 0);
        expect_recv_failed("frame length 0", x, 0, use_enter);
        x.n = 0; b_u32(&x, 1); b_u8(&x, 0x82);
        expect_recv_failed("INFOS instead of RESULT", x, 0, use_enter);
        x.n = 0; b_u32(&x, 0x7fffffff); b_u8(&x, 0x81);
        expect_recv_failed("frame of 2 GiB", x, 0, use_enter);
        x.n = 0; b_u32(&x, 40); b_u8(&x, 0x81); b_u16(&x, 1); b_u32(&x, 4);
        expect_recv_failed("truncated frame", x, 0, use_enter);
        x.n = 0; b_u16(&x, 1); b_u32(&x, 3); b_u8(&x, 0); b_u16(&x, 0);
        expect_recv_failed("i32 of 3 bytes", x, 1, use_enter);
        x.n = 0; b_i32f(&x, 1, 0); b_i32f(&x, 0x42, 1);
        expect_recv_failed("unknown mandatory tag", x, 1, use_enter);
        x.n = 0; b_i32f(&x, 2, 5);
        expect_recv_failed("no err_no", x, 1, use_enter);
        x.n = 0; b_i32f(&x, 1, 0); b_u16(&x, 4); b_u32(&x, 0xFFFFFFF0u); b_raw(&x, "rk", 2);
        expect_recv_failed("field longer than the frame", x, 1, use_enter);
        x.n = 0; b_i32f(&x, 1, 2); b_i32f(&x, 1, 2);
        expect_recv_failed("tag given twice", x, 1, use_enter);
        x.n = 0; b_u32(&x, 2); b_u32(&x, 0); b_u32(&x, 0); b_u32(&x, 0); b_u32(&x, 0); b_u8(&x, 9);
        expect_recv_failed("version 1 with a byte left over", x, 1, use_enter);
        x.n = 0; b_i32f(&x, 1, 0); b_i32f(&x, 3, 1); b_u16(&x, 4); b_u32(&x, 2); b_u8(&x, 0xff); b_u8(&x, 0xfe);
        expect_recv_failed("guard_name not UTF-8", x, 1, use_enter);
        x.n = 0; b_i32f(&x, 1, 0); b_i32f(&x, 3, 1); b_strf(&x, 4, "rkfake"); b_u16(&x, 0x8007); b_u32(&x, 5); b_raw(&x, "12345", 5);
        expect_recv_failed("seccomp_filter of 5 bytes", x, 1, use_enter);
        x.n = 0; b_i32f(&x, 1, 0); b_i32f(&x, 3, 1); b_strf(&x, 4, "rkfake"); b_strf(&x, 0x8008, "relative/cgroup.procs");
        expect_recv_failed("a relative cgroup_procs path", x, 1, use_enter);
    }
    {
        /* the server's answers pass: v1, unknown optional tags skipped, errno */
        struct bytes x = {{0}, 0};
        b_u32(&x, 2); b_u32(&x, 0); b_u32(&x, 0); b_u32(&x, 2); b_raw(&x, "rk", 2); b_u32(&x, 3); b_raw(&x, "bad", 3);
        struct bytes f = result_frame(&x);
        RockerResult r = against_fake(f.b, f.n, 1, NULL);
        check(r.err_no == ROCKER_ERR_param_invalid, "a version-1 RESULT param_invalid is read (got %s)", ROCKER_strerror(r.err_no));
        x.n = 0; b_i32f(&x, 1, 7); b_strf(&x, 0x8123, "later"); b_strf(&x, 5, "no"); b_i32f(&x, 0x8006, EACCES);
        f = result_frame(&x);
        errno = 0;
        r = against_fake(f.b, f.n, 1, NULL);
        check(r.err_no == ROCKER_ERR_build_rocker_failed && errno == EACCES, "unknown optional tag skipped; errno field -> errno (got %s, errno %d)",
              ROCKER_strerror(r.err_no), errno);
        x.n = 0; b_i32f(&x, 1, 42);
        f = result_frame(&x);
        r = against_fake(f.b, f.n, 0, NULL);
        check(r.err_no == ROCKER_ERR_unknown, "an err_no the seed does not define: unknown (got %d)", r.err_no);
        /* a PREPARE success naming a process that is not the guard: refused by the name check, nothing joined */
        struct snapshot before, after;
        snap(&before);
        x.n = 0; b_i32f(&x, 1, 0); b_i32f(&x, 3, 1); b_strf(&x, 4, "rkaaaaaaaaaaaaa"); b_allow(&x);
        f = result_frame(&x);
        struct fake seen;
        errno = 0;
        r = against_fake(f.b, f.n, 1, &seen);
        int e = errno;
        snap(&after);
        check(r.err_no == ROCKER_ERR_enter_rocker_failed && e == ESRCH, "pid 1 is not guard rkaaaaaaaaaaaaa: enter_rocker_failed, ESRCH (got %s, errno %d)",
              ROCKER_strerror(r.err_no), e);
        check(seen.got_eof_after, "the connection closed without STARTED");
        check(strcmp(before.ns[0], after.ns[0]) == 0, "the caller's mount namespace is unchanged");
    }
    {
        /* random frames must not crash the caller (ASan) nor be taken for a success */
        unsigned seed = 17;
        int ok = 1;
        for (int i = 0; i < 60; i++) {
            struct bytes x = {{0}, 0};
            size_t n = (size_t)(rand_r(&seed) % 120);
            for (size_t k = 0; k < n; k++) b_u8(&x, (unsigned)rand_r(&seed));
            if (i % 3 == 0 && n > 8) { x.b[0] = 0; x.b[1] = 1; } /* often a known tag */
            struct bytes f = result_frame(&x);
            RockerResult r = against_fake(f.b, f.n, i % 2, NULL);
            if (r.err_no == ROCKER_ERR_success) ok = 0;
        }
        check(ok, "60 random RESULT frames: none taken for a success");
    }

    /* the real server: a field left -1 */
    RockerRequest unset = req;
    unset.uid = -1;
    char *argv[] = {"/bin/true", NULL};
    check(ROCKER_run_rocker(&unset, argv, NULL).err_no == ROCKER_ERR_param_invalid, "run with uid -1: the server's param_invalid");
    check(ROCKER_enter_rocker(&unset, app_noop, NULL).err_no == ROCKER_ERR_param_invalid, "enter with uid -1: the server's param_invalid");
    RockerRequest nopkg = req;
    nopkg.app_pkg_path = NULL;
    check(ROCKER_enter_rocker(&nopkg, app_noop, NULL).err_no == ROCKER_ERR_param_invalid, "enter without app_pkg_path: the server's param_invalid");
    check(ROCKER_destroy(999999, "rknosuchrocker1").err_no == ROCKER_ERR_get_guardname_failed, "destroy of no rocker: the server's get_guardname_failed");
    free(missing);
    free(file);
    free(deaf);
    free(saved);
    free_paths(&p);
    return 0;
}

/* ---- hygiene ------------------------------------------------------------------------------------ */

/* field 7 of /proc/self/stat: the controlling terminal's device number, 0 for none; -1 unreadable */
static long tty_nr(void) {
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    int state_, ppid, pgrp, session;
    long tty;
    if (!p || sscanf(p + 1, " %c %d %d %d %ld", (char *)&state_, &ppid, &pgrp, &session, &tty) != 5) return -1;
    return tty;
}

static int hygiene_app(void *arg) {
    (void)arg;
    int bad = 0;
    char what[512];
#define APP_CHECK(ok, ...) do { int ok_ = (ok); snprintf(what, sizeof what, __VA_ARGS__); say(1, ok_, what); bad += !ok_; } while (0)
    APP_CHECK(getsid(0) == getpid(), "a session of its own (getsid %d, pid %d)", (int)getsid(0), (int)getpid());
    long tty = tty_nr();
    APP_CHECK(tty == 0, "no controlling terminal (tty_nr %ld)", tty);
    int t = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    int te = errno;
    if (t >= 0) close(t);
    APP_CHECK(t < 0 && (te == ENXIO || te == ENOENT), "open(/dev/tty) fails (errno %d)", t < 0 ? te : 0);
    struct stat st;
    APP_CHECK(fstat(0, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "stdin is /dev/null");
    APP_CHECK(fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0, "stdout and stderr are open");
    char open_fds[256] = "";
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            int fd = atoi(e->d_name);
            if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && fd >= 3 && fd != dirfd(d)) {
                size_t l = strlen(open_fds);
                snprintf(open_fds + l, sizeof open_fds - l, " %d", fd);
            }
        }
        closedir(d);
    }
    APP_CHECK(d && open_fds[0] == 0, "no descriptor of the caller's but 0-2 (open:%s)", open_fds);
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0);
    APP_CHECK(nice == 0 && errno == 0, "nice 0 (got %d)", nice);
    int sb = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
    APP_CHECK(sb == 0, "securebits 0 (got %d)", sb);
    int pol = sched_getscheduler(0);
    APP_CHECK(pol == SCHED_OTHER, "SCHED_OTHER (got %d)", pol);
#undef APP_CHECK
    return bad;
}

static int case_hygiene(void) {
    fflush(stdout);
    pid_t caller = fork();
    if (caller == 0) {
        /* the caller is a session leader with a controlling terminal, as an interactive root shell is */
        if (setsid() < 0) _exit(3);
        int m = posix_openpt(O_RDWR | O_NOCTTY);
        if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) _exit(3);
        int s = open(ptsname(m), O_RDWR);
        check(s >= 0 && tty_nr() > 0, "the caller has a controlling terminal (tty_nr %ld)", tty_nr());
        char *secret = str("%s/root-only", work);
        int sf = open(secret, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        int root = open("/", O_PATH);
        int root2 = open("/", O_PATH | O_CLOEXEC | O_DIRECTORY);
        check(sf >= 0 && root >= 0 && root2 >= 0, "the caller holds a root-only file and / (fds %d %d %d)", sf, root, root2);
        check(setpriority(PRIO_PROCESS, 0, -5) == 0 && getpriority(PRIO_PROCESS, 0) == -5, "the caller runs at nice -5");
        check(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS, 0, 0, 0) == 0, "the caller's securebits: keep caps");
        struct sched_param sp = {0};
        check(sched_setscheduler(0, SCHED_BATCH, &sp) == 0, "the caller runs SCHED_BATCH");
        struct req_paths p;
        RockerRequest req = request("hygiene", &p, 1000, 1000, work);
        RockerResult res = ROCKER_enter_rocker(&req, hygiene_app, NULL);
        check(res.err_no == ROCKER_ERR_success, "enter: %s (errno %d)", ROCKER_strerror(res.err_no), errno);
        if (res.err_no == ROCKER_ERR_success) {
            int st = 0;
            pid_t w = waitpid(res.app_pid, &st, 0);
            check(w == res.app_pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "every check in the app passed (status 0x%x)", st);
            destroy(res);
        }
        unlink(secret);
        free(secret);
        free_paths(&p);
        _exit(failures != 0);
    }
    int st = 0;
    waitpid(caller, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the caller with a terminal: every check passed (status 0x%x)", st);
    return 0;
}

/* ---- hostile ------------------------------------------------------------------------------------ */

struct victim {
    char *path;
    struct stat st;
};

static void victim_make(struct victim *v, char *path) {
    v->path = path;
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0640);
    if (fd < 0 || write(fd, "original\n", 9) != 9 || fchown(fd, 65534, 65534) < 0 || fchmod(fd, 0640) < 0) {
        perror(path);
        exit(2);
    }
    close(fd);
    stat(path, &v->st);
}

/* the victim's content, mode and owner are as made */
static int victim_same(const struct victim *v) {
    struct stat st;
    char buf[64] = "";
    int fd = open(v->path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0) close(fd);
    buf[n > 0 ? n : 0] = 0;
    return stat(v->path, &st) == 0 && strcmp(buf, "original\n") == 0 && st.st_mode == v->st.st_mode && st.st_uid == 65534 &&
           st.st_gid == 65534;
}

/* a PREPARE success naming guard pid/name, with a filter or not, and a cgroup_procs path or none */
static struct bytes success_reply(int pid, const char *name, int filter, const char *cgroup) {
    struct bytes x = {{0}, 0};
    b_i32f(&x, 1, 0);
    b_i32f(&x, 3, pid);
    b_strf(&x, 4, name);
    if (filter) b_allow(&x);
    if (cgroup) b_strf(&x, 0x8008, cgroup);
    return result_frame(&x);
}

/* the children of this process that are zombies */
static int zombies(void) {
    DIR *d = opendir("/proc");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t k = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (k <= 0) continue;
        buf[k] = 0;
        char *p = strrchr(buf, ')'), state = 0;
        int ppid = 0;
        if (p && sscanf(p + 1, " %c %d", &state, &ppid) == 2 && state == 'Z' && ppid == getpid()) n++;
    }
    if (d) closedir(d);
    return n;
}

/* a process of root's named name: the init of a new pid namespace (pidns) or not, run by uid (0 or 65534);
   its host pid; *holder the process to reap after killing it (itself, or the one that made the namespace) */
static pid_t fake_guard(const char *name, int pidns, int uid, pid_t *holder) {
    int ready[2];
    if (pipe(ready) < 0) exit(2);
    pid_t a = fork();
    if (a == 0) {
        if (pidns && unshare(CLONE_NEWPID) < 0) _exit(2);
        pid_t b = pidns ? fork() : 0;
        if (b == 0) {
            if (uid != 0 && (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)) _exit(2);
            prctl(PR_SET_NAME, name, 0, 0, 0);
            pid_t me = pidns ? 0 : getpid();
            if (write(ready[1], &me, sizeof me) < 0) _exit(2);
            for (;;) pause();
        }
        if (write(ready[1], &b, sizeof b) < 0) _exit(2);
        while (waitpid(b, NULL, 0) < 0 && errno == EINTR) {
        }
        _exit(0);
    }
    pid_t got = 0, guard = 0;
    for (int i = 0; i < (pidns ? 2 : 1); i++) {
        if (read(ready[0], &got, sizeof got) != sizeof got) exit(2);
        if (got != 0) guard = got;
    }
    close(ready[0]);
    close(ready[1]);
    *holder = a;
    return pidns ? guard : a;
}

static void fake_guard_end(pid_t guard, pid_t holder) {
    kill(guard, SIGKILL);
    while (waitpid(holder, NULL, 0) < 0 && errno == EINTR) {
    }
}

/* a fake server run by uid 65534 (it answers every connection with reply), until killed */
static pid_t nobody_server(const char *path, const struct bytes *reply) {
    int fd = listen_on(path, 0);
    int ready[2];
    if (pipe(ready) < 0) exit(2);
    pid_t pid = fork();
    if (pid == 0) {
        if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0 || listen(fd, 8) < 0) _exit(2);
        if (write(ready[1], "x", 1) < 0) _exit(2);
        for (;;) {
            int c = accept(fd, NULL, NULL);
            if (c < 0) continue;
            unsigned char head[4];
            if (read_full(c, head, 4) == 0) {
                size_t len = (size_t)head[0] << 24 | (size_t)head[1] << 16 | (size_t)head[2] << 8 | head[3];
                unsigned char *body = malloc(len ? len : 1);
                if (body && len < (1u << 20) && read_full(c, body, len) == 0 && write(c, reply->b, reply->n) < 0) {
                }
                free(body);
            }
            close(c);
        }
    }
    char x;
    if (read(ready[0], &x, 1) != 1) exit(2);
    close(ready[0]);
    close(ready[1]);
    close(fd);
    return pid;
}

static int case_hostile(void) {
    RockerResult init = ROCKER_get_guardname(1);
    if (init.err_no != ROCKER_ERR_success) return 2;
    struct victim v, vp;
    victim_make(&v, str("%s/victim", work));
    char *vdir = str("%s/vdir", work);
    mkdir(vdir, 0755);
    victim_make(&vp, str("%s/cgroup.procs", vdir));

    /* a server that is not root's: refused at the connection, errno EPERM */
    {
        char *path = fake_path("nobody");
        struct bytes f = success_reply(1, init.guard_pname, 1, v.path);
        pid_t srv = nobody_server(path, &f);
        ROCKER_set_socket_path(path);
        struct req_paths p;
        RockerRequest req = request("fake", &p, 1000, 1000, work);
        char *argv[] = {"/bin/true", NULL};
        errno = 0;
        RockerResult r = ROCKER_enter_rocker(&req, app_noop, NULL);
        int e = errno;
        check(r.err_no == ROCKER_ERR_server_unaddr_invalid && e == EPERM, "enter, a server of uid 65534: server_unaddr_invalid, EPERM (got %s, errno %d)",
              ROCKER_strerror(r.err_no), e);
        errno = 0;
        r = ROCKER_run_rocker(&req, argv, NULL);
        e = errno;
        check(r.err_no == ROCKER_ERR_server_unaddr_invalid && e == EPERM, "run, a server of uid 65534: server_unaddr_invalid, EPERM (got %s, errno %d)",
              ROCKER_strerror(r.err_no), e);
        r = ROCKER_destroy(1, "x");
        check(r.err_no == ROCKER_ERR_server_unaddr_invalid, "destroy, a server of uid 65534: server_unaddr_invalid (got %s)", ROCKER_strerror(r.err_no));
        ROCKER_set_socket_path(NULL);
        kill(srv, SIGKILL);
        waitpid(srv, NULL, 0);
        unlink(path);
        free(path);
        free_paths(&p);
        check(victim_same(&v), "the victim file is unchanged");
    }

    /* a root server's cgroup paths that are no cgroup.procs of a cgroup file system */
    {
        char *dotdot = str("/sys/fs/cgroup/../..%s", vp.path);
        const char *paths[] = {v.path, vp.path, dotdot, "/sys/fs/cgroup/./x/cgroup.procs", "/sys/fs/cgroup//cgroup.procs"};
        for (int i = 0; i < 5; i++) {
            struct bytes f = success_reply(1, init.guard_pname, 1, paths[i]);
            errno = 0;
            RockerResult r = against_fake(f.b, f.n, 1, NULL);
            int e = errno;
            check(r.err_no == ROCKER_ERR_enter_rocker_failed && e == EINVAL, "cgroup_procs %s: enter_rocker_failed, EINVAL (got %s, errno %d)", paths[i],
                  ROCKER_strerror(r.err_no), e);
            check(victim_same(&v) && victim_same(&vp), "the victim files are unchanged");
        }
        free(dotdot);
        /* symbolic links and a plain file under /sys/fs/cgroup: made on a tmpfs there, in a mount
           namespace of a child's own */
        fflush(stdout);
        pid_t kid = fork();
        if (kid == 0) {
            if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
                mount("rkctest", "/sys/fs/cgroup", "tmpfs", 0, "mode=755") < 0) {
                perror("a tmpfs on /sys/fs/cgroup");
                _exit(2);
            }
            mkdir("/sys/fs/cgroup/plain", 0755);
            mkdir("/sys/fs/cgroup/final", 0755);
            int fd = open("/sys/fs/cgroup/plain/cgroup.procs", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
            close(fd);
            if (symlink(vdir, "/sys/fs/cgroup/link") < 0 || symlink(vp.path, "/sys/fs/cgroup/final/cgroup.procs") < 0) _exit(2);
            const char *tricks[] = {"/sys/fs/cgroup/link/cgroup.procs", "/sys/fs/cgroup/final/cgroup.procs", "/sys/fs/cgroup/plain/cgroup.procs"};
            const char *why[] = {"a symbolic link on the way", "a symbolic link at the end", "a file on a tmpfs"};
            for (int i = 0; i < 3; i++) {
                struct bytes f = success_reply(1, init.guard_pname, 1, tricks[i]);
                errno = 0;
                RockerResult r = against_fake(f.b, f.n, 1, NULL);
                int e = errno;
                check(r.err_no == ROCKER_ERR_enter_rocker_failed && e == EINVAL, "cgroup_procs %s (%s): enter_rocker_failed, EINVAL (got %s, errno %d)",
                      tricks[i], why[i], ROCKER_strerror(r.err_no), e);
                check(victim_same(&vp), "the victim file is unchanged");
            }
            struct stat st;
            check(stat("/sys/fs/cgroup/plain/cgroup.procs", &st) == 0 && st.st_size == 0, "the tmpfs file is unchanged");
            _exit(failures != 0);
        }
        int st = 0;
        waitpid(kid, &st, 0);
        check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "symbolic links and a tmpfs under /sys/fs/cgroup: refused (status 0x%x)", st);
    }

    /* a success without a seccomp filter: refused before anything is written */
    {
        struct bytes f = success_reply(1, init.guard_pname, 0, NULL);
        RockerResult r = against_fake(f.b, f.n, 1, NULL);
        check(r.err_no == ROCKER_ERR_recv_resp_failed, "a success without seccomp_filter: recv_resp_failed (got %s)", ROCKER_strerror(r.err_no));
        f = success_reply(1, init.guard_pname, 0, vp.path);
        r = against_fake(f.b, f.n, 1, NULL);
        check(r.err_no == ROCKER_ERR_recv_resp_failed && victim_same(&vp), "the same with a cgroup path: recv_resp_failed, nothing written (got %s)",
              ROCKER_strerror(r.err_no));
    }

    /* "guards" that are not: root's but no pid namespace's init; a pid namespace's init of uid 65534.
       One that is root's init of a pid namespace passes, and its app fails (no exec dir): a failure
       after the app was made. 5 times each; then no zombie child is left. */
    {
        pid_t h1, h2, h3;
        pid_t g1 = fake_guard("rkfakeguard1", 0, 0, &h1);
        pid_t g2 = fake_guard("rkfakeguard2", 1, 65534, &h2);
        pid_t g3 = fake_guard("rkfakeguard3", 1, 0, &h3);
        int ok1 = 1, ok2 = 1, ok3 = 1, e1 = 0, e2 = 0, e3 = 0;
        for (int i = 0; i < 5; i++) {
            struct bytes f = success_reply(g1, "rkfakeguard1", 1, NULL);
            errno = 0;
            RockerResult r = against_fake(f.b, f.n, 1, NULL);
            e1 = errno;
            ok1 &= r.err_no == ROCKER_ERR_enter_rocker_failed && e1 == ESRCH;
            f = success_reply(g2, "rkfakeguard2", 1, NULL);
            errno = 0;
            r = against_fake(f.b, f.n, 1, NULL);
            e2 = errno;
            ok2 &= r.err_no == ROCKER_ERR_enter_rocker_failed && e2 == ESRCH;
            f = success_reply(g3, "rkfakeguard3", 1, NULL);
            errno = 0;
            r = against_fake(f.b, f.n, 1, NULL);
            e3 = errno;
            ok3 &= r.err_no == ROCKER_ERR_enter_rocker_failed && (e3 == ENOENT || e3 == EACCES);
        }
        check(ok1, "a root process that is no pid namespace's init: enter_rocker_failed, ESRCH (errno %d)", e1);
        check(ok2, "a pid namespace's init of uid 65534: enter_rocker_failed, ESRCH (errno %d)", e2);
        check(ok3, "a root pid namespace init passes; its app fails in chdir: enter_rocker_failed, ENOENT or EACCES (errno %d)", e3);
        usleep(300000); /* a child the library left would be a zombie by now */
        int z = zombies();
        check(z == 0, "15 failed enters: no zombie child (%d)", z);
        fake_guard_end(g1, h1);
        fake_guard_end(g2, h2);
        fake_guard_end(g3, h3);
    }
    unlink(v.path);
    unlink(vp.path);
    rmdir(vdir);
    free(v.path);
    free(vp.path);
    free(vdir);
    return 0;
}

/* ---- guardname ---------------------------------------------------------------------------------- */

static int case_guardname(void) {
    struct req_paths p;
    RockerRequest req = request("guardname", &p, 1000, 1000, work);
    char *script = str("%s/sleep.sh", p.exec);
    char *argv[] = {"/bin/sh", script, NULL};
    RockerResult res = ROCKER_run_rocker(&req, argv, NULL);
    check(res.err_no == ROCKER_ERR_success, "run_rocker: %s", ROCKER_strerror(res.err_no));
    if (res.err_no == ROCKER_ERR_success) {
        RockerResult g = ROCKER_get_guardname(res.guard_pid);
        check(g.err_no == ROCKER_ERR_success && strcmp(g.guard_pname, res.guard_pname) == 0 && g.guard_pid == res.guard_pid,
              "live guard %d: %s", res.guard_pid, g.guard_pname);
        destroy(res);
    }
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    check(ROCKER_get_guardname(dead).err_no == ROCKER_ERR_get_guardname_failed, "dead pid %d: get_guardname_failed", dead);
    check(ROCKER_get_guardname(0).err_no == ROCKER_ERR_get_guardname_failed && ROCKER_get_guardname(-5).err_no == ROCKER_ERR_get_guardname_failed,
          "pid 0 and -5: get_guardname_failed");
    int ready[2];
    if (pipe(ready) < 0) return 2;
    pid_t odd = fork();
    if (odd == 0) {
        prctl(PR_SET_NAME, "a (b) c) d", 0, 0, 0);
        if (write(ready[1], "x", 1) < 0) _exit(1);
        pause();
        _exit(0);
    }
    char x;
    if (read(ready[0], &x, 1) != 1) return 2;
    RockerResult g = ROCKER_get_guardname(odd);
    check(g.err_no == ROCKER_ERR_success && strcmp(g.guard_pname, "a (b) c) d") == 0, "a name with spaces and parentheses: '%s'", g.guard_pname);
    kill(odd, SIGKILL);
    waitpid(odd, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    free(script);
    free_paths(&p);
    return 0;
}

/* ---- nonroot ------------------------------------------------------------------------------------ */

static int case_nonroot(const char *home) {
    check(getuid() != 0, "runs as uid %d", (int)getuid());
    struct req_paths p;
    RockerRequest req = request("mine", &p, (int)getuid(), (int)getgid(), home);
    errno = 0;
    RockerResult r = ROCKER_enter_rocker(&req, app_noop, NULL);
    int e = errno;
    check(r.err_no == ROCKER_ERR_enter_rocker_failed && e == EPERM, "enter as a user: enter_rocker_failed, EPERM (got %s, errno %d)",
          ROCKER_strerror(r.err_no), e);
    char *script = str("%s/hello.sh", p.exec);
    char *argv[] = {"/bin/sh", script, "from-c", NULL};
    char *envp[] = {"GREETING=hello", NULL};
    RockerResult res = ROCKER_run_rocker(&req, argv, envp);
    check(res.err_no == ROCKER_ERR_success && res.app_pid > 0, "run_rocker as a user: %s", ROCKER_strerror(res.err_no));
    if (res.err_no == ROCKER_ERR_success) {
        char *log = str("%s/log/stdout.log", p.data);
        char buf[256] = "";
        for (int i = 0; i < 500 && !strstr(buf, "\n"); i++) {
            FILE *f = fopen(log, "r");
            if (f) {
                size_t n = fread(buf, 1, sizeof buf - 1, f);
                buf[n] = 0;
                fclose(f);
            }
            if (!strstr(buf, "\n")) usleep(20000);
        }
        char want[64];
        snprintf(want, sizeof want, "hello %d from-c\n", (int)getuid());
        check(strcmp(buf, want) == 0, "the command's stdout is in log/stdout.log: '%s'", buf);
        destroy(res);
        free(log);
    }
    free(script);
    free_paths(&p);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 4) {
        fprintf(stderr, "usage: ctest inside|threads|errors|guardname|nonroot|hygiene|hostile PKG WORK [HOME]\n");
        return 2;
    }
    pkg = argv[2];
    work = argv[3];
    int rc;
    if (strcmp(argv[1], "inside") == 0) rc = case_inside();
    else if (strcmp(argv[1], "threads") == 0) rc = case_threads();
    else if (strcmp(argv[1], "errors") == 0) rc = case_errors();
    else if (strcmp(argv[1], "guardname") == 0) rc = case_guardname();
    else if (strcmp(argv[1], "nonroot") == 0 && argc > 4) rc = case_nonroot(argv[4]);
    else if (strcmp(argv[1], "hygiene") == 0) rc = case_hygiene();
    else if (strcmp(argv[1], "hostile") == 0) rc = case_hostile();
    else rc = 2;
    if (rc == 0 && failures == 0) printf("PASSED %s\n", argv[1]);
    else printf("FAILED %s: %d failures, rc %d\n", argv[1], failures, rc);
    return rc != 0 ? rc : failures != 0;
}
