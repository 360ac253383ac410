#!/usr/bin/env bash
# Builds carryon's Debian package from the CLI jar and the generated docs (see pom.xml, which runs
# this at the package phase): a plain package that depends on Debian's Java 17 runtime.
# Usage: build-deb.sh JAR DOCS_DIR MAVEN_VERSION OUT_DIR
set -euo pipefail
jar=$1 docs=$2 maven_version=$3 out=$4
here="$(cd "$(dirname "$0")" && pwd)"
version=${maven_version/-SNAPSHOT/\~snapshot} # a snapshot sorts before its release
root="$out/deb-root"
rm -rf "$root"
install -D -m 0644 "$jar" "$root/usr/share/carryon/carryon.jar"
# The classes the commands load; postinst dumps them into an archive with the Java installed there.
"$here/../scripts/cds-classlist.sh" "$jar" "$root/usr/share/carryon/carryon.classlist"
chmod 0644 "$root/usr/share/carryon/carryon.classlist"
install -D -m 0755 "$here/debian/usr/bin/carryon" "$root/usr/bin/carryon"
install -D -m 0644 "$here/../scripts/agent-client.bash" "$root/usr/share/carryon/agent-client.bash"
for page in "$docs"/man/*.1; do
  install -d "$root/usr/share/man/man1"
  gzip -9n -c "$page" >"$root/usr/share/man/man1/$(basename "$page").gz"
done
install -D -m 0644 "$docs/completion/carryon" "$root/usr/share/bash-completion/completions/carryon"
for unit in "$here"/debian/systemd/*; do
  install -D -m 0644 "$unit" "$root/usr/lib/systemd/user/$(basename "$unit")"
done
install -D -m 0644 "$here/debian/udev/70-carryon-adb.rules" "$root/usr/lib/udev/rules.d/70-carryon-adb.rules"
install -D -m 0644 "$here/debian/copyright" "$root/usr/share/doc/carryon/copyright"
install -d "$root/DEBIAN"
install -m 0755 "$here/debian/DEBIAN/postinst" "$here/debian/DEBIAN/postrm" "$root/DEBIAN/"
install -m 0644 "$here/debian/DEBIAN/triggers" "$root/DEBIAN/"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" "$here/debian/control.in" >"$root/DEBIAN/control"
deb="$out/carryon_${version}_amd64.deb"
# The jar is compressed already: gzip -1 costs a second, xz would cost many for nothing.
dpkg-deb --root-owner-group -Zgzip -z1 --build "$root" "$deb" >/dev/null
rm -rf "$root"
echo "$deb"
