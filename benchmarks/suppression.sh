#!/usr/bin/env bash
# Issue 15: klappt's secondary suppression against the proven minimum that an independent exact
# computation finds (benchmarks/optimal_suppression.py: scipy/HiGHS, written from SPEC 6 and 10),
# and against klappt's own heuristic (the fallback, forced with time_limit_s: 0), on generated
# quarters: 2026-Q2 (its tables alone) and 2026-Q3 (linked to Q2 and the transitions).
#
#   benchmarks/suppression.sh [PERSONS... [-- SEEDS...]]     defaults: 900 2000 4000 -- 1 2 3
#
# Prints a Markdown table; exits 1 when any pattern differs from the proven minimum or is unsafe.
# Needs: swift, python3 with venv and PyPI for the first run (scipy into .build-bench/venv).
set -euo pipefail
cd "$(dirname "$0")/.."
persons=() seeds=()
target=persons
for argument in "$@"; do
  if [[ $argument == -- ]]; then target=seeds; continue; fi
  if [[ $target == persons ]]; then persons+=("$argument"); else seeds+=("$argument"); fi
done
((${#persons[@]})) || persons=(900 2000 4000)
((${#seeds[@]})) || seeds=(1 2 3)
work=.build-bench
mkdir -p "$work"
swift build -c release --product klappt >&2
klappt=$PWD/.build/release/klappt
[[ -x $work/venv/bin/python ]] || python3 -m venv "$work/venv"
"$work/venv/bin/python" -c "import scipy" 2>/dev/null || "$work/venv/bin/python" -m pip install -q scipy >&2
key=$PWD/$work/bench.key
[[ -f $key ]] || "$klappt" keygen "$key" >/dev/null

# secondary DIR PERIOD: secondary cells and the method from the run report.
secondary() {
  python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['suppression']; print(s['secondary_cells'], s.get('method'))" "$1/output/lauf_$2.json"
}
# suppression_ms LOG: the durations of suppression plus audit, one per period, from `klappt run -v`.
suppression_ms() { grep 'Geheimhaltung geprüft' "$1" | grep -o 'dauer_ms=[0-9]*' | cut -d= -f2; }

failed=0
echo "| persons | seed | period | cells | primary | proven minimum (total) | klappt (total) | method | agrees | suppression + audit | heuristic |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in "${persons[@]}"; do
  for seed in "${seeds[@]}"; do
    dir=$work/sdc-$n-$seed
    rm -rf "$dir" && mkdir -p "$dir"
    cp -r pipelines "$dir/pipelines"
    "$klappt" samples --out "$dir/samples" --persons "$n" --seed "$seed" --period 2026-Q2..2026-Q3 >/dev/null
    "$klappt" run "$dir/pipelines/quartal.yaml" --key-file "$key" -v >"$dir/exact.out" 2>"$dir/exact.log" || { cat "$dir/exact.log" >&2; exit 1; }
    mapfile -t ms < <(suppression_ms "$dir/exact.log")
    # The heuristic on the same inputs, in a copy of its own.
    mkdir -p "$dir/heuristic"
    cp -r "$dir/pipelines" "$dir/heuristic/pipelines"
    ln -s "$PWD/$dir/samples" "$dir/heuristic/samples"
    sed -i 's/^  time_limit_s: .*/  time_limit_s: 0/' "$dir/heuristic/pipelines/quartal.yaml"
    "$klappt" run "$dir/heuristic/pipelines/quartal.yaml" --key-file "$key" >"$dir/heuristic.out" 2>&1 || { cat "$dir/heuristic.out" >&2; exit 1; }
    index=0
    for period in 2026-Q2 2026-Q3; do
      check=$("$work/venv/bin/python" benchmarks/optimal_suppression.py "$dir/output/klappt.sqlite" "$period") || failed=1
      read -r exact method < <(secondary "$dir" "$period")
      read -r heuristic _ < <(secondary "$dir/heuristic" "$period")
      # "2026-Q2: cells 432, primary 104; klappt 20 secondary (total 151), proven minimum 20 (total 151; ...)"
      cells=$(sed -E 's/.*cells ([0-9]+).*/\1/' <<<"$check")
      primary=$(sed -E 's/.*primary ([0-9]+);.*/\1/' <<<"$check")
      klappt_total=$(sed -E 's/.*secondary \(total ([0-9]+)\).*/\1/' <<<"$check")
      minimum=$(sed -E 's/.*proven minimum ([0-9]+) \(total ([0-9]+);.*/\1 (\2)/' <<<"$check")
      verdict=$(sed -E 's/.*; (same|DIFFERENT)$/\1/' <<<"$check")
      [[ $method == exakt && $check == *"pattern safe; same"* ]] || failed=1
      echo "| $n | $seed | $period | $cells | $primary | $minimum | $exact ($klappt_total) | $method | $verdict | ${ms[$index]} ms | $heuristic |"
      index=$((index + 1))
    done
  done
done
exit $failed
