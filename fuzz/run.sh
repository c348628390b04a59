#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/, one per core at a time, each for SECONDS, and fails when
# one of them finds a crash, a sanitizer report, a broken invariant, a timeout or an OOM.
#
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]      (make fuzz / make test-fuzz call it)
#
# Each target starts from the repository's seed corpus (fuzz/corpus/TARGET/, only read)
# plus what earlier runs found, kept in BUILD_DIR/fuzz-work/corpus/TARGET/ (where new
# inputs are written). Logs go to BUILD_DIR/fuzz-work/logs/, and an input that fails to
# BUILD_DIR/fuzz-work/artifacts/TARGET/; reproduce it with
#   BUILD_DIR/fuzz/TARGET BUILD_DIR/fuzz-work/artifacts/TARGET/crash-...
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(cd "${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}" && pwd)"
seconds="${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}"
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(interval_fuzz slug_fuzz markdown_fuzz request_fuzz dynamo_json_fuzz)

# Longest input each target is given: a little past every limit the code has.
declare -A max_len=([interval_fuzz]=256 [slug_fuzz]=128 [markdown_fuzz]=4096 [request_fuzz]=65536 [dynamo_json_fuzz]=65536)
declare -A dict=([interval_fuzz]=interval.dict [request_fuzz]=request.dict)

work="$build/fuzz-work"
mkdir -p "$work/logs"
# request_fuzz keeps its SQLite store under TMPDIR: on tmpfs when there is one (syncs are
# free there), in a directory removed at the end even when the target crashed.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  scratch="$(mktemp -d /dev/shm/heartbeat-fuzz.XXXXXX)"
else
  mkdir -p "$work/tmp"
  scratch="$(mktemp -d "$work/tmp/heartbeat-fuzz.XXXXXX")"
fi
trap 'rm -rf "$scratch"' EXIT

for t in "${targets[@]}"; do
  if [ ! -x "$build/fuzz/$t" ]; then
    echo "fuzz: $build/fuzz/$t is missing (build it with make fuzz-build)" >&2
    exit 2
  fi
done

# run_target TARGET: one libFuzzer run; its exit code goes to $work/rc/TARGET.
run_target() {
  local t="$1"
  local exe="$build/fuzz/$t" corpus="$work/corpus/$t" artifacts="$work/artifacts/$t"
  local log="$work/logs/$t.log"
  mkdir -p "$corpus" "$artifacts"
  local args=(-max_total_time="$seconds" -max_len="${max_len[$t]:-4096}" -timeout=30
              -print_final_stats=1 -artifact_prefix="$artifacts/")
  if [ -n "${dict[$t]:-}" ]; then args+=(-dict="$root/fuzz/${dict[$t]}"); fi
  echo "fuzz: $t for ${seconds}s (log: ${log#"$root"/})" >&2
  TMPDIR="$scratch" UBSAN_OPTIONS=print_stacktrace=1 \
    "$exe" "${args[@]}" "$corpus" "$root/fuzz/corpus/$t" >"$log" 2>&1
  echo $? >"$work/rc/$t"
}

# The targets run side by side, FUZZ_JOBS at a time (default: one per core); each still
# gets its SECONDS of fuzzing.
jobs_max="${FUZZ_JOBS:-$(nproc)}"
rm -rf "$work/rc"
mkdir -p "$work/rc"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  run_target "$t" &
done
wait

failed=()
summary=()
for t in "${targets[@]}"; do
  corpus="$work/corpus/$t"
  log="$work/logs/$t.log"
  rc="$(cat "$work/rc/$t" 2>/dev/null || echo 1)"
  execs="$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}')"
  rate="$(grep -a 'stat::average_exec_per_sec' "$log" | awk '{print $2}')"
  units="$(find "$corpus" -type f | wc -l)"
  line="$(printf '%-14s %10s execs %8s exec/s %6s corpus units' "$t" "${execs:-?}" "${rate:-?}" "$units")"
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    line+="  FAILED (exit $rc)"
    echo "fuzz: $t FAILED (exit $rc); the end of its log:" >&2
    grep -av '^#[0-9]' "$log" | tail -n 40 >&2
    artifact="$(grep -a -o 'Test unit written to .*' "$log" | tail -n 1 | sed 's/^Test unit written to //')"
    if [ -n "$artifact" ]; then
      echo "fuzz: reproduce with: $build/fuzz/$t $artifact" >&2
    fi
  fi
  summary+=("$line")
done

echo >&2
printf 'fuzz: %s\n' "${summary[@]}" >&2
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no findings" >&2
