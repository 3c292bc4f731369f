"""Per-layer benchmark against PyTorch: the seven transposed shapes and HiFi-GAN residual-block Conv1d.

    python benchmarks/conv_layers.py [--repeats 3] [--suite transposed,conv1d] [--leaves]

Each shape runs forward (no grad) and forward+backward (gradients of input, weight and bias),
lucid and PyTorch (2 threads) alternating block by block in one process; the best block mean of
the rounds is kept. ``--leaves`` also times every applicable leaf of each kernel op forced
through ``method=`` (which leaf wins each shape, and by how much). Prints a Markdown report.
"""

import argparse
import datetime
import math
import tracemalloc

import numpy as np

import common  # noqa: E402  (puts the checkout on sys.path)

import lucid  # noqa: E402
import lucid.nn.functional as F  # noqa: E402
from lucid.kernels import conv  # noqa: E402

MiB = 1 << 20
# name: (N, C_in, C_out, K, stride, padding, dilation, groups, L) of the transposed convolution
TRANSPOSED = {
    "seq-decoder": (16, 32, 16, 4, 2, 1, 1, 1, 1024),
    "hifigan-up1": (4, 512, 256, 16, 8, 4, 1, 1, 128),
    "hifigan-up2": (4, 256, 128, 16, 8, 4, 1, 1, 1024),
    "oobleck": (1, 2048, 1024, 20, 10, 5, 1, 1, 64),
    "istft-like": (1, 1026, 1, 1024, 256, 0, 1, 1, 224),
    "depthwise": (8, 64, 64, 4, 2, 1, 1, 64, 2048),
    "dilated": (8, 64, 64, 3, 1, 2, 2, 1, 4096),
}
# HiFi-GAN V1 on 86 mel frames (1 s of 22.05 kHz audio): channels and lengths after each upsampler
LEVELS = [(512, 86), (256, 688), (128, 5504), (64, 11008), (32, 22016)]


def conv1d_suite():
    """name: (N, C, C, K, 1, "same" padding, dilation, 1, L) of the residual blocks' Conv1d."""
    suite = {}
    for channels, length in LEVELS:
        for k in (3, 7, 11):
            for d in (1, 3, 5):
                suite[f"res-c{channels}-k{k}-d{d}"] = (1, channels, channels, k, 1, d * (k - 1) // 2, d, 1, length)
    return suite


def kernel_case(kind, shape):
    """The kernels' Case (conv1d's view) of a layer: a transposed layer's output is the long signal."""
    n, c_in, c_out, k, s, p, d, g, length = shape
    if kind == "conv1d":
        return conv.make_case((n, c_in, length), (c_out, c_in // g, k), length, s, p, d, g)
    out_length = conv.conv_transpose1d_output_length(length, k, s, p, 0, d)
    return conv.make_case((n, c_out, out_length), (c_in, c_out // g, k), out_length, s, p, d, g, out_length=length)


def chosen(kind, shape):
    """(forward leaf, backward leaves) that choose() runs for this layer."""
    case = kernel_case(kind, shape)
    name = {op: conv.choose(op, case).name for op in conv.OPS}
    if kind == "conv1d":
        return name["conv1d"], f"{name['grad_input']} + {name['grad_weight']}"
    return name["grad_input"], f"{name['conv1d']} + {name['grad_weight']}"


def prepare(kind, shape, torch, rng):
    n, c_in, c_out, k, s, p, d, g, length = shape
    x = rng.standard_normal((n, c_in, length), dtype=np.float32)
    w_shape = (c_out, c_in // g, k) if kind == "conv1d" else (c_in, c_out // g, k)
    w = rng.standard_normal(w_shape, dtype=np.float32) / math.sqrt(c_in * k / g)
    b = rng.standard_normal(c_out, dtype=np.float32)
    cfg = dict(stride=s, padding=p, groups=g, dilation=d)
    ours = getattr(F, "conv1d" if kind == "conv1d" else "conv_transpose1d")
    lx, lw, lb = (lucid.tensor(a, requires_grad=True) for a in (x, w, b))
    with lucid.no_grad():
        out_shape = ours(lx, lw, lb, **cfg).shape
    grad = rng.standard_normal(out_shape, dtype=np.float32)
    lg = lucid.tensor(grad)

    def lucid_forward():
        with lucid.no_grad():
            ours(lx, lw, lb, **cfg)

    def lucid_backward():
        lx.grad = lw.grad = lb.grad = None
        ours(lx, lw, lb, **cfg).backward(lg)

    fns = [lucid_forward, lucid_backward]
    if torch is not None:
        theirs = getattr(torch.nn.functional, "conv1d" if kind == "conv1d" else "conv_transpose1d")
        tx, tw, tb = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
        tg = torch.from_numpy(grad)

        def torch_forward():
            with torch.no_grad():
                theirs(tx, tw, tb, **cfg)

        def torch_backward():
            tx.grad = tw.grad = tb.grad = None
            theirs(tx, tw, tb, **cfg).backward(tg)

        fns += [torch_forward, torch_backward]
        lucid_backward()
        torch_backward()
        for a, t in ((lx, tx), (lw, tw), (lb, tb)):
            scale = float(np.abs(t.grad.numpy()).max()) or 1.0
            error = float(np.abs(a.grad.numpy() - t.grad.numpy()).max()) / scale
            if error > 1e-3:
                raise AssertionError(f"{shape}: gradients differ from PyTorch's (relative error {error:.2e})")
    return fns


def workspace(kind, shape, rng):
    """tracemalloc peak of one forward kernel call beyond its output, and the bound 1.5 (in + w + out) + 64 MiB."""
    case = kernel_case(kind, shape)
    op = "conv1d" if kind == "conv1d" else "grad_input"
    a, b = common.leaf_arrays(op, case, rng)
    call = common.leaf_call(op, case, a, b, None)
    conv.release_scratch()
    tracemalloc.start()
    out = call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (peak - out.nbytes) / MiB, (1.5 * (a.nbytes + b.nbytes + out.nbytes) + 64 * MiB) / MiB


def run_suite(kind, suite, torch, repeats, rng):
    prepared = {name: prepare(kind, shape, torch, rng) for name, shape in suite.items()}
    for fns in prepared.values():
        common.settle_measured_choice(fns[:2])
    fns = [fn for name in suite for fn in prepared[name]]
    times = common.best(fns, repeats, settle=0.15)
    per = len(fns) // len(suite)
    rows = []
    for i, (name, shape) in enumerate(suite.items()):
        t = times[i * per : (i + 1) * per]
        fwd_leaf, bwd_leaves = chosen(kind, shape)
        extra, bound = workspace(kind, shape, rng)
        rows.append(dict(name=name, shape=shape, fwd=t[0], fwdbwd=t[1], torch_fwd=t[2] if per == 4 else None,
                         torch_fwdbwd=t[3] if per == 4 else None, fwd_leaf=fwd_leaf, bwd_leaves=bwd_leaves,
                         workspace=extra, bound=bound))
    return rows


def leaf_report(kind, suite, rng, repeats):
    """Per shape and kernel op: each leaf's time relative to the fastest, and which leaf choose() takes."""
    lines = ["| shape | op | fastest leaf | runner-up (x slower) | choose() | choose / fastest |", "|---|---|---|---|---|---|"]
    wins = {}
    for name, shape in suite.items():
        case = kernel_case(kind, shape)
        for op in conv.OPS:
            times = common.time_leaves(op, case, rng, repeats)
            print(f"<!-- {name} {op}: " + ", ".join(f"{k} {v * 1e3:.2f} ms" for k, v in times.items()) + " -->",
                  flush=True)
            order = sorted(times, key=times.get)
            pick = conv.choose(op, case).name
            second = f"{order[1]} ({times[order[1]] / times[order[0]]:.2f}x)" if len(order) > 1 else "–"
            margin = times[order[1]] / times[order[0]] if len(order) > 1 else math.inf
            wins.setdefault((op, order[0]), []).append(margin)
            lines.append(f"| {name} | {op} | {order[0]} | {second} | {pick} | {times[pick] / times[order[0]]:.2f}x |")
    return lines, wins


def render(kind, rows):
    has_torch = rows[0]["torch_fwd"] is not None
    title = "Conv1d residual blocks" if kind == "conv1d" else "ConvTranspose1d shapes"
    out = [f"### {title}", "",
           "| shape | (N, C_in, C_out, K, s, p, d, g, L) | fwd ms | torch fwd ms | fwd speedup | fwd+bwd ms | "
           "torch fwd+bwd ms | fwd+bwd speedup | leaf fwd | leaves bwd | workspace MiB (bound) |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        sp = (f"{r['torch_fwd'] / r['fwd']:.2f}x", f"{r['torch_fwdbwd'] / r['fwdbwd']:.2f}x") if has_torch else ("–",) * 2
        tf = (f"{r['torch_fwd'] * 1e3:.2f}", f"{r['torch_fwdbwd'] * 1e3:.2f}") if has_torch else ("–",) * 2
        out.append(f"| {r['name']} | {r['shape']} | {r['fwd'] * 1e3:.2f} | {tf[0]} | {sp[0]} | {r['fwdbwd'] * 1e3:.2f} | "
                   f"{tf[1]} | {sp[1]} | {r['fwd_leaf']} | {r['bwd_leaves']} | {r['workspace']:.1f} ({r['bound']:.0f}) |")
    if has_torch:
        fwd = common.geomean([r["torch_fwd"] / r["fwd"] for r in rows])
        both = common.geomean([r["torch_fwdbwd"] / r["fwdbwd"] for r in rows])
        low = min(min(r["torch_fwd"] / r["fwd"], r["torch_fwdbwd"] / r["fwdbwd"]) for r in rows)
        out += ["", f"Geometric-mean speedup over PyTorch: forward {fwd:.2f}x, forward+backward {both:.2f}x; "
                    f"lowest cell {low:.2f}x."]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--suite", default="transposed,conv1d")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--leaves", action="store_true", help="also time every leaf of every op, forced")
    parser.add_argument("--only", default=None, help="comma-separated shape names")
    parser.add_argument("--default-malloc", action="store_true")
    parser.add_argument("--measured", action="store_true", help="turn conv.measured_choice on (off by default)")
    args = parser.parse_args(argv)
    conv.measured_choice(args.measured)
    tuned = False if args.default_malloc else common.tune_malloc()
    torch = None if args.no_torch else common.load_torch(args.threads)
    rng = np.random.default_rng(0)
    lines = [f"Generated by `python benchmarks/conv_layers.py` on {datetime.date.today().isoformat()}; float32, "
             f"best of {args.repeats} alternating rounds; glibc malloc tuned: {tuned}; measured choice: "
             f"{'on' if args.measured else 'off'}; {common.load_status()} at the start.", ""]
    for key, value in common.machine_info(torch).items():
        lines.append(f"- {key}: {value}")
    lines.append("")
    print("\n".join(lines), flush=True)
    for kind in args.suite.split(","):
        lines = []
        suite = TRANSPOSED if kind == "transposed" else conv1d_suite()
        if args.only:
            suite = {k: v for k, v in suite.items() if k in args.only.split(",")}
        if not suite:
            continue
        print("\n".join(render(kind, run_suite(kind, suite, torch, args.repeats, rng)) + [""]), flush=True)
        if args.leaves:
            table, wins = leaf_report(kind, suite, rng, args.repeats)
            lines += table + [""]
            for (op, leaf), margins in sorted(wins.items()):
                lines.append(f"- {op}/{leaf}: fastest on {len(margins)} shapes, by >= 10% on "
                             f"{sum(m >= 1.1 for m in margins)}")
            lines.append("")
        print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
