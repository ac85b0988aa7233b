/* librocker_client: the API but ROCKER_enter_rocker (enter.c). */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

RockerRequest ROCKER_request_new(void) {
    RockerRequest req;
    memset(&req, 0, sizeof req);
    req.app_id = -1;
    req.uid = -1;
    req.gid = -1;
    req.app_pkg_path = NULL;
    req.app_exec_dir = NULL;
    req.app_data_dir = NULL;
    for (int i = 0; i < 16; i++) req.app_overlay_dirs[i] = NULL;
    return req;
}

const char *ROCKER_strerror(ROCKER_ERR err) {
    switch (err) {
    case ROCKER_ERR_success: return "success";
    case ROCKER_ERR_sys: return "sys";
    case ROCKER_ERR_param_invalid: return "param_invalid";
    case ROCKER_ERR_server_unaddr_invalid: return "server_unaddr_invalid";
    case ROCKER_ERR_gen_local_addr_failed: return "gen_local_addr_failed";
    case ROCKER_ERR_send_req_failed: return "send_req_failed";
    case ROCKER_ERR_recv_resp_failed: return "recv_resp_failed";
    case ROCKER_ERR_build_rocker_failed: return "build_rocker_failed";
    case ROCKER_ERR_enter_rocker_failed: return "enter_rocker_failed";
    case ROCKER_ERR_app_exec_failed: return "app_exec_failed";
    case ROCKER_ERR_get_guardname_failed: return "get_guardname_failed";
    case ROCKER_ERR_unknown: break;
    }
    return "unknown";
}

RockerResult ROCKER_get_guardname(int pid) {
    RockerResult res = rk_error(ROCKER_ERR_get_guardname_failed);
    char path[32], buf[512];
    if (pid <= 0) return res;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return res;
    ssize_t n;
    do {
        n = read(fd, buf, sizeof buf - 1);
    } while (n < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    errno = e;
    if (n <= 0) return res;
    buf[n] = 0;
    /* "pid (name) state ...": the name may hold spaces and parentheses: up to the LAST ')' */
    char *open_ = memchr(buf, '(', (size_t)n), *close_ = memrchr(buf, ')', (size_t)n);
    if (!open_ || !close_ || close_ < open_) return res;
    size_t len = (size_t)(close_ - open_ - 1);
    if (len > 15) len = 15;
    memcpy(res.guard_pname, open_ + 1, len);
    res.guard_pname[len] = 0;
    res.guard_pid = pid;
    res.err_no = ROCKER_ERR_success;
    return res;
}

/* sends a frame, returns its RESULT; the server's errno (0x8006), if any, in errno */
static RockerResult call(struct rk_buf *b) {
    if (rk_frame_end(b) < 0) {
        rk_buf_free(b);
        return rk_error(ROCKER_ERR_param_invalid);
    }
    struct rk_reply r;
    memset(&r, 0, sizeof r);
    ROCKER_ERR e = rk_call(b, &r);
    rk_buf_free(b);
    if (e != ROCKER_ERR_success) return rk_error(e);
    RockerResult res = rk_result(&r);
    int has_errno = r.has_errno, value = r.errno_value;
    rk_reply_free(&r);
    if (has_errno) errno = value;
    return res;
}

static void put_stdio(struct rk_buf *b, uint16_t tag, const char *kind) {
    size_t at = rk_nested_begin(b, tag);
    rk_field_str(b, 1, kind);
    rk_nested_end(b, at);
}

RockerResult ROCKER_run_rocker(RockerRequest *req, char *const argv[], char *const envp[]) {
    if (!req || !argv || !argv[0]) return rk_error(ROCKER_ERR_param_invalid);
    struct rk_buf b = {0};
    rk_frame_begin(&b, RK_ENTER);
    rk_put_request(&b, req);
    size_t at = rk_nested_begin(&b, 2);
    for (int i = 0; argv[i]; i++) rk_field_str(&b, 1, argv[i]);
    for (int i = 0; envp && envp[i]; i++) rk_field_str(&b, 2, envp[i]);
    put_stdio(&b, 4, "discard");
    put_stdio(&b, 5, "log");
    put_stdio(&b, 6, "log");
    rk_nested_end(&b, at);
    return call(&b);
}

RockerResult ROCKER_destroy(int guard_pid, const char *guard_name) {
    if (!guard_name) return rk_error(ROCKER_ERR_param_invalid);
    struct rk_buf b = {0};
    rk_frame_begin(&b, RK_DESTROY_PID);
    rk_field_i32(&b, 1, guard_pid);
    rk_field_str(&b, 2, guard_name);
    return call(&b);
}
