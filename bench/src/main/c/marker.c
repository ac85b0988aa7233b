/*
 * marker: the benchmark's app. Writes "ok <pid> <uid>\n" to the file named by argv[1] (default
 * /var/tmp/rocker-bench-marker, which lies in the overlaid /var: the write goes to the rocker's data
 * dir) and exits 0. Static and tiny, so that the figures are the sandbox's cost, not a shell's.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/var/tmp/rocker-bench-marker";
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    char buf[64];
    int n = snprintf(buf, sizeof buf, "ok %d %d\n", (int)getpid(), (int)getuid());
    if (n <= 0 || write(fd, buf, (size_t)n) != n) {
        perror(path);
        return 1;
    }
    return close(fd) == 0 ? 0 : 1;
}
