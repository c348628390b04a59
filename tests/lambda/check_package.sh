#!/usr/bin/env bash
# Checks that a bootstrap.zip of scripts/build-lambda.sh is self-contained for
# provided.al2023 (glibc 2.34, no libstdc++):
#   - bootstrap is an executable /bin/sh script; bin/heartbeat is an executable ELF;
#   - the dynamic loader the binary asks for is in lib/;
#   - every NEEDED library of the binary and of every bundled library is in lib/;
#   - run through the bundled loader with a clean environment, every library resolves
#     inside lib/ (nothing from the machine but the kernel);
#   - if glibc is not bundled, no symbol requires a GLIBC_ version newer than 2.34;
#   - the tz database is in zoneinfo/ (zone files only, no links), bootstrap exports TZDIR
#     pointing there (an absolute path, however it is started; a TZDIR already set wins),
#     and the bundled binary reads a zone from there alone: `heartbeat schedule` with
#     TZDIR=zoneinfo/ answers Europe/Riga's times across a daylight saving change (cctz
#     looks in $TZDIR only when it is set, so the machine's /usr/share/zoneinfo cannot
#     stand in for a missing file).
#
#   check_package.sh ZIP [--runner CMD] [--without PATH_IN_ZIP]
# --runner runs the bundled loader (qemu-aarch64-static for arm64); --without deletes a
# file after unpacking, so that a test can prove the check fails when something is missing.
set -euo pipefail

zip="$1"
shift
runner=()
without=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runner) runner=("$2"); shift 2 ;;
    --without) without="$2"; shift 2 ;;
    *) echo "check_package: unknown argument $1" >&2; exit 2 ;;
  esac
done

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

[ -f "$zip" ] || { echo "FAIL: no package at $zip" >&2; exit 1; }
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
unzip -q "$zip" -d "$dir"
if [ -n "$without" ]; then rm -f "$dir/$without"; fi
cd "$dir"

[ -x bootstrap ] || fail "bootstrap is missing or not executable"
[ "$(head -n 1 bootstrap 2>/dev/null)" = "#!/bin/sh" ] || fail "bootstrap does not start with #!/bin/sh"
[ -x bin/heartbeat ] || fail "bin/heartbeat is missing or not executable"
[ "$failures" -eq 0 ] || exit 1

interp="$(readelf -l bin/heartbeat | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')"
loader="$(basename "$interp")"
[ -f "lib/$loader" ] || fail "the dynamic loader $loader is not in lib/"
grep -q "lib/$loader\" --library-path \"\$here/lib\" --argv0 bootstrap" bootstrap ||
  fail "bootstrap does not start bin/heartbeat through lib/$loader with lib/ as library path"

elves=(bin/heartbeat)
for f in lib/*; do elves+=("$f"); done
for f in "${elves[@]}"; do
  while read -r needed; do
    [ -f "lib/$needed" ] || fail "$f needs $needed, which is not in lib/"
  done < <(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done

# Resolution as it happens at start, with nothing from the environment.
if [ -f "lib/$loader" ]; then
  if listing="$(env -i "${runner[@]}" "./lib/$loader" --library-path ./lib --list ./bin/heartbeat 2>&1)"; then
    while read -r name arrow path _; do
      [ "$arrow" = "=>" ] || continue
      case "$path" in
        ./lib/* | "$dir"/lib/*) ;;
        *) fail "$name resolves to $path, outside the package" ;;
      esac
    done <<<"$listing"
    if grep -q "not found" <<<"$listing"; then fail "unresolved: $(grep "not found" <<<"$listing")"; fi
  else
    fail "the bundled loader cannot load bin/heartbeat: $listing"
  fi
fi

# The tz database: the zones cron schedules name, aliases included, as plain zone files.
for zone in UTC Etc/UTC Europe/Riga America/New_York US/Eastern Asia/Kolkata Australia/Lord_Howe; do
  [ -f "zoneinfo/$zone" ] || fail "zoneinfo/$zone is missing (the tz database is not bundled whole)"
done
for extra in zoneinfo/right zoneinfo/posix zoneinfo/localtime; do
  [ ! -e "$extra" ] || fail "$extra is bundled (duplicates of the zones, or this machine's zone)"
done
if [ -d zoneinfo ]; then
  links="$(find zoneinfo -type l | head -n 3)"
  [ -z "$links" ] || fail "zoneinfo/ holds symlinks, which Lambda may not keep: $links"
  while IFS= read -r -d '' f; do
    magic=""
    IFS= read -r -n 4 magic <"$f" || true
    [ "$magic" = TZif ] || fail "$f is not a zone file (TZif)"
  done < <(find zoneinfo -type f -print0)
fi

# What bootstrap hands the binary: the loader swapped for a stub that prints TZDIR. Lambda
# starts /var/task/bootstrap from /var/task; started from elsewhere, or as ./bootstrap, the
# path must still be absolute (the binary may change directory).
if [ -f "lib/$loader" ] && [ -x bootstrap ]; then
  mv "lib/$loader" "$dir/loader.real"
  # shellcheck disable=SC2016 # $TZDIR is the stub's, expanded when it runs
  printf '#!/bin/sh\nprintf "%%s\\n" "$TZDIR"\n' >"lib/$loader"
  chmod 0755 "lib/$loader"
  for how in absolute relative; do
    if [ "$how" = absolute ]; then got="$(cd / && env -i "$dir/bootstrap")"; else got="$(env -i ./bootstrap)"; fi
    case "$got" in
      /*) [ "$(cd "$got" 2>/dev/null && pwd -P)" = "$(cd "$dir" && pwd -P)/zoneinfo" ] ||
            fail "bootstrap started by its $how path sets TZDIR=$got, not the bundled zoneinfo/" ;;
      *) fail "bootstrap started by its $how path sets TZDIR=\"$got\", not an absolute path to the bundled zoneinfo/" ;;
    esac
  done
  got="$(env -i TZDIR=/opt/zones ./bootstrap)"
  [ "$got" = /opt/zones ] || fail "bootstrap replaces the TZDIR the function's environment sets (/opt/zones) with $got"
  mv "$dir/loader.real" "lib/$loader"
fi

# The bundled binary, reading its zone from zoneinfo/ alone: 03:00 on 2021-03-28 did not
# happen in Riga (EET -> EEST at 03:00), so that day's run is at 04:00, +03:00.
if [ -f "lib/$loader" ]; then
  want=$'2021-03-27T03:00:00+02:00\n2021-03-28T04:00:00+03:00'
  got="$(env -i TZDIR="$dir/zoneinfo" "${runner[@]}" "./lib/$loader" --library-path ./lib ./bin/heartbeat \
    schedule '0 3 * * *' --tz Europe/Riga --after 2021-03-27T00:00:00Z --count 2 2>&1)" || true
  [ "$got" = "$want" ] ||
    fail "heartbeat schedule with TZDIR=zoneinfo/ printed \"$got\" for Europe/Riga, not \"${want//$'\n'/ }\""
fi

# Without a bundled glibc, provided.al2023's 2.34 is what the files get: no symbol they
# import may be versioned newer (the symbols that are, named, e.g. arc4random@GLIBC_2.36).
if [ ! -f lib/libc.so.6 ]; then
  too_new=()
  for f in "${elves[@]}"; do
    while read -r symbol; do
      too_new+=("$f needs $symbol")
    done < <(readelf --dyn-syms --wide "$f" | awk '$7 == "UND" { print $8 }' |
      awk -F '@GLIBC_2[.]' 'NF == 2 && $2 + 0 > 34' | sort -u)
  done
  if [ ${#too_new[@]} -gt 0 ]; then
    newest="$(printf '%s\n' "${too_new[@]}" | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2,2n | tail -n 1)"
    listed="$(printf '%s, ' "${too_new[@]:0:5}")"
    [ ${#too_new[@]} -le 5 ] || listed+="..."
    fail "glibc is not bundled, yet $newest is required (provided.al2023 has 2.34): ${listed%, }"
  fi
fi

if [ "$failures" -gt 0 ]; then
  echo "check_package: $failures problem(s) in $zip" >&2
  exit 1
fi
echo "check_package: $zip is self-contained ($(ls lib | wc -l) libraries, loader $loader," \
  "$(find zoneinfo -type f | wc -l) time zones)"
