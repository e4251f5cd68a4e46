#!/usr/bin/env python3
"""Soak: the offsets collector for a given time on a 3-broker cluster whose brokers are stopped
and started on a schedule. Prints snapshots expected, written, failed-and-recorded, lost (must be 0).

    python bench/soak_collector.py                  # 1 hour
    python bench/soak_collector.py --minutes 10 --interval 2s

Schedule: every --outage-every minutes the next broker in turn (the groups' coordinator first)
is stopped for --outage-minutes, then started again (waiting until it is back). Counting:
``expected`` = attempts the collector reported (one line per interval slot); ``written`` = ok
``collections`` rows whose snapshot rows are readable; ``failed`` = rows with ok = false;
``lost`` = reported snapshots with no stored rows plus reported attempts with no row at all.
Writes bench/results/soak_collector.json.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from collector_proc import FAILED, STATUS, Collector, commit_groups  # noqa: E402
from kafka_local import KafkaLocal, create_topic  # noqa: E402


def setup(cluster: KafkaLocal, groups: int) -> tuple[str, int]:
    """A 6-partition RF 3 topic, ``groups`` groups with commits; (include regex, coordinator id)."""
    from kafka.admin import KafkaAdminClient

    topic, prefix = f"soak-{uuid.uuid4().hex[:6]}", f"soak-{uuid.uuid4().hex[:6]}"
    create_topic(cluster.admin(), topic, 6, 3, None)
    commit_groups(cluster.bootstrap, topic, [f"{prefix}-{i}" for i in range(groups)], 6)
    kp = KafkaAdminClient(bootstrap_servers=cluster.bootstrap)
    coordinator = kp._manager.run(kp._find_coordinator_ids, [f"{prefix}-0"])[f"{prefix}-0"]
    kp.close()
    return f"{prefix}-.*", coordinator


def count(data: Path, col: Collector) -> dict:
    import polars as pl

    from workbench.store import Store

    store = Store(data)
    rows = store.read("collections").filter(pl.col("cluster") == "soak")
    ok = rows.filter(pl.col("ok"))
    offsets_ts = {t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in store.read("offsets")["ts"].unique()}
    reported_ok = [STATUS.match(ln).group(1) for ln in col.lines if STATUS.match(ln)]
    reported_failed = [ln for ln in col.lines if FAILED.match(ln)]
    lost_ok = [t for t in reported_ok if t not in offsets_ts]
    expected = len(reported_ok) + len(reported_failed)
    return {
        "expected": expected,
        "written": len(reported_ok) - len(lost_ok),
        "failed_and_recorded": rows.height - ok.height,
        "partial_snapshots": ok.filter(pl.col("error").is_not_null()).height,
        "lost": len(lost_ok) + max(0, expected - rows.height),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--interval", default="2s")
    ap.add_argument("--groups", type=int, default=20)
    ap.add_argument("--outage-every", type=float, default=3.0, help="minutes between outages")
    ap.add_argument("--outage-minutes", type=float, default=1.0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "soak_collector.json"))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wb-soak-"))
    cluster = KafkaLocal(work / "kafka")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        cluster.start(brokers=3)
        include, coordinator = setup(cluster, args.groups)
        return soak(args, cluster, include, coordinator, work / "data")
    finally:
        cluster.stop()


def soak(args, cluster: KafkaLocal, include: str, coordinator: int, data: Path) -> int:
    col = Collector(cluster.bootstrap, data, "soak", "--interval", args.interval, "--timeout", "5s",
                    "--include", include, "--duration", f"{args.minutes * 60:g}s")  # fmt: skip
    order = [coordinator, *[b for b in (1, 2, 3) if b != coordinator]]
    start, outages = time.monotonic(), []
    end = start + args.minutes * 60
    while time.monotonic() < end - args.outage_minutes * 60 - 30 and col.proc.poll() is None:
        time.sleep(max(0.0, min(args.outage_every * 60, end - time.monotonic())))
        if time.monotonic() >= end - args.outage_minutes * 60 - 30:
            break
        broker = order[len(outages) % 3]
        t0 = time.monotonic() - start
        cluster.stop_broker(broker)
        print(f"[{t0:6.0f}s] broker {broker} stopped", flush=True)
        time.sleep(args.outage_minutes * 60)
        cluster.start_broker(broker)  # waits until the broker is back
        print(f"[{time.monotonic() - start:6.0f}s] broker {broker} back", flush=True)
        outages.append(
            {"broker": broker, "stopped_at_s": round(t0), "back_at_s": round(time.monotonic() - start)}
        )
    code = col.proc.wait(timeout=args.minutes * 60 + 300)
    figures = count(data, col)
    tracebacks = sum("Traceback" in e for e in col.errors)
    result = {
        "minutes": args.minutes,
        "interval": args.interval,
        "groups": args.groups,
        "outages": outages,
        "collector_exit_code": code,
        "tracebacks": tracebacks,
        **figures,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    for key in ("expected", "written", "failed_and_recorded", "partial_snapshots", "lost"):
        print(f"snapshots {key.replace('_', ' ')}: {figures[key]}")
    print(f"collector exit code {code}, tracebacks {tracebacks}; written to {args.out}")
    return 0 if figures["lost"] == 0 and tracebacks == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
