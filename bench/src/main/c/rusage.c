/*
 * rusage OUT CMD [ARG...]: runs CMD (stdin, stdout and stderr are this process's), waits for it with
 * wait4 and writes "WALL_NS MAXRSS_KIB STATUS\n" to the file OUT: the wall time from just before the
 * fork to the reaping, the peak resident set of CMD's process (ru_maxrss: the JVM that ./rocker execs,
 * or its children, whichever was bigger) and its exit status (128 + signal when killed). Exits with
 * that status. The bench's client-command figures (CliBench) come from it.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: rusage OUT CMD [ARG...]\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror(argv[2]);
        _exit(127);
    }
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    FILE *f = fopen(argv[1], "w");
    if (f == NULL || fprintf(f, "%lld %ld %d\n", ns, ru.ru_maxrss, status) < 0 || fclose(f) != 0) {
        perror(argv[1]);
        return 2;
    }
    return status;
}
