"""The spark engine: the warehouse's Parquet tables on a Spark session.

``SPARK_REMOTE`` set (``sc://host:15002``, a Databricks or EMR Spark Connect endpoint): a Spark
Connect session to that cluster, which reads the warehouse location itself (any URI it can read:
s3://, abfss://, gs://, hdfs://). Unset: a local session (``RO_SPARK_MASTER``, default
``local[2]``) in this process, which is what the tests use.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ro_core.engines.base import EngineChoice, StoreEngine
from ro_core.engines.dialects import SPARK, SPARK_SETTINGS
from ro_core.engines.layout import (
    WAREHOUSE_TABLES,
    Manifest,
    manifest_location,
    read_manifest,
    table_location,
)

MASTER_ENV = "RO_SPARK_MASTER"
LOCAL_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # small aggregates: a few shuffle partitions, not Spark's default 200
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.driver.memory": "2g",
}


def _session(remote: str | None) -> Any:
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("ro-dashboard")
    if remote:
        builder = builder.remote(remote)
    else:
        builder = builder.master(os.environ.get(MASTER_ENV, "local[2]"))
        for key, value in LOCAL_SETTINGS.items():
            builder = builder.config(key, value)
    for key, value in SPARK_SETTINGS.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    for key, value in SPARK_SETTINGS.items():
        session.conf.set(key, value)  # a session that already existed keeps its own otherwise
    if not remote:  # a Connect client has no SparkContext; the cluster keeps its own logging
        session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(StoreEngine):
    """Temporary views named like the warehouse tables, over their Parquet folders."""

    dialect = SPARK

    def __init__(self, choice: EngineChoice) -> None:
        super().__init__(choice)
        self.spark = _session(os.environ.get("SPARK_REMOTE"))
        self.manifest = self._manifest()
        for table, (columns, _) in WAREHOUSE_TABLES.items():
            frame = self.spark.read.parquet(table_location(choice.warehouse, table, choice.store))
            keep = list(columns) or [c for c in frame.columns if c not in ("month", "store")]
            frame.select(*keep).createOrReplaceTempView(table)

    def _manifest(self) -> Manifest:
        location = self.choice.warehouse
        if "://" not in location:
            return read_manifest(location, self.choice.store)
        text = self.spark.read.text(
            manifest_location(location, self.choice.store), wholetext=True
        ).first()[0]
        return Manifest.from_dict(json.loads(text))

    def arrow(self, sql: str) -> Any:
        return self.spark.sql(sql).toArrow()

    def data_version(self) -> int:
        return self.manifest.data_version
