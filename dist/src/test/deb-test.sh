#!/usr/bin/env bash
# deb-test.sh DEB: checks the Rocker Debian package the build just made, on this machine (Debian, as root):
#  1. dpkg-deb --info: name, architecture all, the Java 17 runtime dependency;
#  2. dpkg-deb --contents: /usr/bin/rocker (a link), the launcher jar, the client jars, the systemd unit;
#     the launcher jar holds the guard fragments of x86-64, aarch64 and armhf;
#  3. installs it with dpkg -i (apt-get -f install if a dependency is missing), runs `rocker --help` (the
#     client commands' class path) and `rocker serve --help` (the launcher: Felix and the bundles), and
#     `systemd-analyze verify` on the installed unit;
#  4. purges it (and whatever apt-get brought for it), and checks that nothing of it is left.
# Fails (exit 1) on any difference. Refuses to run where rocker is already installed (it would replace it).
# Runs of this test on one machine take turns (flock on /var/lib/dpkg), since dpkg has one database; so do
# they with librocker_client/src/test/deb-test.sh (the C library's packages), which takes the same lock.
set -euo pipefail

deb=${1:?usage: deb-test.sh DEB}
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }
step() { echo "deb-test: $*"; }

[ -f "$deb" ] || fail "$deb is missing"
[ "$(id -u)" -eq 0 ] || fail "installing a package needs root (run the build as root, as ./test does)"
command -v dpkg-deb >/dev/null || fail "dpkg-deb is missing (not Debian?)"

# 1. control
info=$(dpkg-deb --info "$deb")
field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = rocker ] || fail "Package: $(field Package)"
[ "$(field Architecture)" = all ] || fail "Architecture: $(field Architecture)"
case $(field Depends) in
    *openjdk-17-jre-headless*java17-runtime-headless*) ;;
    *) fail "Depends does not name a Java 17 runtime: $(field Depends)" ;;
esac
version=$(field Version)
case $(basename "$deb") in
    "rocker_${version}_all.deb") ;;
    *) fail "file name $(basename "$deb") does not match version $version" ;;
esac
grep -q 'postinst' <<<"$info" || fail "no postinst: $info"
step "info: rocker $version, all, Depends: $(field Depends)"

# 2. contents
contents=$(dpkg-deb --contents "$deb")
expect() { grep -Eq "$1" <<<"$contents" || fail "the package lacks $2; contents:
$contents"; }
expect ' \./usr/bin/rocker -> /usr/share/rocker/rocker$' "/usr/bin/rocker (a link to /usr/share/rocker/rocker)"
expect '^-rwxr-xr-x .* \./usr/share/rocker/rocker$' "the rocker script (0755)"
expect ' \./usr/share/rocker/rocker\.jar$' "the launcher jar"
for j in rocker.api rocker.client rocker.cli; do expect " \./usr/share/rocker/client/$j\.jar$" "client/$j.jar"; done
expect ' \./lib/systemd/system/rocker\.service$' "the systemd unit"
expect ' \./usr/share/doc/rocker/copyright$' "the copyright (LICENSE)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb --extract "$deb" "$work/root"
bundles=$(jar tf "$work/root/usr/share/rocker/rocker.jar" | grep '^jar/')
for arch in x86_64 aarch64 armhf; do
    grep -q "^jar/rocker.impl.linux.$arch-" <<<"$bundles" || fail "the launcher jar lacks the $arch guard fragment: $bundles"
done
launch=$(cd "$work" && jar xf "$work/root/usr/share/rocker/rocker.jar" launcher.properties && cat launcher.properties)
for arch in x86_64 aarch64 armhf; do
    grep -q "rocker.impl.linux.$arch-" <<<"$launch" || fail "launch.bundles lacks the $arch fragment"
done
cmp -s "$work/root/lib/systemd/system/rocker.service" "$(dirname "$0")/../../rocker.service" || fail "the unit differs from dist/rocker.service"
step "contents: $(wc -l <<<"$contents") entries, the launcher jar with 3 guard fragments ($(stat -c %s "$work/root/usr/share/rocker/rocker.jar") bytes)"

# 3. install, run, verify; 4. purge
# the lock is dpkg's database dir itself (flock on a directory: no file of ours is created or left)
exec 9</var/lib/dpkg
flock -w 600 9 || fail "another run of this test held the lock for 10 minutes"
status() { dpkg-query -W -f='${db:Status-Status}' rocker 2>/dev/null || true; }
case $(status) in
    '' | not-installed | config-files) ;;
    *) fail "rocker is already installed here ($(status)): this test would replace it; remove it first" ;;
esac
before=$(dpkg-query -W -f='${Package}\n' | sort)
cleanup() {
    rc=$?
    dpkg --purge rocker >/dev/null 2>&1 || rc=1
    added=$(comm -13 <(printf '%s\n' "$before") <(dpkg-query -W -f='${Package}\n' | sort))
    if [ -n "$added" ]; then
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $added >/dev/null 2>&1 || rc=1
    fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT

step "dpkg -i $(basename "$deb")"
if ! dpkg -i "$deb"; then
    step "a dependency is missing: apt-get -f install"
    DEBIAN_FRONTEND=noninteractive apt-get -f install -y -q -o DPkg::Lock::Timeout=120
fi
[ "$(status)" = installed ] || fail "rocker is not installed after dpkg -i: $(status)"
[ "$(readlink -f /usr/bin/rocker)" = /usr/share/rocker/rocker ] || fail "/usr/bin/rocker -> $(readlink -f /usr/bin/rocker)"

out=$(cd / && rocker --help 2>&1) || fail "rocker --help failed: $out"
grep -q '^Usage: rocker COMMAND' <<<"$out" || fail "rocker --help printed: $out"
out=$(cd / && TMPDIR="$work" rocker serve --help 2>&1) || fail "rocker serve --help (the launcher) failed: $out"
grep -q '^Usage: rocker serve' <<<"$out" || fail "rocker serve --help printed: $out"
[ -z "$(ls -A "$work" | grep '^rocker-tmp' || true)" ] || fail "the launcher left its temp dir: $(ls -A "$work")"
step "rocker --help (client) and rocker serve --help (launcher: Felix and the bundles): ok"

unit=/lib/systemd/system/rocker.service
[ -f "$unit" ] || fail "$unit is missing"
out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify $unit: $out"
[ -z "$out" ] || fail "systemd-analyze verify $unit warned: $out"
step "systemd-analyze verify $unit: ok"

dpkg --purge rocker >/dev/null
for f in /usr/bin/rocker /usr/share/rocker "$unit" /usr/share/doc/rocker; do
    [ ! -e "$f" ] && [ ! -L "$f" ] || fail "$f is left after the purge"
done
[ "$(status)" = not-installed ] || [ -z "$(status)" ] || fail "rocker after the purge: $(status)"
step "purged: nothing left"
