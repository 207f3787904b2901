#!/usr/bin/env python3
"""Splink (DuckDB backend) as the peer for klappt's linkage (issue 32).

Reads one generated quarter's exports (register CSV, job-centre CSVs, college XML), links them with
Splink 5 configured as a competent user would without labels (name, date, sex, nationality,
postcode comparisons; u by random sampling; m by EM in two sessions; a 0.5 threshold), and
measures pair precision and recall against the generator's truth (`wahrheit_<P>.csv`, written by
`KLAPPT_SAMPLES_WAHRHEIT=1 klappt samples --varianten`). Time and memory are the caller's
(`/usr/bin/time`), as for klappt.

    benchmarks/splink_peer.py QUARTER_DIR
"""
import csv, glob, io, itertools, os, re, sys, time, collections, xml.etree.ElementTree as ET
import pandas as pd
from splink import Linker, SettingsCreator, DuckDBAPI, block_on
import splink.comparison_library as cl

quarter = sys.argv[1]
period = os.path.basename(quarter.rstrip("/"))
started = time.time()
rows = []


def german(date):
    # A partly known date (`00.00.2004`) as its first day, as a user would prepare it for Splink.
    match = re.match(r"(\d\d)\.(\d\d)\.(\d{4})$", date or "")
    if not match:
        return None
    month = match[2] if match[2] != "00" else "01"
    day = match[1] if match[1] != "00" else "01"
    return f"{match[3]}-{month}-{day}"


def read_csv(path, source, columns):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    for row in csv.DictReader(io.StringIO(text), delimiter=";"):
        rows.append({"source": source, "record_id": row[columns[0]], "family": row[columns[1]], "given": row[columns[2]],
                     "dob": german(row[columns[3]]), "sex": (row[columns[4]] or "")[:1].lower() or None,
                     "nationality": row[columns[5]] or None, "postcode": row[columns[6]] or None})


for path in sorted(glob.glob(f"{quarter}/auslaenderbehoerde/*.csv")):
    read_csv(path, "auslaenderbehoerde", ["AZR_Nummer", "Familienname", "Vornamen", "Geburtsdatum", "Geschlecht", "Staatsangehoerigkeit", "PLZ"])
for path in sorted(glob.glob(f"{quarter}/jobcenter/*.csv")):
    read_csv(path, "jobcenter", ["Kundennummer", "Nachname", "Vorname", "Geburtsdatum", "Geschlecht", "Staatsangehoerigkeit", "PLZ"])
for path in sorted(glob.glob(f"{quarter}/berufskolleg/*.xml")):
    for element in ET.parse(path).getroot().iter():
        if element.tag.split("}")[-1] != "Schueler":
            continue
        values = {child.tag.split("}")[-1]: (child.text or "") for child in element}
        dob = values.get("Geburtsdatum", "")
        rows.append({"source": "berufskolleg", "record_id": element.get("Id"), "family": values.get("Name"), "given": values.get("Vorname"),
                     "dob": dob if re.match(r"\d{4}-\d\d-\d\d$", dob) else None, "sex": {"3": "m", "4": "w", "5": "d"}.get(values.get("Geschlecht")),
                     "nationality": values.get("StaatKrz") or None, "postcode": values.get("PLZ") or None})

frame = pd.DataFrame(rows)
# One row per record id and source (klappt's supersession: the last row of an id wins here).
frame = frame.drop_duplicates(["source", "record_id"], keep="last").reset_index(drop=True)
frame["unique_id"] = range(len(frame))
for column in ["given", "family"]:
    frame[column] = frame[column].fillna("").str.lower().str.replace(r"[^a-zäöüß ]", " ", regex=True).str.strip()
frame = frame[(frame["given"] != "") & (frame["family"] != "") & frame["dob"].notna()].reset_index(drop=True)

db = DuckDBAPI()
settings = SettingsCreator(
    link_type="dedupe_only",
    comparisons=[
        cl.NameComparison("given").configure(term_frequency_adjustments=True),
        cl.NameComparison("family").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=True).configure(term_frequency_adjustments=True),
        cl.ExactMatch("sex"), cl.ExactMatch("nationality"), cl.ExactMatch("postcode"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("dob"), block_on("family", "substr(dob, 1, 4)"), block_on("given", "substr(dob, 1, 4)"), block_on("given", "family"),
    ],
    retain_intermediate_calculation_columns=False,
)
linker = Linker(db.register(frame), settings)
linker.training.estimate_probability_two_random_records_match([block_on("given", "family", "dob")], recall=0.7)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("family", "given"))
predictions = linker.inference.predict(threshold_match_probability=0.2)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold_match_probability=0.5).as_pandas_dataframe()

truth = {}
with open(f"{quarter}/wahrheit_{period}.csv", encoding="utf-8") as f:
    for row in csv.DictReader(f, delimiter=";"):
        truth[(row["quelle"], row["kennung"])] = int(row["person"])
merged = clusters.merge(frame[["unique_id", "source", "record_id"]], on="unique_id", suffixes=("", "_r"))
record_truth = {row.unique_id: truth.get((row.source, row.record_id), -1) for row in merged.itertuples()}
cluster_of = {row.unique_id: row.cluster_id for row in merged.itertuples()}
def pairs(groups):
    return {tuple(sorted(p)) for members in groups.values() for p in itertools.combinations(members, 2)}
by_cluster, by_truth = collections.defaultdict(list), collections.defaultdict(list)
for uid in cluster_of:
    by_cluster[cluster_of[uid]].append(uid)
    if record_truth[uid] >= 0:
        by_truth[record_truth[uid]].append(uid)
found, true = pairs(by_cluster), pairs(by_truth)
correct = len(found & true)
print(f"splink {len(frame)} records, found pairs {len(found)}, true pairs {len(true)}, "
      f"precision {correct / max(len(found), 1):.4f}, recall {correct / max(len(true), 1):.4f}, {time.time() - started:.1f} s")
