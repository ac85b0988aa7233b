#!/usr/bin/env bash
# bench/run.sh [--quick | --smoke] [options]: Rocker's benchmark suite (what `./rocker bench` runs).
#
# Builds the bench module when it is missing or older than the sources (Maven offline first, then
# online; tests skipped), and the launcher jar cnf/target/rocker.jar and the client commands' class path
# cnf/target/client/ when they are missing (for the socket and client-command figures; the bench falls
# back to a plain-classpath server without the jar). Then runs
# rocker.bench.BenchMain: a table on stdout, every figure in target/bench/results.json (repo root).
# Needs root. Installs nothing: a missing tool is named and its part skipped. --help lists the options.
#
# Environment: JAVA_HOME (the JDK to use: its jcmd/jstat measure the server's heap),
# ROCKER_BENCH_BUILD=1 (rebuild first), ROCKER_BENCH_JAVA_OPTS (extra options for the bench JVM).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
root=$(cd -- "$here/.." && pwd -P)
jar=$here/target/rocker.bench.jar

mvn_package() { # mvn_package MODULE EXTRA_ARGS...: offline first, then online
    local module=$1; shift
    (cd "$root" && mvn -B -q -o -pl "$module" -am package "$@" </dev/null) 1>&2 ||
        (cd "$root" && mvn -B -q -pl "$module" -am package "$@" </dev/null) 1>&2
}

stale=0
if [ ! -f "$jar" ] || [ ! -d "$here/target/lib" ] || [ ! -x "$here/target/native/floor" ] || [ ! -x "$here/target/native/rusage" ] || [ "${ROCKER_BENCH_BUILD:-0}" = 1 ]; then
    stale=1
elif [ -n "$(find "$here/pom.xml" "$here/src" "$root"/rocker.api/src "$root"/rocker.impl.linux/src "$root"/rocker.client/src "$root"/rocker.server/src \
        -type f -newer "$jar" -print -quit 2>/dev/null)" ]; then
    stale=1
fi
if [ "$stale" = 1 ]; then
    echo "bench: building the bench module (mvn -pl bench -am package -Dmaven.test.skip=true)" >&2
    if ! mvn_package bench -Dmaven.test.skip=true; then
        echo "bench: the build failed (mvn -B -pl bench -am package -Dmaven.test.skip=true in $root)" >&2
        exit 1
    fi
fi

if [ ! -f "$root/cnf/target/rocker.jar" ] || [ ! -f "$root/cnf/target/client/rocker.cli.jar" ]; then
    echo "bench: building the launcher jar and the client class path for the socket figures (mvn -pl cnf -am package)" >&2
    mvn_package cnf -Dmaven.test.skip=true ||
        echo "bench: could not build cnf/target/rocker.jar; the socket figures will use the plain-classpath server" >&2
fi

java=java
if [ -n "${JAVA_HOME:-}" ]; then
    java=$JAVA_HOME/bin/java
fi
# ROCKER_BENCH_JAVA_OPTS is split on blanks on purpose (several options).
# shellcheck disable=SC2086
exec "$java" ${ROCKER_BENCH_JAVA_OPTS:-} -cp "$jar:$here/target/lib/*" rocker.bench.BenchMain --root "$root" "$@"
