#!/usr/bin/env python3
"""Early termination by depth, measured (issue 13): the same generational search (same seed, population and
generations, so both runs breed the same children) once with `--early-abort off` and once `on`, side by side.
The on run also reuses each screen's windows in its full evaluations (config key `screenReuse`; `--no-screen-reuse`
leaves it out), the off run neither: both change no selection, and the off run's full results are then evaluations
of all the full windows, the unit below.

Prints, per run, the compute per individual and per child as a fraction of one full evaluation (the mean seconds of
the off run's full-window results: the unit the issue's goal is stated in), the split of how individuals were
resolved (rank-canonical / canonical / in-flight caches at birth, mask twins after the screen, cheap screens that
screened out, screens stopped by depth with the mean depth reached, full evaluations), and whether the best metric
and the top-5 set are the same. Compute is what the workers report per result (the sum of its stage times), so
the dense states' once-per-worker pass is included and coordinator idle time is not. Standard library only.

    python3 Benchmarks/DepthAbort/compare_early_abort.py --bundle BUNDLE --out DIR \
        [--bin .build/release] [--seed 11] [--population 16] [--generations 6] [--workers 2] \
        [--margin 1.5] [--warmup 16] [--x-mode sequential] [--sparsity 0.5] [--config C] [--on-config C2]

`--on-config FILE` adds settings to the on run only (over --config's): `{"race": {"z": 2}}` also races its promoted
children's full evaluations against the population's 5th member (`RaceSettings`), which changes the fitness a
stopped child records, so the comparison then measures what racing costs in the best metric and the top-5 set;
the split gains the races and the mean full windows a stopped child saw.

Two runs made earlier (or still running, or stopped: the journal is the truth) compare with `--off-run A --on-run B`;
`--at-generation G` compares both as they stood when generation G (0: the initial population) was complete: each
journal is copied into --out cut after that barrier and its report rebuilt there (`prunerzero-coordinator report`),
so two runs that got different distances in the same time are compared on the same children.

Spawned workers share the machine's cores (the coordinator gives each ceil(cores / workers) threads).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time


def run_config(args, run, reuse, on):
    """The --config file's settings plus this run's screenReuse (and, for the on run, --on-config's), written
    beside the run."""
    settings = {}
    if args.config:
        with open(args.config) as f:
            settings = json.load(f)
    if on and args.on_config:
        with open(args.on_config) as f:
            settings.update(json.load(f))
    settings["screenReuse"] = reuse
    path = run + ".config.json"
    with open(path, "w") as f:
        json.dump(settings, f)
    return path


def search_command(args, run, abort):
    # The port is below Linux's ephemeral range (32768+), where no client socket can already hold it.
    cmd = [os.path.join(args.bin, "prunerzero-coordinator"), "search", "--bundle", args.bundle, "--run-dir", run,
           "--budget", "100000", "--seed", str(args.seed), "--population", str(args.population),
           "--mode", "generational", "--generations", str(args.generations), "--spawn-workers", str(args.workers),
           "--x-mode", args.x_mode, "--sparsity", str(args.sparsity), "--listen", "tcp://127.0.0.1:%d" % random.randint(10000, 31999)]
    cmd += ["--config", run_config(args, run, abort and not args.no_screen_reuse, abort)]
    if abort:
        cmd += ["--early-abort", "on", "--abort-margin", str(args.margin), "--abort-warmup", str(args.warmup)]
    return cmd


def search(args, runs):
    """Runs {name: (run dir, abort)} one after the other, or all at once with --concurrent (then both see the same
    load); returns {name: wall seconds}."""
    started, walls = {}, {}
    for name, (run, abort) in runs.items():
        log = open(run + ".log", "w")
        started[name] = (subprocess.Popen(search_command(args, run, abort), stdout=log, stderr=subprocess.STDOUT),
                         time.time(), log, run)
        if not args.concurrent:
            finish(started.pop(name), name, walls)
    # Waited for in the order they end, so each wall time is its own.
    while started:
        for name in [n for n, (process, *_rest) in started.items() if process.poll() is not None]:
            finish(started.pop(name), name, walls)
        time.sleep(0.5)
    return walls


def finish(started, name, walls):
    process, start, log, run = started
    status = process.wait()
    log.close()
    if status != 0:
        sys.exit("search failed (%d); see %s.log" % (status, run))
    walls[name] = time.time() - start


def cut_at_generation(args, run, name, generation):
    """A copy of `run` whose journal ends at generation `generation`'s barrier, with its report rebuilt."""
    lines = open(os.path.join(run, "events.jsonl")).read().splitlines()
    for i, line in enumerate(lines):
        event = json.loads(line) if line.strip() else {}
        if event.get("type") == "generation" and event.get("generation") == generation:
            break
    else:
        sys.exit("%s has not completed generation %d" % (run, generation))
    copy = os.path.join(args.out, "%s-g%d" % (name, generation))
    os.makedirs(copy, exist_ok=True)
    with open(os.path.join(copy, "events.jsonl"), "w") as out:
        out.write("\n".join(lines[:i + 1]) + "\n")
    status = subprocess.call([os.path.join(args.bin, "prunerzero-coordinator"), "report", copy], stdout=subprocess.DEVNULL)
    if status != 0:
        sys.exit("report of %s failed (%d)" % (copy, status))
    return copy


def analyse(run):
    events = [json.loads(line) for line in open(os.path.join(run, "events.jsonl")) if line.strip()]
    report = json.load(open(os.path.join(run, "report.json")))
    births = [e for e in events if e["type"] == "birth"]
    results = [e for e in events if e["type"] == "result" and e["windows"] != "test"]
    full = [r["seconds"] for r in results if r["windows"] == "full" and r.get("perplexity") and r.get("seconds")]
    aborted = [r for r in results if r.get("abortedAfter")]
    raced = [r for r in results if r.get("racedAfter")]
    # Divergences are measured only with early abort on (the off run's results have none).
    profiles = [len(r["divergence"]) for r in results if r.get("divergence") and not r.get("abortedAfter")]
    # The initial generation's jobs are all dispatched before its barrier (the first `generation` event); every
    # later non-test job belongs to a child.
    first_barrier = next((i for i, e in enumerate(events) if e["type"] == "generation"), len(events))
    initial_jobs = max([e["job"] for e in events[:first_barrier] if e["type"] == "dispatch"] or [0])
    children_compute = sum(r.get("seconds") or 0 for r in results if r["job"] > initial_jobs)
    cheap = [r["seconds"] for r in results if r["windows"] == "cheap" and r.get("perplexity") and r.get("seconds")]
    stopped = [r["seconds"] for r in aborted if r.get("seconds")]
    return {
        "children_compute": children_compute,
        "cheap_seconds": sum(cheap) / len(cheap) if cheap else float("nan"),
        "abort_seconds": sum(stopped) / len(stopped) if stopped else float("nan"),
        "individuals": len(births),
        "children": sum(1 for b in births if b["generation"] > 0),
        "compute": sum(r.get("seconds") or 0 for r in results),
        "full_seconds": sum(full) / len(full) if full else float("nan"),
        "cheap": sum(1 for r in results if r["windows"] == "cheap" and not r.get("abortedAfter")),
        "full": len([r for r in results if r["windows"] == "full"]),
        "screened_out": report["savedFullEvaluations"],
        "aborts": len(aborted),
        "abort_blocks": sum(r["abortedAfter"] for r in aborted),
        "blocks": max(profiles) if profiles else 0,
        "races": len(raced),
        # Rebuilt reports only (`prunerzero-coordinator report`) count these for journals made before them.
        "child_full": report.get("childFullEvaluations"),
        "child_full_within": report.get("childFullWithinRank"),
        "race_windows": sum(r["racedAfter"] for r in raced),
        "race_seconds": sum(r.get("seconds") or 0 for r in raced) / len(raced) if raced else float("nan"),
        "cache": report["cacheHits"],
        "top5": [(e["formula"], e["fullPerplexity"]) for e in report["top"][:5]],
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bundle", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--bin", default=".build/release")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--population", type=int, default=16)
    p.add_argument("--generations", type=int, default=6)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--margin", type=float, default=1.5)
    p.add_argument("--warmup", type=int, default=16)
    p.add_argument("--x-mode", default="sequential")
    p.add_argument("--sparsity", type=float, default=0.5)
    p.add_argument("--config", help="a search --config file for the rest (e.g. {\"testTopK\": 0})")
    p.add_argument("--off-run", help="an earlier off run of the same settings to compare with, instead of a new one")
    p.add_argument("--on-run", help="an earlier on run of the same settings, instead of a new one")
    p.add_argument("--at-generation", type=int, help="compare the earlier runs as they stood after this generation")
    p.add_argument("--no-screen-reuse", action="store_true", help="the on run's full evaluations run all windows too")
    p.add_argument("--on-config", help="settings for the on run only, over --config's (e.g. {\"race\": {}})")
    p.add_argument("--concurrent", action="store_true", help="run the two searches at once (the same load for both)")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    runs, new = {}, {}
    for name, abort in (("off", False), ("on", True)):
        run = os.path.join(args.out, name)
        earlier = args.off_run if name == "off" else args.on_run
        if earlier:
            if args.at_generation is not None:
                earlier = cut_at_generation(args, earlier, name, args.at_generation)
            runs[name] = analyse(earlier)
            runs[name]["wall"] = float("nan")
            continue
        if os.path.exists(run):
            sys.exit("%s exists: choose a new --out" % run)
        new[name] = (run, abort)
    for name, wall in search(args, new).items():
        runs[name] = analyse(new[name][0])
        runs[name]["wall"] = wall
    unit = runs["off"]["full_seconds"]
    if args.on_config:
        print("on run also: %s" % open(args.on_config).read().strip())
    print("early abort, generational, %g unstructured, seed %d, population %d, %d generations, %d workers, margin %g, "
          "warm-up %d" % (args.sparsity, args.seed, args.population,
          args.generations if args.at_generation is None else args.at_generation, args.workers, args.margin, args.warmup))
    print("one full evaluation (off run's mean): %.3f s; on run's: %.3f s" % (unit, runs["on"]["full_seconds"]))
    print("%-44s %14s %14s" % ("", "off", "on"))

    def row(label, f):
        print("%-44s %14s %14s" % (label, f(runs["off"]), f(runs["on"])))
    row("individuals born (children after gen 0)", lambda r: "%d (%d)" % (r["individuals"], r["children"]))
    row("compute, s (workers' stage times)", lambda r: "%.1f" % r["compute"])
    row("wall, s", lambda r: "%.1f" % r["wall"])
    row("compute per individual / full evaluation", lambda r: "%.3f" % (r["compute"] / r["individuals"] / unit))
    row("compute per child / full evaluation", lambda r: "%.3f" % (r["compute"] / max(1, r["children"]) / unit))
    # A shared machine's load drifts between the runs: each run's compute in its own full evaluations is the
    # ratio that drift cancels from (both numerator and unit measured under the same load).
    row("children's own evaluations / child / own full",
        lambda r: "%.3f" % (r["children_compute"] / max(1, r["children"]) / r["full_seconds"]))
    # The goal's figure: the children's own evaluations (no initial generation, no held-out ranking) per child, in
    # the off run's full evaluations, which run every full window.
    row("children's own compute / child / off's full",
        lambda r: "%.3f" % (r["children_compute"] / max(1, r["children"]) / unit))
    row("compute per child / own run's full evaluation",
        lambda r: "%.3f" % (r["compute"] / max(1, r["children"]) / r["full_seconds"]))
    row("mean s: cheap screen / stopped screen", lambda r: "%.2f / %s" % (
        r["cheap_seconds"], "%.2f" % r["abort_seconds"] if r["aborts"] else "-"))
    row("cache at birth: rank-canonical", lambda r: "%d" % r["cache"].get("rankCanonical", 0))
    row("cache at birth: canonical", lambda r: "%d" % r["cache"].get("canonical", 0))
    row("cache at birth: in flight (coalesced)", lambda r: "%d" % r["cache"].get("inFlight", 0))
    row("mask twins (after the screen)", lambda r: "%d" % r["cache"].get("mask", 0))
    row("cheap screens completed (screened out)", lambda r: "%d (%d)" % (r["cheap"], r["screened_out"]))
    # The model's block count from the on run's completed profiles: the off run measures no divergence.
    blocks = runs["on"]["blocks"]
    row("screens stopped by depth (mean depth)", lambda r: "%d (%s of %d)" % (
        r["aborts"], "%.2f" % (r["abort_blocks"] / r["aborts"]) if r["aborts"] else "-", blocks))
    row("full evaluations stopped by race (mean windows)", lambda r: "%d (%s)" % (
        r.get("races", 0), "%.1f" % (r["race_windows"] / r["races"]) if r.get("races") else "-"))
    row("mean s: raced-out full evaluation", lambda r: "%.2f" % r["race_seconds"] if r.get("races") else "-")
    row("full evaluations", lambda r: "%d" % r["full"])
    row("children's full evaluations (no worse than member 5)", lambda r: "%s (%s)" % (
        r.get("child_full"), r.get("child_full_within")))
    # What no race that keeps the top 5 can stop: those children's full windows after their screen, in the off
    # run's full evaluations (the on run's full evaluations reuse the screen: its mean is their cost).
    row("floor: their full evaluations / child / off's full", lambda r: "%.3f" % (
        r["child_full_within"] * runs["on"]["full_seconds"] / max(1, r["children"]) / unit)
        if r.get("child_full_within") is not None else "-")
    ratio = runs["on"]["compute"] / runs["off"]["compute"]
    print("compute on/off: %.3f" % ratio)
    # By formula: the joined full values of a run with screen reuse differ from direct ones in the last digits.
    same_best = [f for f, _ in runs["off"]["top5"][:1]] == [f for f, _ in runs["on"]["top5"][:1]]
    same_top5 = {f for f, _ in runs["off"]["top5"]} == {f for f, _ in runs["on"]["top5"]}
    print("same best metric: %s (%s %.4f)" % (same_best, runs["off"]["top5"][0][0], runs["off"]["top5"][0][1]))
    print("same top-5 set: %s" % same_top5)
    if not same_top5:
        for name in ("off", "on"):
            print("  %s: %s" % (name, ", ".join("%s %.4f" % t for t in runs[name]["top5"])))
    json.dump(runs, open(os.path.join(args.out, "summary.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
