"""Every benchmark in one go: `python -m bench all --quick` (about ten minutes) or `--full`.

    python -m bench all --quick [--out bench-results] [--only NAME ...]
    python -m bench list

Runs the scripts of this directory one after another (each starts and stops what it
needs), streams their output, and writes `results.json` (per benchmark: the command, its
seconds, exit code, Markdown and, where the script writes one, its JSON) and
`results.md` (the Markdown of all) into the output directory.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path


@dataclass(frozen=True)
class Bench:
    name: str
    module: str
    quick: tuple[str, ...] | None  # None: only in --full
    full: tuple[str, ...]
    writes_json: bool = False


BENCHES = (
    Bench("agent_throughput", "bench.agent_throughput", ("--records", "300000", "--sizes", "100"), (), True),
    Bench("verifier_cost", "bench.verifier_cost", ("--records", "300000"), (), True),
    Bench("query_latency", "bench.query_latency", ("--rows", "1000000", "--small-commit-hours", "0.1"),
          ("--rows", "1000000", "10000000", "100000000", "--small-commit-hours", "1"), True),
    Bench("controller_scale", "bench.controller_scale", ("--agents", "50", "--intervals", "5", "--minutes", "1.5"),
          ("--agents", "10", "50", "200", "--intervals", "1", "5", "--minutes", "5"), True),
    Bench("controller_overhead", "bench.controller_overhead", None, ("--minutes", "30")),
    Bench("report_time", "bench.report_time", ("--agents", "100", "--hours", "2"), (), True),
    Bench("detector_quality", "bench.detector_quality", ("--runs", "10"), ("--runs", "100")),
    Bench("api_latency", "bench.api_latency", ("--requests", "200", "--queries", "20"), ()),
    Bench("infra_startup", "bench.infra_startup", None, ()),
)


def selected(mode: str, only: list[str] | None) -> list[Bench]:
    unknown = set(only or ()) - {b.name for b in BENCHES}
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: "
                         f"{', '.join(b.name for b in BENCHES)}")
    return [b for b in BENCHES if (not only or b.name in only) and (mode == "full" or b.quick is not None)]


def command(bench: Bench, mode: str, json_path: Path | None) -> list[str]:
    args = list(bench.full if mode == "full" else bench.quick)
    if json_path is not None:
        args += ["--json", str(json_path)]
    return [sys.executable, "-m", bench.module, *args]


def run_one(bench: Bench, mode: str, scratch: Path) -> dict:
    json_path = scratch / f"{bench.name}.json" if bench.writes_json else None
    argv = command(bench, mode, json_path)
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in proc.stdout:  # streamed: long benchmarks show their progress
        print(f"  {line}", end="", flush=True)
        lines.append(line)
    code = proc.wait()
    out = "".join(lines)
    shown = argv[2:-2] if json_path is not None else argv[2:]  # the scratch JSON path is ours, not the user's
    result = {"name": bench.name, "command": " ".join(["python", "-m", *shown]), "exit_code": code,
              "seconds": round(time.monotonic() - started, 1), "markdown": markdown_part(out)}
    if json_path is not None and json_path.exists():
        result["json"] = json.loads(json_path.read_text())
    return result


LIBRDKAFKA_LOG = re.compile(r"^[A-Z]+ \[rdkafka#")  # e.g. "GETPID [rdkafka#producer-5] ..."


def markdown_part(output: str) -> str:
    """The tables (and their captions) of a script's output, without its progress lines."""
    keep = [line for line in output.splitlines()
            if line.startswith("|") or not line or not (line.startswith(("[", " ", "wrote", "run ", "%"))
                                                         or LIBRDKAFKA_LOG.match(line))]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(keep)).strip()  # blank lines keep tables apart


def write(results: list[dict], mode: str, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    doc = {"mode": mode, "finished": stamp, "python": sys.version.split()[0], "results": results}
    json_file, md_file = out / "results.json", out / "results.md"
    json_file.write_text(json.dumps(doc, indent=2))
    parts = [f"# Benchmarks ({mode}, {stamp})", ""]
    for r in results:
        status = "" if r["exit_code"] == 0 else f" - FAILED (exit code {r['exit_code']})"
        parts += [f"## {r['name']}{status}", "", f"`{r['command']}` ({r['seconds']:.0f} s)", "", r["markdown"], ""]
    md_file.write_text("\n".join(parts))
    return json_file, md_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="action", required=True)
    every = sub.add_parser("all", help="run the benchmarks")
    size = every.add_mutually_exclusive_group(required=True)
    size.add_argument("--quick", action="store_const", const="quick", dest="mode", help="about ten minutes")
    size.add_argument("--full", action="store_const", const="full", dest="mode",
                      help="the figures of bench/README.md (hours)")
    every.add_argument("--out", type=Path, default=Path("bench-results"), help="where results.json/.md go")
    every.add_argument("--only", nargs="+", metavar="NAME", help="a subset, by name (see `list`)")
    sub.add_parser("list", help="the benchmarks and their arguments")
    args = parser.parse_args(argv)
    if args.action == "list":
        for b in BENCHES:
            quick = " ".join(b.quick) if b.quick is not None else "(not in --quick)"
            print(f"{b.name:20} quick: {quick or '(defaults)'}\n{'':20} full:  {' '.join(b.full) or '(defaults)'}")
        return 0
    benches = selected(args.mode, args.only)
    results = []
    with tempfile.TemporaryDirectory(prefix="soak-bench-json-") as scratch:
        for i, bench in enumerate(benches, 1):
            print(f"[{i}/{len(benches)}] {bench.name}", flush=True)
            results.append(run_one(bench, args.mode, Path(scratch)))
            write(results, args.mode, args.out)  # what is done so far survives a later failure
    json_file, md_file = write(results, args.mode, args.out)
    failed = [r["name"] for r in results if r["exit_code"] != 0]
    print(f"wrote {json_file} and {md_file}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
