#!/usr/bin/env bash
# The Android steps of the companion's Maven build (pom.xml runs each at its phase), from Debian's
# Android tools (packages aapt, zipalign, apksigner) and two jars Maven fetched: the Android API
# (org.robolectric:android-all) and R8/D8 (com.android.tools:r8).
#
#   resources  aapt2 compiles res/ and links it with the manifest against the API jar:
#              target/apk/resources.ap_, R.java, and R8 keep rules for the manifest's classes
#   classes    R8 keeps, as class files, what the phone runs: the manifest's classes and what they
#              reach in this module, carrier, cow-merge and Jackson; D8 then rewrites them for API
#              26 as class files (lambdas, records, and the Java 9+ methods it can backport such
#              as List.of), giving target/apk/phone-classes.jar: what goes into the dex, and what
#              the build then checks against the API 26 signature, so that what is flagged is
#              exactly what would fail on an Android 8 phone
#   apk        D8 dexes those classes; the dex joins the linked resources; zipalign; apksigner
#              signs with the debug key: target/carryon-companion.apk
#
# Environment (set by pom.xml): ANDROID_JAR, R8_JAR, MIN_SDK, VERSION_NAME; optional
# CARRYON_DEBUG_KEYSTORE (default ~/.android/debug.keystore, made with keytool when absent).
set -euo pipefail
cd "${0%/*}"

die() {
  echo "build-apk.sh: $*" >&2
  exit 1
}

# Every tool a step needs, checked before the step starts, with the Debian package that has it.
need() {
  local missing=() tool pkg
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 && continue
    case "$tool" in
      aapt2 | aapt) pkg=aapt ;;
      zipalign) pkg=zipalign ;;
      apksigner) pkg=apksigner ;;
      *) pkg="a JDK" ;;  # java, jar, keytool
    esac
    missing+=("$tool (from $pkg)")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    die "missing ${missing[*]}: install the Android build tools with" \
      "'scripts/ensure-packages.sh aapt zipalign apksigner' (./test.sh does it)"
  fi
}

for var in ANDROID_JAR R8_JAR MIN_SDK VERSION_NAME; do
  [ -n "${!var:-}" ] || die "$var is not set (run this through Maven: see pom.xml)"
done

out=target/apk

# android-all holds Android's own classes but not java.*: R8 and D8 resolve those in a JDK. (Which
# Java APIs an Android 8 phone has is the API check's business, against its signature.)
jdk() {
  echo "${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
}

# R8 and D8, in a JVM that compiles with C1 only: a tool that runs for seconds spends less on the
# optimizing compiler than it gains (R8 here: 39 s of CPU instead of 80).
r8() {
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$R8_JAR" com.android.tools.r8."$@"
}

resources() {
  need aapt2
  mkdir -p "$out" target/generated-sources/aapt
  aapt2 compile --dir src/main/res -o "$out/res.zip"
  # aapt2 2.19 warns of each newer chunk in Android 14's resource table it skips: harmless here.
  aapt2 link -I "$ANDROID_JAR" --manifest src/main/AndroidManifest.xml \
    --version-code 1 --version-name "$VERSION_NAME" \
    --java target/generated-sources/aapt --proguard "$out/manifest-rules.pro" \
    -o "$out/resources.ap_" "$out/res.zip" 2> >(grep -v "Unknown chunk type" >&2)
}

classes() {
  need java jar
  [ -f "$out/runtime-classpath.txt" ] || die "$out/runtime-classpath.txt is missing (made by Maven)"
  local inputs=() entry packed
  # One line without a newline at its end: read says end-of-file, and has read it all.
  IFS=: read -r -a classpath <"$out/runtime-classpath.txt" || true
  for entry in target/classes "${classpath[@]}"; do
    [ -n "$entry" ] || continue
    if [ -d "$entry" ]; then
      # R8 takes jars: this module's classes, or a reactor module built only to its classes
      # folder (a build stopped before `package`).
      packed="$out/$(echo "${entry%/}" | tr / _).jar"
      rm -f "$packed"
      jar cf "$packed" -C "$entry" .
      entry=$packed
    fi
    inputs+=("$entry")
  done
  rm -f "$out/phone-kept.jar" "$out/phone-classes.jar"
  r8 R8 --classfile --release --no-data-resources \
    --lib "$ANDROID_JAR" --lib "$(jdk)" --pg-conf src/main/phone-rules.pro --pg-conf "$out/manifest-rules.pro" \
    --output "$out/phone-kept.jar" "${inputs[@]}"
  r8 D8 --classfile --release --min-api "$MIN_SDK" \
    --lib "$ANDROID_JAR" --lib "$(jdk)" --output "$out/phone-classes.jar" "$out/phone-kept.jar"
}

apk() {
  need java keytool aapt zipalign apksigner
  [ -f "$out/phone-classes.jar" ] || die "$out/phone-classes.jar is missing: run the classes step first"
  rm -rf "$out/dex" && mkdir -p "$out/dex"
  r8 D8 --release --min-api "$MIN_SDK" \
    --lib "$ANDROID_JAR" --lib "$(jdk)" --output "$out/dex" "$out/phone-classes.jar"
  cp "$out/resources.ap_" "$out/unsigned.apk"
  (cd "$out/dex" && aapt add ../unsigned.apk classes*.dex >/dev/null)
  zipalign -p -f 4 "$out/unsigned.apk" "$out/aligned.apk"

  # The SDK's debug key, where Android's own tools keep it: one key on this machine, so that a
  # rebuilt APK installs over the last one (`adb install -r`) instead of being refused.
  local keystore=${CARRYON_DEBUG_KEYSTORE:-$HOME/.android/debug.keystore}
  if [ ! -f "$keystore" ]; then
    mkdir -p "$(dirname "$keystore")"
    local fresh="$keystore.$$.tmp"
    keytool -genkeypair -keystore "$fresh" -storetype PKCS12 -storepass android \
      -alias androiddebugkey -keypass android -keyalg RSA -keysize 2048 -validity 10000 \
      -dname "CN=Android Debug,O=Android,C=US" >"$out/keytool.log" 2>&1 \
      || die "keytool could not make the debug key $keystore: $(cat "$out/keytool.log")"
    # Another build may have made one meanwhile: keep the first.
    mv -n "$fresh" "$keystore"
    rm -f "$fresh"
  fi
  apksigner sign --ks "$keystore" --ks-pass pass:android --ks-key-alias androiddebugkey \
    --key-pass pass:android --out target/carryon-companion.apk "$out/aligned.apk"
  apksigner verify target/carryon-companion.apk
}

case "${1:-}" in
  resources | classes | apk) "$1" ;;
  *) die "usage: build-apk.sh resources|classes|apk" ;;
esac
