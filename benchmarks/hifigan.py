"""A HiFi-GAN V1-sized generator in lucid and PyTorch: inference and a training step.

    python benchmarks/hifigan.py [--rounds 5]

The generator (80 mel bins, upsample rates 8,8,2,2 with kernels 16,16,4,4, 512 initial channels,
ResBlock1 with kernels 3/7/11 and dilations 1/3/5; plain Conv1d/ConvTranspose1d/leaky_relu, no
weight norm) is written once below over either framework's ``nn``. Both get the same weights;
torch runs on 2 threads; lucid and torch alternate round by round in one process. Inference is
batch 1 on 86 mel frames (1 s of 22.05 kHz audio) under no_grad; the training step is batch 4 on
32 frames, an L1 loss and Adam. Prints the time per call, the real-time factor (compute time per
second of audio) and the leaf each convolution ran. Prints a Markdown report.
"""

import argparse
import collections
import time

import numpy as np

import common  # noqa: E402  (puts the checkout on sys.path)

import lucid  # noqa: E402
import lucid.nn as lnn  # noqa: E402
import lucid.nn.functional as lF  # noqa: E402
from lucid.kernels import conv  # noqa: E402

SAMPLE_RATE = 22050
HOP = 256  # 8·8·2·2


def make_generator(nn, F):
    """The generator class over one framework's ``nn`` and functional module."""

    def padding(k, d):
        return d * (k - 1) // 2

    class ResBlock1(nn.Module):
        def __init__(self, channels, k, dilations):
            super().__init__()
            self.count = len(dilations)
            for j, d in enumerate(dilations):
                setattr(self, f"c1_{j}", nn.Conv1d(channels, channels, k, 1, dilation=d, padding=padding(k, d)))
                setattr(self, f"c2_{j}", nn.Conv1d(channels, channels, k, 1, dilation=1, padding=padding(k, 1)))

        def forward(self, x):
            for j in range(self.count):
                xt = getattr(self, f"c1_{j}")(F.leaky_relu(x, 0.1))
                x = getattr(self, f"c2_{j}")(F.leaky_relu(xt, 0.1)) + x
            return x

    class Generator(nn.Module):
        def __init__(self, mels=80, channels=512, rates=(8, 8, 2, 2), up_kernels=(16, 16, 4, 4),
                     kernels=(3, 7, 11), dilations=(1, 3, 5)):
            super().__init__()
            self.levels, self.blocks = len(rates), len(kernels)
            self.pre = nn.Conv1d(mels, channels, 7, 1, padding=3)
            for i, (u, k) in enumerate(zip(rates, up_kernels)):
                c = channels // 2 ** (i + 1)
                setattr(self, f"up{i}", nn.ConvTranspose1d(2 * c, c, k, u, padding=(k - u) // 2))
                for j, kr in enumerate(kernels):
                    setattr(self, f"res{i}_{j}", ResBlock1(c, kr, dilations))
            self.post = nn.Conv1d(channels // 2 ** len(rates), 1, 7, 1, padding=3)

        def forward(self, x):
            x = self.pre(x)
            for i in range(self.levels):
                x = getattr(self, f"up{i}")(F.leaky_relu(x, 0.1))
                total = None
                for j in range(self.blocks):
                    y = getattr(self, f"res{i}_{j}")(x)
                    total = y if total is None else total + y
                x = total * (1.0 / self.blocks)
            return F.tanh(self.post(F.leaky_relu(x, 0.01)))

    return Generator


def build(torch):
    torch.manual_seed(0)
    theirs = make_generator(torch.nn, torch.nn.functional)()
    ours = make_generator(lnn, lF)()
    state = {k: lucid.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    return ours, theirs


def leaves_used(fn):
    """{(op, leaf): count} of the kernel leaves one call of ``fn`` ran, by watching choose()."""
    counts = collections.Counter()
    original = conv.choose

    def watching(op, case, method=None):
        leaf = original(op, case, method)
        counts[op, leaf.name, (case.c_in, case.c_out, case.kernel_size, case.stride, case.dilation,
                               case.out_length)] += 1
        return leaf

    conv.choose = watching
    try:
        fn()
    finally:
        conv.choose = original
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--measured", action="store_true", help="turn conv.measured_choice on (off by default)")
    args = parser.parse_args(argv)
    conv.measured_choice(args.measured)
    tuned = common.tune_malloc()
    torch = common.load_torch(args.threads)
    ours, theirs = build(torch)
    rng = np.random.default_rng(0)
    mel = rng.standard_normal((1, 80, 86), dtype=np.float32)
    lmel, tmel = lucid.tensor(mel), torch.from_numpy(mel)
    with lucid.no_grad():
        a = ours(lmel).numpy()
    with torch.no_grad():
        b = theirs(tmel).numpy()
    error = float(np.abs(a - b).max())
    seconds = a.shape[-1] / SAMPLE_RATE

    def lucid_infer():
        with lucid.no_grad():
            ours(lmel)

    def torch_infer():
        with torch.no_grad():
            theirs(tmel)

    fns = [lucid_infer, torch_infer]
    if not args.skip_training:
        bmel = rng.standard_normal((4, 80, 32), dtype=np.float32)
        target = rng.standard_normal((4, 1, 32 * HOP), dtype=np.float32) * 0.1
        l_opt = lucid.optim.Adam(ours.parameters(), lr=2e-4)
        t_opt = torch.optim.Adam(theirs.parameters(), lr=2e-4)
        lb, lt = lucid.tensor(bmel), lucid.tensor(target)
        tb, tt = torch.from_numpy(bmel), torch.from_numpy(target)

        def lucid_train():
            l_opt.zero_grad()
            lF.l1_loss(ours(lb), lt).backward()
            l_opt.step()

        def torch_train():
            t_opt.zero_grad()
            torch.nn.functional.l1_loss(theirs(tb), tt).backward()
            t_opt.step()

        fns += [lucid_train, torch_train]
    times = [float("inf")] * len(fns)
    for fn in fns:  # warm-up: compiled kernels, scratch buffers, allocator
        fn()
    common.settle_measured_choice(fns[::2])
    used_infer = leaves_used(lucid_infer)
    used_train = leaves_used(fns[2]) if len(fns) > 2 else {}
    for _ in range(args.rounds):
        for i, fn in enumerate(fns):
            time.sleep(0.3)  # the other runtime's spinning threads go idle first
            start = time.perf_counter()
            fn()
            times[i] = min(times[i], time.perf_counter() - start)
    out = [f"Generated by `python benchmarks/hifigan.py` on {time.strftime('%Y-%m-%d')}; best of {args.rounds} "
           f"alternating rounds; glibc malloc tuned: {tuned}; measured choice: "
           f"{'on' if args.measured else 'off'}; {common.load_status()} at the end. "
           f"Max |lucid - torch| of the inference output: {error:.1e}.", "",
           "| run | lucid s | torch s | speedup | lucid RTF | torch RTF |", "|---|---|---|---|---|---|",
           f"| inference, batch 1, 86 frames ({seconds:.2f} s of audio) | {times[0]:.3f} | {times[1]:.3f} | "
           f"{times[1] / times[0]:.2f}x | {times[0] / seconds:.3f} | {times[1] / seconds:.3f} |"]
    if len(fns) > 2:
        train_seconds = 4 * 32 * HOP / SAMPLE_RATE
        out.append(f"| training step, batch 4, 32 frames ({train_seconds:.2f} s of audio), Adam | {times[2]:.3f} | "
                   f"{times[3]:.3f} | {times[3] / times[2]:.2f}x | {times[2] / train_seconds:.3f} | "
                   f"{times[3] / train_seconds:.3f} |")
    out += ["", "RTF: compute seconds per second of audio (below 1 is faster than real time).", "",
            "Leaves each convolution ran (op, leaf, (C_in, C_out, K, s, d, L_out) of the kernel's conv1d view, calls):",
            ""]
    for title, used in (("inference", used_infer), ("training step", used_train)):
        if not used:
            continue
        out.append(f"- {title}:")
        for (op, leaf, geometry), count in sorted(used.items(), key=lambda item: (item[0][2], item[0][0])):
            out.append(f"  - {op} {geometry}: {leaf} x{count}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
