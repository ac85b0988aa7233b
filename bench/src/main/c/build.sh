#!/bin/sh
# Compiles the bench's native parts: build.sh CC OUTDIR -> OUTDIR/floor, OUTDIR/marker, OUTDIR/rusage (static).
set -eu
cc=$1; out=$2
src=$(dirname "$0")
mkdir -p "$out"
"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-format-truncation -static -s -o "$out/floor" "$src/floor.c"
"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -static -s -o "$out/marker" "$src/marker.c"
"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -static -s -o "$out/rusage" "$src/rusage.c"
