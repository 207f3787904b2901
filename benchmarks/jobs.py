"""The comparison job of benchmarks/compare.sh in DuckDB, polars and pandas.

The job is the part of klappt's work that these tools express naturally: read the job-centre
export (Windows-1252, `;`, quoted fields with line breaks), take out exact duplicate rows, reject
rows by the first failing rule of SPEC 2.1 (geburtsdatum_ungueltig, name_fehlt, status_unbekannt,
datum_ungueltig), and count the distinct customer numbers of the accepted rows by a salted hash.
klappt does all of that and much more (phonetic linkage, HMAC pseudonyms, target group,
disclosure control, SQLite), so the comparison flatters the others.

Usage: python jobs.py ENGINE FILE  ->  prints one JSON line with the figures.
       python jobs.py lxml FILE...  ->  parses college exports only (the floor for XML).
"""
import hashlib
import json
import sys

STATUS = ["ALO", "ASU", "MAS", "AUS", "SVB", "GFB", "SON"]
DATE = r"^[0-9]{2}\.[0-9]{2}\.[0-9]{4}$"
SALT = "klappt-vergleich"


def pandas_job(path):
    import pandas as pd

    df = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False, quotechar='"')
    rows = len(df)
    df = df.drop_duplicates()
    duplicates = rows - len(df)
    s = {c: df[c].str.strip() for c in ["Kundennummer", "Vorname", "Nachname", "Geburtsdatum", "Status", "Status_seit", "Stand"]}

    def valid_date(col):
        parsed = pd.to_datetime(col, format="%d.%m.%Y", errors="coerce")
        return col.str.match(DATE) & parsed.notna()

    birth_bad = ~valid_date(s["Geburtsdatum"])
    name_bad = ~s["Vorname"].str.contains(r"[A-Za-zÀ-ÿ]", regex=True) | ~s["Nachname"].str.contains(r"[A-Za-zÀ-ÿ]", regex=True)
    status_bad = ~s["Status"].str.upper().isin(STATUS)
    date_bad = ((s["Status_seit"] != "") & ~valid_date(s["Status_seit"])) | ((s["Stand"] != "") & ~valid_date(s["Stand"]))
    reason = pd.Series("", index=df.index)
    for name, mask in [("datum_ungueltig", date_bad), ("status_unbekannt", status_bad), ("name_fehlt", name_bad), ("geburtsdatum_ungueltig", birth_bad)]:
        reason = reason.mask(mask, name)
    accepted = s["Kundennummer"][reason == ""]
    hashes = accepted.map(lambda v: hashlib.sha256((SALT + v).encode()).hexdigest())
    return rows, duplicates, reason[reason != ""].value_counts().to_dict(), int((reason == "").sum()), int(hashes.nunique())


def polars_job(path):
    import polars as pl

    df = pl.read_csv(path, separator=";", encoding="windows-1252", infer_schema=False, quote_char='"')
    rows = df.height
    df = df.unique(maintain_order=True)
    duplicates = rows - df.height
    t = {c: pl.col(c).fill_null("").str.strip_chars() for c in ["Kundennummer", "Vorname", "Nachname", "Geburtsdatum", "Status", "Status_seit", "Stand"]}

    def valid_date(expr):
        return expr.str.contains(DATE) & expr.str.strptime(pl.Date, "%d.%m.%Y", strict=False).is_not_null()

    reason = (
        pl.when(~valid_date(t["Geburtsdatum"])).then(pl.lit("geburtsdatum_ungueltig"))
        .when(~t["Vorname"].str.contains(r"[A-Za-zÀ-ÿ]") | ~t["Nachname"].str.contains(r"[A-Za-zÀ-ÿ]")).then(pl.lit("name_fehlt"))
        .when(~t["Status"].str.to_uppercase().is_in(STATUS)).then(pl.lit("status_unbekannt"))
        .when(((t["Status_seit"] != "") & ~valid_date(t["Status_seit"])) | ((t["Stand"] != "") & ~valid_date(t["Stand"]))).then(pl.lit("datum_ungueltig"))
        .otherwise(pl.lit(""))
    )
    out = df.with_columns(reason.alias("grund"), t["Kundennummer"].alias("kn"))
    counts = out.filter(pl.col("grund") != "").group_by("grund").len()
    accepted = out.filter(pl.col("grund") == "")
    distinct = accepted.select((pl.lit(SALT) + pl.col("kn")).map_elements(lambda v: hashlib.sha256(v.encode()).hexdigest(), return_dtype=pl.Utf8).n_unique()).item()
    return rows, duplicates, dict(zip(counts["grund"].to_list(), counts["len"].to_list())), accepted.height, int(distinct)


def duckdb_job(path):
    import duckdb

    con = duckdb.connect()
    con.execute(f"""
        CREATE TABLE raw AS SELECT * FROM read_csv('{path}', delim=';', quote='"', escape='"', header=true,
            all_varchar=true, encoding='latin-1', null_padding=false)""")
    rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    con.execute("CREATE TABLE d AS SELECT DISTINCT * FROM raw")
    duplicates = rows - con.execute("SELECT count(*) FROM d").fetchone()[0]
    valid = lambda c: f"(regexp_matches(trim(coalesce({c}, '')), '{DATE}') AND try_strptime(trim({c}), '%d.%m.%Y') IS NOT NULL)"
    con.execute(f"""
        CREATE TABLE r AS SELECT trim(coalesce(Kundennummer, '')) AS kn, CASE
            WHEN NOT {valid('Geburtsdatum')} THEN 'geburtsdatum_ungueltig'
            WHEN NOT regexp_matches(coalesce(Vorname, ''), '[A-Za-zÀ-ÿ]') OR NOT regexp_matches(coalesce(Nachname, ''), '[A-Za-zÀ-ÿ]') THEN 'name_fehlt'
            WHEN upper(trim(coalesce(Status, ''))) NOT IN ({",".join(f"'{s}'" for s in STATUS)}) THEN 'status_unbekannt'
            WHEN (trim(coalesce(Status_seit, '')) <> '' AND NOT {valid('Status_seit')}) OR (trim(coalesce(Stand, '')) <> '' AND NOT {valid('Stand')}) THEN 'datum_ungueltig'
            ELSE '' END AS grund FROM d""")
    reasons = dict(con.execute("SELECT grund, count(*) FROM r WHERE grund <> '' GROUP BY grund").fetchall())
    accepted, distinct = con.execute(f"SELECT count(*), count(DISTINCT sha256('{SALT}' || kn)) FROM r WHERE grund = ''").fetchone()
    return rows, duplicates, reasons, accepted, distinct


def lxml_parse(paths):
    """The floor for the college exports: libxml2 (through lxml) streaming over every record
    element, one file after the other, nothing else done."""
    from lxml import etree

    records = 0
    for path in paths:
        for _, element in etree.iterparse(path, events=("end",), tag="{*}Schueler", resolve_entities=False, no_network=True):
            records += 1
            element.clear()
    return {"records": records}


if __name__ == "__main__":
    engine = sys.argv[1]
    if engine == "lxml":
        print(json.dumps(lxml_parse(sys.argv[2:])))
        sys.exit(0)
    path = sys.argv[2]
    rows, duplicates, reasons, accepted, distinct = {"pandas": pandas_job, "polars": polars_job, "duckdb": duckdb_job}[engine](path)
    print(json.dumps({"rows_read": rows, "duplicates": duplicates, "reasons": dict(sorted(reasons.items())),
                      "accepted": accepted, "distinct_customers": distinct}, sort_keys=True))
