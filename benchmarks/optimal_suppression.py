#!/usr/bin/env python3
"""Independent check of klappt's secondary suppression (issue 15), written from SPEC 6 and 10 alone.

Reads a period's exact values and klappt's pattern from the store (`indikatoren`, `uebergaenge`,
and, when the period has transitions, the previous quarter's publication), builds the linear
system of the published tables itself, and computes the proven minimum number of secondary cells
(ties: the smallest suppressed total) with scipy's HiGHS: a 0/1 master over which cells to
suppress, and per primary cell an attacker LP (largest value consistent with what is published)
whose dual gives a cut every safe pattern satisfies; repeated until the master's optimum is safe.
No code of klappt's is used: another solver, another program, the same definition.

Prints one line per period: klappt's secondary cells and total, the proven minimum and its total,
and whether klappt's pattern is safe by this script's own audit. Exit 1 when they differ.

    python3 benchmarks/optimal_suppression.py output/klappt.sqlite 2026-Q3 [--min-cell 3]
"""

import argparse
import sqlite3
import sys
import time

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_matrix

ACTIVITIES = ["ausbildung", "beschaeftigung", "schule", "massnahme", "arbeitsuchend", "sonstige"]
FLOWS = ["eintritt_ausbildung", "abschluss", "abbruch"]
STATES = ACTIVITIES + ["ohne_aktivitaet", "ausserhalb"]
TOTAL = ("insgesamt", "insgesamt")


class System:
    def __init__(self):
        self.cells = []  # (table, indicator, dimension, category)
        self.index = {}
        self.values = []
        self.equations = []  # list of {cell: coefficient}, sum = 0
        self.inequalities = []  # (small, large): x[small] <= x[large]

    def add(self, cell, value):
        self.index[cell] = len(self.cells)
        self.cells.append(cell)
        self.values.append(value)

    def tables(self, table, rows):
        """SPEC 6: per dimension the categories add up to the total row; per row the activities
        add up to personen, personen + ohne_aktivitaet = zielgruppe, each flow <= zielgruppe."""
        for (indicator, dimension, category), value in rows.items():
            self.add((table, indicator, dimension, category), value)
        indicators = sorted({key[0] for key in rows})
        dimensions = sorted({key[1] for key in rows} - {"insgesamt"})
        categories = {d: sorted({key[2] for key in rows if key[1] == d}) for d in dimensions}
        ix = lambda i, d, c: self.index.get((table, i, d, c))
        for indicator in indicators:
            for dimension in dimensions:
                eq = {ix(indicator, *TOTAL): -1.0}
                for category in categories[dimension]:
                    eq[ix(indicator, dimension, category)] = 1.0
                self.equations.append(eq)
        for dimension, category in [TOTAL] + [(d, c) for d in dimensions for c in categories[d]]:
            eq = {ix("personen", dimension, category): -1.0}
            for activity in ACTIVITIES:
                eq[ix(activity, dimension, category)] = 1.0
            self.equations.append(eq)
            self.equations.append({
                ix("personen", dimension, category): 1.0, ix("ohne_aktivitaet", dimension, category): 1.0,
                ix("zielgruppe", dimension, category): -1.0})
            for flow in FLOWS:
                self.inequalities.append((ix(flow, dimension, category), ix("zielgruppe", dimension, category)))

    def state_total(self, table, state):
        return self.index[(table, state, "insgesamt", "insgesamt")]

    def transitions(self, table, flows):
        for (source, target), value in flows.items():
            self.add((table, "uebergang", source, target), value)


def read(db, period, min_cell):
    con = sqlite3.connect(db)
    q = lambda sql, *args: con.execute(sql, args).fetchall()
    system = System()
    current = {(i, d, c): v for i, d, c, v, _ in q(
        "SELECT indikator, dimension, auspraegung, wert, gesperrt FROM indikatoren WHERE zeitraum = ?", period)}
    system.tables("P", current)
    suppressed_now = {("P", i, d, c) for i, d, c, _, s in q(
        "SELECT indikator, dimension, auspraegung, wert, gesperrt FROM indikatoren WHERE zeitraum = ?", period) if s}
    hidden, fixed = set(), set()
    flows = {(a, b): (v, s) for a, b, v, s in q("SELECT von, nach, wert, gesperrt FROM uebergaenge WHERE zeitraum = ?", period)}
    if flows:
        year, quarter = int(period[:4]), int(period[-1])
        previous = f"{year}-Q{quarter - 1}" if quarter > 1 else f"{year - 1}-Q4"
        before = q("SELECT indikator, dimension, auspraegung, wert, gesperrt FROM indikatoren WHERE zeitraum = ?", previous)
        system.tables("P-1", {(i, d, c): v for i, d, c, v, _ in before})
        for i, d, c, _, s in before:
            (hidden if s else fixed).add(system.index[("P-1", i, d, c)])
        system.transitions("T", {k: v for k, (v, _) in flows.items()})
        suppressed_now |= {("T", "uebergang", a, b) for (a, b), (_, s) in flows.items() if s}
        previous_flows = {(a, b): (v, s) for a, b, v, s in q(
            "SELECT von, nach, wert, gesperrt FROM uebergaenge WHERE zeitraum = ?", previous)}
        system.transitions("T-1", {k: v for k, (v, _) in previous_flows.items()})
        for (a, b), (_, s) in previous_flows.items():
            (hidden if s else fixed).add(system.index[("T-1", "uebergang", a, b)])
        # SPEC 10: a state's row of the transitions adds up to P-1's total of that state, its
        # column to P's; P-1's own transition columns add up to P-1's totals. `ausserhalb` is free.
        for state in STATES[:-1]:
            row = {system.index[("T", "uebergang", state, t)]: 1.0 for t in STATES if ("T", "uebergang", state, t) in system.index}
            row[system.state_total("P-1", state)] = -1.0
            column = {system.index[("T", "uebergang", s, state)]: 1.0 for s in STATES if ("T", "uebergang", s, state) in system.index}
            column[system.state_total("P", state)] = -1.0
            before_column = {system.index[("T-1", "uebergang", s, state)]: 1.0 for s in STATES if ("T-1", "uebergang", s, state) in system.index}
            before_column[system.state_total("P-1", state)] = -1.0
            system.equations += [row, column, before_column]
    values = system.values
    primary = {k for k, v in enumerate(values) if 0 < v < min_cell and (k not in fixed)}
    klappt = {system.index[c] for c in suppressed_now} - primary
    return system, primary, hidden, fixed, klappt


def attack(system, suppressed, p):
    """Largest value of cell p given the published cells; returns (value or None if unbounded, r)."""
    unknowns = sorted(suppressed)
    col = {cell: k for k, cell in enumerate(unknowns)}
    values = system.values
    rows_eq, b_eq, eq_src = [], [], []
    for eq in system.equations:
        row, known = {}, 0.0
        for cell, coefficient in eq.items():
            if cell in col:
                row[col[cell]] = row.get(col[cell], 0.0) + coefficient
            else:
                known += coefficient * values[cell]
        if row:
            rows_eq.append(row), b_eq.append(-known), eq_src.append(eq)
    rows_ub, b_ub, ub_src = [], [], []
    for small, large in system.inequalities:
        row, known = {}, 0.0
        for cell, coefficient in ((small, 1.0), (large, -1.0)):
            if cell in col:
                row[col[cell]] = row.get(col[cell], 0.0) + coefficient
            else:
                known += coefficient * values[cell]
        if row:
            rows_ub.append(row), b_ub.append(-known), ub_src.append({small: 1.0, large: -1.0})

    def matrix(rows):
        data, ri, ci = [], [], []
        for r, row in enumerate(rows):
            for c, v in row.items():
                data.append(v), ri.append(r), ci.append(c)
        return csr_matrix((data, (ri, ci)), shape=(len(rows), len(unknowns)))

    c = np.zeros(len(unknowns))
    c[col[p]] = -1.0
    res = linprog(c, A_ub=matrix(rows_ub) if rows_ub else None, b_ub=b_ub or None,
                  A_eq=matrix(rows_eq) if rows_eq else None, b_eq=b_eq or None, bounds=(0, None), method="highs")
    if res.status == 3:
        return None, None
    assert res.status == 0, res.message
    # Dual of min -x_p: u (equations, free) and v (inequalities, <= 0) with A_eq'u + A_ub'v <= c.
    # Over all cells: r = e_p + sum u_i A_i + sum v_j G_j; then for any pattern,
    # max x_p <= sum_c r_c a_c + sum_c [a_c r_c^- y_c] + inf * sum_{r_c > 0} y_c.
    r = {p: 1.0}
    for u, eq in zip(res.eqlin.marginals if rows_eq else [], eq_src):
        for cell, coefficient in eq.items():
            r[cell] = r.get(cell, 0.0) + u * coefficient
    for v, eq in zip(res.ineqlin.marginals if rows_ub else [], ub_src):
        v = min(v, 0.0)
        for cell, coefficient in eq.items():
            r[cell] = r.get(cell, 0.0) + v * coefficient
    return -res.fun, r


def minimum(system, primary, hidden, fixed, min_cell):
    """Proven fewest secondary cells, then smallest total: (cells, rounds)."""
    values = system.values
    always = primary | hidden
    candidates = [k for k in range(len(values)) if k not in always and k not in fixed]
    position = {cell: k for k, cell in enumerate(candidates)}
    cuts = []  # (coefficients over candidates, rhs)
    pattern, count, rounds = set(), None, 0
    while True:
        found = 0
        for p in sorted(primary):
            largest, r = attack(system, always | pattern, p)
            if largest is None or np.floor(largest + 1e-6) >= min_cell:
                continue
            rhs = min_cell - sum(rc * values[c] for c, rc in r.items() if abs(rc) > 1e-9)
            coefficients = {}
            for cell, rc in r.items():
                if abs(rc) <= 1e-9 or cell in fixed:
                    continue
                coefficient = np.inf if rc > 0 else -rc * values[cell]
                if cell in always:
                    rhs -= coefficient
                elif coefficient > 0:
                    coefficients[cell] = coefficient
            assert rhs > 0, "dual proves nothing"
            cuts.append(({c: min(v, rhs) / rhs for c, v in coefficients.items()}, 1.0))
            found += 1
        if not found:
            if count is not None or not pattern:
                return pattern, rounds
            count = len(pattern)  # stage 1 proven; stage 2: same count, smallest total
        rounds += 1
        n = len(candidates)
        a = np.zeros((len(cuts) + (1 if count is not None else 0), n))
        for k, (coefficients, _) in enumerate(cuts):
            for cell, v in coefficients.items():
                a[k, position[cell]] = v
        lower = [1.0] * len(cuts)
        upper = [np.inf] * len(cuts)
        if count is None:
            objective = np.ones(n)
        else:
            objective = np.array([float(values[c]) for c in candidates])
            a[-1, :] = 1.0
            lower.append(count), upper.append(count)
        res = milp(objective, constraints=LinearConstraint(a, lower, upper), integrality=np.ones(n),
                   bounds=Bounds(0, 1), options={"mip_rel_gap": 0})
        assert res.status == 0, res.message
        pattern = {candidates[k] for k in range(n) if res.x[k] > 0.5}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("periods", nargs="+")
    parser.add_argument("--min-cell", type=int, default=3)
    args = parser.parse_args()
    failed = False
    for period in args.periods:
        system, primary, hidden, fixed, klappt = read(args.store, period, args.min_cell)
        start = time.monotonic()
        best, rounds = minimum(system, primary, hidden, fixed, args.min_cell)
        seconds = time.monotonic() - start
        unsafe = [p for p in sorted(primary) if (v := attack(system, primary | hidden | klappt, p)[0]) is not None and np.floor(v + 1e-6) < args.min_cell]
        total = lambda cells: sum(system.values[c] for c in cells)
        same = len(best) == len(klappt) and total(best) == total(klappt)
        failed |= not same or bool(unsafe)
        print(f"{period}: cells {len(system.cells)}, primary {len(primary)}; klappt {len(klappt)} secondary (total {total(klappt)}), "
              f"proven minimum {len(best)} (total {total(best)}; {rounds} rounds, {seconds:.2f} s); "
              f"klappt's pattern {'safe' if not unsafe else 'UNSAFE: ' + str(len(unsafe))}; {'same' if same else 'DIFFERENT'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
