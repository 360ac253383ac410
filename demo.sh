#!/usr/bin/env bash
# The README's demo: the main job on the built-in test guest.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
scripts/ensure-packages.sh qemu-system-x86 qemu-utils
guest=testdata/target/guest
testdata/build-guest.sh "$guest"
work=$(mktemp -d /tmp/carryon-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "== booting the test guest for 12 seconds (its disk is never written; writes go to a local COW)"
timeout --signal=INT 12 ./carryon run --image "$guest/disk.qcow2" --kernel "$guest/vmlinuz" \
  --initrd "$guest/initramfs.img" --append "console=ttyS0 panic=-1 quiet tick=0.5" \
  --memory 256M --console "$work/console.log" &
pid=$!
tail -F "$work/console.log" 2>/dev/null | grep --line-buffered -E 'CARRYON-BOOT|TICK' &
tailer=$!
wait $pid || true
kill $tailer 2>/dev/null || true
