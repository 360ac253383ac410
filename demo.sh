#!/usr/bin/env bash
# The README's demo: carry a live session of the built-in test guest from one host to another.
# Two "hosts" on this machine are two CARRYON_HOME folders; the carrier is a plain folder.
# CARRYON=/usr/bin/carryon ./demo.sh runs it with an installed carryon instead of this checkout's.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
scripts/ensure-packages.sh qemu-system-x86 qemu-utils
carryon=${CARRYON:-./carryon}
guest=testdata/target/guest
testdata/build-guest.sh "$guest"
work=$(mktemp -d /tmp/carryon-demo.XXXXXX)
carrier="$work/carrier"
cleanup() {
  # Never leave a guest running: end whatever session is still open, then drop the work folder.
  for home in "$work/hostA" "$work/hostB"; do
    CARRYON_HOME="$home" "$carryon" end --discard "$carrier" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }
# wait_ticks FILE N: waits until the guest's console FILE shows N TICK lines after the last
# "resume" point, then prints the last TICK line.
wait_ticks() {
  local file=$1 want=$2 i
  for i in $(seq 1 240); do
    if [ "$(grep -c '^TICK' "$file" 2>/dev/null || true)" -ge "$want" ]; then
      grep '^TICK' "$file" | tail -n 1
      return 0
    fi
    sleep 0.25
  done
  echo "demo: the guest printed no $want TICK lines in 60 s; its console:" >&2
  tail -n 20 "$file" >&2
  return 1
}

echo "demo: running $carryon"
say "init: a carrier from the test guest's disk, kernel and initrd"
"$carryon" init "$carrier" --image "$guest/disk.qcow2" --kernel "$guest/vmlinuz" \
  --initrd "$guest/initramfs.img" --append "console=ttyS0 panic=-1 no_timer_check quiet tick=0.5" --memory 256M

say "host A: resume (the first resume cold-boots) and let the guest work"
export CARRYON_HOME="$work/hostA"
"$carryon" resume "$carrier" --detach --console "$work/A.log"
grep -m1 CARRYON-BOOT "$work/A.log" || true
last_a=$(wait_ticks "$work/A.log" 8)
echo "host A's guest is at: $last_a"

say "host A: end (hibernate, write the changes onto the carrier, release it)"
"$carryon" end "$carrier"
last_a=$(grep '^TICK' "$work/A.log" | tail -n 1)

say "host B: resume the same session elsewhere (another CARRYON_HOME, another local COW)"
export CARRYON_HOME="$work/hostB"
"$carryon" resume "$carrier" --detach --console "$work/B.log"
first_b=$(wait_ticks "$work/B.log" 1)
wait_ticks "$work/B.log" 4 >/dev/null
echo "host A's last tick:  $last_a"
echo "host B's first tick: $first_b"
if grep -q CARRYON-BOOT "$work/B.log"; then
  echo "demo: the guest rebooted on host B; the session did not continue" >&2
  exit 1
fi
n_a=${last_a#TICK }; n_a=${n_a%% *}; id_a=${last_a##*bootid=}
n_b=${first_b#TICK }; n_b=${n_b%% *}; id_b=${first_b##*bootid=}
if [ "$id_a" = "$id_b" ] && [ "$n_b" -gt "$n_a" ]; then
  echo "the session continued: same boot id, the counter went on from $n_a to $n_b, no reboot"
else
  echo "demo: the session did not continue (A: $last_a, B: $first_b)" >&2
  exit 1
fi

say "host B: end"
"$carryon" end "$carrier"

say "the carrier's generations"
"$carryon" status "$carrier"
"$carryon" verify "$carrier"
