"""The simulator: schemas, determinism, invariants of offsets, and every scheduled incident.

Most checks read one 7-day sample-scale history generated once per module (about a second);
it must equal the shipped ``data/sample`` exactly. Times below are the documented incident
times of the default window (2026-11-13T00:00Z .. 2026-11-20T00:00Z), see data/README.md.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from workbench.errors import ConfigError
from workbench.frames.offsets import add_lag_columns
from workbench.schema import DATASETS
from workbench.simulate import DEFAULT_END, simulate
from workbench.simulate.topology import TOPICS, build_topology
from workbench.store import Store

# Benchmark runs in data/sample come from `workbench bench simulate`, not from simulate().
#: Datasets only a live collector writes (commits and group metadata from __consumer_offsets, last
#: stable offsets, log-dir volumes): the simulator leaves them empty.
LIVE_ONLY = {
    "commits",
    "group_members",
    "offsets_topic_positions",
    "stable_offsets",
    "log_dir_volumes",
    "open_transactions",  # a live collector names open transactions
    "broker_metrics",  # imported from Prometheus
}
SIMULATED = [
    name
    for name in DATASETS
    if not name.startswith("bench_")
    and name not in LIVE_ONLY
    and not name.endswith(("_5m", "_1h"))  # rollups: written by compact, not by simulate
]

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A UTC instant in November 2026."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "data"
    simulate(out, cluster="sample", scale="sample")
    return out


@pytest.fixture(scope="module")
def offsets(sample_dir: Path) -> pl.DataFrame:
    frame = Store(sample_dir).read("offsets", cluster="sample")
    return add_lag_columns(frame).sort("group", "topic", "partition", "ts")  # type: ignore[return-value]


@pytest.fixture(scope="module")
def partitions(sample_dir: Path) -> pl.DataFrame:
    return Store(sample_dir).read("partition_offsets", cluster="sample").sort("topic", "partition", "ts")


def group_totals(offsets: pl.DataFrame, group: str) -> pl.DataFrame:
    """Per snapshot: total lag, committed sum, members, state of one group."""
    return (
        offsets.filter(pl.col("group") == group)
        .group_by("ts")
        .agg(
            lag=pl.col("lag").sum(),
            committed=pl.col("committed_offset").sum(),
            members=pl.col("member_id").drop_nulls().n_unique(),
            state=pl.col("group_state").first(),
            gap=pl.col("retention_gap").all(),
        )
        .sort("ts")
    )


def window(frame: pl.DataFrame, start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    return frame.filter(pl.col("ts").is_between(start, end, closed="left"))


# -- contract and determinism -------------------------------------------------------------------
def test_every_dataset_matches_its_schema(sample_dir: Path) -> None:
    store = Store(sample_dir)
    for name in SIMULATED:
        schema = DATASETS[name][0]
        frame = store.read(name, cluster="sample")
        assert frame.schema == schema, name
        assert frame.height > 0
    snaps = store.read("collections", cluster="sample")
    assert snaps.height == 7 * 288 and snaps["ok"].all() and snaps["error"].null_count() == snaps.height
    assert snaps["ts"].is_unique().all()
    for name in ("offsets", "partition_offsets"):
        assert store.read(name, cluster="sample")["source"].unique().to_list() == ["simulate"]


def test_collections_count_the_rows_of_each_snapshot(sample_dir: Path) -> None:
    store = Store(sample_dir)
    snaps = store.read("collections", cluster="sample").sort("ts")
    per_ts = store.read("offsets", cluster="sample").group_by("ts").len().sort("ts")
    parts = store.read("partition_offsets", cluster="sample").group_by("ts").len().sort("ts")
    assert snaps["group_rows"].to_list() == per_ts["len"].to_list()
    assert snaps["partitions"].to_list() == parts["len"].to_list()


def _frames(root: Path) -> dict[str, pl.DataFrame]:
    store = Store(root)
    return {name: store.read(name, cluster="sample").sort(pl.all()) for name in SIMULATED}


def test_shipped_sample_regenerates_identically(sample_dir: Path) -> None:
    assert SAMPLE.is_dir(), (
        "data/sample is missing: run `workbench simulate --data-dir data/sample --scale sample`"
    )
    shipped, fresh = _frames(SAMPLE), _frames(sample_dir)
    for name in SIMULATED:
        assert shipped[name].equals(fresh[name]), name


@pytest.mark.slow  # a second or more: out of the fast loop
def test_seed_decides_the_data(tmp_path: Path) -> None:
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        simulate(tmp_path / name, cluster="sample", scale="sample", days=1, seed=seed)
    a, b, c = (_frames(tmp_path / n)["partition_offsets"] for n in "abc")
    assert a.equals(b)
    assert not a.equals(c)


def test_shipped_sample_stays_small() -> None:
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert size < 7_000_000  # "a few MB at most in git"


# -- offsets invariants -------------------------------------------------------------------------
def test_log_offsets_never_decrease(partitions: pl.DataFrame) -> None:
    steps = partitions.with_columns(
        d_end=pl.col("log_end_offset").diff().over("topic", "partition"),
        d_start=pl.col("log_start_offset").diff().over("topic", "partition"),
    )
    assert steps.filter((pl.col("d_end") < 0) | (pl.col("d_start") < 0)).is_empty()
    assert partitions.filter(pl.col("log_start_offset") > pl.col("log_end_offset")).is_empty()
    assert partitions.filter(pl.col("log_start_offset") < 0).is_empty()


def test_offsets_rows_agree_with_partition_offsets(offsets: pl.DataFrame, partitions: pl.DataFrame) -> None:
    joined = offsets.join(partitions, on=["ts", "topic", "partition"], how="left", suffix="_p")
    assert joined["log_end_offset_p"].null_count() == 0
    assert (joined["log_end_offset"] == joined["log_end_offset_p"]).all()
    assert (joined["log_start_offset"] == joined["log_start_offset_p"]).all()
    assert offsets.filter(pl.col("committed_offset") > pl.col("log_end_offset")).is_empty()


def test_only_the_rewind_moves_a_commit_backwards(offsets: pl.DataFrame) -> None:
    back = offsets.with_columns(
        d=pl.col("committed_offset").diff().over("group", "topic", "partition")
    ).filter(pl.col("d") < 0)
    assert back["group"].unique().to_list() == ["search-indexer"]
    assert back["ts"].unique().to_list() == [at(17, 13, 55)]


def test_members_look_like_kafka_clients(offsets: pl.DataFrame) -> None:
    stable = offsets.filter(pl.col("group_state") == "Stable")
    assert stable["member_id"].null_count() == 0
    for row in stable.unique("member_id").iter_rows(named=True):
        assert re.fullmatch(rf"consumer-{row['group']}-\d+-[0-9a-f-]{{36}}", row["member_id"])
        assert row["member_id"].startswith(row["client_id"] + "-")
        assert re.fullmatch(r"/10\.\d+\.\d+\.\d+", row["host"])
    load = stable.filter(pl.col("ts") == at(19, 12)).group_by("group", "member_id").len()
    spread = load.group_by("group").agg(pl.col("len").max() - pl.col("len").min())
    assert spread["len"].max() <= 1  # round-robin: shares differ by at most one partition


def test_healthy_groups_keep_up_with_a_breathing_lag(offsets: pl.DataFrame) -> None:
    lag = group_totals(offsets, "orders-svc")
    assert lag["lag"].min() >= 0 and lag["lag"].n_unique() > 100
    rate = 900  # msg/s configured for orders
    assert lag["lag"].max() < rate * 60  # under a minute of traffic


@pytest.mark.parametrize("group", ["orders-svc", "metrics-ingest", "payments-ledger", "shipment-tracker"])
def test_healthy_lag_jitters_between_snapshots(offsets: pl.DataFrame, group: str) -> None:
    """Lag is traffic since the last commit: at every snapshot a different share of the group's
    commit cadence has passed, so the partition lag goes down about as often as it goes up."""
    rows = offsets.filter(pl.col("group") == group).with_columns(
        d=pl.col("lag").diff().over("topic", "partition")
    )
    down = rows.filter(pl.col("d") < 0).height / rows["d"].drop_nulls().len()
    assert 0.3 < down < 0.7, down


def test_low_traffic_lag_is_sometimes_exactly_zero(offsets: pl.DataFrame) -> None:
    rates = offsets.filter(pl.col("group") == "pricing-engine", pl.col("topic") == "exchange-rates")
    zero = (rates["lag"] == 0).mean()
    assert 0.001 < zero < 0.1  # 1 msg/s: now and then nothing arrived since the last commit  # type: ignore[operator]
    busy = offsets.filter(pl.col("group") == "clickstream-sessionizer")
    assert (busy["lag"] > 0).all()


# -- traffic shape ------------------------------------------------------------------------------
def _topic_rate(partitions: pl.DataFrame, topic: str, start: dt.datetime, end: dt.datetime) -> float:
    part = window(partitions, start, end).filter(pl.col("topic") == topic)
    moved = part.group_by("partition").agg(pl.col("log_end_offset").max() - pl.col("log_end_offset").min())
    return moved["log_end_offset"].sum() / (end - start - dt.timedelta(minutes=5)).total_seconds()


def test_rates_are_close_to_the_configured_ones(partitions: pl.DataFrame) -> None:
    for spec in TOPICS:
        if spec.rate == 0:
            continue
        got = _topic_rate(partitions, spec.name, at(18, 0), at(19, 0))  # a whole weekday
        assert got == pytest.approx(spec.rate, rel=0.1), spec.name
    assert _topic_rate(partitions, "config-changes", at(13, 0), at(20, 0)) == 0


def test_traffic_peaks_in_the_afternoon_and_dips_on_weekends(partitions: pl.DataFrame) -> None:
    peak = _topic_rate(partitions, "orders", at(18, 13), at(18, 15))
    night = _topic_rate(partitions, "orders", at(18, 2), at(18, 4))
    assert peak > 3 * night
    weekend = _topic_rate(partitions, "orders", at(15, 0), at(16, 0))
    weekday = _topic_rate(partitions, "orders", at(16, 0), at(17, 0))
    assert weekend < 0.8 * weekday


def test_a_hot_key_partition_takes_more_than_its_share(partitions: pl.DataFrame) -> None:
    last = (
        partitions.filter(pl.col("topic") == "orders")
        .group_by("partition")
        .agg(pl.col("log_end_offset").max() - pl.col("log_end_offset").min())
    )
    moved = dict(last.iter_rows())
    assert moved[3] > 2 * np.median(list(moved.values()))


# -- incidents ----------------------------------------------------------------------------------
def test_stall_commits_the_same_offset_while_lag_grows(offsets: pl.DataFrame) -> None:
    g = group_totals(offsets, "fraud-case-manager")
    during = window(g, at(14, 16), at(14, 19))
    assert during["committed"].n_unique() == 1
    assert (during["members"] == 2).all() and (during["state"] == "Stable").all()
    assert during["lag"].diff().drop_nulls().min() >= 0 and during["lag"][-1] > 20 * during["lag"][0]
    after = window(g, at(14, 22), at(15, 0))
    assert after["lag"].max() < during["lag"].max() / 20  # caught up


def test_stopped_group_has_no_members_and_growing_lag(offsets: pl.DataFrame) -> None:
    g = group_totals(offsets, "notifications-sender")
    before, after = window(g, at(13, 0), at(16, 6)), window(g, at(16, 6), at(20, 0))
    assert (before["state"] == "Stable").all() and (before["members"] == 2).all()
    assert (after["state"] == "Empty").all() and (after["members"] == 0).all()
    assert after["committed"].n_unique() == 1
    rows = offsets.filter(pl.col("group") == "notifications-sender", pl.col("ts") >= at(16, 6))
    assert rows["member_id"].null_count() == rows.height
    assert after["lag"][-1] > 10 * before["lag"].max()


def test_rewind_jumps_back_a_day_and_reprocesses(offsets: pl.DataFrame) -> None:
    g = group_totals(offsets, "search-indexer")
    rows = g.filter(pl.col("ts").is_in([at(17, 13, 50), at(17, 13, 55), at(17, 14)]))
    assert rows["state"].to_list() == ["Empty", "Empty", "Stable"]
    jump = rows["committed"][0] - rows["committed"][1]
    assert jump > 2500 * 86400 * 0.5  # about a day of search-index traffic
    old = set(window(offsets, at(17, 0), at(17, 13)).filter(pl.col("group") == "search-indexer")["member_id"])
    new = set(window(offsets, at(17, 14), at(18, 0)).filter(pl.col("group") == "search-indexer")["member_id"])
    assert old and new and not old & new  # redeployed: new member ids
    assert window(g, at(17, 23), at(18, 0))["lag"].max() < jump / 100  # drained by midnight


def test_capacity_bound_group_falls_behind_every_afternoon(offsets: pl.DataFrame) -> None:
    g = group_totals(offsets, "analytics-etl")
    healthy = group_totals(offsets, "clickstream-sessionizer")
    for day in range(13, 20):
        afternoon = window(g, at(day, 14), at(day, 18))["lag"].max()
        early = window(g, at(day, 3), at(day, 6))["lag"].min()
        assert afternoon > 20 * window(healthy, at(day, 14), at(day, 18))["lag"].max(), day
        assert early < 5 * window(healthy, at(day, 3), at(day, 6))["lag"].max(), day


def test_empty_groups_never_have_members(offsets: pl.DataFrame) -> None:
    for name in ("legacy-billing-export", "config-watcher-old"):
        g = group_totals(offsets, name)
        assert (g["state"] == "Empty").all() and (g["members"] == 0).all()
        assert g["committed"].n_unique() == 1
    idle = group_totals(offsets, "config-watcher-old")
    assert (idle["lag"] == 0).all()  # idle topic, caught up: not an alert


def test_retention_overtakes_unread_commits(offsets: pl.DataFrame) -> None:
    legacy = group_totals(offsets, "legacy-billing-export")
    assert not window(legacy, at(13, 0), at(13, 13))["gap"].any()
    assert window(legacy, at(13, 13), at(20, 0))["gap"].all()
    stopped = group_totals(offsets, "notifications-sender")
    assert not window(stopped, at(13, 0), at(19, 6))["gap"].any()
    assert window(stopped, at(19, 6), at(20, 0))["gap"].all()
    last = offsets.filter(pl.col("ts") == offsets["ts"].max(), pl.col("group") == "notifications-sender")
    assert (last["committed_offset"] < last["log_start_offset"]).all() and (last["lost_messages"] > 0).all()


def test_topic_gains_partitions_mid_week(offsets: pl.DataFrame, partitions: pl.DataFrame) -> None:
    inv = partitions.filter(pl.col("topic") == "inventory-updates")
    counts = inv.group_by("ts").len().sort("ts")
    assert window(counts, at(13, 0), at(17, 4))["len"].unique().to_list() == [4]
    assert window(counts, at(17, 4), at(20, 0))["len"].unique().to_list() == [6]
    first = inv.filter(pl.col("partition") >= 4, pl.col("ts") == at(17, 4))
    assert first["log_end_offset"].to_list() == [0, 0] and first["log_start_offset"].to_list() == [0, 0]
    for group in ("inventory-svc", "warehouse-sync", "pricing-engine"):
        new = offsets.filter(
            pl.col("group") == group, pl.col("topic") == "inventory-updates", pl.col("partition") >= 4
        )
        assert new["ts"].min() == at(17, 4) and new["member_id"].null_count() == 0


def test_one_partition_is_assigned_but_never_committed(offsets: pl.DataFrame) -> None:
    nulls = offsets.filter(pl.col("committed_offset").is_null())
    assert nulls.select("group", "topic", "partition").unique().rows() == [("audit-archiver", "audit-log", 3)]
    assert nulls["member_id"].null_count() == 0 and nulls["lag"].null_count() == nulls.height


def test_unread_topic_only_in_partition_offsets(offsets: pl.DataFrame, partitions: pl.DataFrame) -> None:
    assert "dead-letter" in partitions["topic"].unique().to_list()
    assert "dead-letter" not in offsets["topic"].unique().to_list()


# -- what Burrow's rules make of it --------------------------------------------------------------
HEALTHY = [
    "audit-archiver",
    "clickstream-sessionizer",
    "config-watcher",
    "email-analytics",
    "fraud-detector",
    "inventory-svc",
    "metrics-ingest",
    "order-fulfillment",
    "orders-svc",
    "payments-ledger",
    "pricing-engine",
    "profile-cache-warmer",
    "shipment-tracker",
    "warehouse-sync",
]


@pytest.fixture(scope="module")
def burrow(offsets: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(group status, partition status) with Burrow's default window, from the first full window on."""
    from workbench.analyze import group_status, partition_status

    ps = partition_status(offsets)
    full = at(13, 1)  # 10 snapshots of history: every window is full
    return group_status(ps).filter(pl.col("ts") >= full), ps.filter(pl.col("ts") >= full)


def _status_share(frame: pl.DataFrame, group: str, status: str) -> float:
    rows = frame.filter(pl.col("group") == group)
    return (rows["status"] == status).mean()  # type: ignore[return-value]


@pytest.mark.parametrize("group", HEALTHY)
def test_healthy_groups_are_ok_almost_always(burrow: tuple[pl.DataFrame, pl.DataFrame], group: str) -> None:
    assert _status_share(burrow[0], group, "OK") > 0.99


def test_capacity_bound_group_warns_at_its_daily_peak(burrow: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    gs = burrow[0].filter(pl.col("group") == "analytics-etl")
    for day in (13, 16, 17, 18, 19):  # weekdays: lag grows from late morning to the peak
        assert (window(gs, at(day, 13), at(day, 16))["status"] == "WARN").all(), day
    for day in range(13, 20):
        assert (window(gs, at(day, 0), at(day, 10))["status"] == "OK").all(), day
    assert 0.1 < _status_share(burrow[0], "analytics-etl", "WARN") < 0.35


def test_incidents_show_as_burrow_errors(burrow: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    gs, ps = burrow

    def statuses(group: str, start: dt.datetime, end: dt.datetime, frame: pl.DataFrame = ps) -> set[str]:
        return set(window(frame.filter(pl.col("group") == group), start, end)["status"].unique())

    assert statuses("notifications-sender", at(16, 7), at(20, 0)) == {"STOP"}
    assert statuses("notifications-sender", at(13, 1), at(16, 6), gs) == {"OK"}
    assert "REWIND" in statuses("search-indexer", at(17, 13, 55), at(17, 14, 30))
    assert statuses("search-indexer", at(17, 15), at(20, 0), gs) == {"OK"}
    stall = window(gs.filter(pl.col("group") == "fraud-case-manager"), at(14, 16), at(14, 19))
    assert (stall["status"] == "ERR").sum() >= 24  # at least 2 of the 3 hours
    # members still own the partitions and keep committing the same offset: STALL, not STOP
    assert statuses("fraud-case-manager", at(14, 17), at(14, 18, 30)) == {"STALL"}
    assert statuses("fraud-case-manager", at(14, 20), at(20, 0), gs) == {"OK"}
    assert statuses("legacy-billing-export", at(13, 1), at(20, 0)) == {"STOP"}
    assert statuses("config-watcher-old", at(13, 1), at(20, 0), gs) == {"OK"}


def test_incidents_scale_into_a_short_window(tmp_path: Path) -> None:
    summary = simulate(tmp_path, cluster="sample", scale="sample", days=2)
    frame = add_lag_columns(Store(tmp_path).read("offsets", cluster="sample"))
    kinds = {i.kind for i in summary.incidents}
    assert {"stall", "stop", "rewind", "capacity", "empty", "retention", "growth", "never-committed"} <= kinds
    stop = next(i for i in summary.incidents if i.kind == "stop")
    after = frame.filter(pl.col("group") == "notifications-sender", pl.col("ts") >= stop.start)
    assert after.height > 0 and (after["group_state"] == "Empty").all()
    assert frame.filter(pl.col("group") == "legacy-billing-export")["retention_gap"].any()
    assert frame.filter(pl.col("topic") == "inventory-updates")["partition"].max() == 5


# -- full scale, arguments and CLI ---------------------------------------------------------------
@pytest.mark.slow  # a second or more: out of the fast loop
def test_full_scale_has_about_a_thousand_skewed_partitions(tmp_path: Path) -> None:
    topo = build_topology("full", seed=0, growth_step=10)
    assert 900 <= topo.n_partitions <= 1100 and len(topo.groups) == 40 and len(topo.topics) >= 12
    assert 2500 <= len(topo.gp_part) <= 3500
    summary = simulate(tmp_path, cluster="prod", days=1, interval="30m")
    assert summary.snapshots == 48 and summary.rows["offsets"] > 48 * 2500


@pytest.mark.parametrize(
    "kwargs",
    [{"interval": "0.5s"}, {"interval": "7x"}, {"days": 0}, {"scale": "huge"}, {"end": "yesterday-ish"}],
)
def test_bad_arguments_are_config_errors(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        simulate(tmp_path, **{"scale": "sample", **kwargs})


def test_end_now_is_aligned_and_default_end_is_fixed(tmp_path: Path) -> None:
    summary = simulate(tmp_path / "now", scale="sample", days=1, end="now")
    assert summary.last.timestamp() % 300 == 0
    assert summary.last <= dt.datetime.now(UTC)
    fixed = simulate(tmp_path / "fixed", scale="sample", days=1)
    assert fixed.last == DEFAULT_END - dt.timedelta(minutes=5)


@pytest.mark.slow  # a second or more: out of the fast loop
def test_cli_writes_refuses_and_replaces(tmp_path: Path) -> None:
    from workbench.cli import main

    args = ["simulate", "--data-dir", str(tmp_path), "--scale", "sample", "--days", "1", "--seed", "3"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert re.search(r"288 snapshots .* rows in 8 files", first.output)
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "--force" in again.output
    forced = CliRunner().invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert len(list(tmp_path.rglob("*.parquet"))) == 8


def test_force_never_deletes_collected_data(tmp_path: Path) -> None:
    from workbench.cli import main

    store = Store(tmp_path)
    collected = pl.DataFrame(
        {"ts": [at(19, 0)], "cluster": ["prod"], "topic": ["t"], "partition": [0], "log_end_offset": [5]}
    ).with_columns(source=pl.lit("collect"), log_start_offset=pl.lit(0))
    store.append("partition_offsets", collected)
    result = CliRunner().invoke(
        main, ["simulate", "--data-dir", str(tmp_path), "--cluster", "prod", "--force"]
    )
    assert result.exit_code == 2 and "simulated data only" in result.output
    assert store.read("partition_offsets", cluster="prod").height == 1


@pytest.mark.parametrize(
    ("partitions", "groups", "want_partitions", "want_groups"),
    [
        (None, None, 966, 40),  # the full scale as it is
        (1500, None, 1500, 40),  # about 5,000 group-partitions: the 30-day, 216 M-row history
        (None, 64, 966, 64),  # copies of the groups, named <group>-2
        (15, 3, 23, 3),  # a few partitions a topic (at least one), the first three groups
    ],
)
def test_simulate_size_options_resize_the_cluster(partitions, groups, want_partitions, want_groups) -> None:  # type: ignore[no-untyped-def]
    topo = build_topology("full", seed=0, growth_step=10, partitions=partitions, groups=groups)
    assert abs(topo.n_partitions - want_partitions) <= want_partitions * 0.03
    assert len(topo.groups) == want_groups
    assert len({g.name for g in topo.groups}) == want_groups


def test_simulate_size_options_refuse_fewer_partitions_than_topics() -> None:
    with pytest.raises(ConfigError, match="partitions"):
        build_topology("full", seed=0, growth_step=10, partitions=3)
