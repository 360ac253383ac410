#!/usr/bin/env bash
# Builds a second QEMU version for the tests: a Debian 13 (trixie) root made by debootstrap
# (--variant=minbase, QEMU and its firmware only), and a wrapper that runs its qemu-system-x86_64
# on this host's paths:
#   OUTDIR/root                  the trixie root
#   OUTDIR/qemu-system-x86_64    the wrapper: in a mount namespace of its own, binds /tmp, /dev,
#                                /proc, /sys and each BIND folder at the same path inside the root,
#                                then execs the root's QEMU under chroot (same pid all the way, so
#                                carryon's signals and parent-death signal reach QEMU itself)
# Cached: OUTDIR/stamp names this script's hash, the suite and the binds; when it matches, nothing
# is done. Concurrent runs on one OUTDIR take turns (flock OUTDIR/.lock). Needs root (debootstrap,
# mount, chroot) and the network to Debian's mirror; about a minute and ~300 MB.
# Usage: testdata/build-qemu-root.sh OUTDIR [BIND...]
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
repo=$(dirname "$here")
suite=trixie
mirror=http://deb.debian.org/debian
# QEMU, its tools, and the firmware it loads for the devices carryon gives a VM (SeaBIOS and its
# VGA BIOSes, the NIC option ROMs), which are only Recommends of qemu-system-x86.
packages=qemu-system-x86,qemu-utils,seabios,ipxe-qemu

say() { echo "build-qemu-root: $*" >&2; }
fail() { say "error: $*"; exit 1; }

if [ $# -lt 1 ] || [ -z "$1" ]; then
  echo "usage: build-qemu-root.sh OUTDIR [BIND...]   (Debian $suite's QEMU in OUTDIR/root, wrapper OUTDIR/qemu-system-x86_64)" >&2
  exit 2
fi
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, mount --bind, chroot)"
mkdir -p "$1" || fail "cannot create OUTDIR $1"
out=$(cd "$1" && pwd)
shift
binds=()
for b in "$@"; do
  [ -d "$b" ] || fail "BIND $b is no folder"
  binds+=("$(cd "$b" && pwd)")
done

exec 9>>"$out/.lock"
if ! flock -n 9; then
  say "waiting for another build of $out"
  flock 9
fi

"$repo/scripts/ensure-packages.sh" debootstrap util-linux

stamp="script $(sha256sum < "$0" | cut -d' ' -f1)
suite $suite $packages
binds ${binds[*]:-}"
if [ -x "$out/qemu-system-x86_64" ] && [ -x "$out/root/usr/bin/qemu-system-x86_64" ] \
    && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  say "$out is up to date ($("$out/qemu-system-x86_64" --version 2>/dev/null | head -n 1 || echo "QEMU $suite"))"
  exit 0
fi

started=$SECONDS
rm -f "$out/stamp"
if [ ! -x "$out/root/usr/bin/qemu-system-x86_64" ]; then
  rm -rf "$out/root" "$out"/root.work.*
  work=$(mktemp -d "$out/root.work.XXXXXX")
  say "debootstrap $suite with $packages (about a minute)"
  if ! log=$(debootstrap --variant=minbase --include="$packages" "$suite" "$work" "$mirror" 2>&1); then
    rm -rf "$work"
    fail "debootstrap failed: $(tail -n 20 <<< "$log")"
  fi
  rm -rf "$work/var/cache/apt/archives"/*.deb
  mv "$work" "$out/root"
fi
for d in /tmp /dev /proc /sys "${binds[@]}"; do
  mkdir -p "$out/root$d"
done

bind_list=""
for d in "${binds[@]}"; do
  bind_list="$bind_list $(printf '%q' "$d")"
done
wrapper=$(mktemp "$out/wrapper.XXXXXX")
cat > "$wrapper" <<WRAPPER
#!/bin/sh
# Debian $suite's QEMU from $out/root, run on this host's paths (made by testdata/build-qemu-root.sh).
exec unshare --mount sh -c '
  root=\$1; shift
  for d in /tmp /dev /proc /sys$bind_list; do
    mount --rbind "\$d" "\$root\$d" || exit 1
  done
  exec chroot "\$root" /usr/bin/qemu-system-x86_64 "\$@"' sh $(printf '%q' "$out/root") "\$@"
WRAPPER
chmod 0755 "$wrapper"
mv -f "$wrapper" "$out/qemu-system-x86_64"
"$out/qemu-system-x86_64" --version > /dev/null || fail "the wrapper cannot run the $suite QEMU"
printf '%s\n' "$stamp" > "$out/stamp"
say "built $out in $((SECONDS - started)) s: $("$out/qemu-system-x86_64" --version | head -n 1)"
