"""``workbench capacity``: capacity planning from the command line (Cruise Control export)."""

from __future__ import annotations

import json

import click

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
    "--disk-gb", type=Finite(0, 1e9), required=True, help="Disk capacity per broker, GB (10^9 bytes)."
)
@click.option(
    "--nic-mb-s", type=Finite(0, 1e9), required=True, help="Network capacity per broker and direction, MB/s."
)
@click.option("--cpu", type=Finite(0, 1e6), default=100.0, show_default=True, help="CPU capacity, percent.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="-", show_default=True)
def export_cruise_control(
    data_dir: str, cluster: str | None, disk_gb: float, nic_mb_s: float, cpu: float, output: str
) -> None:
    """Write a Cruise Control capacity.json for the brokers of the newest config snapshot.

    DISK in MB and NW_IN/NW_OUT in KB/s as Cruise Control counts them; brokers with several log
    dirs (JBOD) get DISK per log dir.
    """
    from workbench.analyze.capacity import MB, cruise_control_capacity
    from workbench.frames.configs import load_config_snapshot

    if disk_gb <= 0 or nic_mb_s <= 0:
        raise click.BadParameter("capacities must be positive")
    snap = load_config_snapshot(data_dir, cluster)
    brokers = sorted(int(b) for b in snap["brokers"]["broker_id"].to_list())
    dirs: dict[int, list[str]] = {}
    for row in snap["log_dirs"].select("broker", "log_dir").unique().iter_rows():
        dirs.setdefault(int(row[0]), []).append(str(row[1]))
    doc = f"disk {disk_gb:g} GB, NIC {nic_mb_s:g} MB/s per broker (workbench capacity export-cruise-control)"
    body = cruise_control_capacity(brokers, dirs, disk_gb * 1e9, nic_mb_s * MB, nic_mb_s * MB, cpu, doc)
    text = json.dumps(body, indent=2) + "\n"
    if output == "-":
        click.echo(text, nl=False)
    else:
        from workbench.fsutil import atomic_write_text

        atomic_write_text(output, text)
        click.echo(output)
