# Kafka capacity workbench: the `workbench` command, JupyterLab and the report notebooks in one image.
#   docker build -t kafka-capacity-workbench .
#   docker run --rm kafka-capacity-workbench demo --out /work/reports
# docker-compose.yml runs it as collectors, JupyterLab and a daily report runner (docs/scheduling.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    WORKBENCH_DATA_DIR=/work/data/collected

WORKDIR /work

# Dependencies first, from pyproject.toml alone (an empty stand-in package), so this layer stays cached
# while only the code changes. confluent-kafka, polars and pyarrow ship manylinux wheels: no compiler.
COPY pyproject.toml README.md ./
RUN mkdir workbench && touch workbench/__init__.py && pip install -e . && rm -r workbench
# Then the code, installed editable without touching the dependencies (seconds): the report catalog
# finds notebooks/ relative to the source tree (/work).
COPY workbench ./workbench
RUN pip install --no-deps -e .

COPY notebooks ./notebooks
COPY data/sample ./data/sample
COPY data/README.md ./data/README.md
COPY deploy/docker/report-loop /usr/local/bin/workbench-report-loop

# Non-root user; the volume mount points exist and belong to it, so named volumes inherit that.
RUN useradd --create-home --uid 10001 --user-group workbench \
    && mkdir -p /work/data/collected /work/reports \
    && chmod 0755 /usr/local/bin/workbench-report-loop \
    && chown -R workbench:workbench /work
USER workbench

ENTRYPOINT ["workbench"]
CMD ["--help"]
