"""``workbench capacity``: capacity planning from the command line (Cruise Control export)."""

from __future__ import annotations

import json

import click

from workbench import units
from workbench.cli.options import Finite


def register(main: click.Group) -> None:
    """Add the ``capacity`` command group to ``main``."""
    main.add_command(capacity)


@click.group()
def capacity() -> None:
    """Capacity planning from stored history."""


@capacity.command("export-cruise-control")
@click.option("--data-dir", default="data", show_default=True, type=click.Path(file_okay=False))
@click.option("--cluster", default=None, help="Cluster name (may be omitted with one cluster).")
@click.option(
    "--disk-gb",
    type=Finite(0, 1e9),
    help="Disk per broker, GB (10^9 bytes), for brokers whose log-dir volume sizes were not measured "
    "(DescribeLogDirs v4, Kafka 3.3+); measured sizes win.",
)
@click.option(
    "--nic-mb-s",
    type=Finite(0, 1e9),
    required=True,
    help="Network capacity per broker and direction, MB/s (10^6 bytes/s).",
)
@click.option("--cpu", type=Finite(0, 1e6), default=100.0, show_default=True, help="CPU capacity, percent.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-", show_default=True)
def export_cruise_control(
    data_dir: str, cluster: str | None, disk_gb: float | None, nic_mb_s: float, cpu: float, output: str
) -> None:
    """Write a Cruise Control capacity.json for the brokers of the newest config snapshot.

    DISK per broker from its measured log-dir volumes (one value per log dir with JBOD), else
    --disk-gb; in MB and NW_IN/NW_OUT in KB/s as Cruise Control counts them. Never a built-in value.
    """
    from workbench.analyze.capacity import cruise_control_capacity
    from workbench.analyze.capacity.sizing import measured_disks
    from workbench.errors import ConfigError
    from workbench.frames.capacity import newest_volumes
    from workbench.frames.configs import load_config_snapshot
    from workbench.store import Store

    if (disk_gb is not None and disk_gb <= 0) or nic_mb_s <= 0:
        raise click.BadParameter("capacities must be positive")
    snap = load_config_snapshot(data_dir, cluster)
    brokers = sorted(int(b) for b in snap["brokers"]["broker_id"].to_list())
    measured = measured_disks(newest_volumes(Store(data_dir), str(snap["cluster_info"]["cluster"][0])))
    unmeasured = [b for b in brokers if b not in measured]
    if unmeasured and disk_gb is None:
        raise ConfigError(
            f"no measured log-dir volume size for broker(s) {', '.join(map(str, unmeasured))} (brokers "
            "before Kafka 3.3 do not report them to `workbench collect configs`): give --disk-gb"
        )
    dirs: dict[int, list[str]] = {}
    for row in snap["log_dirs"].select("broker", "log_dir").unique().iter_rows():
        dirs.setdefault(int(row[0]), []).append(str(row[1]))
    totals = [sum(measured[b].values()) for b in brokers if b in measured]
    default = disk_gb * units.GB if disk_gb is not None else min(totals)
    doc = _doc(brokers, measured, disk_gb, nic_mb_s)
    body = cruise_control_capacity(
        brokers,
        dirs,
        default,
        nic_mb_s * units.MB,
        nic_mb_s * units.MB,
        cpu,
        doc,
        measured={b: measured[b] for b in brokers if b in measured},
    )
    text = json.dumps(body, indent=2) + "\n"
    if output == "-":
        click.echo(text, nl=False)
    else:
        from workbench.fsutil import atomic_write_text

        atomic_write_text(output, text)
        click.echo(output)


def _doc(brokers: list[int], measured: dict[int, dict[str, float]], disk_gb: float | None, nic: float) -> str:
    """Where each capacity came from, for the file's ``doc`` fields (IEC units, and the values given)."""
    have = [str(b) for b in brokers if b in measured]
    parts = [f"disk measured (log-dir volume totals) for broker(s) {', '.join(have)}"] if have else []
    if disk_gb is not None and len(have) < len(brokers):
        parts.append(
            f"disk {units.bytes_iec(disk_gb * units.GB)} given (--disk-gb {disk_gb:g}) for the others"
        )
    parts.append(f"NIC {units.rate_iec(nic * units.MB)} given (--nic-mb-s {nic:g})")
    return "; ".join(parts) + " (workbench capacity export-cruise-control)"
