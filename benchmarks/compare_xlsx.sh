#!/usr/bin/env bash
# Issue 21: the job-centre list as an Excel workbook against the same rows as CSV, and against
# openpyxl (read-only mode), python-calamine and fastexcel reading the same workbook
# (benchmarks/xlsx_read.py). Checks that every reader counts the same rows and duplicates as klappt,
# and prints a Markdown table of wall time and peak RSS. Called by benchmarks/compare.sh; alone:
#
#   benchmarks/compare_xlsx.sh [PERSONS]     # default 960000: about 1.04 million rows, what one
#                                            # Excel sheet can hold (1,048,576 rows)
set -euo pipefail
cd "$(dirname "$0")/.."
persons=${1:-960000}
work=.build-bench
mkdir -p "$work"
command -v /usr/bin/time >/dev/null || { echo "/usr/bin/time fehlt: apt-get install -y time" >&2; exit 69; }
swift build -c release --product klappt >&2
klappt=.build/release/klappt
[[ -x $work/venv/bin/python ]] || python3 -m venv "$work/venv"
"$work/venv/bin/python" -c "import openpyxl, python_calamine, fastexcel, pyarrow" 2>/dev/null \
  || "$work/venv/bin/pip" install -q openpyxl python-calamine fastexcel pyarrow >&2

csv_data=$work/jc-csv-$persons
xlsx_data=$work/jc-xlsx-$persons
[[ -f $csv_data/erwartet_2026-Q3.json ]] || "$klappt" samples --out "$csv_data" --persons "$persons" --seed 1 --period 2026-Q3 --only jobcenter >&2
[[ -f $xlsx_data/erwartet_2026-Q3.json ]] \
  || "$klappt" samples --out "$xlsx_data" --persons "$persons" --seed 1 --period 2026-Q3 --only jobcenter --format xlsx >&2
csv=$csv_data/jobcenter/jobcenter_kreis_unna_2026-09-30.csv
xlsx=$xlsx_data/jobcenter/jobcenter_kreis_unna_2026-09-30.xlsx

source benchmarks/measure.sh
rm -rf "$work/xlsx-csv" "$work/xlsx-xlsx"
measure "klappt validate (CSV)" "$klappt" validate benchmarks/nur_jobcenter.yaml --period 2026-Q3 --source "jobcenter=$csv" --output-dir "$work/xlsx-csv"
measure "klappt validate (xlsx)" "$klappt" validate benchmarks/nur_jobcenter_xlsx.yaml --period 2026-Q3 --source "jobcenter=$xlsx" --output-dir "$work/xlsx-xlsx"
for engine in calamine fastexcel openpyxl; do
  measure "$engine" "$work/venv/bin/python" benchmarks/xlsx_read.py "$engine" "$xlsx"
done

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def counts(folder):
    f = json.load(open(f"{work}/{folder}/pruefung_2026-Q3.json"))["inputs"][0]
    return {"rows_read": f["rows_read"], "duplicates": f["duplicates"]}, f
klappt, account = counts("xlsx-xlsx")
csv, csv_account = counts("xlsx-csv")
bad = [] if {k: account[k] for k in ("rows_read", "accepted", "rejected", "duplicates", "reasons")} == \
    {k: csv_account[k] for k in ("rows_read", "accepted", "rejected", "duplicates", "reasons")} else ["CSV und xlsx zählen verschieden"]
for engine in ["calamine", "fastexcel", "openpyxl"]:
    other = json.load(open(f"{work}/out-{engine}"))
    if other != klappt:
        bad.append(f"{engine}: {other} != klappt {klappt}")
print(f"Figures agree: {json.dumps(klappt)}, CSV accounting equal" if not bad else f"Figures DISAGREE: {bad}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY

rows=$(python3 -c "import json; print(json.load(open('$work/xlsx-xlsx/pruefung_2026-Q3.json'))['inputs'][0]['rows_read'])")
echo "Job-centre list as workbook: $rows rows, $(du -m "$xlsx" | cut -f1) MB .xlsx, the same rows $(du -m "$csv" | cut -f1) MB as CSV ($persons persons), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| tool | wall (s) | peak RSS (MB) | time vs klappt (xlsx) | time vs klappt (CSV) |"
echo "|---|---:|---:|---:|---:|"
for name in "klappt validate (xlsx)" "klappt validate (CSV)" calamine fastexcel openpyxl; do
  printf '| %s | %s | %s | %s | %s |\n' "$name" "${wall[$name]}" "${rss[$name]}" \
    "$(python3 -c "print(f'{${wall[$name]} / ${wall[klappt validate (xlsx)]}:.2f}x')")" \
    "$(python3 -c "print(f'{${wall[$name]} / ${wall[klappt validate (CSV)]}:.2f}x')")"
done
