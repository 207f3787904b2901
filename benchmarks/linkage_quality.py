#!/usr/bin/env python3
"""Linkage quality against the true persons (issue 32; handbook, section 8a).

Generates two quarters whose names and birth dates vary as the partners write them
(`klappt samples --varianten`), runs klappt on both with the linkage given, and compares the
second quarter's exact figures (from the store) with the generator's true persons
(`erwartet_<Quartal>.json`): zielgruppe, ohne_aktivitaet, the 432 cells, the 63 transitions.

    benchmarks/linkage_quality.py KLAPPT --persons 3000 --seed 11 --linkage probabilistic [--work DIR]
"""
import argparse, json, os, sqlite3, subprocess, sys, tempfile, time, resource

parser = argparse.ArgumentParser()
parser.add_argument("klappt")
parser.add_argument("--persons", type=int, default=3000)
parser.add_argument("--seed", type=int, default=11)
parser.add_argument("--linkage", default="probabilistic")
parser.add_argument("--work", default=None)
parser.add_argument("--no-variants", action="store_true")
parser.add_argument("--pipeline", default=None, help="another pipeline file (default: pipelines/quartal.yaml)")
args = parser.parse_args()

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
work = args.work or tempfile.mkdtemp(prefix="klappt-linkage-")
data = os.path.join(work, f"daten-{args.persons}-{args.seed}{'-plain' if args.no_variants else ''}")
if not os.path.exists(os.path.join(data, "2026-Q3", "erwartet_2026-Q3.json")):
    command = [args.klappt, "samples", "--out", data, "--persons", str(args.persons), "--seed", str(args.seed), "--period", "2026-Q2..2026-Q3"]
    if not args.no_variants:
        command.append("--varianten")
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
key = os.path.join(work, "klappt.key")
if not os.path.exists(key):
    subprocess.run([args.klappt, "keygen", key], check=True, stdout=subprocess.DEVNULL)
out = os.path.join(work, f"aus-{args.persons}-{args.seed}-{args.linkage}{'-plain' if args.no_variants else ''}")
subprocess.run(["rm", "-rf", out], check=True)
sources = []
for source, pattern in [("auslaenderbehoerde", "auslaenderbehoerde/*.csv"), ("jobcenter", "jobcenter/*.csv"), ("berufskolleg", "berufskolleg/*.xml")]:
    sources += ["--source", f"{source}={data}/{{zeitraum}}/{pattern}"]
times = {}
for period in ["2026-Q2", "2026-Q3"]:
    started = time.time()
    run = subprocess.run([args.klappt, "run", args.pipeline or os.path.join(root, "pipelines", "quartal.yaml"), "--period", period, *sources,
                          "--output-dir", out, "--key-file", key, "--linkage", args.linkage, "-v"], capture_output=True, text=True)
    times[period] = time.time() - started
    if run.returncode != 0:
        print(run.stderr[-3000:], file=sys.stderr)
        sys.exit(f"klappt run {period}: {run.returncode}")
    for line in run.stderr.splitlines():
        if "Verknüpfung" in line and period == "2026-Q3":
            print(line)

expected = json.load(open(os.path.join(data, "2026-Q3", "erwartet_2026-Q3.json")))
db = sqlite3.connect(os.path.join(out, "klappt.sqlite"))
cells = {f"{i}|{d}|{a}": w for i, d, a, w in db.execute("SELECT indikator, dimension, auspraegung, wert FROM indikatoren WHERE zeitraum='2026-Q3'")}
transitions = {f"{v}|{n}": w for v, n, w in db.execute("SELECT von, nach, wert FROM uebergaenge WHERE zeitraum='2026-Q3'")}
truth = expected["figures"]
def total(name):
    return cells[f"{name}|insgesamt|insgesamt"], truth[f"{name}|insgesamt|insgesamt"]
report = {"persons": args.persons, "seed": args.seed, "linkage": args.linkage, "seconds": {k: round(v, 2) for k, v in times.items()}}
for name in ["zielgruppe", "personen", "ohne_aktivitaet"]:
    got, want = total(name)
    report[name] = {"klappt": got, "wahr": want, "abweichung_prozent": round(100 * (got - want) / want, 2) if want else None}
errors = sum(abs(cells.get(k, 0) - v) for k, v in truth.items())
report["zellen_fehler_prozent"] = round(100 * errors / sum(truth.values()), 2)
true_transitions = expected.get("transitions") or {}
terrors = sum(abs(transitions.get(k, 0) - v) for k, v in true_transitions.items())
report["uebergaenge_fehler_prozent"] = round(100 * terrors / max(1, sum(true_transitions.values())), 2)
print(json.dumps(report, ensure_ascii=False))
