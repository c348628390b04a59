#!/usr/bin/env bash
# Installs the Debian 12 packages heartbeat needs to build, test and benchmark.
# Idempotent and quick when everything is present: apt is only called for
# packages that are missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev sqlite3 libssl-dev libcurl4-openssl-dev
  libspdlog-dev libfmt-dev libcli11-dev
  # Cron schedules: cctz reads the IANA time zones of tzdata (/usr/share/zoneinfo).
  libcctz-dev tzdata
  libgtest-dev libgmock-dev libbenchmark-dev
  wrk iproute2
  # tests/deploy: the unit checked by systemd-analyze and the binary traced under its filters.
  systemd strace
  # scripts/build-lambda.sh and its tests: bootstrap.zip is made with zip and unpacked with unzip.
  zip unzip
  # tests/notify: e-mail channels are sent to a real SMTP server on loopback (aiosmtpd).
  python3-aiosmtpd
  chromium
  # The ASan+UBSan build and the fuzz targets (make test, make fuzz): clang and its
  # libFuzzer and sanitizer runtimes.
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm (browser tests) are looked for as commands: a machine may have them from
# another source (NodeSource's nodejs carries npm, and Debian's npm package conflicts with it).
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

# tests/deploy checks the Containerfile's packages against apt's lists: make sure there are some.
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then need_update=1; else need_update=0; fi

if [ ${#missing[@]} -gt 0 ] || [ "$need_update" = 1 ]; then
  [ ${#missing[@]} -gt 0 ] && echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages, pinned by package-lock.json: installed when node_modules is missing or
# older than the lock file.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
npm_ci_if_stale() {
  local dir="$1"
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "install-deps: npm ci in ${dir#"$root"/}" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}
npm_ci_if_stale "$root/tests/browser"
# dynalite (local DynamoDB engine), the reference SigV4 signer and the HCL parser.
npm_ci_if_stale "$root/tests/tools"
