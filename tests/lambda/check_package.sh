#!/usr/bin/env bash
# Checks that a bootstrap.zip of scripts/build-lambda.sh is self-contained for
# provided.al2023 (glibc 2.34, no libstdc++):
#   - bootstrap is an executable /bin/sh script; bin/heartbeat is an executable ELF;
#   - the dynamic loader the binary asks for is in lib/;
#   - every NEEDED library of the binary and of every bundled library is in lib/;
#   - run through the bundled loader with a clean environment, every library resolves
#     inside lib/ (nothing from the machine but the kernel);
#   - if glibc is not bundled, no symbol requires a GLIBC_ version newer than 2.34.
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
echo "check_package: $zip is self-contained ($(ls lib | wc -l) libraries, loader $loader)"
