#!/bin/sh
# install-deps.sh — install the Debian 12 packages Empyra builds and tests with,
# only when one is missing (so `make check` is fast on a prepared machine).
set -eu
PKGS="gcc make pkg-config clang libclang-rt-14-dev libglib2.0-dev libseccomp-dev libcap-dev
libsodium-dev libjansson-dev libcmocka-dev uidmap bubblewrap python3 git sqlite3 iproute2 util-linux
passwd procps gdb strace hyperfine dbus-daemon microsocks iperf3 slirp4netns
libtss2-dev swtpm swtpm-tools tpm2-tools libssl3 libssl-dev"
missing=""
for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
        echo "empyra: missing packages:$missing (run as root or: sudo apt-get install$missing)" >&2
        exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
