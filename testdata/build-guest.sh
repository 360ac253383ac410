#!/usr/bin/env bash
# Builds the carryon test guest from Debian packages alone, without root mounts:
#   OUTDIR/vmlinuz         the kernel of linux-image-cloud-amd64's current versioned package
#   OUTDIR/initramfs.img   gzip'd newc cpio: static busybox, the kernel's virtio disk and network
#                          modules, our /init and its DHCP script
#   OUTDIR/disk.qcow2      64 MiB ext4 labelled "carryon" holding README and an empty ticks.log
# Cached: OUTDIR/stamp names this script's and the init's hashes and the package versions used;
# when it matches, nothing is done. Concurrent runs on one OUTDIR take turns (flock OUTDIR/.lock).
# Usage: testdata/build-guest.sh OUTDIR
set -euo pipefail

here=$(dirname "$(readlink -f "$0")")
repo=$(dirname "$here")
init_script="$here/src/main/guest/init"
dhcp_script="$here/src/main/guest/udhcpc.script"
kernel_meta=linux-image-cloud-amd64
# Load order; each is checked against the module's own depends= list below.
modules=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk
  failover net_failover virtio_net)
disk_size=64M
disk_label=carryon

say() { echo "build-guest: $*" >&2; }
fail() { say "error: $*"; exit 1; }

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: build-guest.sh OUTDIR   (builds vmlinuz, initramfs.img and disk.qcow2 into OUTDIR)" >&2
  exit 2
fi
[ -f "$init_script" ] || fail "guest init script missing: $init_script"
[ -f "$dhcp_script" ] || fail "guest DHCP script missing: $dhcp_script"
mkdir -p "$1" || fail "cannot create OUTDIR $1"
out=$(cd "$1" && pwd)

exec 9>>"$out/.lock"
if ! flock -n 9; then
  say "waiting for another build of $out"
  flock 9
fi

"$repo/scripts/ensure-packages.sh" busybox-static e2fsprogs cpio gzip qemu-utils xz-utils zstd

# Prints the candidate's apt record of package $1; refreshes stale or missing apt lists once.
apt_record() {
  local record
  record=$(apt-cache show --no-all-versions "$1" 2>/dev/null || true)
  if [ -z "$record" ]; then
    say "apt knows no $1: apt-get update"
    if [ "$(id -u)" -eq 0 ]; then apt-get update -qq >&2; else sudo apt-get update -qq >&2; fi
    record=$(apt-cache show --no-all-versions "$1" 2>/dev/null || true)
  fi
  [ -n "$record" ] || fail "no Debian package $1 in the apt sources"
  printf '%s\n' "$record"
}

# The metapackage pins its kernel as "linux-image-<release> (= <version>)"; apt-cache takes ~1 s a
# call, so the version is read from there when it is given.
kernel_dep=$(apt_record "$kernel_meta" | sed -n 's/^Depends: //p' \
  | grep -o 'linux-image-[0-9][^ ,]*-cloud-amd64\( (= [^)]*)\)\?' | head -n 1 || true)
kernel_pkg=${kernel_dep%% *}
[ -n "$kernel_pkg" ] || fail "$kernel_meta depends on no versioned linux-image-*-cloud-amd64"
kernel_version=$(sed -n 's/.*(= \(.*\))$/\1/p' <<< "$kernel_dep")
if [ -z "$kernel_version" ]; then
  kernel_version=$(apt_record "$kernel_pkg" | sed -n 's/^Version: //p' | head -n 1)
fi
kernel_release=${kernel_pkg#linux-image-}
busybox_version=$(dpkg-query -W -f='${Version}' busybox-static)

stamp="script $(sha256sum < "$0" | cut -d' ' -f1)
init $(sha256sum < "$init_script" | cut -d' ' -f1)
dhcp $(sha256sum < "$dhcp_script" | cut -d' ' -f1)
kernel $kernel_pkg $kernel_version
busybox-static $busybox_version"

if [ -f "$out/vmlinuz" ] && [ -f "$out/initramfs.img" ] && [ -f "$out/disk.qcow2" ] \
    && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  say "$out is up to date ($kernel_pkg $kernel_version, busybox-static $busybox_version)"
  exit 0
fi

started=$SECONDS
rm -rf "$out"/.work.*  # left by a build that was killed; we hold the lock
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

say "downloading $kernel_pkg $kernel_version"
if ! apt_log=$(cd "$work" && apt-get -qq download "$kernel_pkg=$kernel_version" 2>&1); then
  fail "apt-get download $kernel_pkg=$kernel_version failed: $apt_log"
fi
dpkg -x "$work/${kernel_pkg}_"*.deb "$work/kernel"
moddir="$work/kernel/lib/modules/$kernel_release"
[ -f "$work/kernel/boot/vmlinuz-$kernel_release" ] \
  || fail "$kernel_pkg has no boot/vmlinuz-$kernel_release"
cp "$work/kernel/boot/vmlinuz-$kernel_release" "$work/vmlinuz"

root="$work/initramfs"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,mnt,tmp,etc,lib/modules}
busybox=$(dpkg -L busybox-static | grep -m 1 '/bin/busybox$' || true)
[ -n "$busybox" ] || fail "busybox-static ships no bin/busybox"
cp "$busybox" "$root/bin/busybox"
install -m 0755 "$init_script" "$root/init"
install -m 0755 "$dhcp_script" "$root/etc/udhcpc.script"
: > "$root/etc/carryon-modules"
loaded=" "
for module in "${modules[@]}"; do
  file=$(find "$moddir/kernel" \( -name "$module.ko" -o -name "$module.ko.xz" \
    -o -name "$module.ko.zst" -o -name "$module.ko.gz" \) -print | head -n 1)
  if [ -z "$file" ]; then
    grep -q "/$module\.ko$" "$moddir/modules.builtin" \
      || fail "$module is neither a module nor built in in $kernel_pkg"
    say "module $module: built in"
    continue
  fi
  target="$root/lib/modules/$module.ko"
  case "$file" in  # busybox insmod loads plain .ko only
    *.xz) xz -dc "$file" > "$target" ;;
    *.zst) zstd -q -dc "$file" > "$target" ;;
    *.gz) gzip -dc "$file" > "$target" ;;
    *) cp "$file" "$target" ;;
  esac
  depends=$(tr '\0' '\n' < "$target" | sed -n 's/^depends=//p' | head -n 1)
  for dep in ${depends//,/ }; do
    case "$loaded" in
      *" $dep "*) ;;
      *) fail "module $module needs $dep, which is not loaded before it" ;;
    esac
  done
  loaded="$loaded$module "
  echo "$module" >> "$root/etc/carryon-modules"
  say "module $module: ${file##*/}${depends:+ (needs $depends)}"
done

# The kernel opens /dev/console before /init runs; an unprivileged build cannot mknod it, so it
# is written as a second newc archive (the kernel unpacks concatenated archives).
newc_header() { # NAME MODE RDEVMAJOR RDEVMINOR: a data-less newc entry, name padded to 4 bytes
  local namesize=$((${#1} + 1))
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
    0 "$2" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0
  printf '%s\0' "$1"
  head -c $(((4 - (110 + namesize) % 4) % 4)) /dev/zero
}
{
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort \
    | cpio -o -H newc -R 0:0 --reproducible --quiet)
  newc_header dev/console $((8#020600)) 5 1
  newc_header 'TRAILER!!!' 0 0 0
} | gzip -9 -n > "$work/initramfs.img"
say "initramfs.img: busybox-static $busybox_version, $(wc -l < "$root/etc/carryon-modules") modules, $(($(stat -c %s "$work/initramfs.img") / 1024)) KiB"

mkdir "$work/disk"
cat > "$work/disk/README" <<'README'
carryon test guest disk. /init writes:
  bootcount    boots so far
  payload.bin  random data rewritten at each boot
  ticks.log    "TICK <n> bootid=<id>" lines, one per tick (held in the page cache, not synced)
README
: > "$work/disk/ticks.log"
truncate -s "$disk_size" "$work/disk.raw"
# Eager inode table and journal init: no background ext4lazyinit writes inside the guest.
mkfs.ext4 -q -F -L "$disk_label" -E lazy_itable_init=0,lazy_journal_init=0,root_owner=0:0 \
  -d "$work/disk" "$work/disk.raw"
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/disk.qcow2"
say "disk.qcow2: ext4 $disk_size labelled $disk_label"

rm -f "$out/stamp"  # no stamp while the outputs are being replaced
for f in vmlinuz initramfs.img disk.qcow2; do
  mv -f "$work/$f" "$out/$f"
done
printf '%s\n' "$stamp" > "$work/stamp"
mv -f "$work/stamp" "$out/stamp"
say "built $out in $((SECONDS - started)) s ($kernel_pkg $kernel_version)"
