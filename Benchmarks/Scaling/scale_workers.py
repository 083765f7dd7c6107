#!/usr/bin/env python3
"""A search's wall time against its worker count (issue 13): the same generational search (same seed, population
and generations, so every run breeds the same children) with 1, 2 and 4 workers on this machine, threads split
between them, and with --netns the same again with each worker in its own Linux network namespace, joined to the
coordinator by a veth pair and a bridge (distinct addresses, the kernel's whole TCP/IP path, the cluster secret on
every message: what crossing hosts changes, short of the wire), optionally with --delay-ms of one-way latency.

Prints per run the wall time, the speed-up over the same kind's 1-worker run and the parallel efficiency
(speed-up / workers), and where the workers' time went, from the journal (events.jsonl): computing (the sum of the
results' seconds, which is each evaluation's wall on its worker), the round trip of each job outside its compute
(network, coordinator, the worker's decoding), start-up, waiting at a generation barrier for the last results
(stragglers), waiting for a job mid-generation, the dispatch delay after work appeared, and the tail after a
worker's last job; these add up to workers × wall. Also the coordinator's latency per result (arrival at its socket
to handling, when the journal records `received`), the barrier waits per generation (the time from the first worker
to run out of work to the generation's last result) and whether every run found the same best metric.
Standard library only; one text table and summary.json in --out.

    python3 Benchmarks/Scaling/scale_workers.py --bundle BUNDLE --out DIR [--bin .build/release] \\
        [--workers 1,2,4] [--netns [--delay-ms 5]] [--seed 11] [--population 20] [--children 200] \\
        [--x-mode sequential] [--sparsity 0.5] [--config FILE] [--reuse]

Local runs use `search --spawn-workers K` (the coordinator gives each worker ceil(cores / K) threads); namespaced
workers are started as `serve --threads ceil(cores / K)`, the same split. --netns needs root and iproute2; latency
uses `tc qdisc netem` when the kernel has it, else a relay in this script that holds every chunk --delay-ms in each
direction (said in the output). One file (namespaces, runs, journal analysis) so that it runs from a checkout with
nothing installed, as the other benchmark scripts do.
"""
import argparse
import asyncio
import json
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time

BRIDGE, SUBNET = "pzsc-br", "10.77.0"  # the bridge and the /24 of the namespaced runs (names are ours alone)


def ip(*args, check=True):
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit("ip %s: %s" % (" ".join(args), done.stderr.strip()))
    return done


class Namespaces:
    """K namespaces pzsc-wI, each with veth pzsc-nI (address SUBNET.(10+I)) whose peer pzsc-hI is on the bridge
    (SUBNET.1, where the coordinator listens). Torn down on exit, also after a failure."""

    def __init__(self, count, delay_ms):
        self.count, self.delay_ms, self.latency = count, delay_ms, "none"
        self.names = ["pzsc-w%d" % i for i in range(count)]

    def __enter__(self):
        self.remove()  # an interrupted earlier run's leftovers carry our names
        try:
            self.create()
        except BaseException:
            self.remove()
            raise
        return self

    def create(self):
        ip("link", "add", BRIDGE, "type", "bridge")
        ip("addr", "add", SUBNET + ".1/24", "dev", BRIDGE)
        ip("link", "set", BRIDGE, "up")
        for i, ns in enumerate(self.names):
            ip("netns", "add", ns)
            ip("link", "add", "pzsc-h%d" % i, "type", "veth", "peer", "name", "pzsc-n%d" % i)
            ip("link", "set", "pzsc-n%d" % i, "netns", ns)
            ip("link", "set", "pzsc-h%d" % i, "master", BRIDGE, "up")
            ip("-n", ns, "addr", "add", "%s.%d/24" % (SUBNET, 10 + i), "dev", "pzsc-n%d" % i)
            ip("-n", ns, "link", "set", "pzsc-n%d" % i, "up")
            ip("-n", ns, "link", "set", "lo", "up")
        if self.delay_ms:
            self.latency = self.netem()

    def netem(self):
        """netem on both ends of every veth (each direction delayed once); None if the kernel lacks it."""
        for i, ns in enumerate(self.names):
            for prefix in ([], ["ip", "netns", "exec", ns]):
                dev = "pzsc-n%d" % i if prefix else "pzsc-h%d" % i
                done = subprocess.run(prefix + ["tc", "qdisc", "add", "dev", dev, "root", "netem", "delay",
                                                "%gms" % self.delay_ms], capture_output=True, text=True)
                if done.returncode != 0:
                    return "relay (netem unavailable: %s)" % done.stderr.strip()
        return "netem"

    def remove(self):
        for i in range(max(self.count, 8)):  # absent ones fail quietly
            ip("netns", "del", "pzsc-w%d" % i, check=False)
            ip("link", "del", "pzsc-h%d" % i, check=False)
        ip("link", "del", BRIDGE, check=False)

    def __exit__(self, *_):
        self.remove()


class DelayRelay:
    """A TCP relay holding every chunk `delay` seconds in each direction (order kept): latency without netem."""

    def __init__(self, listen, target, delay):
        self.listen, self.target, self.delay = listen, target, delay
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(asyncio.start_server(self._connection, *self.listen))
        ready.set()
        self.loop.run_forever()

    def stop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _connection(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader, writer):
        queue = asyncio.Queue()

        async def deliver():
            while True:
                due, chunk = await queue.get()
                await asyncio.sleep(max(0.0, due - self.loop.time()))
                if not chunk:
                    writer.close()
                    return
                writer.write(chunk)
                await writer.drain()
        sender = self.loop.create_task(deliver())
        try:
            while True:
                chunk = await reader.read(1 << 16)
                queue.put_nowait((self.loop.time() + self.delay, chunk))
                if not chunk:
                    break
        except OSError:
            queue.put_nowait((0.0, b""))
        await sender


def search_command(args, run, workers, listen):
    cmd = [os.path.join(args.bin, "prunerzero-coordinator"), "search", "--bundle", args.bundle, "--run-dir", run,
           "--budget", "1000000", "--seed", str(args.seed), "--population", str(args.population),
           "--mode", "generational", "--generations", str(generations(args)), "--x-mode", args.x_mode,
           "--sparsity", str(args.sparsity), "--listen", listen]
    if workers:
        cmd += ["--spawn-workers", str(workers)]
    return cmd + (["--config", args.config] if args.config else [])


def generations(args):
    """Generations after the initial one, each breeding `population` children."""
    return max(1, math.ceil(args.children / args.population))


def run_local(args, run, workers, port):
    with open(run + ".log", "w") as log:
        status = subprocess.call(search_command(args, run, workers, "tcp://127.0.0.1:%d" % port),
                                 stdout=log, stderr=subprocess.STDOUT)
    return status, "loopback"


def run_netns(args, run, workers, port):
    secret = os.path.join(args.out, "secret")  # listening beyond loopback needs the cluster secret
    if not os.path.exists(secret):
        with os.fdopen(os.open(secret, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(secrets.token_hex(32))
    threads = max(1, math.ceil(args.cores / workers))
    with Namespaces(workers, args.delay_ms) as net:
        relay, listen = None, "tcp://%s.1:%d" % (SUBNET, port)
        if args.delay_ms and net.latency != "netem":  # the coordinator behind the relay, on loopback
            relay = DelayRelay((SUBNET + ".1", port), ("127.0.0.1", port + 1), args.delay_ms / 1000)
            listen = "tcp://127.0.0.1:%d" % (port + 1)
        log = open(run + ".log", "w")
        coordinator = subprocess.Popen(search_command(args, run, 0, listen) + ["--secret-file", secret],
                                       stdout=log, stderr=subprocess.STDOUT)
        serve = [os.path.join(args.bin, "prunerzero-worker"), "serve", "--connect", "tcp://%s.1:%d" % (SUBNET, port),
                 "--bundle", args.bundle, "--threads", str(threads), "--secret-file", secret]
        pool = [subprocess.Popen(["ip", "netns", "exec", ns] + serve + ["--id", ns],
                                 stdout=log, stderr=subprocess.STDOUT) for ns in net.names]
        try:
            status = coordinator.wait()
        finally:
            if coordinator.poll() is None:
                coordinator.send_signal(signal.SIGTERM)
                coordinator.wait()
            for worker in pool:  # told "finished" by the coordinator; a straggler is asked to leave
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.send_signal(signal.SIGTERM)
                    worker.wait()
            log.close()
            if relay:
                relay.stop()
        return status, "netns, latency %s" % (net.latency if args.delay_ms else "none added")


def timeline(run):
    """Worker-seconds by where they went, coordinator latencies and barrier waits, from one run's journal.

    Per worker, from its join to `finished`: a job runs from its dispatch to its result (compute = the result's
    seconds, the rest is the round trip); between a result and the next dispatch the worker waited: up to the last
    barrier inside the gap (a `generation` or `test_phase` event) at that barrier, from there (or from being free)
    mid-phase until the last result or barrier before the dispatch (the last event that could have queued its job:
    an upper bound on when the job was ready, so the dispatch delay is a lower bound; a final phase of fewer jobs
    than workers counts here), then for the dispatch itself (a worker told to wait asks again 200 ms later)."""
    events = [json.loads(line) for line in open(os.path.join(run, "events.jsonl")) if line.strip()]
    start = events[0]["time"]
    end = next((e["time"] for e in events if e["type"] == "finished"), None)
    if end is None:
        sys.exit("%s: the journal has no `finished` event (the search did not end); run it again" % run)
    barriers = [e["time"] for e in events if e["type"] in ("generation", "test_phase")]
    creators = sorted([e["time"] for e in events if e["type"] == "result"] + barriers)
    joined = {e["worker"]: e["time"] for e in events if e["type"] == "worker_joined"}
    t = dict(compute=0.0, round_trip=0.0, startup=0.0, barrier_wait=0.0, starved=0.0, dispatch_delay=0.0,
             tail=0.0, lost=0.0)
    trips, queueing, delays = [], [], []
    ran_out = {}  # barrier time → when each worker that waited for it ran out of work
    for worker, join in joined.items():
        free, held, first = join, None, True  # when it last became free; (dispatch time, job) it holds
        t["startup"] += join - start
        for e in (e for e in events if e.get("worker") == worker):
            if e["type"] == "dispatch":
                if held:  # dispatched again while holding a job: the held one's time bought nothing
                    t["lost"] += e["time"] - held[0]
                elif first:
                    t["startup"] += e["time"] - free
                else:
                    barrier = max((b for b in barriers if free <= b <= e["time"]), default=None)
                    ready = max((c for c in creators if free <= c <= e["time"]), default=free)
                    t["barrier_wait"] += (barrier - free) if barrier is not None else 0.0
                    t["starved"] += ready - (barrier if barrier is not None else free)
                    t["dispatch_delay"] += e["time"] - ready
                    if e["time"] > free:
                        delays.append(e["time"] - ready)
                    if barrier is not None:
                        ran_out.setdefault(barrier, []).append(free)
                first, held = False, (e["time"], e["job"])
            elif e["type"] == "result" and held and held[1] == e["job"]:
                seconds = e.get("seconds") or 0.0
                t["compute"] += seconds
                t["round_trip"] += e["time"] - held[0] - seconds
                trips.append(e["time"] - held[0] - seconds)
                if e.get("received") is not None:
                    queueing.append(e["time"] - e["received"])
                free, held = e["time"], None
            elif e["type"] == "lease_expired" and held and held[1] == e["job"]:
                t["lost"] += e["time"] - held[0]
                free, held = e["time"], None
        if first:
            t["startup"] += end - join  # never given a job
        elif held:
            t["lost"] += end - held[0]
        else:
            t["tail"] += end - free
    # Per barrier: from the first worker to run out of work before it to the barrier (the last result).
    tails = [b - min(ran_out[b]) if b in ran_out else 0.0 for b in barriers]
    return dict(span=end - start, workers=len(joined), time=t, trips=trips, queueing=queueing, delays=delays,
                barrier_tails=tails, evolution=(barriers[-1] if barriers else end) - start)


def quantiles(values):
    if not values:
        return None
    v = sorted(values)
    pick = lambda q: v[min(len(v) - 1, int(q * len(v)))]
    return dict(median=pick(0.5), p95=pick(0.95), max=v[-1], n=len(v))


def analyse(run, wall):
    report = json.load(open(os.path.join(run, "report.json")))
    events = [json.loads(line) for line in open(os.path.join(run, "events.jsonl")) if line.strip()]
    line = timeline(run)
    line.update(wall=wall, children=[e["formula"] for e in events if e["type"] == "birth"],
                results=sum(1 for e in events if e["type"] == "result"),
                best=(report["top"][0]["formula"], report["top"][0]["fullPerplexity"]) if report["top"] else None,
                top5=sorted(e["formula"] for e in report["top"][:5]),
                trips=quantiles(line["trips"]), queueing=quantiles(line["queueing"]), delays=quantiles(line["delays"]))
    return line


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bundle", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--bin", default=".build/release")
    p.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated; the first is the baseline")
    p.add_argument("--netns", action="store_true", help="also run each count with namespaced workers")
    p.add_argument("--delay-ms", type=float, default=0.0, help="one-way latency added to namespaced links")
    p.add_argument("--cores", type=int, default=os.cpu_count(), help="threads split between namespaced workers")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--population", type=int, default=20)
    p.add_argument("--children", type=int, default=200, help="children bred: population × generations, rounded up")
    p.add_argument("--x-mode", default="sequential")
    p.add_argument("--sparsity", type=float, default=0.5)
    p.add_argument("--config", help="a search --config file for the rest (e.g. {\"testTopK\": 0})")
    p.add_argument("--reuse", action="store_true", help="analyse runs already in --out instead of failing on them")
    args = p.parse_args()
    try:
        counts = [int(k) for k in args.workers.split(",")]
    except ValueError:
        sys.exit("--workers takes counts like 1,2,4")
    if not counts or min(counts) < 1 or args.population < 2 or args.children < 1 or args.delay_ms < 0:
        sys.exit("--workers ≥ 1 each, --population ≥ 2, --children ≥ 1, --delay-ms ≥ 0")
    if args.delay_ms and not args.netns:
        sys.exit("--delay-ms applies to namespaced workers: add --netns")
    if args.netns and (os.geteuid() != 0 or not shutil.which("ip")):
        sys.exit("--netns needs root and iproute2's ip (ip netns, veth, bridge)")
    for tool in ("prunerzero-coordinator", "prunerzero-worker"):
        if not os.access(os.path.join(args.bin, tool), os.X_OK):
            sys.exit("%s not found in --bin %s" % (tool, args.bin))
    if not os.path.isfile(os.path.join(args.bundle, "manifest.json")):
        sys.exit("--bundle %s is not a calibrated bundle (no manifest.json)" % args.bundle)
    args.bundle = os.path.abspath(args.bundle)
    os.makedirs(args.out, exist_ok=True)
    kinds = ["local"] + (["netns"] if args.netns else [])
    runs, port = {}, 30000 + secrets.randbelow(25000)
    for kind in kinds:
        for k in counts:
            name = "%s-%d" % (kind, k) + ("-%gms" % args.delay_ms if kind == "netns" and args.delay_ms else "")
            run = os.path.join(args.out, name)
            if os.path.exists(run) and not args.reuse:
                sys.exit("%s exists: choose a new --out, or --reuse to analyse it" % run)
            if not os.path.exists(run):
                began = time.time()
                status, net = (run_local if kind == "local" else run_netns)(args, run, k, port)
                port += 2
                if status != 0:
                    sys.exit("search failed (%d); see %s.log" % (status, run))
                json.dump(dict(wall=time.time() - began, network=net), open(run + ".json", "w"))
            meta = json.load(open(run + ".json"))
            runs[name] = analyse(run, meta["wall"])
            runs[name].update(kind=kind, count=k, network=meta["network"])
    print_table(args, runs)
    for r in runs.values():
        r.pop("children")
    json.dump(dict(settings=vars(args), generations=generations(args), runs=runs),
              open(os.path.join(args.out, "summary.json"), "w"), indent=2)


def print_table(args, runs):
    names = list(runs)
    base = {}
    for n in names:
        base.setdefault(runs[n]["kind"], runs[n])
    local = {r["count"]: r for r in runs.values() if r["kind"] == "local"}
    print("scaling: generational, seed %d, population %d, %d generations (%d children), %g unstructured, x %s, %d cores"
          % (args.seed, args.population, generations(args), args.population * generations(args), args.sparsity,
             args.x_mode, args.cores))
    for n in names:
        print("  %s: %s" % (n, runs[n]["network"]))
    width = max(12, *(len(n) + 2 for n in names))
    print("%-58s" % "" + "".join("%*s" % (width, n) for n in names))

    def row(label, f):
        print("%-58s" % label + "".join("%*s" % (width, f(runs[n])) for n in names))

    def ms(q, key):
        return "-" if not q else "%.1f" % (1000 * q[key])
    row("workers (joined)", lambda r: "%d (%d)" % (r["count"], r["workers"]))
    row("wall, s (started → finished in the journal)", lambda r: "%.1f" % r["span"])
    row("  of which evolution (to the test phase)", lambda r: "%.1f" % r["evolution"])
    row("process wall, s", lambda r: "%.1f" % r["wall"])
    row("speed-up over 1st count (same kind)", lambda r: "%.2f" % (base[r["kind"]]["span"] / r["span"]))
    row("parallel efficiency (speed-up / workers ratio)",
        lambda r: "%.2f" % (base[r["kind"]]["span"] / r["span"] / (r["count"] / base[r["kind"]]["count"])))
    row("netns wall / local wall at equal workers", lambda r: "%.3f" % (r["span"] / local[r["count"]]["span"])
        if r["kind"] == "netns" and r["count"] in local else "-")
    row("results (evaluations of every kind)", lambda r: "%d" % r["results"])
    row("compute, worker-s (sum of results' seconds)", lambda r: "%.1f" % r["time"]["compute"])
    row("mean s per evaluation (compute / results)", lambda r: "%.3f" % (r["time"]["compute"] / max(1, r["results"])))
    for key, label in (("compute", "busy"), ("round_trip", "job round trip outside compute"),
                       ("startup", "start-up (bundle load, join)"), ("barrier_wait", "waiting at barriers (stragglers)"),
                       ("starved", "waiting for a job mid-phase"), ("dispatch_delay", "dispatch delay after work appeared"),
                       ("tail", "after its last job"), ("lost", "lost (leases lapsed)")):
        row("  %% of workers × wall: %s" % label, lambda r, key=key: "%.1f" % (
            100 * r["time"][key] / (r["workers"] * r["span"])))
    row("  (sum of the above, % — 100 if all accounted)", lambda r: "%.1f" % (
        100 * sum(r["time"].values()) / (r["workers"] * r["span"])))
    row("job round trip outside compute, ms median/p95",
        lambda r: "%s/%s" % (ms(r["trips"], "median"), ms(r["trips"], "p95")))
    row("coordinator queueing per result, ms med/max",
        lambda r: "%s/%s" % (ms(r["queueing"], "median"), ms(r["queueing"], "max")) if r["queueing"] else "n/a")
    row("dispatch delay after a wait, ms median/max",
        lambda r: "%s/%s" % (ms(r["delays"], "median"), ms(r["delays"], "max")))
    row("barrier wait per generation, s mean/max", lambda r: "%.2f/%.2f" % (
        sum(r["barrier_tails"]) / max(1, len(r["barrier_tails"])), max(r["barrier_tails"] or [0])))
    first = runs[names[0]]
    row("same children as %s" % names[0], lambda r: "yes" if r["children"] == first["children"] else "NO")
    row("same best metric / top-5 set", lambda r: "%s / %s" % (
        "yes" if r["best"] == first["best"] else "NO", "yes" if r["top5"] == first["top5"] else "NO"))
    for kind, one in base.items():
        print("speed-up (%s, wall of %d worker(s) / wall of K): %s" % (kind, one["count"], ", ".join(
            "K=%d %.2f×" % (r["count"], one["span"] / r["span"]) for r in runs.values() if r["kind"] == kind)))
    if first["best"]:
        print("best metric (%s): %s, full perplexity %.4f" % (names[0], first["best"][0], first["best"][1]))
    if not any(r["queueing"] for r in runs.values()):
        print("coordinator queueing: n/a (this coordinator's journal has no `received` times)")


if __name__ == "__main__":
    main()
