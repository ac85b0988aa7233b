/*
 * The socket protocol of docs/protocol.md, client side: version-2 frames out, RESULT in (either
 * version), strictly decoded (every length checked before use), and the connection with the Java
 * remote client's timeouts and error codes.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* ---- encoding ---------------------------------------------------------------------------------- */

void rk_buf_free(struct rk_buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static void put(struct rk_buf *b, const void *data, size_t n) {
    if (b->failed) return;
    if (n > ((size_t)1 << 30) || b->len + n > ((size_t)1 << 30)) {
        b->failed = 1;
        return;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put_u16(struct rk_buf *b, uint16_t v) {
    unsigned char x[2] = {(unsigned char)(v >> 8), (unsigned char)v};
    put(b, x, 2);
}

static void put_u32(struct rk_buf *b, uint32_t v) {
    unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
    put(b, x, 4);
}

static void set_u32(unsigned char *at, uint32_t v) {
    at[0] = (unsigned char)(v >> 24);
    at[1] = (unsigned char)(v >> 16);
    at[2] = (unsigned char)(v >> 8);
    at[3] = (unsigned char)v;
}

void rk_frame_begin(struct rk_buf *b, int type) {
    unsigned char t = (unsigned char)type;
    put_u32(b, 0);
    put(b, &t, 1);
    put_u16(b, 2);
}

int rk_frame_end(struct rk_buf *b) {
    if (b->failed || b->len < 5) return -1;
    set_u32(b->p, (uint32_t)(b->len - 4));
    return 0;
}

void rk_field_i32(struct rk_buf *b, uint16_t tag, int32_t v) {
    put_u16(b, tag);
    put_u32(b, 4);
    put_u32(b, (uint32_t)v);
}

void rk_field_bool(struct rk_buf *b, uint16_t tag, int v) {
    unsigned char x = v ? 1 : 0;
    put_u16(b, tag);
    put_u32(b, 1);
    put(b, &x, 1);
}

void rk_field_str(struct rk_buf *b, uint16_t tag, const char *s) {
    if (!s) return;
    size_t n = strlen(s);
    if (n > ((size_t)1 << 30)) {
        b->failed = 1;
        return;
    }
    put_u16(b, tag);
    put_u32(b, (uint32_t)n);
    put(b, s, n);
}

size_t rk_nested_begin(struct rk_buf *b, uint16_t tag) {
    put_u16(b, tag);
    put_u32(b, 0);
    return b->len;
}

void rk_nested_end(struct rk_buf *b, size_t at) {
    if (b->failed) return;
    set_u32(b->p + at - 4, (uint32_t)(b->len - at));
}

void rk_put_request(struct rk_buf *b, const RockerRequest *req) {
    size_t at = rk_nested_begin(b, 1);
    rk_field_i32(b, 1, req->app_id);
    rk_field_i32(b, 2, req->uid);
    rk_field_i32(b, 3, req->gid);
    rk_field_str(b, 5, req->app_pkg_path);
    rk_field_str(b, 6, req->app_exec_dir);
    rk_field_str(b, 7, req->app_data_dir);
    for (int i = 0; i < 16 && req->app_overlay_dirs[i]; i++) rk_field_str(b, 8, req->app_overlay_dirs[i]);
    rk_field_bool(b, 10, 0);          /* userns */
    rk_field_str(b, 11, "host");      /* network */
    rk_field_bool(b, 12, 0);          /* remove_on_exit */
    rk_nested_end(b, at);
}

/* ---- decoding ---------------------------------------------------------------------------------- */

static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint16_t get_u16(const unsigned char *p) {
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF) */
static int utf8_ok(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t k;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            k = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        if (n - i <= k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            c = c << 6 | (s[i + j] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

void rk_reply_free(struct rk_reply *r) {
    free(r->filter);
    r->filter = NULL;
    r->filter_len = 0;
    for (int i = 0; i < r->ncgroups; i++) free(r->cgroup_procs[i]);
    r->ncgroups = 0;
}

/* a name from the server: UTF-8, no NUL, at most 15 bytes kept (a process name's length) */
static int take_name(const unsigned char *v, size_t n, char out[16]) {
    if (!utf8_ok(v, n) || memchr(v, 0, n)) return -1;
    size_t k = n < 15 ? n : 15;
    memcpy(out, v, k);
    out[k] = 0;
    return 0;
}

static int decode_v1(const unsigned char *p, size_t len, struct rk_reply *r) {
    if (len < 12) return -1;
    r->err_no = (int32_t)get_u32(p);
    r->app_pid = (int32_t)get_u32(p + 4);
    r->guard_pid = (int32_t)get_u32(p + 8);
    size_t at = 12;
    for (int s = 0; s < 2; s++) { /* str guard_name, str message */
        if (len - at < 4) return -1;
        int32_t n = (int32_t)get_u32(p + at);
        at += 4;
        if (n < 0 || (size_t)n > len - at) return -1;
        if (s == 0 ? take_name(p + at, (size_t)n, r->guard_name) < 0 : !utf8_ok(p + at, (size_t)n)) return -1;
        at += (size_t)n;
    }
    return at == len ? 0 : -1;
}

static int decode_v2(const unsigned char *p, size_t len, struct rk_reply *r) {
    unsigned seen = 0; /* bit per known single tag */
    size_t at = 0;
    while (at < len) {
        if (len - at < 6) return -1;
        uint16_t tag = get_u16(p + at);
        uint32_t n = get_u32(p + at + 2);
        at += 6;
        if (n > len - at) return -1;
        const unsigned char *v = p + at;
        at += n;
        int bit;
        switch (tag) {
        case 1: bit = 0; break;
        case 2: bit = 1; break;
        case 3: bit = 2; break;
        case 4: bit = 3; break;
        case 5: bit = 4; break;
        case 0x8006: bit = 5; break;
        case 0x8007: bit = 6; break;
        case 0x8008: bit = -1; break; /* repeated */
        default:
            if (tag & 0x8000) continue; /* unknown optional: skipped */
            return -1;                  /* unknown mandatory */
        }
        if (bit >= 0) {
            if (seen & (1u << bit)) return -1; /* given twice */
            seen |= 1u << bit;
        }
        switch (tag) {
        case 1: case 2: case 3: case 0x8006: {
            if (n != 4) return -1;
            int32_t x = (int32_t)get_u32(v);
            if (tag == 1) r->err_no = x;
            else if (tag == 2) r->app_pid = x;
            else if (tag == 3) r->guard_pid = x;
            else r->has_errno = 1, r->errno_value = x;
            break;
        }
        case 4:
            if (take_name(v, n, r->guard_name) < 0) return -1;
            break;
        case 5:
            if (!utf8_ok(v, n)) return -1;
            break;
        case 0x8007: {
            if (n == 0 || n % 8 != 0 || n / 8 > BPF_MAXINSNS) return -1;
            size_t count = n / 8;
            r->filter = calloc(count, sizeof *r->filter);
            if (!r->filter) return -1;
            for (size_t i = 0; i < count; i++) {
                const unsigned char *q = v + 8 * i;
                r->filter[i].code = get_u16(q);
                r->filter[i].jt = q[2];
                r->filter[i].jf = q[3];
                r->filter[i].k = get_u32(q + 4);
            }
            r->filter_len = (unsigned short)count;
            break;
        }
        case 0x8008: {
            if (r->ncgroups >= RK_MAX_CGROUPS || n == 0 || n >= RK_MAX_PATH || v[0] != '/' || memchr(v, 0, n) ||
                !utf8_ok(v, n)) {
                return -1;
            }
            char *s = malloc(n + 1);
            if (!s) return -1;
            memcpy(s, v, n);
            s[n] = 0;
            r->cgroup_procs[r->ncgroups++] = s;
            break;
        }
        }
    }
    return (seen & 1u) ? 0 : -1; /* err_no is required */
}

int rk_decode_result(const unsigned char *body, size_t len, struct rk_reply *r) {
    memset(r, 0, sizeof *r);
    r->err_no = ROCKER_ERR_unknown;
    int rc;
    if (len >= 2 && ((body[0] == 0 && body[1] == 0) || (body[0] == 0xFF && body[1] == 0xFF))) {
        rc = decode_v1(body, len, r);
    } else {
        rc = decode_v2(body, len, r);
    }
    if (rc < 0) rk_reply_free(r);
    return rc;
}

/* ---- connection -------------------------------------------------------------------------------- */

static pthread_mutex_t path_lock = PTHREAD_MUTEX_INITIALIZER;
static char path_set[RK_MAX_PATH + 1];
static int path_state; /* 0 not set, 1 set, 2 set but too long to keep (always refused) */

void ROCKER_set_socket_path(const char *path) {
    pthread_mutex_lock(&path_lock);
    if (!path) {
        path_state = 0;
    } else if (strlen(path) > RK_MAX_PATH) {
        path_state = 2;
    } else {
        strcpy(path_set, path);
        path_state = 1;
    }
    pthread_mutex_unlock(&path_lock);
}

/* the socket's address; -1 when the path cannot be one (empty, longer than 107 bytes) */
static int socket_address(struct sockaddr_un *a) {
    char path[RK_MAX_PATH + 1];
    pthread_mutex_lock(&path_lock);
    int state = path_state;
    if (state == 1) strcpy(path, path_set);
    pthread_mutex_unlock(&path_lock);
    if (state == 2) return -1;
    if (state == 0) {
        const char *env = secure_getenv("ROCKER_SOCKET");
        const char *p = env ? env : "/run/rocker/rocker.sock";
        if (strlen(p) > RK_MAX_PATH) return -1;
        strcpy(path, p);
    }
    size_t n = strlen(path);
    if (n == 0 || n > sizeof a->sun_path - 1) return -1;
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path, path, n);
    return 0;
}

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* waits for fd to be ready for events until deadline: 1 ready, 0 timed out, -1 error */
static int wait_fd(int fd, short events, long long deadline) {
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) return 0;
        struct pollfd p = {fd, events, 0};
        int n = poll(&p, 1, left > 200 ? 200 : (int)left);
        if (n > 0) return 1;
        if (n < 0 && errno != EINTR) return -1;
    }
}

ROCKER_ERR rk_connect(int *out) {
    struct sockaddr_un a;
    if (socket_address(&a) < 0) return ROCKER_ERR_server_unaddr_invalid;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return ROCKER_ERR_gen_local_addr_failed;
    long long deadline = now_ms() + RK_CONNECT_MS;
    for (;;) {
        if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) break;
        if (errno == EINTR) continue;
        if (errno == EINPROGRESS) {
            int e = 0;
            socklen_t l = sizeof e;
            if (wait_fd(fd, POLLOUT, deadline) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) == 0 && e == 0) break;
        } else if (errno == EAGAIN && now_ms() < deadline) {
            struct timespec t = {0, 10 * 1000 * 1000}; /* the server's backlog is full: again */
            nanosleep(&t, NULL);
            continue;
        }
        close(fd);
        return ROCKER_ERR_server_unaddr_invalid;
    }
    /* only a root server is trusted: its answers name host paths to write and namespaces to join */
    struct ucred cred;
    socklen_t cl = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || cl != sizeof cred || cred.uid != 0) {
        close(fd);
        errno = EPERM;
        return ROCKER_ERR_server_unaddr_invalid;
    }
    *out = fd;
    return ROCKER_ERR_success;
}

ROCKER_ERR rk_send(int fd, const struct rk_buf *frame) {
    long long deadline = now_ms() + RK_RESPONSE_MS;
    size_t at = 0;
    while (at < frame->len) {
        ssize_t n = send(fd, frame->p + at, frame->len - at, MSG_NOSIGNAL);
        if (n > 0) {
            at += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            if (wait_fd(fd, POLLOUT, deadline) != 1) return ROCKER_ERR_send_req_failed;
        } else {
            return ROCKER_ERR_send_req_failed;
        }
    }
    return ROCKER_ERR_success;
}

/* reads exactly n bytes until deadline: 0, or -1 (closed, timed out, error) */
static int recv_all(int fd, unsigned char *p, size_t n, long long deadline) {
    size_t at = 0;
    while (at < n) {
        ssize_t k = recv(fd, p + at, n - at, 0);
        if (k > 0) {
            at += (size_t)k;
        } else if (k == 0) {
            return -1;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN) {
            if (wait_fd(fd, POLLIN, deadline) != 1) return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

ROCKER_ERR rk_recv_result(int fd, struct rk_reply *r, int timeout_ms) {
    long long deadline = now_ms() + timeout_ms;
    unsigned char head[5];
    if (recv_all(fd, head, 5, deadline) < 0) return ROCKER_ERR_recv_resp_failed;
    uint32_t len = get_u32(head);
    if (len < 1 || len > RK_MAX_FRAME || head[4] != RK_RESULT) return ROCKER_ERR_recv_resp_failed;
    size_t body_len = len - 1;
    unsigned char *body = malloc(body_len ? body_len : 1);
    if (!body) return ROCKER_ERR_recv_resp_failed;
    int rc = recv_all(fd, body, body_len, deadline) < 0 ? -1 : rk_decode_result(body, body_len, r);
    free(body);
    return rc < 0 ? ROCKER_ERR_recv_resp_failed : ROCKER_ERR_success;
}

ROCKER_ERR rk_call(const struct rk_buf *frame, struct rk_reply *r) {
    int fd;
    ROCKER_ERR e = rk_connect(&fd);
    if (e != ROCKER_ERR_success) return e;
    e = rk_send(fd, frame);
    if (e != ROCKER_ERR_success) {
        /* the server may have answered before it stopped reading (e.g. "frame too large") */
        if (rk_recv_result(fd, r, 1000) == ROCKER_ERR_success) e = ROCKER_ERR_success;
    } else {
        e = rk_recv_result(fd, r, RK_RESPONSE_MS);
    }
    close(fd);
    return e;
}

RockerResult rk_error(ROCKER_ERR e) {
    RockerResult res;
    memset(&res, 0, sizeof res);
    res.err_no = e;
    return res;
}

RockerResult rk_result(const struct rk_reply *r) {
    RockerResult res = rk_error(r->err_no >= ROCKER_ERR_unknown && r->err_no <= ROCKER_ERR_get_guardname_failed
                                    ? (ROCKER_ERR)r->err_no : ROCKER_ERR_unknown);
    res.app_pid = r->app_pid;
    res.guard_pid = r->guard_pid;
    memcpy(res.guard_pname, r->guard_name, sizeof res.guard_pname);
    return res;
}
