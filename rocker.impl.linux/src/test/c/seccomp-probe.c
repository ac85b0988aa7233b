/*
 * The system call filter's test program (SeccompTest): tries calls and prints "name errno" for each
 * (0: it worked). Built static by the test, run as a rocker's app. "--exit" only exits (the exec probe);
 * "--i386" only tries the i386 ABI (the test runs it on the host: a kernel without IA32 emulation, or with
 * it turned off, answers int 0x80 with a general protection fault, "i386 signal-11").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static int err(long r) {
    return r < 0 ? errno : 0;
}

/* f in a child: the child's exit code is what it saw */
static void in_child(const char *name, int (*f)(void)) {
    fflush(stdout);
    pid_t p = fork();
    if (p < 0) {
        printf("%s fork-%d\n", name, errno);
        return;
    }
    if (p == 0) _exit(f());
    int st;
    waitpid(p, &st, 0);
    if (WIFEXITED(st)) printf("%s %d\n", name, WEXITSTATUS(st));
    else printf("%s signal-%d\n", name, WTERMSIG(st));
}

/* a child by clone or clone3 that exits at once; 0 when it was made and ended well */
static int reaped(long child) {
    if (child == 0) _exit(0);
    if (child < 0) return errno;
    int st;
    return waitpid((pid_t)child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 255;
}

static int unshare_user(void) { return err(unshare(CLONE_NEWUSER)); }
static int unshare_ns(void) { return err(unshare(CLONE_NEWNS)); }
static int unshare_files(void) { return err(unshare(CLONE_FILES)); }
static int clone_user(void) { return reaped(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)); }
static int clone_plain(void) { return reaped(syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0)); }
static int clone3_plain(void) {
    uint64_t args[8] = {0};
    args[4] = SIGCHLD; /* exit_signal */
    return reaped(syscall(SYS_clone3, args, sizeof args));
}
static int personality_rie(void) { return err(personality(READ_IMPLIES_EXEC)); }
static int fork_child(void) { return reaped(fork()); }
static int exec_child(void) {
    pid_t p = fork();
    if (p == 0) {
        execl("/proc/self/exe", "seccomp-probe", "--exit", (char *)NULL);
        _exit(errno);
    }
    int st;
    return p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static void *thread_main(void *arg) {
    return arg;
}

static int thread(void) {
    pthread_t t;
    void *out = NULL;
    int e = pthread_create(&t, NULL, thread_main, (void *)7);
    if (e) return e;
    return pthread_join(t, &out) || out != (void *)7 ? 255 : 0;
}

#ifdef __x86_64__
/* getpid of the i386 ABI, through int 0x80 */
static long i386_getpid(void) {
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
    return r;
}

/* the i386 getpid's errno as the exit code (0: it worked) */
static int i386_child(void) {
    long r = i386_getpid();
    return r < 0 && r > -4096 ? (int)-r : 0;
}
#endif

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "--exit")) return 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef __x86_64__
    if (argc > 1 && !strcmp(argv[1], "--i386")) {
        in_child("i386", i386_child);
        return 0;
    }
#endif
    char line[256];
    FILE *status = fopen("/proc/self/status", "r");
    while (status && fgets(line, sizeof line, status)) {
        if (!strncmp(line, "Seccomp:", 8)) printf("seccomp %d\n", atoi(line + 8));
    }
    if (status) fclose(status);
    in_child("unshare_user", unshare_user);
    in_child("unshare_ns", unshare_ns);
    in_child("unshare_files", unshare_files);
    in_child("clone_user", clone_user);
    in_child("clone", clone_plain);
    in_child("clone3", clone3_plain);
    printf("mount %d\n", err(mount("none", NULL, "tmpfs", 0, NULL)));
    printf("umount2 %d\n", err(umount2("/proc", 0)));
    printf("keyctl %d\n", err(syscall(SYS_keyctl, 0x7fff, 0, 0, 0, 0)));
    printf("bpf %d\n", err(syscall(SYS_bpf, 0x7fff, NULL, 0)));
    printf("io_uring_setup %d\n", err(syscall(SYS_io_uring_setup, 0, NULL)));
    printf("unknown %d\n", err(syscall(1000)));
#ifdef __x86_64__
    in_child("i386", i386_child);
    printf("x32 %d\n", err(syscall(39 | 0x40000000)));
#endif
    printf("personality_query %d\n", err(personality(0xffffffff)));
    in_child("personality_rie", personality_rie);
    int s = socket(AF_VSOCK, SOCK_STREAM, 0);
    printf("vsock %d\n", err(s));
    if (s >= 0) close(s);
    in_child("fork", fork_child);
    printf("thread %d\n", thread());
    printf("exec %d\n", exec_child());
    printf("mkdir %d\n", err(mkdir("/tmp/seccomp-probe-dir", 0755)));
    printf("getpid %d\n", err(getpid()));
    return 0;
}
