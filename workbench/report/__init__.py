"""The report stage: the only code that runs notebooks.

A report is a parameterized notebook in the :data:`CATALOG`. :func:`render` checks the
parameters, runs the notebook with papermill, exports a self-contained offline HTML page (no
code cells, no CDN, one inlined vega bundle) and regenerates ``reports/index.html``.
"""

from workbench.report.catalog import CATALOG, ReportSpec, get_report
from workbench.report.index import write_index
from workbench.report.parameters import check_parameters, read_defaults
from workbench.report.render import FORMATS, Rendered, render

__all__ = [
    "CATALOG",
    "FORMATS",
    "Rendered",
    "ReportSpec",
    "check_parameters",
    "get_report",
    "read_defaults",
    "render",
    "write_index",
]
