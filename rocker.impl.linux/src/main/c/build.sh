#!/bin/sh
# Compiles the guard: build.sh CC OUTPUT. Static, small, no dependencies beyond the kernel.
# First rocker-syscalls.h: one {"name", __NR_name} line for every system call that CC's own
# <asm/unistd.h> defines (and arm's __ARM_NR_ calls), so that the numbers of the app's system call
# filter are this architecture's by construction (__NR_syscalls, a count, and asm-generic's
# __NR_arch_specific_syscall, a base, are no calls).
set -eu
cc=$1; out=$2
src=$(dirname "$0")/rocker-guard.c
mkdir -p "$(dirname "$out")"
gen=$(mktemp -d)
trap 'rm -rf "$gen"' EXIT
# musl (musl-gcc, Debian's musl-tools): a libc whose start-up costs next to nothing, where glibc's static
# start-up runs hundreds of CPUID instructions (its cache and CPU feature probes), each a trap to the
# hypervisor in a VM (~7 us here): a glibc guard's exec took 1.6-2.4 ms, a musl one's 0.8-0.9 ms. The
# wrapper sees no kernel headers: the system's (linux-libc-dev) are given, the kernel's <asm/unistd.h>
# first (musl's own list of system call numbers lags the kernel's).
# The headers are the build machine's (Debian's musl-gcc is a native compiler only): a musl compiler for
# another CPU would get this CPU's system call numbers, so it is refused. -I: searched before the
# compiler's own dirs.
set --
case $(basename "$cc") in
    musl-gcc | *-musl-gcc)
        target=$("$cc" -dumpmachine)
        multiarch=$(gcc -print-multiarch)
        if [ "${target%%-*}" != "${multiarch%%-*}" ]; then
            echo "build.sh: $cc builds for $target, but the kernel headers here are $multiarch's" >&2
            exit 1
        fi
        for d in /usr/include/linux /usr/include/asm-generic "/usr/include/$multiarch/asm"; do
            [ -d "$d" ] || { echo "build.sh: $d is missing (Debian: linux-libc-dev)" >&2; exit 1; }
        done
        mkdir "$gen/kernel"
        ln -s /usr/include/linux "$gen/kernel/linux"
        ln -s /usr/include/asm-generic "$gen/kernel/asm-generic"
        ln -s "/usr/include/$multiarch/asm" "$gen/kernel/asm"
        set -- -I "$gen/kernel" -include asm/unistd.h
        ;;
esac
echo '#include <asm/unistd.h>' | "$cc" "$@" -dM -E -x c - \
  | sed -n 's/^#define __\(ARM_\)\{0,1\}NR_\([a-z0-9_]*\) .*/{"\2", __\1NR_\2},/p' \
  | grep -v -e '^{"syscalls"' -e '^{"arch_specific_syscall"' | LC_ALL=C sort > "$gen/rocker-syscalls.h"
test -s "$gen/rocker-syscalls.h"
"$cc" "$@" -std=gnu11 -Os -Wall -Wextra -Werror -static -s -fno-asynchronous-unwind-tables \
  -I "$gen" -o "$out" "$src"
