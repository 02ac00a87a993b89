#!/usr/bin/python3
"""rtml vs ONNX Runtime on the same machine, same model folders, same inputs: runs
`rtml bench --json` and `ort_bench` interleaved (A B A B ...), each in its own process, and prints a
markdown table of medians and ratios (this machine drifts between a fast and a slow state about
1.7x apart, so only same-run ratios mean anything).

  bench/peer_compare.py --rtml build/rtml --ort ~/.cache/rtml-peer/ort_bench \
      --reps 5 --batches 1,1000 --threads 1 DIR [DIR ...]

DIR is a model folder in ONNX backend-test layout (model.onnx, test_data_set_0/). Batch 0 means
"the stored rows". Prints one row per (model, batch, threads).
"""
import argparse, json, os, statistics, subprocess, sys


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    for line in reversed(r.stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()[-400:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rtml", required=True)
    ap.add_argument("--ort", default=os.path.expanduser("~/.cache/rtml-peer/ort_bench"))
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--batches", default="1")
    ap.add_argument("--threads", default="1")
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--max-seconds", type=float, default=2)
    ap.add_argument("--dataset", type=int, default=0)
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    print("| model | batch | threads | rtml p50 us | ORT p50 us | latency ratio ORT/rtml | rtml rows/s | ORT rows/s | throughput ratio | rtml allocs/run |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for d in a.dirs:
        d = d.rstrip("/")
        data = os.path.join(d, f"test_data_set_{a.dataset}")
        for batch in [int(b) for b in a.batches.split(",")]:
            for threads in [int(t) for t in a.threads.split(",")]:
                bargs = ["--batch", str(batch)] if batch > 0 else []
                r_cmd = [a.rtml, "bench", os.path.join(d, "model.onnx"), "--inputs", data, "--threads", str(threads),
                         "--iters", str(a.iters), "--max-seconds", str(a.max_seconds), "--json"] + bargs
                o_cmd = [a.ort, d, "--threads", str(threads), "--iters", str(a.iters), "--max-seconds", str(a.max_seconds),
                         "--dataset", str(a.dataset), "--no-floor", "--no-spin"] + bargs
                rl, ol, rr, orr, allocs = [], [], [], [], []
                try:
                    for _ in range(a.reps):  # interleaved: A B A B
                        r = run(r_cmd)
                        o = run(o_cmd)
                        rl.append(r["latency_us"]["p50"]); rr.append(r["rows_per_s_median"]); allocs.append(r["allocs_per_run"])
                        ol.append(o["latency_us"]["median"]); orr.append(o["rows_per_s_median"])
                except Exception as e:  # noqa: BLE001
                    print(f"| {os.path.basename(d)} | {batch} | {threads} | error: {str(e)[:150]} |")
                    continue
                mr, mo = statistics.median(rl), statistics.median(ol)
                tr, to = statistics.median(rr), statistics.median(orr)
                print(f"| {os.path.basename(d)} | {batch or 'stored'} | {threads} | {mr:.3f} | {mo:.3f} | {mo / mr:.2f}x | "
                      f"{tr:,.0f} | {to:,.0f} | {tr / to:.2f}x | {max(allocs):g} |", flush=True)


if __name__ == "__main__":
    main()
