"""Reads a job-centre workbook the way klappt's accounting counts it, with another reader: rows
with a value after the header, and duplicates (a row whose values equal an earlier row's).

    python benchmarks/xlsx_read.py ENGINE FILE.xlsx    # ENGINE: openpyxl, calamine, fastexcel

Prints one JSON line {"rows_read": N, "duplicates": D}. Used by benchmarks/compare.sh (issue 21).
"""
import json
import sys


def rows_openpyxl(path):
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for row in book.worksheets[0].iter_rows(values_only=True):
        yield row


def rows_calamine(path):
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    yield from book.get_sheet_by_index(0).to_python(skip_empty_area=False)


def rows_fastexcel(path):
    import fastexcel

    sheet = fastexcel.read_excel(path).load_sheet(0, header_row=None, dtypes="string")
    for row in sheet.to_arrow().to_pylist():
        yield tuple(row.values())


def main():
    engine, path = sys.argv[1], sys.argv[2]
    rows = {"openpyxl": rows_openpyxl, "calamine": rows_calamine, "fastexcel": rows_fastexcel}[engine](path)
    seen = set()
    header = True
    read = duplicates = 0
    for row in rows:
        values = tuple("" if value is None else str(value) for value in row)
        while values and values[-1] == "":
            values = values[:-1]
        if not values:
            continue
        if header:
            header = False
            continue
        read += 1
        if values in seen:
            duplicates += 1
        else:
            seen.add(values)
    print(json.dumps({"rows_read": read, "duplicates": duplicates}))


if __name__ == "__main__":
    main()
