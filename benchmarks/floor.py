"""The CSV half of issue 24's floor F: DuckDB reads each CSV file completely into a table of
VARCHAR columns (all cores), nothing else. Prints the rows read per file as JSON.

Usage: python floor.py FILE...
"""
import json
import sys

import duckdb

con = duckdb.connect()
rows = {}
for index, path in enumerate(sys.argv[1:]):
    # The register is UTF-8, the job centre Windows-1252 (DuckDB's nearest is latin-1): a file is
    # read as UTF-8 and, where DuckDB refuses that, as latin-1, as klappt's pipeline declares it.
    for encoding in ("utf-8", "latin-1"):
        try:
            con.execute(f"""CREATE TABLE t{index} AS SELECT * FROM read_csv('{path}', delim=';', quote='"', escape='"',
                header=true, all_varchar=true, encoding='{encoding}', null_padding=false)""")
            break
        except duckdb.InvalidInputException:
            if encoding == "latin-1":
                raise
    rows[path] = con.execute(f"SELECT count(*) FROM t{index}").fetchone()[0]
print(json.dumps(rows))
