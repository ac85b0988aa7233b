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
echo '#include <asm/unistd.h>' | "$cc" -dM -E -x c - \
  | sed -n 's/^#define __\(ARM_\)\{0,1\}NR_\([a-z0-9_]*\) .*/{"\2", __\1NR_\2},/p' \
  | grep -v -e '^{"syscalls"' -e '^{"arch_specific_syscall"' | LC_ALL=C sort > "$gen/rocker-syscalls.h"
test -s "$gen/rocker-syscalls.h"
"$cc" -std=gnu11 -Os -Wall -Wextra -Werror -static -s -fno-asynchronous-unwind-tables \
  -I "$gen" -o "$out" "$src"
