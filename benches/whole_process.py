#!/usr/bin/env python3
"""Whole-process figures of issue 17's target table: min and median wall time
(and peak memory) of several runs of one nabla binary, optionally against a
base binary measured in the same run (`--base`), with the ratio.

    python3 benches/whole_process.py --nabla target/release/nabla \
        --base /tmp/base/target/release/nabla --runs 5

Rows: `check derivations/` (1 job and 2), q2_mlp and q1_softmax, a 100-file
folder (each alone, then `--jobs 1` and `--jobs 2` interleaved with their
ratio and the ratio the work's balance over the threads allows; `--only "2 jobs"`
runs only that), a 1 MB Markdown document of about 14,000 steps
(benches/big_markdown.py), the diff of the σ chain at N = 1,000 and 10,000 and of
the tanh chain at N = 10,000 (output bytes and peak memory too), and `conv` of 10^6 × 31 from a file against numpy (when numpy is
installed). Never run in tests: timings are measured, never asserted.

With `--base`, `--same-verdicts` first compares both binaries' JSON reports of
`derivations/` and `tests/adversarial/` under seeds 1, 2 and 3: a speed-up
must leave every byte of them unchanged (issue 17: "verdicts byte-identical").
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_once(cmd, cwd, timeout):
    """Wall seconds, CPU seconds (user + system), peak memory (KB) and stdout
    bytes of one run (this child's own rusage, from wait4). On a shared
    machine CPU time is the steadier figure."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                return None
            time.sleep(0.002)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        size = out.seek(0, os.SEEK_END)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, size


def measure(cmd, cwd, runs, timeout):
    """min wall, median wall, min CPU, peak KB, output bytes."""
    results = [run_once(cmd, cwd, timeout) for _ in range(runs)]
    if any(r is None for r in results):
        return None
    walls = [r[0] for r in results]
    return (min(walls), statistics.median(walls), min(r[1] for r in results),
            results[-1][2], results[-1][3])


def thread_cpu(pid, seen):
    """Records in `seen` the CPU seconds (user + system) of every thread of
    `pid` so far, keyed by thread id, with the thread's name."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        seen[tid] = (name, (int(fields[11]) + int(fields[12])) / tick)


def run_threads(cmd, cwd, timeout):
    """Wall seconds of one run and the CPU seconds of each of its threads
    (read from /proc every few milliseconds while it runs, so a thread's last
    few milliseconds may be missed)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = {}
    while proc.poll() is None:
        thread_cpu(proc.pid, seen)
        if time.perf_counter() - start > timeout:
            proc.kill()
            proc.wait()
            return None
        time.sleep(0.003)
    return time.perf_counter() - start, seen


def jobs_pair(nabla, folder, runs, timeout, label):
    """`--jobs 1` against `--jobs 2` on one folder, runs interleaved (so a
    change in the machine's load hits both alike): min and median wall of
    each and their ratio. On a shared machine the wall ratio shows the load
    as much as nabla, so the CPU the busiest thread of a 2-job run spent is
    shown too: `bound` is the 1-job run's CPU over that thread's CPU plus
    the other threads' (the main thread's work is serial), the ratio two free
    cores would give if the threads kept that split. Under load the split
    follows the scheduler as much as the work (a thread that runs less
    steals less), so the bound errs low, never high."""
    one, two, bounds = [], [], []
    for _ in range(runs):
        a = run_threads([nabla, "check", folder, "--jobs", "1"], ROOT, timeout)
        b = run_threads([nabla, "check", folder, "--jobs", "2"], ROOT, timeout)
        if a is None or b is None:
            print(f"{label:32} timed out")
            return
        one.append(a[0])
        two.append(b[0])
        cpu_one = sum(c for _, c in a[1].values())
        workers = [c for n, c in b[1].values() if n.startswith("nabla-worker")]
        serial = sum(c for n, c in b[1].values() if not n.startswith("nabla-worker"))
        busiest = max(workers, default=0.0) + serial
        bounds.append(cpu_one / busiest if busiest > 0 else 0.0)
    print(f"{label:32} jobs 1 min {min(one):.3f} med {statistics.median(one):.3f}  "
          f"jobs 2 min {min(two):.3f} med {statistics.median(two):.3f}  "
          f"ratio med {statistics.median(one) / statistics.median(two):.2f}× "
          f"min {min(one) / min(two):.2f}×  bound {statistics.median(bounds):.2f}×  "
          f"(load {os.getloadavg()[0]:.1f})", flush=True)


def same_verdicts(nabla, base):
    """Prints whether `nabla` and `base` write the same JSON report for the
    corpus and the adversarial corpus under three seeds; exits 1 if not."""
    differ = []
    for folder in ("derivations/", "tests/adversarial/"):
        for seed in ("1", "2", "3"):
            cmd = ["check", folder, "--format", "json", "--seed", seed]
            outs = [subprocess.run([b] + cmd, cwd=ROOT, capture_output=True).stdout
                    for b in (nabla, base)]
            if outs[0] != outs[1]:
                differ.append(f"{folder} seed {seed}")
    if differ:
        print("reports differ: " + ", ".join(differ))
        sys.exit(1)
    print("reports identical: derivations/ and tests/adversarial/, seeds 1-3")


def chain_defs(n, path, f="σ"):
    """g = the chain g_N = f(0.5·g_{N−1} + 0.3) from x, written by doubling
    definitions (so the file stays short)."""
    lines = ["var x : real", f"def c1(x) = {f}(0.5*x + 0.3)"]
    k = 1
    while 2 ** k <= n:
        lines.append(f"def c{2**k}(x) = c{2**(k-1)}(c{2**(k-1)}(x))")
        k += 1
    expr = "x"
    for i in range(k):
        if n >> i & 1:
            expr = f"c{2**i}({expr})"
    lines.append(f"def g(x) = {expr}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def hundred_files(folder):
    """The corpus's claims spread over 100 files (each file a copy of one)."""
    sources = []
    for dirpath, _, names in os.walk(os.path.join(ROOT, "derivations")):
        sources += [os.path.join(dirpath, n) for n in sorted(names) if n.endswith(".nabla")]
    sources.sort()
    for k in range(100):
        shutil.copy(sources[k % len(sources)], os.path.join(folder, f"f{k:03}.nabla"))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nabla", default=os.path.join(ROOT, "target/release/nabla"))
    parser.add_argument("--base", help="a base binary measured in the same run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--only", help="run only the rows whose name contains this")
    parser.add_argument("--same-verdicts", action="store_true",
                        help="with --base: first check that both give byte-identical JSON reports")
    args = parser.parse_args()
    args.nabla = os.path.abspath(args.nabla)
    args.base = args.base and os.path.abspath(args.base)
    if args.same_verdicts and args.base:
        same_verdicts(args.nabla, args.base)
    work = tempfile.mkdtemp()
    for n in (1000, 10000):
        chain_defs(n, os.path.join(work, f"chain{n}.nabla"))
    chain_defs(10000, os.path.join(work, "tanh10000.nabla"), "tanh")
    # the 1 MB Markdown row: about 14,000 steps written by big_markdown.py
    subprocess.run([sys.executable, os.path.join(ROOT, "benches", "big_markdown.py"),
                    os.path.join(work, "big.md")], check=True, stdout=subprocess.DEVNULL)
    folder = os.path.join(work, "hundred")
    os.mkdir(folder)
    hundred_files(folder)
    rows = [
        ("check derivations/ --jobs 1", ["check", "derivations/", "--jobs", "1"], ROOT),
        ("check derivations/ --jobs 2", ["check", "derivations/", "--jobs", "2"], ROOT),
        ("q2_mlp.nabla --jobs 1", ["check", "derivations/q2_mlp.nabla", "--jobs", "1"], ROOT),
        ("q1_softmax.nabla --jobs 1", ["check", "derivations/q1_softmax.nabla", "--jobs", "1"], ROOT),
        ("100 files --jobs 1", ["check", folder, "--jobs", "1"], ROOT),
        ("100 files --jobs 2", ["check", folder, "--jobs", "2"], ROOT),
        ("1 MB Markdown --jobs 1", ["check", "big.md", "--jobs", "1"], work),
        ("1 MB Markdown --jobs 2", ["check", "big.md", "--jobs", "2"], work),
        ("diff σ chain N=1000", ["diff", "g(x)", "--wrt", "x", "--defs", "chain1000.nabla"], work),
        ("diff σ chain N=10000", ["diff", "g(x)", "--wrt", "x", "--defs", "chain10000.nabla"], work),
        ("diff tanh chain N=10000", ["diff", "g(x)", "--wrt", "x", "--defs", "tanh10000.nabla"], work),
    ]
    try:
        import numpy as np
        rng = np.random.default_rng(1)
        np.savetxt(os.path.join(work, "x.txt"), rng.integers(-1000, 1000, 10**6) / 8)
        np.savetxt(os.path.join(work, "k.txt"), rng.integers(-100, 100, 31) / 4)
        rows.append(("conv 10^6 × 31 from a file", ["conv", "x.txt", "k.txt", "--mode", "valid"], work))
        numpy_cmd = [sys.executable, "-c",
                     "import numpy as np; x = np.loadtxt('x.txt'); k = np.loadtxt('k.txt'); "
                     "np.savetxt('/dev/stdout', np.correlate(x, k, 'valid'))"]
    except ImportError:
        numpy_cmd = None
    if args.only:
        rows = [r for r in rows if args.only in r[0]]
        numpy_cmd = numpy_cmd if "conv" in args.only else None
    print(f"{'figure':32} {'min s':>8} {'median s':>9} {'cpu s':>7} {'peak MB':>8} {'out MB':>8}"
          + (f" {'base min':>9} {'base med':>9} {'base cpu':>9} {'ratio':>7} {'cpu ratio':>9}"
             if args.base else ""))
    for name, cmd, cwd in rows:
        mine = measure([args.nabla] + cmd, cwd, args.runs, args.timeout)
        line = f"{name:32} "
        line += ("timed out" if mine is None else
                 f"{mine[0]:8.3f} {mine[1]:9.3f} {mine[2]:7.3f} {mine[3]/1024:8.1f} {mine[4]/1e6:8.2f}")
        if args.base:
            base = measure([args.base] + cmd, cwd, args.runs, args.timeout)
            if base is None:
                line += f" {'timeout':>9}"
            else:
                line += f" {base[0]:9.3f} {base[1]:9.3f} {base[2]:9.3f}"
                if mine is not None:
                    line += f" {base[1]/mine[1]:6.2f}× {base[2]/max(mine[2], 1e-3):8.2f}×"
        print(line, flush=True)
    if not args.only or "2 jobs" in args.only:
        # issue 17's row "2 jobs vs 1 on a 100-file folder: ≥ 1.8×"
        jobs_pair(args.nabla, folder, args.runs, args.timeout, "100 files: 2 jobs vs 1")
        if args.base:
            jobs_pair(args.base, folder, args.runs, args.timeout, "base: 2 jobs vs 1")
    if numpy_cmd:
        np_time = measure(numpy_cmd, work, args.runs, args.timeout)
        print(f"{'numpy loadtxt+correlate+savetxt':32} {np_time[0]:8.3f} {np_time[1]:9.3f} {np_time[2]:7.3f}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
