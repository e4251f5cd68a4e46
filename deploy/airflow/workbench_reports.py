"""Airflow example DAG: daily Kafka capacity reports with papermill and the workbench CLI.

Copy to your Airflow ``dags/`` folder. Needs ``apache-airflow-providers-papermill`` and the workbench
installed (``pip install -e /opt/workbench``) where the tasks run. Each day it:

1. takes a config snapshot (``workbench collect configs``; offsets are collected continuously by the
   ``workbench collect offsets`` service, see docs/scheduling.md);
2. runs the lag-trend notebook with papermill into a dated executed notebook (for a notebook-based
   workflow: the executed copy is the artefact, with every output in it);
3. renders the offline HTML reports (``workbench report``: ``<reports>/<name>/<UTC timestamp>.html``
   and ``index.html``);
4. compacts the closed days and prunes history and reports older than 90 days.

Critical findings go to the ``workbench_notify`` Variable (a webhook, ``alertmanager+http://...`` or
``mailto:...``; see docs/notifications.md).

Settings come from Airflow Variables (with defaults) so the file holds no credentials: the
client.properties it points at reads its password from ``${env:KAFKA_PASSWORD}`` or a file.
"""

from __future__ import annotations

import datetime as dt

from airflow import DAG
from airflow.models import Variable
from airflow.operators.bash import BashOperator
from airflow.providers.papermill.operators.papermill import PapermillOperator

WORKBENCH_HOME = Variable.get("workbench_home", default_var="/opt/workbench")
DATA_DIR = Variable.get("workbench_data_dir", default_var="/var/lib/workbench/data")
REPORTS = Variable.get("workbench_reports", default_var="/var/lib/workbench/reports")
NOTEBOOKS = Variable.get("workbench_executed_notebooks", default_var="/var/lib/workbench/notebooks")
CLUSTER = Variable.get("workbench_cluster", default_var="prod-eu")
BOOTSTRAP = Variable.get("workbench_bootstrap_server", default_var="broker1:9092")
COMMAND_CONFIG = Variable.get("workbench_command_config", default_var="/etc/workbench/client.properties")
NOTIFY = Variable.get("workbench_notify", default_var="alertmanager+http://alertmanager:9093")
RETENTION = "90d"

with DAG(
    dag_id="workbench_reports",
    description="Kafka capacity workbench: config snapshot, lag-trend notebook, offline HTML reports, prune",
    schedule="0 6 * * *",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": dt.timedelta(minutes=10)},
    tags=["kafka", "capacity"],
) as dag:
    collect_configs = BashOperator(
        task_id="collect_configs",
        bash_command=(
            f"workbench collect configs --bootstrap-server {BOOTSTRAP} --command-config {COMMAND_CONFIG} "
            f"--cluster {CLUSTER} --data-dir {DATA_DIR}"
        ),
    )

    lag_trend_notebook = PapermillOperator(
        task_id="lag_trend_notebook",
        input_nb=f"{WORKBENCH_HOME}/notebooks/lag_trend.ipynb",
        output_nb=f"{NOTEBOOKS}/lag_trend-{{{{ ts_nodash }}}}.ipynb",
        parameters={"data_dir": DATA_DIR, "cluster": CLUSTER, "since": "7d"},
        kernel_name="python3",
    )

    report_lag_trend = BashOperator(
        task_id="report_lag_trend",
        bash_command=(
            f"cd {WORKBENCH_HOME} && workbench report lag-trend --data-dir {DATA_DIR} --out {REPORTS} "
            f"-p cluster {CLUSTER} -p since 7d --notify {NOTIFY}"
        ),
    )

    report_config_health = BashOperator(
        task_id="report_config_health",
        bash_command=(
            f"cd {WORKBENCH_HOME} && workbench report config-health --data-dir {DATA_DIR} --out {REPORTS} "
            f"-p cluster {CLUSTER} -p since 7d --notify {NOTIFY}"
        ),
    )

    report_capacity = BashOperator(
        task_id="report_capacity",
        bash_command=(
            f"cd {WORKBENCH_HOME} && workbench report capacity --data-dir {DATA_DIR} --out {REPORTS} "
            f"-p cluster {CLUSTER} -p since 28d --notify {NOTIFY}"
        ),
    )

    report_latency_percentiles = BashOperator(
        task_id="report_latency_percentiles",
        bash_command=(
            f"cd {WORKBENCH_HOME} && workbench report latency-percentiles --data-dir {DATA_DIR} "
            f"--out {REPORTS} -p cluster {CLUSTER} --notify {NOTIFY}"
        ),
    )

    report_fleet = BashOperator(  # every cluster of the data directory side by side
        task_id="report_fleet",
        bash_command=(
            f"cd {WORKBENCH_HOME} && workbench report fleet --data-dir {DATA_DIR} --out {REPORTS} "
            f"--notify {NOTIFY}"
        ),
    )

    compact = BashOperator(
        task_id="compact",
        bash_command=f"workbench compact --data-dir {DATA_DIR} --cluster {CLUSTER}",
    )

    prune = BashOperator(
        task_id="prune",
        bash_command=(
            f"workbench prune --older-than {RETENTION} --data-dir {DATA_DIR} --reports {REPORTS} --yes"
        ),
    )

    (
        collect_configs
        >> compact
        >> [
            lag_trend_notebook,
            report_lag_trend,
            report_config_health,
            report_capacity,
            report_latency_percentiles,
            report_fleet,
        ]
        >> prune
    )
