#!/usr/bin/env bash
# The project's test command, as README.md gives it: installs what the tests need (QEMU, and the
# Android build tools the phone companion's APK is made with, via apt-get; the test guest's
# packages are installed by testdata/build-guest.sh, Debian 13's QEMU by
# testdata/build-qemu-root.sh, each once and cached under testdata/target), then runs every
# module's tests and the Debian package's integration test (failsafe). Fails when any test fails
# or when no test ran at all.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"
# chromium: the carrier page's browser test; qemu-system-gui: QEMU's gtk window; xvfb and imagemagick: the tests' X screen and its pictures.
# (testdata/build-qemu-root.sh installs debootstrap for the second QEMU version.)
# fdisk, lvm2, xfsprogs, libguestfs-tools: the export tests' partitioned disks and the other reader.
# man-db and systemd: man and systemd-analyze check the Debian package's man pages and units;
# dbus-daemon, dunst and libnotify-bin (with xvfb): the desktop carryon watch notifies on;
# aapt (aapt2), zipalign, apksigner: the phone companion's APK.
scripts/ensure-packages.sh qemu-system-x86 qemu-utils qemu-system-gui xvfb imagemagick chromium \
  fdisk lvm2 xfsprogs libguestfs-tools man-db systemd dbus-daemon dunst libnotify-bin \
  aapt zipalign apksigner
# supermin builds libguestfs' appliance from the host's kernel: a container may have none.
ls /boot/vmlinuz-* >/dev/null 2>&1 || scripts/ensure-packages.sh linux-image-amd64
./mvnw -B verify "$@"
ran=$(cat ./*/target/surefire-reports/*.txt ./*/target/failsafe-reports/*.txt 2>/dev/null \
  | sed -n 's/^Tests run: \([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
if [ "$ran" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
echo "test.sh: $ran tests ran"
