#!/usr/bin/env bash
# deb-test.sh TARGET DEBVERSION: checks the C library's Debian packages the build just made, on this machine
# (Debian, as root). The packages made are those whose tree make package left in TARGET/deb/DEBARCH (one per
# architecture whose compiler was here); for each, TARGET/librocker-client_DEBVERSION_DEBARCH.deb:
#  1. dpkg-deb --info: name, architecture, Depends: libc6, Section: libs, Multi-Arch: same, the ldconfig
#     trigger and the shlibs entry;
#  2. dpkg-deb --contents: under /usr/lib/<multiarch triplet> librocker_client.so.1, the link
#     librocker_client.so -> librocker_client.so.1, librocker_client.a, pkgconfig/rocker_client.pc (libdir the
#     multiarch dir); /usr/include/rocker/{lib.h,err_no.h}; the copyright; the .so is the architecture's
#     (ELF machine) with soname librocker_client.so.1.
# For this machine's architecture (dpkg --print-architecture) it then
#  3. installs the package with dpkg -i, builds a program with `cc $(pkg-config --cflags --libs rocker_client)`
#     (and one linked with the .a) that calls ROCKER_request_new, ROCKER_strerror and
#     ROCKER_get_guardname(getpid()) and checks what they return, and runs them;
#  4. purges it, and checks that nothing of it is left.
# Fails (exit 1) on any difference. Refuses to run where librocker-client is already installed (it would
# replace it). Runs of this test and of dist/src/test/deb-test.sh take turns (flock on /var/lib/dpkg).
set -euo pipefail

target=${1:?usage: deb-test.sh TARGET DEBVERSION}
version=${2:?usage: deb-test.sh TARGET DEBVERSION}
pkg=librocker-client
fail() { echo "deb-test (librocker-client): FAIL: $*" >&2; exit 1; }
step() { echo "deb-test (librocker-client): $*"; }

[ "$(id -u)" -eq 0 ] || fail "installing a package needs root (run the build as root, as ./test does)"
command -v dpkg-deb >/dev/null || fail "dpkg-deb is missing (not Debian?)"

triplet() { case $1 in amd64) echo x86_64-linux-gnu ;; arm64) echo aarch64-linux-gnu ;; armhf) echo arm-linux-gnueabihf ;; *) return 1 ;; esac; }
machine() { case $1 in amd64) echo X86-64 ;; arm64) echo AArch64 ;; armhf) echo ARM ;; esac; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

arches=()
for d in "$target"/deb/*/; do
    [ -d "$d" ] && arches+=("$(basename "$d")")
done
[ ${#arches[@]} -gt 0 ] || fail "no package tree in $target/deb (make package made none)"
host=$(dpkg --print-architecture)
if triplet "$host" >/dev/null; then
    [[ " ${arches[*]} " == *" $host "* ]] || fail "no package for this machine's architecture $host (made: ${arches[*]})"
fi

# 1., 2. every package made
for arch in "${arches[@]}"; do
    deb=$target/${pkg}_${version}_$arch.deb
    [ -f "$deb" ] || fail "$deb is missing (its tree $target/deb/$arch was made)"
    trip=$(triplet "$arch") || fail "unknown architecture $arch"
    field() { dpkg-deb --field "$deb" "$1"; }
    [ "$(field Package)" = $pkg ] || fail "$arch: Package: $(field Package)"
    [ "$(field Version)" = "$version" ] || fail "$arch: Version: $(field Version)"
    [ "$(field Architecture)" = "$arch" ] || fail "$arch: Architecture: $(field Architecture)"
    [ "$(field Depends)" = libc6 ] || fail "$arch: Depends: $(field Depends)"
    [ "$(field Section)" = libs ] || fail "$arch: Section: $(field Section)"
    [ "$(field Multi-Arch)" = same ] || fail "$arch: Multi-Arch: $(field Multi-Arch)"
    [ "$(dpkg-deb --info "$deb" triggers)" = "activate-noawait ldconfig" ] || fail "$arch: no ldconfig trigger"
    [ "$(dpkg-deb --info "$deb" shlibs)" = "librocker_client 1 $pkg (>= $version)" ] \
        || fail "$arch: shlibs: $(dpkg-deb --info "$deb" shlibs)"

    contents=$(dpkg-deb --contents "$deb")
    expect() { grep -Eq "$1" <<<"$contents" || fail "$arch: the package lacks $2; contents:
$contents"; }
    lib="\./usr/lib/$trip"
    expect "^-rw-r--r-- root/root .* $lib/librocker_client\.so\.1\$" "$lib/librocker_client.so.1 (0644)"
    expect "^l.* $lib/librocker_client\.so -> librocker_client\.so\.1\$" "the link librocker_client.so -> librocker_client.so.1"
    expect "^-rw-r--r-- .* $lib/librocker_client\.a\$" "librocker_client.a"
    expect "^-rw-r--r-- .* $lib/pkgconfig/rocker_client\.pc\$" "pkgconfig/rocker_client.pc"
    expect ' \./usr/include/rocker/lib\.h$' "/usr/include/rocker/lib.h"
    expect ' \./usr/include/rocker/err_no\.h$' "/usr/include/rocker/err_no.h"
    expect ' \./usr/share/doc/librocker-client/copyright$' "the copyright (LICENSE)"
    n=$(grep -vc '/$' <<<"$contents")
    [ "$n" -eq 7 ] || fail "$arch: $n files, not 7: $contents"

    root=$work/$arch
    dpkg-deb --extract "$deb" "$root"
    so=$root/usr/lib/$trip/librocker_client.so.1
    m=$(readelf -h "$so" | sed -n 's/^ *Machine: *//p')
    case $m in *"$(machine "$arch")"*) ;; *) fail "$arch: librocker_client.so.1 is for $m" ;; esac
    readelf -d "$so" | grep 'Library soname: \[librocker_client\.so\.1\]' >/dev/null || fail "$arch: soname: $(readelf -d "$so" | grep SONAME)"
    pc=$root/usr/lib/$trip/pkgconfig/rocker_client.pc
    [ "$(PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="${pc%/*}" pkg-config --variable=libdir rocker_client)" = "/usr/lib/$trip" ] \
        || fail "$arch: the .pc's libdir: $(grep libdir "$pc")"
    cmp -s "$root/usr/share/doc/librocker-client/copyright" "$(dirname "$0")/../../../LICENSE" || fail "$arch: copyright is not LICENSE"
    step "$arch: $(basename "$deb") ($(stat -c %s "$deb") bytes): Depends: libc6, Multi-Arch: same, /usr/lib/$trip, $m, soname librocker_client.so.1"
done

if ! triplet "$host" >/dev/null; then
    step "no package is made for this machine's architecture ($host): install not tested"
    exit 0
fi

# 3. install, build, run; 4. purge
deb=$target/${pkg}_${version}_$host.deb
trip=$(triplet "$host")
# the lock dist's deb-test.sh takes too: dpkg's database dir itself (flock on a directory: no file is left)
exec 9</var/lib/dpkg
flock -w 600 9 || fail "another run of a package test held the lock for 10 minutes"
installed() { dpkg-query -W -f='${binary:Package} ${db:Status-Status}\n' "$pkg" 2>/dev/null | grep -Ev ' (not-installed|config-files)?$' || true; }
[ -z "$(installed)" ] || fail "$pkg is already installed here ($(installed)): this test would replace it; remove it first"
cleanup() {
    rc=$?
    if dpkg-query -W "$pkg" >/dev/null 2>&1; then dpkg --purge "$pkg" >/dev/null 2>&1 || rc=1; fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT

step "dpkg -i $(basename "$deb")"
dpkg -i "$deb"
[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg:$host")" = installed ] || fail "$pkg is not installed after dpkg -i"
# (/lib is /usr/lib where /usr is merged; grep without -q, which would end the pipe early: under pipefail
# the writer's SIGPIPE fails it)
ldconfig -p | grep -E "librocker_client\.so\.1 .*=> (/usr)?/lib/$trip/librocker_client\.so\.1\$" >/dev/null \
    || fail "the ldconfig trigger did not run: ldconfig -p does not list librocker_client.so.1"

cat >"$work/rcdebtest.c" <<'EOF'
#include <lib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    RockerRequest req = ROCKER_request_new();
    if (req.app_id != -1 || req.uid != -1 || req.gid != -1 || req.app_pkg_path || req.app_exec_dir
            || req.app_data_dir || req.app_overlay_dirs[0] || req.app_overlay_dirs[15]) {
        fprintf(stderr, "ROCKER_request_new: not -1/NULL\n");
        return 1;
    }
    if (strcmp(ROCKER_strerror(ROCKER_ERR_param_invalid), "param_invalid") != 0
            || strcmp(ROCKER_strerror(ROCKER_ERR_get_guardname_failed), "get_guardname_failed") != 0
            || strcmp(ROCKER_strerror((ROCKER_ERR) 12345), "unknown") != 0) {
        fprintf(stderr, "ROCKER_strerror: %s\n", ROCKER_strerror(ROCKER_ERR_param_invalid));
        return 1;
    }
    RockerResult r = ROCKER_get_guardname(getpid());
    if (r.err_no != ROCKER_ERR_success || strcmp(r.guard_pname, "rcdebtest") != 0) {
        fprintf(stderr, "ROCKER_get_guardname(getpid()): %d '%s'\n", (int) r.err_no, r.guard_pname);
        return 1;
    }
    printf("ok\n");
    return 0;
}
EOF
flags=$(pkg-config --cflags --libs rocker_client) || fail "pkg-config does not find rocker_client"
[ "$(pkg-config --variable=libdir rocker_client)" = "/usr/lib/$trip" ] || fail "the installed .pc's libdir: $(pkg-config --variable=libdir rocker_client)"
# shellcheck disable=SC2086
cc -o "$work/rcdebtest" "$work/rcdebtest.c" $flags || fail "cc \$(pkg-config --cflags --libs rocker_client) failed"
ldd "$work/rcdebtest" | grep -E "librocker_client\.so\.1 => (/usr)?/lib/$trip/librocker_client\.so\.1" >/dev/null \
    || fail "the program is not linked to the installed library: $(ldd "$work/rcdebtest")"
out=$("$work/rcdebtest" 2>&1) || fail "the program failed: $out"
[ "$out" = ok ] || fail "the program printed: $out"
mkdir "$work/static"
cc -o "$work/static/rcdebtest" "$work/rcdebtest.c" $(pkg-config --cflags rocker_client) "/usr/lib/$trip/librocker_client.a" \
    || fail "linking librocker_client.a failed"
! ldd "$work/static/rcdebtest" | grep librocker_client >/dev/null || fail "the static build still needs librocker_client.so"
out=$("$work/static/rcdebtest" 2>&1) || fail "the program (static library) failed: $out"
[ "$out" = ok ] || fail "the program (static library) printed: $out"
step "cc \$(pkg-config --cflags --libs rocker_client): ROCKER_request_new, ROCKER_strerror, ROCKER_get_guardname(getpid()): ok (shared and static)"

files=$(dpkg -L "$pkg" | grep -E '/librocker_client|/rocker_client\.pc|/rocker/|/doc/librocker-client')
dpkg --purge "$pkg" >/dev/null
if dpkg -L "$pkg" >/dev/null 2>&1; then fail "dpkg -L $pkg still lists files after the purge"; fi
while IFS= read -r f; do
    [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f is left after the purge"
done <<<"$files"
for d in /usr/include/rocker /usr/share/doc/librocker-client; do [ ! -e "$d" ] || fail "$d is left after the purge"; done
! ldconfig -p | grep librocker_client >/dev/null || fail "ldconfig -p still lists librocker_client after the purge"
[ -z "$(installed)" ] || fail "$pkg after the purge: $(installed)"
step "purged: nothing left ($(wc -l <<<"$files") paths gone, ldconfig's cache without it)"
