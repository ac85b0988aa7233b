#!/bin/sh
# Compiles the guard: build.sh CC OUTPUT. Static, small, no dependencies beyond the kernel.
set -eu
cc=$1; out=$2
src=$(dirname "$0")/rocker-guard.c
mkdir -p "$(dirname "$out")"
"$cc" -std=gnu11 -Os -Wall -Wextra -Werror -static -s -fno-asynchronous-unwind-tables \
  -o "$out" "$src"
