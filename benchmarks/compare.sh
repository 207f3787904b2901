#!/usr/bin/env bash
# Measures klappt against the same job in DuckDB, polars and pandas (see benchmarks/jobs.py) on a
# generated job-centre export, checks that all figures agree, and prints a Markdown table of wall
# time and peak RSS with the ratio to klappt. Then the same for three generated Berufskolleg XML
# exports of about 100 MB each: klappt's figures against the generator's ground truth, and
# libxml2's bare streaming parse of the files (lxml) as the floor.
#
#   benchmarks/compare.sh [PERSONS [COLLEGE_PERSONS [STATE_PERSONS]]]
#       defaults 1700000 (about 1.84 million job-centre rows), 540000 (3 x ~100 MB XML) and 2000000
#       (a state's quarter with all three sources, after its previous quarter: issue 14's case,
#       measured against issue 24's floor F and the peers on the same files)
#
# Needs: swift, python3 with venv, /usr/bin/time (Debian package "time") and xmllint
# (libxml2-utils; both installed when run as root), and PyPI for the first run (duckdb, polars,
# pandas, lxml go into .build-bench/venv). Data and results stay in .build-bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
persons=${1:-1700000}
college_persons=${2:-540000}
state_persons=${3:-2000000}
work=.build-bench
mkdir -p "$work"

# Benchmark-only tools (not needed by klappt itself): /usr/bin/time and libxml2's xmllint.
for tool in /usr/bin/time:time xmllint:libxml2-utils; do
  command -v "${tool%%:*}" >/dev/null && continue
  if [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${tool#*:}" >&2
  else
    echo "${tool%%:*} fehlt: apt-get install -y ${tool#*:}" >&2
    exit 69
  fi
done
swift build -c release --product klappt >&2
klappt=.build/release/klappt

if [[ ! -x $work/venv/bin/python ]]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q duckdb polars pandas lxml >&2
fi
"$work/venv/bin/python" -c "import lxml" 2>/dev/null || "$work/venv/bin/pip" install -q lxml >&2

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

source benchmarks/measure.sh

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

# --- Berufskolleg XML -----------------------------------------------------------------------------
xml_data=$work/bk-$college_persons
if [[ ! -f $xml_data/erwartet_2026-Q3.json ]]; then
  rm -rf "$xml_data"
  "$klappt" samples --out "$xml_data" --persons "$college_persons" --seed 1 --period 2026-Q3 --only berufskolleg >&2
fi
xml_files=("$xml_data"/berufskolleg/*.xml)
xml_size=$(du -cm "${xml_files[@]}" | tail -1 | cut -f1)
rm -rf "$work/xml-validate" "$work/xml-full"
measure "klappt run (XML)" "$klappt" run benchmarks/nur_berufskolleg.yaml --period 2026-Q3 --source "berufskolleg=$xml_data/berufskolleg/*.xml" --output-dir "$work/xml-full" --key-file "$key" --force
measure "klappt validate (XML)" "$klappt" validate benchmarks/nur_berufskolleg.yaml --period 2026-Q3 --source "berufskolleg=$xml_data/berufskolleg/*.xml" --output-dir "$work/xml-validate"
measure "lxml parse only" "$work/venv/bin/python" benchmarks/jobs.py lxml "${xml_files[@]}"

# klappt's figures and per-file accounting against the generator's ground truth.
python3 - "$xml_data" "$work/xml-full" "$work/out-lxml parse only" <<'PY'
import json, sqlite3, sys
data, out, lxml = sys.argv[1:4]
expected = json.load(open(f"{data}/erwartet_2026-Q3.json"))
db = sqlite3.connect(f"{out}/klappt.sqlite")
got = {f"{i}|{d}|{a}": w for i, d, a, w in db.execute("SELECT indikator, dimension, auspraegung, wert FROM indikatoren WHERE zeitraum = '2026-Q3'")}
bad = [k for k, v in expected["figures"].items() if got.get(k) != v]
report = json.load(open(f"{out}/lauf_2026-Q3.json"))
for account, file in zip(report["inputs"], expected["files"]):
    if [account[k] for k in ("rows_read", "accepted", "rejected", "duplicates")] != [file[k] for k in ("rows_read", "accepted", "rejected", "duplicates")]:
        bad.append(account["file"])
records = json.load(open(lxml))["records"]
if records != sum(f["rows_read"] for f in expected["files"]):
    bad.append(f"lxml counted {records} records")
print(f"XML figures {'agree' if not bad else 'DISAGREE: ' + str(bad[:5])}: {len(expected['figures'])} cells, {records} records", file=sys.stderr)
sys.exit(1 if bad else 0)
PY

echo
echo "Berufskolleg exports: ${#xml_files[@]} files, $xml_size MB ($college_persons persons), $(nproc) cores"
echo
echo "| tool | wall (s) | peak RSS (MB) | time vs klappt run |"
echo "|---|---:|---:|---:|"
base_wall=${wall[klappt run (XML)]}
for name in "klappt run (XML)" "klappt validate (XML)" "lxml parse only"; do
  printf '| %s | %s | %s | %s |\n' "$name" "${wall[$name]}" "${rss[$name]}" "$(python3 -c "print(f'{${wall[$name]} / $base_wall:.2f}x')")"
done

# --- A state's quarter: all three sources, all outputs, transitions (issue 24) -----------------
# klappt against the floor F of issue 24 on the same files, side by side in one run, best of 3:
# F = libxml2's own streaming parse of the three college files (xmllint --stream, two at a time on
# the two cores) plus DuckDB reading every CSV file of the quarter into VARCHAR columns (all cores).
# Each measured klappt run starts from the store as the previous quarter left it (a copy), so that
# every run is the real first run of the quarter, with transitions.
state_data=$work/state-$state_persons
if [[ ! -f $state_data/2026-Q3/erwartet_2026-Q3.json ]]; then
  rm -rf "$state_data"
  "$klappt" samples --out "$state_data" --persons "$state_persons" --seed 1 --period 2026-Q2..2026-Q3 >&2
fi
state_sources=(--source "auslaenderbehoerde=$state_data/{zeitraum}/auslaenderbehoerde/*.csv"
  --source "jobcenter=$state_data/{zeitraum}/jobcenter/*.csv" --source "berufskolleg=$state_data/{zeitraum}/berufskolleg/*.xml")
state_xml=("$state_data"/2026-Q3/berufskolleg/*.xml)
state_csv=("$state_data"/2026-Q3/auslaenderbehoerde/*.csv "$state_data"/2026-Q3/jobcenter/*.csv)
state_jobcenter=$(ls "$state_data"/2026-Q3/jobcenter/*30.csv)
rm -rf "$work/state-q2"
# The previous quarter first (not measured): the measured runs link to it and count transitions.
"$klappt" run pipelines/quartal.yaml --period 2026-Q2 "${state_sources[@]}" --output-dir "$work/state-q2" --key-file "$key" --linkage exact >/dev/null
rm -rf "$work/state-q2-p"
"$klappt" run pipelines/quartal.yaml --period 2026-Q2 "${state_sources[@]}" --output-dir "$work/state-q2-p" --key-file "$key" >/dev/null
declare -A best_wall best_rss
keep_best() {
  local name=$1
  if [[ -z ${best_wall[$name]:-} ]] || python3 -c "import sys; sys.exit(0 if ${wall[$name]} < ${best_wall[$name]} else 1)"; then
    best_wall[$name]=${wall[$name]}
    best_rss[$name]=${rss[$name]}
  fi
}
for round in 1 2 3; do
  measure "F: xmllint --stream" bash -c 'printf "%s\0" "$@" | xargs -0 -P2 -n1 xmllint --stream --noout' _ "${state_xml[@]}"
  keep_best "F: xmllint --stream"
  measure "F: DuckDB reads the CSV files" "$work/venv/bin/python" benchmarks/floor.py "${state_csv[@]}"
  keep_best "F: DuckDB reads the CSV files"
  # The exact rule (SPEC 4.1's figures, checked below) and probabilistic linkage (the default,
  # issue 32) side by side on the same files.
  rm -rf "$work/state-out" && cp -a "$work/state-q2" "$work/state-out"
  measure "klappt run (state quarter)" "$klappt" run pipelines/quartal.yaml --period 2026-Q3 "${state_sources[@]}" --output-dir "$work/state-out" --key-file "$key" -v --linkage exact
  keep_best "klappt run (state quarter)"
  cp "$work/err-klappt run (state quarter)" "$work/err-state-$round"
  rm -rf "$work/state-out-p" && cp -a "$work/state-q2-p" "$work/state-out-p"
  measure "klappt run (state quarter, probabilistic)" "$klappt" run pipelines/quartal.yaml --period 2026-Q3 "${state_sources[@]}" --output-dir "$work/state-out-p" --key-file "$key" -v
  keep_best "klappt run (state quarter, probabilistic)"
  cp "$work/err-klappt run (state quarter, probabilistic)" "$work/err-state-p-$round"
done
# The peers do the part of the job they express (benchmarks/jobs.py) on the quarter's job-centre file.
for engine in duckdb polars pandas; do
  measure "$engine (job centre)" "$work/venv/bin/python" benchmarks/jobs.py "$engine" "$state_jobcenter"
done
python3 - "$state_data/2026-Q3/erwartet_2026-Q3.json" "$work" "$state_jobcenter" "${state_xml[@]}" <<'PY'
import json, sqlite3, sys
expected = json.load(open(sys.argv[1]))
work, jobcenter, xml_files = sys.argv[2], sys.argv[3], sys.argv[4:]
db = sqlite3.connect(f"{work}/state-out/klappt.sqlite")
got = {f"{i}|{d}|{a}": w for i, d, a, w in db.execute("SELECT indikator, dimension, auspraegung, wert FROM indikatoren WHERE zeitraum = '2026-Q3'")}
bad = [k for k, v in expected["figures"].items() if got.get(k) != v]
moves = {f"{v}|{n}": w for v, n, w in db.execute("SELECT von, nach, wert FROM uebergaenge WHERE zeitraum = '2026-Q3'")}
bad += [k for k, v in expected["transitions"].items() if moves.get(k) != v]
report = json.load(open(f"{work}/state-out/lauf_2026-Q3.json"))
keys = ("rows_read", "accepted", "rejected", "duplicates")
for account, file in zip(report["inputs"], expected["files"]):
    if [account[k] for k in keys] != [file[k] for k in keys]:
        bad.append(account["file"])
# F read every row: DuckDB's rows per CSV file and the records in the XML files (the generator's count).
floor_rows = json.load(open(f"{work}/out-F: DuckDB reads the CSV files"))
rows = {f["file"].split("/")[-1]: f["rows_read"] for f in expected["files"]}
for path, count in floor_rows.items():
    if rows.get(path.split("/")[-1]) != count:
        bad.append(f"DuckDB {path}: {count} Zeilen")
# The peers agree with klappt's account of the same job-centre file.
account = next(a for a in report["inputs"] if a["file"].endswith(jobcenter.split("/")[-1]))
klappt = {"rows_read": account["rows_read"], "duplicates": account["duplicates"], "reasons": dict(sorted(account["reasons"].items())),
          "accepted": account["accepted"]}
for engine in ["duckdb", "polars", "pandas"]:
    other = json.load(open(f"{work}/out-{engine} (job centre)"))
    other.pop("distinct_customers")
    if other != klappt:
        bad.append(f"{engine}: {other} != {klappt}")
print(f"State figures {'agree' if not bad else 'DISAGREE: ' + str(bad[:5])}: {len(expected['figures'])} cells, {len(expected['transitions'])} transitions, "
      f"every file's rows (klappt, DuckDB, generator), the peers' job-centre figures", file=sys.stderr)
sys.exit(1 if bad else 0)
PY
files=$(find "$state_data/2026-Q3" -name '*.csv' -o -name '*.xml' | wc -l)
state_size=$(du -cm $(find "$state_data/2026-Q3" -name '*.csv' -o -name '*.xml') | tail -1 | cut -f1)
floor=$(python3 -c "print(round(${best_wall[F: xmllint --stream]} + ${best_wall[F: DuckDB reads the CSV files]}, 2))")
ratio() { python3 -c "print(f'{$1 / $floor:.2f}x')"; }
echo
echo "A state's quarter: $files files, $state_size MB ($state_persons persons: register, job centre, 3 colleges), after its previous quarter; best of 3, $(nproc) cores"
echo
echo "| tool | what it does | wall (s) | peak RSS (MB) | vs F |"
echo "|---|---|---:|---:|---:|"
printf '| %s | %s | %s | %s | %s |\n' "klappt run" "the whole quarter, all outputs, transitions" "${best_wall[klappt run (state quarter)]}" "${best_rss[klappt run (state quarter)]}" "$(ratio "${best_wall[klappt run (state quarter)]}")"
printf '| %s | %s | %s | %s | %s |\n' "klappt run, probabilistic linkage" "the same, persons linked by issue 32's model (the default)" "${best_wall[klappt run (state quarter, probabilistic)]}" "${best_rss[klappt run (state quarter, probabilistic)]}" "$(ratio "${best_wall[klappt run (state quarter, probabilistic)]}")"
printf '| %s | %s | %s | %s | %s |\n' "**F**" "the two rows below" "$floor" "" "1.00x"
printf '| %s | %s | %s | %s | %s |\n' "F: xmllint --stream" "parses the 3 XML files, 2 at a time" "${best_wall[F: xmllint --stream]}" "${best_rss[F: xmllint --stream]}" "$(ratio "${best_wall[F: xmllint --stream]}")"
printf '| %s | %s | %s | %s | %s |\n' "F: DuckDB" "reads the ${#state_csv[@]} CSV files (VARCHAR)" "${best_wall[F: DuckDB reads the CSV files]}" "${best_rss[F: DuckDB reads the CSV files]}" "$(ratio "${best_wall[F: DuckDB reads the CSV files]}")"
for engine in duckdb polars pandas; do
  printf '| %s | %s | %s | %s | %s |\n' "$engine" "the job of jobs.py on the job-centre file only" "${wall[$engine (job centre)]}" "${rss[$engine (job centre)]}" "$(ratio "${wall[$engine (job centre)]}")"
done
echo
echo "Steps of the last klappt run (ms, peak MB): $(grep 'schritt=' "$work/err-state-3" \
  | sed 's/.*dauer_ms=\([0-9]*\).*schritt=\([a-z_]*\).*spitze_mb=\([0-9]*\).*/\2 \1 (\3)/' | paste -sd, -)"
echo "Steps of the last probabilistic run (ms, peak MB): $(grep 'schritt=' "$work/err-state-p-3" \
  | sed 's/.*dauer_ms=\([0-9]*\).*schritt=\([a-z_]*\).*spitze_mb=\([0-9]*\).*/\2 \1 (\3)/' | paste -sd, -)"
echo "Probabilistic linkage against the generator's true persons (issue 32's item 8: at most 1.25x the exact run's wall, 600 MB):"
python3 - "$state_data/2026-Q3/erwartet_2026-Q3.json" "$work/state-out-p/klappt.sqlite" "${best_wall[klappt run (state quarter, probabilistic)]}" "${best_wall[klappt run (state quarter)]}" <<'PY'
import json, sqlite3, sys
expected = json.load(open(sys.argv[1]))["figures"]
got = {f"{i}|{d}|{a}": w for i, d, a, w in sqlite3.connect(sys.argv[2]).execute("SELECT indikator, dimension, auspraegung, wert FROM indikatoren WHERE zeitraum = '2026-Q3'")}
def deviation(name):
    key = f"{name}|insgesamt|insgesamt"
    return f"{name} {100 * (got.get(key, 0) - expected[key]) / expected[key]:+.2f} %"
cells = sum(abs(got.get(k, 0) - v) for k, v in expected.items()) / sum(expected.values())
print(f"  {deviation('zielgruppe')}, {deviation('ohne_aktivitaet')}, cells {100 * cells:.2f} % of their sum; wall {float(sys.argv[3]) / float(sys.argv[4]):.2f}x the exact run")
PY

# --- The job-centre list as an Excel workbook (issue 21) ------------------------------------------
echo
benchmarks/compare_xlsx.sh
