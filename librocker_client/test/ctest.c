/*
 * The C tests of librocker_client, run by CClientIT against a real server (ROCKER_SOCKET) as root,
 * once as built and once with ASan+UBSan:  ctest CASE PKG WORK [HOME]
 *   inside     the callback runs in the rocker (pid ns, ids, cwd, /var/tmp, the image), exit status,
 *              the caller unchanged
 *   threads    two threads enter at once; exit statuses 300 (-> 44) and 7
 *   errors     every client-side ROCKER_ERR (fake servers here), server-side param_invalid
 *   guardname  ROCKER_get_guardname: a live guard, a dead pid, a name with spaces and parentheses
 *   nonroot    (run as an unprivileged user, HOME its dir) enter refused with EPERM; run_rocker works
 * Prints "ok ..." / "FAIL ..." lines, exits 0 when nothing failed. PKG holds hello.txt, hello.sh, sleep.sh.
 */
#define _GNU_SOURCE
#include "lib.h"

#include <errno.h>
#include <fcntl.h>
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
    int fds[2];
    if (pipe(fds) < 0) return 2;
    struct app_args a = {fds[1], "", p.exec, 42};
    snprintf(a.caller_pidns, sizeof a.caller_pidns, "%s", before.ns[1]);
    RockerResult res = ROCKER_enter_rocker(&req, inside_app, &a);
    int e = errno;
    snap(&after);
    close(fds[1]);
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
    unsigned char b[512];
    size_t n;
};

static void b_u8(struct bytes *x, unsigned v) { x->b[x->n++] = (unsigned char)v; }
static void b_u16(struct bytes *x, unsigned v) { b_u8(x, v >> 8); b_u8(x, v); }
static void b_u32(struct bytes *x, uint32_t v) { b_u16(x, v >> 16); b_u16(x, v & 0xFFFF); }
static void b_raw(struct bytes *x, const void *p, size_t n) { memcpy(x->b + x->n, p, n); x->n += n; }
static void b_i32f(struct bytes *x, unsigned tag, int32_t v) { b_u16(x, tag); b_u32(x, 4); b_u32(x, (uint32_t)v); }
static void b_strf(struct bytes *x, unsigned tag, const char *s) { b_u16(x, tag); b_u32(x, (uint32_t)strlen(s)); b_raw(x, s, strlen(s)); }
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
        x.n = 0; b_i32f(&x, 1, 0); b_i32f(&x, 3, 1); b_strf(&x, 4, "rkaaaaaaaaaaaaa");
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
        fprintf(stderr, "usage: ctest inside|threads|errors|guardname|nonroot PKG WORK [HOME]\n");
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
    else rc = 2;
    if (rc == 0 && failures == 0) printf("PASSED %s\n", argv[1]);
    else printf("FAILED %s: %d failures, rc %d\n", argv[1], failures, rc);
    return rc != 0 ? rc : failures != 0;
}
