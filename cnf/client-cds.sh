#!/bin/sh
# client-cds.sh JAVA DIR: the class-data sharing archive of the client commands, DIR/rocker-cli.jsa
# (cnf/pom.xml runs it in the package phase, after it copied rocker.api.jar, rocker.client.jar and
# rocker.cli.jar to DIR). A training run (rocker.cli.ClientTraining: every client command against a
# stand-in server) dumps the classes it loaded when its JVM exits (-XX:ArchiveClassesAtExit). The dump
# goes to another name first and is renamed: a JVM that maps a half-written archive crashes. Never
# fails: without an archive the client commands only start a little slower (docs/launcher.md).
java=$1
dir=$2
rm -f "$dir/rocker-cli.jsa" "$dir/rocker-cli.jsa.tmp"
# the JVM options that decide whether the archive fits at run time (compressed pointers) as ./rocker's
if "$java" -XX:ArchiveClassesAtExit="$dir/rocker-cli.jsa.tmp" -Xlog:cds=off -Xlog:cds+dynamic=off \
        -XX:+UseSerialGC -Xmx128m -XX:TieredStopAtLevel=1 \
        -cp "$dir/rocker.api.jar:$dir/rocker.client.jar:$dir/rocker.cli.jar" rocker.cli.ClientTraining \
        </dev/null >/dev/null 2>&1 && [ -s "$dir/rocker-cli.jsa.tmp" ]; then
    mv -f "$dir/rocker-cli.jsa.tmp" "$dir/rocker-cli.jsa"
else
    rm -f "$dir/rocker-cli.jsa.tmp"
    echo "[WARNING] no class-data sharing archive for the client commands ($java): they start a little slower" >&2
fi
exit 0
