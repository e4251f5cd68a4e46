"""``workbench transactions``: the open transactions that hold partitions' last stable offsets."""

from __future__ import annotations

import json

import click

from workbench.cli.options import connection_options, format_option


@click.command("transactions")
@connection_options()
@click.option("--topic", "topics", help="Only topics matching this regex.")
@format_option
def transactions(
    bootstrap_server: str, command_config: str | None, timeout: str, topics: str | None, fmt: str
) -> None:
    """Partitions whose last stable offset is below the log end now, and the open transactions
    holding them: producer id and epoch, transactional id, state, start offset and time.

    read_committed consumers read nothing past such a partition's last stable offset until the
    transaction ends. Needs Kafka 3.0+ (DescribeProducers, ListTransactions).
    """
    from workbench import patterns
    from workbench.cli.offsets import _admin, _json_default
    from workbench.cli.render import frame_table, tsv
    from workbench.collect.open_transactions import TransactionsClient, open_transactions_now

    if topics:
        patterns.check(topics, "--topic")
    admin = _admin(bootstrap_server, command_config, timeout)
    client = TransactionsClient(admin.settings, admin.timeout_s)
    try:
        frame = open_transactions_now(admin, client, "live", topics)
    finally:
        client.close()
    if fmt == "json":
        click.echo(json.dumps(frame.to_dicts(), default=_json_default, indent=2))
    elif fmt == "tsv":
        click.echo(tsv(frame), nl=False)
    else:
        frame_table(frame, "Partitions held by an open transaction (last stable offset below the log end)")


def register(main: click.Group) -> None:
    """Add ``transactions`` to the ``workbench`` group."""
    main.add_command(transactions)
