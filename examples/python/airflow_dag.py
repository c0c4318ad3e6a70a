"""An Airflow DAG that runs a tsexport job file nightly, one mapped task per shard.

Each shard runs the exports k of the file with k % SHARDS == shard (`tsexport.run_jobs(...,
shard="i/N")`); dynamic task mapping makes one task per shard, and the pool caps how many run at
once, so the cluster sees a bounded number of requests. A failed export fails its task with the
run report in the log; exit codes and exception classes tell a usage error (fix the job file) from
a server error (retry).

Put the job file beside the DAG; the connection comes from the job file's [connection] and the
TSEXPORT_* environment of the workers (a password from a secrets backend, for example).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from airflow.decorators import dag, task
from airflow.exceptions import AirflowFailException

JOB_FILE = Path(__file__).with_name("nightly.toml")
SHARDS = 4


@dag(
    schedule="30 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10), "pool": "thoughtspot"},
    tags=["thoughtspot", "tsexport"],
)
def tsexport_nightly():
    @task
    def shards() -> list[str]:
        return [f"{index}/{SHARDS}" for index in range(SHARDS)]

    @task
    def run_shard(shard: str, ds: str | None = None) -> dict:
        import tsexport

        try:
            report = tsexport.run_jobs(JOB_FILE, shard=shard, run_date=ds)
        except tsexport.UsageError as error:
            # A job file or credentials problem: retrying cannot help.
            print(json.dumps(getattr(error, "report", None), indent=2))
            raise AirflowFailException(str(error)) from error
        except tsexport.Error as error:
            # Incomplete data or a busy cluster: let Airflow retry the shard.
            print(json.dumps(getattr(error, "report", None), indent=2))
            raise
        return {"shard": shard, "succeeded": report["succeeded"], "seconds": report["seconds"]}

    run_shard.expand(shard=shards())


tsexport_nightly()
