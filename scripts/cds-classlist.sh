#!/usr/bin/env bash
# Lists the classes carryon's commands load, for a class-data archive (AppCDS: classes parsed and
# verified once, mapped at start-up, which roughly halves the JVM's start). The commands run on
# throwaway images, a throwaway carrier and host folder; where QEMU is installed, sessions of an
# empty disk too. Those that would need QEMU where it is not run until they fail for want of it: by
# then they have loaded what validation needs (JSON, SQLite, hashing). Used by ./carryon (its own
# archive) and by the Debian package (listed when it is built, dumped at install).
# Usage: scripts/cds-classlist.sh JAR OUT
set -euo pipefail
jar="$(readlink -f "$1")"
out="$2"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/carryon-cds.XXXXXX")"
# A session left by a failed training: its QEMU and keeper name the host folder on their command line.
trap 'pkill -f -- "$tmp/home/" || true; rm -rf "$tmp"' EXIT
cd "$tmp"
export CARRYON_HOME="$tmp/home"
train() { java -XX:DumpLoadedClassList="$tmp/$1.classes" -jar "$jar" "${@:2}" >/dev/null 2>&1 || true; }
truncate -s 1M base.raw
train 1 --version
train 2 cow create --backing base.raw --backing-format raw top.qcow2
train 3 cow map --json top.qcow2
train 4 cow check --json top.qcow2
train 5 cow merge --top top.qcow2 --into base.raw
train 6 cow merge --top top.qcow2 --into base.raw --json
# A merge that copies data and allocates in a qcow2 target loads the engine's whole path, which an
# empty overlay does not: each class missing from the archive costs every merge the jar's opening.
# qemu-img and qemu-io make the images where they are installed (the build machines; the package
# depends on them), with the header extensions QEMU writes.
if command -v qemu-io >/dev/null && command -v qemu-img >/dev/null; then
  qemu-img create -q -f qcow2 mid.qcow2 4M >/dev/null 2>&1 || true
  qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 data.qcow2 >/dev/null 2>&1 || true
  qemu-io -c 'write -P 7 0 192k' -c 'write -z 1M 64k' -c 'write -P 9 3M 64k' data.qcow2 >/dev/null 2>&1 || true
  train 6b cow merge --top data.qcow2 --into mid.qcow2 --json
fi
train 7 init carrier --image base.raw --memory 64M
train 8 status carrier
train 9 status --json carrier
train 10 verify carrier
train 11 lease show carrier
CARRYON_QEMU="$tmp/no-qemu" train 12 resume carrier --detach
# An encrypted carrier's resume, refused for its wrong passphrase once the KDF has run: by then the
# sealed states' native cipher has loaded beside it (its JNI set-up loads some 700 JDK classes).
# Without QEMU installed the resume stops before it opens the carrier, and this trains less.
echo "cds training" >right.pass
echo "not it" >wrong.pass
CARRYON_PASSPHRASE_FILE=right.pass train 7e init ecarrier --image base.raw --memory 64M --encrypt
CARRYON_PASSPHRASE_FILE=wrong.pass train 12e resume ecarrier --detach
train 13 end carrier
# Real sessions where QEMU is installed (the build machines): a cold boot of the empty image
# (QEMU's firmware finds nothing to boot and waits), its end, a resume of the state it saved and
# that one's end, on a plain and on an encrypted carrier. A resume and an end that succeed load
# some 600 classes the refused ones above never reach (the restore and its checks, the sealed
# state's cipher, the LUKS images, the key slots' unlock), and so does the session keeper, whose
# JVM lists its classes beside its command's (CarryonJvm.startOptions).
if command -v qemu-system-x86_64 >/dev/null && command -v qemu-img >/dev/null; then
  train 20 init session --image base.raw --memory 64M
  CARRYON_PASSPHRASE_FILE=right.pass train 20e init esession --image base.raw --memory 64M --encrypt
  for run in 1 2; do
    train "21-$run" resume session --detach --display none
    train "22-$run" end session
    CARRYON_PASSPHRASE_FILE=right.pass train "21e-$run" resume esession --detach --display none
    CARRYON_PASSPHRASE_FILE=right.pass train "22e-$run" end esession
  done
fi
# The same commands on a carrier URL: the HTTP client (and its TLS set-up, made even for http://)
# is some 2000 classes, a third of a second of every command on a URL; serve's own are trained too.
java -XX:DumpLoadedClassList="$tmp/14.classes" -jar "$jar" serve carrier --listen 127.0.0.1:0 \
  --token-file token >serve.out 2>/dev/null &
serve_pid=$!
for _ in $(seq 1 300); do
  grep -q '^serving ' serve.out 2>/dev/null && break
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.1
done
url="$(sed -n 's/^serving .* at //p' serve.out)"
if [ -n "$url" ]; then
  train 15 status "$url" --token-file token
  train 16 verify "$url" --token-file token
  train 17 lease show "$url" --token-file token
  CARRYON_QEMU="$tmp/no-qemu" train 18 resume "$url" --token-file token --detach
  train 19 end "$url" --token-file token
fi
kill "$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true
cd - >/dev/null
cat "$tmp"/*.classes* | sort -u >"$out"
