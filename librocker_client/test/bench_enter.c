/*
 * bench_enter: ROCKER_enter_rocker timed, for ./rocker bench (bench's CEnterBench): N starts one after
 * the other against the server at ROCKER_SOCKET, each in data dir DATAROOT/<i>; the callback writes
 * MARKER (through the rocker's overlay) and returns 0. Per start one line:
 *   start <ns: call to the app's exit seen by waitpid> enter <ns: the call alone> destroy <ns>
 * the same span as the Java clients' start (enterRocker to the app's exit reported).
 *
 *   bench_enter N IMAGE EXEC_DIR DATAROOT UID GID MARKER OVERLAY...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* what the bench's marker app writes: "ok <pid> <uid>\n" */
static int write_marker(void *arg) {
    char text[64];
    int len = snprintf(text, sizeof text, "ok %d %d\n", (int)getpid(), (int)getuid());
    int fd = open((const char *)arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return 1;
    int ok = write(fd, text, (size_t)len) == len;
    return close(fd) == 0 && ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 8 || argc > 8 + 16) {
        fprintf(stderr, "usage: bench_enter N IMAGE EXEC_DIR DATAROOT UID GID MARKER [OVERLAY...]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    for (int i = 0; i < n; i++) {
        char data[4096];
        snprintf(data, sizeof data, "%s/%d", argv[4], i);
        RockerRequest req = ROCKER_request_new();
        req.app_id = 7;
        req.uid = atoi(argv[5]);
        req.gid = atoi(argv[6]);
        req.app_pkg_path = argv[2];
        req.app_exec_dir = argv[3];
        req.app_data_dir = data;
        for (int k = 8; k < argc; k++) req.app_overlay_dirs[k - 8] = argv[k];
        long long t0 = now_ns();
        RockerResult res = ROCKER_enter_rocker(&req, write_marker, argv[7]);
        long long t1 = now_ns();
        if (res.err_no != ROCKER_ERR_success) {
            fprintf(stderr, "bench_enter: start %d: %s (errno %d)\n", i, ROCKER_strerror(res.err_no), errno);
            return 1;
        }
        int status;
        while (waitpid(res.app_pid, &status, 0) < 0 && errno == EINTR) {
        }
        long long t2 = now_ns();
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench_enter: start %d: the app's status is %d\n", i, status);
            ROCKER_destroy(res.guard_pid, res.guard_pname);
            return 1;
        }
        RockerResult d = ROCKER_destroy(res.guard_pid, res.guard_pname);
        long long t3 = now_ns();
        if (d.err_no != ROCKER_ERR_success) {
            fprintf(stderr, "bench_enter: destroy %s: %s\n", res.guard_pname, ROCKER_strerror(d.err_no));
            return 1;
        }
        printf("start %lld enter %lld destroy %lld\n", t2 - t0, t1 - t0, t3 - t2);
        fflush(stdout);
    }
    return 0;
}
