"""Group t-tests and correlations: trialmri.stats.group_tests against pingouin, same inputs.

Real-shaped inputs (ΔMD in mm²/s and ΔMADRS-like scores; equal and unequal n, unequal variances,
missing values): Student and Welch t, df, p and Cohen's d from ``independent_ttest`` against
``pingouin.ttest(correction=False / True)``; r, p and the 95 % CI from ``pearson`` against
``pingouin.corr``. Prints the max absolute and relative differences per quantity, whether each is
bit-identical, the columns of ours that pingouin's one call does not give, and the import time of
each in a fresh interpreter (median of 5) with the ratio. pingouin is not a trialmri dependency:
install it aside and pass its folder (appended to sys.path, so the venv's numpy/scipy/pandas win)::

    .venv/bin/python -m pip install --target /tmp/pg pingouin
    .venv/bin/python bench/pingouin_vs_group_tests.py --pingouin-path /tmp/pg
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np

from trialmri.stats.group_tests import TTEST_COLUMNS, independent_ttest, pearson


def samples(seed: int = 0):
    """(name, treatment values, control values) with the study's shapes."""
    rng = np.random.default_rng(seed)
    out = [("ΔMD 49/49 equal var", rng.normal(-2e-5, 3e-5, 49), rng.normal(1e-5, 3e-5, 49)),
           ("ΔMD 46/52", rng.normal(-2e-5, 3e-5, 46), rng.normal(1e-5, 3e-5, 52)),
           ("ΔMD 20/35 sd x3", rng.normal(-2e-5, 9e-5, 20), rng.normal(1e-5, 3e-5, 35)),
           ("ΔMADRS 48/50 integers", rng.integers(-30, 3, 48).astype(float), rng.integers(-22, 6, 50).astype(float)),
           ("ΔMADRS 12/40 sd x2.5", rng.normal(-14, 12, 12), rng.normal(-6, 4.8, 40))]
    a, b = rng.normal(-2e-5, 3e-5, 49), rng.normal(1e-5, 3e-5, 49)
    a[[3, 17]] = np.nan
    b[[5]] = np.nan
    out.append(("ΔMD 49/49 with 3 missing", a, b))
    return out


def pairs(seed: int = 1):
    """(name, x, y) correlation inputs: ΔMD against Δscore within a group."""
    rng = np.random.default_rng(seed)
    out = []
    for n, rho in ((49, 0.3), (46, -0.45), (20, 0.1), (98, 0.6), (8, 0.8)):
        x = rng.normal(0, 3e-5, n)
        y = rho * x / 3e-5 * 8 + rng.normal(0, 8 * np.sqrt(1 - rho ** 2), n)
        out.append((f"n={n} rho={rho}", x, y))
    x, y = out[0][1].copy(), out[0][2].copy()
    x[[2, 9]], y[[4]] = np.nan, np.nan
    out.append(("n=49 with 3 missing pairs", x, y))
    return out


class Diff:
    """Max absolute / relative difference and the count of bit-identical values of one quantity."""

    def __init__(self):
        self.abs = self.rel = 0.0
        self.equal = self.total = 0

    def add(self, ours: float, theirs: float) -> None:
        ours, theirs = float(ours), float(theirs)
        self.total += 1
        self.equal += ours == theirs
        d = abs(ours - theirs)
        self.abs = max(self.abs, d)
        self.rel = max(self.rel, d / abs(ours) if ours else (0.0 if d == 0 else np.inf))

    def line(self, name: str) -> str:
        return (f"  {name:<22} max |Δ| {self.abs:9.2e}   max rel {self.rel:9.2e}   "
                f"bit-identical {self.equal}/{self.total}")


def column(row, *names):
    """``row[name]`` for the first of ``names`` present (pingouin 0.7 renamed ``p-val`` to ``p_val``...)."""
    return next(row[n] for n in names if n in row)


def compare(pg) -> None:
    t_diffs = {k: Diff() for k in ("t", "df", "p", "welch_t", "welch_df", "welch_p", "cohens_d", "|cohens_d|")}
    for name, a, b in samples():
        values = np.concatenate([a, b])
        groups = np.array(["treatment"] * a.size + ["control"] * b.size)
        ours = independent_ttest(values, groups, "treatment", "control", name)
        student = pg.ttest(a, b, correction=False).iloc[0]
        welch = pg.ttest(a, b, correction=True).iloc[0]
        d = column(student, "cohen_d", "cohen-d")
        for key, theirs in (("t", student["T"]), ("df", student["dof"]), ("p", column(student, "p_val", "p-val")),
                            ("welch_t", welch["T"]), ("welch_df", welch["dof"]),
                            ("welch_p", column(welch, "p_val", "p-val")), ("cohens_d", d)):
            t_diffs[key].add(ours[key], theirs)
        t_diffs["|cohens_d|"].add(abs(ours["cohens_d"]), d)
    print(f"t-tests on {len(samples())} inputs (ours: independent_ttest; pingouin.ttest correction=False/True):")
    for key, diff in t_diffs.items():
        print(diff.line(key))
    student = pg.ttest(samples()[0][1], samples()[0][2], correction=False)
    print(f"  pingouin.ttest columns: {', '.join(student.columns)} (cohen_d is |d|: no sign)")
    given = ("variable", "t", "df", "p", "welch_t", "welch_df", "welch_p", "cohens_d")
    print(f"  ours not in its one call: {', '.join(c for c in TTEST_COLUMNS if c not in given)}; "
          "Welch is a second call (correction=True; the default 'auto' picks Welch when n differ)")

    r_diffs = {k: Diff() for k in ("n", "r", "p", "ci_low", "ci_high")}
    for name, x, y in pairs():
        ours = pearson(x, y)
        theirs = pg.corr(x, y).iloc[0]
        ci = column(theirs, "CI95", "CI95%")
        for key, value in (("n", theirs["n"]), ("r", theirs["r"]), ("p", column(theirs, "p_val", "p-val")),
                           ("ci_low", ci[0]), ("ci_high", ci[1])):
            r_diffs[key].add(ours[key], value)
    print(f"correlations on {len(pairs())} inputs (ours: pearson; pingouin.corr):")
    for key, diff in r_diffs.items():
        print(diff.line(key))
    print(f"  pingouin.corr columns: {', '.join(pg.corr(pairs()[0][1], pairs()[0][2]).columns)}")


def import_seconds(code: str, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pingouin-path", help="folder holding pingouin (pip install --target), appended to sys.path")
    parser.add_argument("--repeats", type=int, default=5, help="fresh interpreters per import timing (median)")
    args = parser.parse_args()
    if args.pingouin_path:
        sys.path.append(args.pingouin_path)
    try:
        import pingouin as pg
    except ImportError as error:
        print(f"SKIPPED: pingouin is not importable ({error}); install it aside "
              "(.venv/bin/python -m pip install --target /tmp/pg pingouin) and pass --pingouin-path /tmp/pg")
        return
    print(f"pingouin {pg.__version__} from {pg.__file__}")
    compare(pg)
    path = f"import sys; sys.path.append({args.pingouin_path!r}); " if args.pingouin_path else ""
    base = import_seconds("pass", args.repeats)
    ours = import_seconds("import trialmri.stats.group_tests", args.repeats)
    theirs = import_seconds(path + "import pingouin", args.repeats)
    both = import_seconds(path + "import trialmri.stats.group_tests; import pingouin", args.repeats)
    print(f"import, fresh interpreter, median of {args.repeats} (bare interpreter {base:.3f} s included):")
    print(f"  trialmri.stats.group_tests {ours:6.3f} s")
    print(f"  pingouin                   {theirs:6.3f} s   ratio pingouin/ours {theirs / ours:4.1f}x")
    print(f"  both                       {both:6.3f} s   pingouin's cost on top of ours {both - ours:+.3f} s")

if __name__ == "__main__":
    main()
