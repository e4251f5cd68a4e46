"""Charts: pure functions from Polars frames to Altair charts, with one theme.

Every chart pre-aggregates in Polars and never carries more than :data:`MAX_ROWS` rows.
Per-report charts live in :mod:`~workbench.charts.capacity`, :mod:`~workbench.charts.config`,
:mod:`~workbench.charts.lag` and :mod:`~workbench.charts.latency`. Call :func:`setup` once in a
report notebook before displaying charts.
"""
# ruff: noqa: E402  (the import skip must come before altair loads)

import workbench

workbench.skip_slow_imports()  # before altair loads jsonschema: workbench.SKIPPED_IMPORTS

from workbench.charts import capacity, config, lag, latency
from workbench.charts.lag import (
    lag_over_time,
    partition_skew,
    produce_vs_consume,
    status_timeline,
    top_bars,
    top_time_bars,
)
from workbench.charts.theme import (
    MAX_ROWS,
    STATUS_COLORS,
    STATUS_ORDER,
    ScriptSafeJSONEncoder,
    setup,
    status_scale,
)

__all__ = [
    "MAX_ROWS",
    "STATUS_COLORS",
    "STATUS_ORDER",
    "ScriptSafeJSONEncoder",
    "capacity",
    "config",
    "lag",
    "lag_over_time",
    "latency",
    "partition_skew",
    "produce_vs_consume",
    "setup",
    "status_scale",
    "status_timeline",
    "top_bars",
    "top_time_bars",
]
