#!/usr/bin/env python3
"""Pair-level linkage errors of one klappt run against the generator's truth (issue 32).

    KLAPPT_SAMPLES_WAHRHEIT=1 klappt samples --varianten ...   (writes wahrheit_<P>.csv)
    KLAPPT_VERKNUEPFUNG_DIAGNOSE=diag.csv klappt run ...        (writes each record's person number)
    benchmarks/linkage_diagnosis.py QUARTER_DIR diag.csv [--show 20]

Sources in the order of pipelines/quartal.yaml: auslaenderbehoerde, jobcenter, berufskolleg.
Prints precision and recall over record pairs and examples of false and missed links.
"""
import csv, glob, io, itertools, os, sys, collections, xml.etree.ElementTree as ET

quarter, diag = sys.argv[1], sys.argv[2]
show = int(sys.argv[4]) if len(sys.argv) > 4 else 15
period = os.path.basename(quarter.rstrip("/"))
truth = {}
with open(os.path.join(quarter, f"wahrheit_{period}.csv"), encoding="utf-8") as f:
    for row in csv.DictReader(f, delimiter=";"):
        truth[(row["quelle"], row["kennung"])] = int(row["person"])
sources = [("auslaenderbehoerde", "auslaenderbehoerde/*.csv"), ("jobcenter", "jobcenter/*.csv"), ("berufskolleg", "berufskolleg/*.xml")]
rows = {}  # (source index, file index, order) -> (source, id, description)
for s, (source, pattern) in enumerate(sources):
    for fi, path in enumerate(sorted(glob.glob(os.path.join(quarter, pattern)))):
        if path.endswith(".csv"):
            raw = open(path, "rb").read()
            text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") or source == "auslaenderbehoerde" else raw.decode("cp1252")
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("cp1252")
            # klappt orders CSV rows by their byte offset: find each record's start.
            starts, quoted, begin = [], False, 3 if raw.startswith(b"\xef\xbb\xbf") else 0
            position = begin
            starts.append(begin)
            while position < len(raw):
                byte = raw[position]
                if byte == 0x22:
                    quoted = not quoted
                elif byte == 0x0A and not quoted:
                    starts.append(position + 1)
                position += 1
            reader = csv.reader(io.StringIO(text), delimiter=";")
            header = next(reader)
            idcol = 0 if source == "auslaenderbehoerde" else header.index("Kundennummer") if "Kundennummer" in header else 0
            for index, cells in enumerate(reader):
                d = dict(zip(header, cells))
                desc = " | ".join(d.get(k, "") for k in ["Familienname", "Nachname", "Name", "Vorname", "Vornamen", "Geburtsdatum", "Geschlecht", "Staatsangehoerigkeit", "PLZ"] if k in d)
                for order in (starts[index + 1] if index + 1 < len(starts) else -1,):
                    rows[(s, fi, order)] = (source, cells[idcol], desc)
        else:
            import re
            offsets = [m.start() for m in re.finditer(rb"<(?:\w+:)?Schueler[\s>]", open(path, "rb").read())]
            tree = ET.parse(path)
            order = 0
            for element in tree.getroot().iter():
                if element.tag.split("}")[-1] == "Schueler":
                    values = {child.tag.split("}")[-1]: (child.text or "") for child in element}
                    desc = " | ".join(values.get(k, "") for k in ["Name", "Vorname", "Geburtsdatum", "Geschlecht", "StaatKrz", "PLZ"])
                    rows[(s, fi, order)] = (source, element.get("Id"), desc)
                    if order < len(offsets):
                        for delta in (0, 1, -1):
                            rows.setdefault((s, fi, offsets[order] + delta), (source, element.get("Id"), desc))
                    order += 1
clusters = collections.defaultdict(list)
with open(diag) as f:
    for row in csv.DictReader(f, delimiter=";"):
        key = (int(row["quelle"]), int(row["datei"]), int(row["position"]))
        clusters[int(row["person"])].append(key)
record_truth = {}
for members in clusters.values():
    for key in members:
        source, ident, _ = rows[key]
        record_truth[key] = truth.get((source, ident), -1)
cluster_of = {key: c for c, members in clusters.items() for key in members}
by_truth = collections.defaultdict(list)
for key, t in record_truth.items():
    by_truth[t].append(key)
true_pairs = sum(len(v) * (len(v) - 1) // 2 for t, v in by_truth.items() if t >= 0)
found_pairs = sum(len(v) * (len(v) - 1) // 2 for v in clusters.values())
false_links, missed = [], []
for members in clusters.values():
    for a, b in itertools.combinations(members, 2):
        if record_truth[a] != record_truth[b] or record_truth[a] < 0:
            false_links.append((a, b))
for t, members in by_truth.items():
    if t < 0:
        continue
    for a, b in itertools.combinations(members, 2):
        if cluster_of[a] != cluster_of[b]:
            missed.append((a, b))
correct = found_pairs - len(false_links)
print(f"records {len(record_truth)}, true pairs {true_pairs}, found pairs {found_pairs}, false {len(false_links)}, missed {len(missed)}, "
      f"precision {correct / max(found_pairs, 1):.4f}, recall {correct / max(true_pairs, 1):.4f}")
print("-- false links")
for a, b in false_links[:show]:
    print("  ", rows[a][2], "  <>  ", rows[b][2])
print("-- missed links")
for a, b in missed[:show]:
    print("  ", rows[a][0][:3], rows[a][2], "  <>  ", rows[b][0][:3], rows[b][2])
