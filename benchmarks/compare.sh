#!/usr/bin/env bash
# Measures klappt against the same job in DuckDB, polars and pandas (see benchmarks/jobs.py) on a
# generated job-centre export, checks that all figures agree, and prints a Markdown table of wall
# time and peak RSS with the ratio to klappt.
#
#   benchmarks/compare.sh [PERSONS]        default 1700000 persons: about 1.84 million rows
#
# Needs: swift, python3 with venv, /usr/bin/time (Debian package "time"), and PyPI for the
# first run (duckdb, polars, pandas go into .build-bench/venv). Data and results stay in .build-bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
persons=${1:-1700000}
work=.build-bench
mkdir -p "$work"

command -v /usr/bin/time >/dev/null || { echo "/usr/bin/time fehlt: apt-get install -y time" >&2; exit 69; }
swift build -c release --product klappt >&2
klappt=.build/release/klappt

if [[ ! -x $work/venv/bin/python ]]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q duckdb polars pandas >&2
fi

data=$work/data-$persons
if [[ ! -f $data/erwartet_2026-Q3.json ]]; then
  rm -rf "$data"
  "$klappt" samples --out "$data" --persons "$persons" --seed 1 --period 2026-Q3 --only jobcenter >&2
fi
csv=$(ls "$data"/jobcenter/jobcenter_kreis_unna_2026-09-30.csv)
rows=$(python3 -c "import json; print([f for f in json.load(open('$data/erwartet_2026-Q3.json'))['files'] if f['file'].endswith('30.csv')][0]['rows_read'])")
size=$(du -m "$csv" | cut -f1)
key=$work/bench.key
[[ -f $key ]] || "$klappt" keygen "$key" >/dev/null

# measure NAME COMMAND...: runs the command once, records wall seconds and peak RSS (MB).
declare -A wall rss
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time-$name" "$@" > "$work/out-$name" 2> "$work/err-$name" || { cat "$work/err-$name" >&2; exit 1; }
  read -r seconds kilobytes < "$work/time-$name"
  wall[$name]=$seconds
  rss[$name]=$((kilobytes / 1024))
}

rm -rf "$work/run-validate" "$work/run-full"
measure "klappt validate" "$klappt" validate benchmarks/nur_jobcenter.yaml --period 2026-Q3 --source "jobcenter=$csv" --output-dir "$work/run-validate"
measure "klappt run" "$klappt" run benchmarks/nur_jobcenter.yaml --period 2026-Q3 --source "jobcenter=$csv" --output-dir "$work/run-full" --key-file "$key" --force
for engine in duckdb polars pandas; do
  measure "$engine" "$work/venv/bin/python" benchmarks/jobs.py "$engine" "$csv"
done

# The figures must agree: klappt's report against each engine's output.
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
report = json.load(open(f"{work}/run-full/lauf_2026-Q3.json"))["inputs"][0]
klappt = {"rows_read": report["rows_read"], "duplicates": report["duplicates"], "reasons": dict(sorted(report["reasons"].items())),
          "accepted": report["accepted"], "distinct_customers": report["accepted"] - report["superseded"]}
bad = False
for engine in ["duckdb", "polars", "pandas"]:
    other = json.load(open(f"{work}/out-{engine}"))
    if other != klappt:
        print(f"ABWEICHUNG {engine}: {other} != klappt {klappt}", file=sys.stderr)
        bad = True
print(f"Figures agree: {json.dumps(klappt, sort_keys=True)}" if not bad else "Figures DISAGREE", file=sys.stderr)
sys.exit(1 if bad else 0)
PY

echo "Job-centre export: $rows rows, $size MB Windows-1252 ($persons persons), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| tool | wall (s) | peak RSS (MB) | time vs klappt run | RSS vs klappt run |"
echo "|---|---:|---:|---:|---:|"
base_wall=${wall[klappt run]}
base_rss=${rss[klappt run]}
for name in "klappt run" "klappt validate" duckdb polars pandas; do
  printf '| %s | %s | %s | %s | %s |\n' "$name" "${wall[$name]}" "${rss[$name]}" \
    "$(python3 -c "print(f'{${wall[$name]} / $base_wall:.2f}x')")" "$(python3 -c "print(f'{${rss[$name]} / $base_rss:.2f}x')")"
done
