#!/usr/bin/env bash
# Builds the AWS Lambda package of heartbeat's checker: build/lambda/<arch>/bootstrap.zip for
# the provided.al2023 runtime.
#
#   scripts/build-lambda.sh [arm64|x86_64]     (arm64 by default, as the Terraform deploys)
#   scripts/build-lambda.sh arm64 --check      (are the cross toolchain, the :arm64 -dev
#                                               packages and qemu-user-static installed?
#                                               Lists what is missing; installs nothing)
#
# arm64 is cross-compiled with Debian's cross toolchain (crossbuild-essential-arm64 and the
# :arm64 -dev packages, installed here when missing) into build-arm64/; x86_64 packages the
# native Release build in build/ (built when missing or stale).
#
# Why the zip carries its own C and C++ runtime: provided.al2023 has glibc 2.34 and no
# libstdc++, while Debian 12 builds against glibc 2.36. So the zip holds every library the
# binary needs, glibc and the dynamic loader included, and starts the binary through that
# bundled loader, as AWS's own C++ runtime packager (aws-lambda-cpp) does:
#
#   bootstrap          a /bin/sh script (provided.al2023 has /bin/sh: bash), shown below
#   bin/heartbeat      the one heartbeat binary, stripped
#   lib/               ld-linux-<arch>.so.*, libc.so.6, libstdc++.so.6, libcurl, ...
#   zoneinfo/          the tz database: Debian's tzdata, its TZif files only
#
# bootstrap execs  lib/ld-linux-*.so.* --library-path lib --argv0 bootstrap bin/heartbeat:
# only lib/ is searched (whatever LD_LIBRARY_PATH Lambda sets), and --argv0 (glibc >= 2.33,
# which the bundled loader is) names the process `bootstrap`, which is how the binary knows
# to run as the Lambda runtime (src/app/cli.cc) rather than as the `heartbeat` CLI.
#
# Cron schedules are evaluated in IANA time zones by cctz, which reads the zone files under
# $TZDIR, else /usr/share/zoneinfo (FileZoneInfoSource::Open in cctz's time_zone_info.cc,
# so in Debian 12's cctz 2.3 as upstream), and provided.al2023 is not sure to have that. So the
# zip carries the zones of this machine's tzdata in zoneinfo/ (tzdata 2025b: 599 zones,
# 0.7 MB, 0.4 MB more zip; an alias such as US/Eastern is a copy, as Lambda is not sure to
# keep a zip's symlinks; not right/, leap-second zones cctz rejects, nor posix/, the same
# zones again, nor the tables zone.tab, tzdata.zi, ...), and bootstrap exports TZDIR
# pointing there unless the function's environment sets TZDIR. New tz rules (a country
# changing its clocks) reach the Lambda by rebuilding the zip after an upgrade of tzdata.
#
# Environment (for tests): HEARTBEAT_LAMBDA_BINARY packages that x86_64 binary as it is
# instead of building build/heartbeat; HEARTBEAT_LAMBDA_OUT is the output folder instead of
# build/lambda/<arch>; HEARTBEAT_LAMBDA_BUILD_DIR is the arm64 cross build's folder instead
# of build-arm64/; HEARTBEAT_LAMBDA_NO_INSTALL=1 fails, naming the packages, where the
# script would install them.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arch="${1:-arm64}"
mode="${2:-build}"
jobs="${JOBS:-$(nproc)}"

die() {
  echo "build-lambda: $*" >&2
  exit 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The cross toolchain, the arm64 libraries heartbeat links, and qemu-user-static (to list
# what the arm64 binary loads, and for the arm64 test): those of them not installed.
# cctz is the exception: Debian 12's libcctz-dev cannot be installed for arm64 beside the
# native one (it is not Multi-Arch: same), so the arm64 build takes the runtime library
# libcctz2:arm64 and the native libcctz-dev's headers (CMakeLists.txt finds libcctz.so.2).
missing_cross_deps() {
  local packages=(crossbuild-essential-arm64 qemu-user-static
    libboost1.81-dev:arm64 libboost-json1.81-dev:arm64 libboost-url1.81-dev:arm64
    libsqlite3-dev:arm64 libssl-dev:arm64 libcurl4-openssl-dev:arm64
    libspdlog-dev:arm64 libfmt-dev:arm64 libcctz2:arm64 libcctz-dev)
  local p
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      echo "$p"
    fi
  done
}

ensure_cross_deps() {
  local missing
  mapfile -t missing < <(missing_cross_deps)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "${HEARTBEAT_LAMBDA_NO_INSTALL:-0}" = 1 ]; then
    die "not installed: ${missing[*]} (HEARTBEAT_LAMBDA_NO_INSTALL=1)"
  fi
  echo "build-lambda: installing ${missing[*]}" >&2
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    as_root dpkg --add-architecture arm64
  fi
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "could not install the arm64 cross toolchain (does the Debian mirror carry arm64?)"
}

if [ "$mode" = --check ]; then
  [ "$arch" = arm64 ] || die "--check is for arm64 (x86_64 needs nothing more than the build)"
  mapfile -t missing < <(missing_cross_deps)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "build-lambda: not installed: ${missing[*]}"
    exit 1
  fi
  echo "build-lambda: the arm64 cross toolchain, libraries and qemu-user-static are installed"
  exit 0
fi
[ "$mode" = build ] || die "usage: scripts/build-lambda.sh [arm64|x86_64] | arm64 --check"

case "$arch" in
  x86_64)
    [ "$(uname -m)" = x86_64 ] || die "x86_64 is built natively, on an x86_64 machine"
    binary="${HEARTBEAT_LAMBDA_BINARY:-}"
    if [ -z "$binary" ]; then
      build="$root/build"
      if [ ! -f "$build/build.ninja" ]; then
        cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
      fi
      cmake --build "$build" --target heartbeat -j "$jobs" >&2
      binary="$build/heartbeat"
    fi
    run=()  # the loader runs natively
    strip_tool=strip
    ;;
  arm64)
    [ -z "${HEARTBEAT_LAMBDA_BINARY:-}" ] || die "HEARTBEAT_LAMBDA_BINARY is for x86_64 only"
    ensure_cross_deps
    build="${HEARTBEAT_LAMBDA_BUILD_DIR:-$root/build-arm64}"
    if [ ! -f "$build/build.ninja" ]; then
      cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-aarch64.cmake" -DHEARTBEAT_TESTS=OFF >&2
    fi
    cmake --build "$build" --target heartbeat -j "$jobs" >&2
    binary="$build/heartbeat"
    run=(qemu-aarch64-static)
    strip_tool=aarch64-linux-gnu-strip
    ;;
  *)
    die "usage: scripts/build-lambda.sh [arm64|x86_64]"
    ;;
esac
[ -x "$binary" ] || die "no binary at $binary"

out="${HEARTBEAT_LAMBDA_OUT:-$root/build/lambda/$arch}"
mkdir -p "$out"
stage="$(mktemp -d "$out/.stage-XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"

# The loader the binary asks for, e.g. /lib64/ld-linux-x86-64.so.2 or /lib/ld-linux-aarch64.so.1.
interp="$(readelf -l "$binary" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')"
[ -n "$interp" ] || die "$binary has no program interpreter"
loader="$(basename "$interp")"
cp -L "$interp" "$stage/lib/$loader"

# Every library the loader resolves for the binary (as ldd does; under qemu for arm64).
listing="$(env -u LD_LIBRARY_PATH -u LD_PRELOAD "${run[@]}" "$interp" --list "$binary")" ||
  die "the loader could not list the libraries of $binary"
if grep -q "not found" <<<"$listing"; then
  die "libraries not found: $(grep "not found" <<<"$listing" | tr -s ' \t' ' ')"
fi
while read -r name arrow path _; do
  [ "$arrow" = "=>" ] || continue
  cp -L "$path" "$stage/lib/$name"
done <<<"$listing"

"$strip_tool" --strip-unneeded -o "$stage/bin/heartbeat" "$binary"
chmod 0755 "$stage/bin/heartbeat"

# The tz database: every file of it that is a zone (TZif), aliases copied, without right/,
# posix/ and localtime (this machine's zone, a link to /etc/localtime).
tzsrc=/usr/share/zoneinfo
[ -f "$tzsrc/Europe/Riga" ] ||
  die "no tz database at $tzsrc (apt-get install tzdata, as scripts/install-deps.sh does)"
zones=()
while IFS= read -r -d '' zone; do
  magic=""
  IFS= read -r -n 4 magic <"$tzsrc/$zone" 2>/dev/null || true
  [ "$magic" = TZif ] && zones+=("$zone")
done < <(cd "$tzsrc" && find . \( -path ./right -o -path ./posix -o -path ./localtime \) -prune -o \
  \( -type f -o -type l \) -printf '%P\0' | sort -z)
[ ${#zones[@]} -gt 0 ] || die "no zone file (TZif) in $tzsrc"
mkdir -p "$stage/zoneinfo"
(cd "$tzsrc" && cp -L --parents -t "$stage/zoneinfo" -- "${zones[@]}")
find "$stage/zoneinfo" -type d -exec chmod 0755 {} +
find "$stage/zoneinfo" -type f -exec chmod 0644 {} +

cat >"$stage/bootstrap" <<SCRIPT
#!/bin/sh
# heartbeat's AWS Lambda entry point (provided.al2023). The binary runs on the C and C++
# runtime bundled in lib/ (glibc, libstdc++, ...), through the bundled dynamic loader, which
# searches lib/ only; --argv0 bootstrap makes heartbeat run as the Lambda runtime.
# Made by scripts/build-lambda.sh.
case "\$0" in
  */*) here="\${0%/*}" ;;
  *) here=. ;;
esac
# The tz database for cron schedules in IANA zones: the bundled zoneinfo/ (cctz reads
# \$TZDIR, else /usr/share/zoneinfo, which provided.al2023 may lack), unless the function's
# environment names another.
if [ -z "\${TZDIR:-}" ]; then
  case "\$here" in
    /*) TZDIR="\$here/zoneinfo" ;;
    *) TZDIR="\$PWD/\$here/zoneinfo" ;;
  esac
  export TZDIR
fi
exec "\$here/lib/$loader" --library-path "\$here/lib" --argv0 bootstrap "\$here/bin/heartbeat" "\$@"
SCRIPT
chmod 0755 "$stage/bootstrap"
chmod 0644 "$stage"/lib/*
chmod 0755 "$stage/lib/$loader"

rm -f "$out/bootstrap.zip"
(cd "$stage" && zip -q -r -X "$out/bootstrap.zip" bootstrap bin lib zoneinfo)
echo "build-lambda: $out/bootstrap.zip ($(du -k "$out/bootstrap.zip" | cut -f1) KiB," \
  "$(ls "$stage/lib" | wc -l) libraries bundled, loader $loader, ${#zones[@]} time zones)" >&2
