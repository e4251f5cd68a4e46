"""Which metric families the Prometheus import reads, and how each maps to a dataset column.

Lag exporters (offsets, partition_offsets): one :class:`LagFamily` per exporter naming the
committed-offset, lag, log-end and log-start metrics and their labels. Broker and node metrics
(broker_metrics): one PromQL template per workbench metric name. docs/prometheus.md lists both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Labels that name the Kafka cluster in multi-cluster exporters: several values need --match-lag.
CLUSTER_LABELS = ("cluster_name", "cluster")


@dataclass(frozen=True)
class LagFamily:
    """One lag exporter's metric names and labels (None: the exporter has no such metric)."""

    exporter: str
    log_end: str
    log_start: str | None
    committed: str | None
    lag: str | None
    group: str
    topic: str
    partition: str
    #: exporter label -> offsets column (member_id, host, client_id)
    member: tuple[tuple[str, str], ...] = ()

    def partition_expr(self, metric: str, match: str) -> str:
        """A per-partition metric, highest value over the brokers or exporters that report it."""
        by = ", ".join((self.topic, self.partition, *CLUSTER_LABELS))
        return f"max by ({by}) ({metric}{{{match}}})"

    @property
    def has_groups(self) -> bool:
        return self.committed is not None or self.lag is not None


_KLE = "kafka_consumergroup_group"
_KE = "kafka_topic_partition"
_KM = "kminion_kafka"

LAG_FAMILIES = (
    # Lightbend's kafka-lag-exporter and klag-exporter (same names and labels)
    LagFamily("kafka-lag-exporter", "kafka_partition_latest_offset", "kafka_partition_earliest_offset",
              f"{_KLE}_offset", f"{_KLE}_lag", "group", "topic", "partition",
              (("consumer_id", "member_id"), ("member_host", "host"), ("client_id", "client_id"))),
    # danielqsj/kafka_exporter
    LagFamily("kafka_exporter", f"{_KE}_current_offset", f"{_KE}_oldest_offset",
              "kafka_consumergroup_current_offset", "kafka_consumergroup_lag", "consumergroup", "topic",
              "partition"),
    # redpanda-data/kminion with partition granularity: committed = high water mark - lag
    LagFamily("kminion", f"{_KM}_topic_partition_high_water_mark", f"{_KM}_topic_partition_low_water_mark",
              None, f"{_KM}_consumer_group_topic_partition_lag", "group_id", "topic_name", "partition_id"),
    # the JMX exporter's kafka.log Log LogEndOffset/LogStartOffset: partitions only, no groups
    LagFamily("jmx", "kafka_log_log_logendoffset", "kafka_log_log_logstartoffset", None, None, "", "topic",
              "partition"),
)  # fmt: skip


@dataclass(frozen=True)
class BrokerQuery:
    """One workbench broker metric: a PromQL template, the metrics it needs, its detail label."""

    metric: str
    template: str
    needs: str  # regex over metric names: the query runs only when one is present
    detail: str | None = None
    source: str = "jmx"

    def expr(self, match: str, window: str) -> str:
        """The PromQL with the user's label matchers (``match``) and the rate window filled in."""
        extra = f",{match}" if match else ""
        return self.template.replace("{M}", extra).replace("{W}", window)

    def present(self, names: set[str]) -> bool:
        pattern = re.compile(self.needs)
        return any(pattern.fullmatch(n) for n in names)


def _btm(name: str) -> str:
    """A broker-wide BrokerTopicMetrics meter (both the shipped `...persec_total` and Strimzi's
    `..._total` spelling), as a rate summed per instance."""
    return f"kafka_server_brokertopicmetrics_{name}(persec)?_total"


def _rate_sum(needs: str, by: str = "instance", filters: str = "") -> str:
    return f'sum by ({by}) (rate({{__name__=~"{needs}"{filters}{{M}}}}[{{W}}]))'


_REQUESTS = 'request=~"Produce|FetchConsumer|FetchFollower"'
_IDLE_RH = "kafka_server_kafkarequesthandlerpool_requesthandleravgidle_?percent"
_IDLE_NP = "kafka_network_socketserver_networkprocessoravgidle_?percent"
_FS = 'fstype!~"tmpfs|ramfs|squashfs|overlay|nsfs|autofs|devtmpfs"'

BROKER_QUERIES = (
    BrokerQuery("bytes_in_per_s", _rate_sum(_btm("bytesin"), filters=',topic=""'), _btm("bytesin")),
    BrokerQuery("bytes_out_per_s", _rate_sum(_btm("bytesout"), filters=',topic=""'), _btm("bytesout")),
    BrokerQuery("messages_in_per_s", _rate_sum(_btm("messagesin"), filters=',topic=""'), _btm("messagesin")),
    BrokerQuery(
        "produce_requests_per_s",
        _rate_sum(_btm("totalproducerequests"), filters=',topic=""'),
        _btm("totalproducerequests"),
    ),
    BrokerQuery(
        "fetch_requests_per_s",
        _rate_sum(_btm("totalfetchrequests"), filters=',topic=""'),
        _btm("totalfetchrequests"),
    ),
    BrokerQuery(
        "requests_per_s",
        _rate_sum("kafka_network_requestmetrics_requests_total", "instance, request", f",{_REQUESTS}"),
        "kafka_network_requestmetrics_requests_total",
        "request",
    ),
    BrokerQuery(
        "request_time_ms_p99",
        f"max by (instance, request) "
        f'(kafka_network_requestmetrics_totaltimems{{quantile="0.99",{_REQUESTS}{{M}}}})',
        "kafka_network_requestmetrics_totaltimems",
        "request",
    ),
    BrokerQuery(
        "request_time_ms_mean",
        f"max by (instance, request) (kafka_network_requestmetrics_totaltimems_mean{{{_REQUESTS}{{M}}}})",
        "kafka_network_requestmetrics_totaltimems_mean",
        "request",
    ),
    # Kafka's idle meters can read a hair above 1 (1.0002 seen: idle time over threads x elapsed
    # sampled a little apart); a fraction idle is at most 1
    BrokerQuery(
        "request_handler_idle",
        f'clamp_max(avg by (instance) ({{__name__=~"{_IDLE_RH}"{{M}}}}), 1)',
        _IDLE_RH,
    ),
    BrokerQuery(
        "network_processor_idle",
        f'clamp_max(avg by (instance) ({{__name__=~"{_IDLE_NP}"{{M}}}}), 1)',
        _IDLE_NP,
    ),
    BrokerQuery(
        "under_replicated_partitions",
        'max by (instance) ({__name__="kafka_server_replicamanager_underreplicatedpartitions"{M}})',
        "kafka_server_replicamanager_underreplicatedpartitions",
    ),
    BrokerQuery(
        "filesystem_size_bytes",
        f"max by (instance, mountpoint) (node_filesystem_size_bytes{{{_FS}{{M}}}})",
        "node_filesystem_size_bytes", "mountpoint", "node",
    ),
    BrokerQuery(
        "filesystem_avail_bytes",
        f"max by (instance, mountpoint) (node_filesystem_avail_bytes{{{_FS}{{M}}}})",
        "node_filesystem_avail_bytes", "mountpoint", "node",
    ),
    BrokerQuery(
        "network_receive_bytes_per_s",
        _rate_sum("node_network_receive_bytes_total", "instance, device", ',device!="lo"'),
        "node_network_receive_bytes_total", "device", "node",
    ),
    BrokerQuery(
        "network_transmit_bytes_per_s",
        _rate_sum("node_network_transmit_bytes_total", "instance, device", ',device!="lo"'),
        "node_network_transmit_bytes_total", "device", "node",
    ),
)  # fmt: skip
