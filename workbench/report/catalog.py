"""The report catalog: every report the workbench can render, by name.

Adding a report is one line in :data:`CATALOG` (and its notebook under ``notebooks/``).
"""

from __future__ import annotations

import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import NotFoundError

#: The repository root: notebook paths in the catalog are relative to it.
REPO_ROOT = Path(__file__).resolve().parents[2]
#: Where a wheel install puts the notebooks (``[tool.setuptools.data-files]`` in pyproject.toml).
INSTALLED_NOTEBOOKS = Path(sysconfig.get_path("data")) / "share" / "kafka-capacity-workbench" / "notebooks"


@dataclass(frozen=True)
class ReportSpec:
    """One report: a parameterized notebook, its page title and a one-line description."""

    name: str
    notebook: Path
    title: str
    description: str

    @property
    def path(self) -> Path:
        """The notebook's absolute path: in the source tree (an editable install), else where a
        wheel installed it; :class:`NotFoundError` naming both when it is in neither."""
        if self.notebook.is_absolute():
            return self.notebook
        source, installed = REPO_ROOT / self.notebook, INSTALLED_NOTEBOOKS / self.notebook.name
        for candidate in (source, installed):
            if candidate.is_file():
                return candidate
        raise NotFoundError(
            f"report {self.name!r}: notebook not found at {source} or {installed}; "
            "reinstall the package (pip install -e . from the source tree)"
        )


def _spec(name: str, notebook: str, title: str, description: str) -> tuple[str, ReportSpec]:
    return name, ReportSpec(name, Path(notebook), title, description)


#: name -> report. One line per report.
CATALOG: Mapping[str, ReportSpec] = dict(
    [
        _spec(
            "lag-trend",
            "notebooks/lag_trend.ipynb",
            "Consumer lag trend",
            "Consumer-group lag over time: Burrow status, offset and time lag, produce vs consume, skew.",
        ),
        _spec(
            "config-health",
            "notebooks/config_health.ipynb",
            "Config health",
            "Config rules' findings, drift, topics, leaders and disk per broker, and their changes.",
        ),
        _spec(
            "latency-percentiles",
            "notebooks/latency_percentiles.ipynb",
            "Latency percentiles",
            "Benchmark runs: throughput, latency percentiles, over time, sweep trade-off, run vs baseline.",
        ),
        _spec(
            "capacity",
            "notebooks/capacity.ipynb",
            "Capacity",
            "Ingress and egress rates, headroom per topic, forecasts, disk and network per broker, sizing.",
        ),
        _spec(
            "fleet",
            "notebooks/fleet.ipynb",
            "Fleet",
            "Every cluster side by side: groups in ERR, time lag, headroom, the broker that runs out first.",
        ),
    ]
)


def get_report(name: str, catalog: Mapping[str, ReportSpec] | None = None) -> ReportSpec:
    """The catalog entry for ``name``; :class:`NotFoundError` listing the known names otherwise."""
    catalog = CATALOG if catalog is None else catalog
    try:
        return catalog[name]
    except KeyError:
        known = ", ".join(sorted(catalog)) or "none"
        raise NotFoundError(f"unknown report {name!r}: known reports are {known}") from None
