"""Fit the cost model of lucid's 1-d convolution leaves, then check how well choose() picks.

    python benchmarks/calibrate.py [--train 60] [--test 40] [--seed 0] [--write]

Draws a seeded random grid of decoder-like shapes (channels 1-2048, kernels 1-32, strides 1-10,
dilations 1-5, groups 1, 2, 4 or depthwise, batch 1-32, lengths 16-2^16, capped in work so the
run takes minutes), times every applicable leaf of every op (conv1d, grad_input, grad_weight)
forced through ``method=``, and fits each leaf's constants of ``tuning.COST`` by least squares
on relative error. On a second, held-out random set it reports how often ``choose()`` lands
within 1.15x of the fastest forced leaf: by the cost model alone, with the constants before and
after the fit, and as a user gets it, after the first calls of each case have timed the cost
model's near ties (the ops called with no ``method``, the choice read back from ``choose()``).
``--write`` rewrites the COST table in lucid/kernels/conv/tuning.py. Prints a Markdown report.
"""

import argparse
import itertools
import math
import pathlib
import re

import numpy as np

import common  # noqa: E402  (puts the checkout on sys.path)

from lucid.kernels import conv  # noqa: E402
from lucid.kernels.conv import registry, tuning  # noqa: E402

MAX_MACS = 3e8  # about 2-10 ms of the dense leaves: keeps the whole run in minutes
MAX_ELEMENTS = 8e6  # per operand: 32 MB of float32
HALVES = (0.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0)


def random_case(rng):
    """One decoder-like shape, redrawn until it fits the work caps."""
    while True:
        c_in = int(round(2 ** rng.uniform(0, 11)))
        c_out = int(round(2 ** rng.uniform(0, 11)))
        k = int(rng.integers(1, 33))
        s = int(rng.integers(1, 11))
        d = int(rng.integers(1, 6)) if k > 1 else 1
        n = int(round(2 ** rng.uniform(0, 5)))
        length = int(round(2 ** rng.uniform(4, 16)))
        kind = rng.choice(["dense", "dense", "grouped", "depthwise"])
        if kind == "depthwise":
            c_out = c_in
            groups = c_in
        elif kind == "grouped":
            groups = int(rng.choice([2, 4]))
            c_in, c_out = max(groups, c_in // groups * groups), max(groups, c_out // groups * groups)
        else:
            groups = 1
        p = int(rng.integers(0, d * (k - 1) // 2 + 1))
        if length + 2 * p < d * (k - 1) + 1:
            continue
        case = conv.make_case((n, c_in, length), (c_out, c_in // groups, k), length, s, p, d, groups)
        if case.out_length < 1 or case.macs > MAX_MACS:
            continue
        if max(case.long_size, case.short_size, case.weight_size) > MAX_ELEMENTS:
            continue
        if case.macs > 2e7 or rng.uniform() < 0.5:  # fewer of the tiny calls, whose time is mostly Python
            return case


def suite_cases():
    """The benchmark suites' kernel cases (the transposed shapes, every other residual block), for training."""
    import conv_layers

    cases = [conv_layers.kernel_case("transposed", shape) for shape in conv_layers.TRANSPOSED.values()]
    cases += [conv_layers.kernel_case("conv1d", shape) for shape in list(conv_layers.conv1d_suite().values())[::2]]
    return [case for case in cases if case.macs <= 10 * MAX_MACS]


def wins(rows):
    """{(op, leaf): (fastest count, fastest by >= 10% count)} over all measured (case, op)."""
    out = {}
    for op, _, times in rows:
        order = sorted(times, key=times.get)
        first, margin = order[0], (times[order[1]] / times[order[0]] if len(order) > 1 else float("inf"))
        count, clear = out.get((op, first), (0, 0))
        out[op, first] = (count + 1, clear + (margin >= 1.1))
    return out


def measure(cases, rng, label):
    """[(op, case, {leaf: seconds})] for every case and op."""
    rows = []
    for i, case in enumerate(cases):
        for op in conv.OPS:
            times = common.time_leaves(op, case, rng, repeats=3, budget_s=0.01, settle=0.02)
            rows.append((op, case, times))
        print(f"<!-- {label} {i + 1}/{len(cases)} -->", flush=True)
    return rows


def fit_leaf(samples):
    """Constants (setup_us, per_call_us, gmacs, half, ns_per_element) minimising the relative error."""
    best = None
    for half in HALVES:
        a, b = [], []
        for macs, (calls, depth, elements), seconds in samples:
            us = seconds * 1e6
            scale = macs * ((depth + half) / depth if half > 0 else 1.0) / 1e3
            a.append(np.array([1.0, calls, scale, elements / 1e3]) / us)
            b.append(1.0)
        a, b = np.array(a), np.array(b)
        active = list(range(4))
        coef = np.zeros(4)
        for _ in range(4):  # least squares, dropping negative coefficients until none is left
            sol, *_ = np.linalg.lstsq(a[:, active], b, rcond=None)
            coef = np.zeros(4)
            coef[active] = sol
            negative = [j for j in active if coef[j] < 0]
            if not negative:
                break
            active = [j for j in active if j not in negative]
        coef = np.maximum(coef, 0)
        loss = float(np.sum((a @ coef - b) ** 2))
        if best is None or loss < best[0]:
            best = (loss, half, coef)
    _, half, (setup, per_call, inv_rate, ns) = best
    gmacs = 1.0 / inv_rate if inv_rate > 0 else 1e6
    return (round(setup, 2), round(per_call, 3), round(min(gmacs, 1e6), 2), half, round(ns, 4))


def fit(rows):
    samples = {}
    for op, case, times in rows:
        for name, seconds in times.items():
            leaf = registry.LEAVES[f"{op}/{name}"]
            samples.setdefault((op, name), []).append((case.macs, leaf.features(case), seconds))
    table = dict(tuning.COST)
    for key, items in samples.items():
        if len(items) >= 6:
            table[key] = fit_leaf(items)
    return table, {key: len(items) for key, items in samples.items()}


def score(rows):
    """(fraction of (case, op) where the cost model's choice is within 1.15x of the fastest, the ratios,
    the leaves chosen)."""
    ratios, picks = [], []
    with conv.measured_choice(False):
        for op, case, times in rows:
            picks.append(conv.choose(op, case).name)
            ratios.append(times[picks[-1]] / min(times.values()))
    return sum(r <= 1.15 for r in ratios) / len(ratios), ratios, picks


def score_measured(rows, rng):
    """As :func:`score`, for the choice kept after the first calls of each case timed its near ties.

    Each (case, op) starts with no measurement and is called through the public op with no
    ``method`` as often as the timing takes; the leaf ``choose()`` then keeps is scored against the
    forced timings of :func:`measure` (taken independently, in interleaved rounds). Also returns the
    share of (case, op) whose fastest leaf was among the near ties timed.
    """
    ratios, picks, covered = [], [], 0
    with conv.measured_choice(True):
        for op, case, times in rows:
            conv.forget_measurements()
            a, b = common.leaf_arrays(op, case, rng)
            call = common.leaf_call(op, case, a, b, None)
            call()
            trial = registry._trials[registry._key(op, case)]
            covered += min(times, key=times.get) in [leaf.name for leaf in trial.candidates]
            common.settle_measured_choice([call])
            picks.append(conv.choose(op, case).name)
            ratios.append(times[picks[-1]] / min(times.values()))
    conv.forget_measurements()
    return sum(r <= 1.15 for r in ratios) / len(ratios), ratios, picks, covered / len(rows)


def write_table(table):
    path = pathlib.Path(conv.__file__).with_name("tuning.py")
    text = path.read_text()
    body = "".join(f"    {key!r}: {tuple(float(v) for v in value)!r},\n" for key, value in sorted(table.items()))
    text = re.sub(r"COST = \{\n.*?\n\}\n", "COST = {\n" + body + "}\n", text, flags=re.S)
    path.write_text(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=60)
    parser.add_argument("--test", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="rewrite tuning.COST with the fitted constants")
    parser.add_argument("--no-suites", action="store_true", help="leave the benchmark suites' shapes out of training")
    args = parser.parse_args(argv)
    common.tune_malloc()
    rng = np.random.default_rng(args.seed)
    train = [random_case(rng) for _ in range(args.train)]
    test = [random_case(rng) for _ in range(args.test)]
    if not args.no_suites:
        train += suite_cases()
    print(f"Calibration: {len(train)} training shapes ({args.train} random, the rest the benchmark suites') and "
          f"{args.test} held-out random shapes (seed {args.seed}); "
          f"{common.load_status()} at the start.\n", flush=True)
    train_rows = measure(train, rng, "train")
    test_rows = measure(test, rng, "test")
    before, before_ratios, _ = score(test_rows)
    fitted, counts = fit(train_rows)
    old = dict(tuning.COST)
    tuning.COST.update(fitted)
    after, after_ratios, after_picks = score(test_rows)
    measured, measured_ratios, picks, covered = score_measured(test_rows, rng)
    train_after, _, _ = score(train_rows)
    if args.write:
        write_table(fitted)
    else:
        tuning.COST.clear()
        tuning.COST.update(old)
    lines = ["| constants | held-out (case, op) within 1.15x of the fastest leaf | geomean choose/fastest | worst |",
             "|---|---|---|---|",
             f"| before the fit | {before:.0%} | {common.geomean(before_ratios):.3f} | {max(before_ratios):.2f}x |",
             f"| after the fit | {after:.0%} | {common.geomean(after_ratios):.3f} | {max(after_ratios):.2f}x |",
             f"| after the fit, near ties timed at the first calls | {measured:.0%} | "
             f"{common.geomean(measured_ratios):.3f} | {max(measured_ratios):.2f}x |",
             "", f"Training set after the fit (cost model alone): {train_after:.0%} within 1.15x. The fastest leaf was "
             f"among the near ties timed (predicted within {tuning.TRIAL_MARGIN}x of the cheapest, at most "
             f"{tuning.TRIAL_LEAVES}) on {covered:.0%} of the held-out (case, op).", "",
             "| op | leaf | samples | setup µs | per call µs | GMAC/s | half depth | ns/element |",
             "|---|---|---|---|---|---|---|---|"]
    for key in sorted(fitted):
        lines.append(f"| {key[0]} | {key[1]} | {counts.get(key, 0)} | " + " | ".join(str(v) for v in fitted[key]) + " |")
    lines += ["", "Where each leaf is the fastest (all measured shapes, training and held-out):", ""]
    won = wins(train_rows + test_rows)
    for key in sorted(registry.LEAVES):
        op, name = key.split("/")
        count, clear = won.get((op, name), (0, 0))
        lines.append(f"- {op}/{name}: fastest on {count}, by >= 10% on {clear}")
    for title, ratios, chosen in (("of the cost model alone after the fit", after_ratios, after_picks),
                                  ("with the near ties timed", measured_ratios, picks)):
        lines += ["", f"Held-out misses {title} (worst first): op, (N, C_in, C_out, K, s, p, d, g, L), "
                  "chosen vs fastest:", ""]
        for ratio, pick, (op, case, times) in sorted(zip(ratios, chosen, test_rows), key=lambda item: -item[0])[:8]:
            if ratio <= 1.15:
                break
            shape = (case.n, case.c_in, case.c_out, case.kernel_size, case.stride, case.padding, case.dilation,
                     case.groups, case.length)
            lines.append(f"- {op} {shape}: {pick} {ratio:.2f}x slower than {min(times, key=times.get)}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
