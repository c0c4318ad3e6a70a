"""Nightly tsexport run as an Airflow DAG: a pre-flight check, then one mapped task per shard.

Each mapped task runs the `tsexport` command line for one shard of the job file (`--shard I/N`:
export k runs in the task with k % N == I), so every export runs in exactly one task. Dynamic task
mapping (`.partial(...).expand(...)`) makes the N tasks, and the `tsexport` pool caps how many run
at once against the ThoughtSpot cluster, whatever the DAG's other settings. Create the pool once:

    airflow pools set tsexport 2 'tsexport: concurrent shards against ThoughtSpot'

Credentials come from the Airflow connection `thoughtspot` (host = the cluster URL, login,
password), passed to tsexport as TSEXPORT_URL, TSEXPORT_USERNAME and TSEXPORT_PASSWORD in the
task's environment, never on the command line. Object-store credentials come from the workers'
own environment or identity (`append_env=True` keeps it).

The tsexport binary must be on the workers' PATH (the image deploy/Dockerfile builds, or
`pip install tsexport`). The state of windowed exports lives beside their data (an object store
URL in the job file), so any worker can run any shard on any night.

Exit codes: 0 ok; 2 bad flags or job file and 3 bad credentials (retrying cannot help: fix the
configuration); 4 incomplete data, 5 server error, 6 mixed, 1 other (a retry can succeed).

tests/it/deploy.rs reads every one-line string literal here that contains a tsexport command,
fills `{NAME}` from the constants below, `{index}` with each shard and `{{ ds }}` with a date, and
checks that the command line parses: keep the commands on one line each.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

JOB_FILE = "/opt/airflow/tsexport/jobs.toml"
SHARDS = 4
REPORT_DIR = "/opt/airflow/tsexport/reports"
POOL = "tsexport"

# The ThoughtSpot connection's fields, rendered by Airflow into the task's environment.
TSEXPORT_ENV = {
    "TSEXPORT_URL": "{{ conn.thoughtspot.host }}",
    "TSEXPORT_USERNAME": "{{ conn.thoughtspot.login }}",
    "TSEXPORT_PASSWORD": "{{ conn.thoughtspot.password }}",
}


def shard_command(index: int) -> str:
    """The command of shard `index`: its exports for the run's logical date, and its report."""
    return f"tsexport run {JOB_FILE} --shard {index}/{SHARDS} --run-date {{{{ ds }}}} --report {REPORT_DIR}/{{{{ ds }}}}-shard-{index}.json --log-format json"


with DAG(
    dag_id="tsexport_nightly",
    schedule="30 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # two nights at once would write the same windows and state
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["thoughtspot", "tsexport"],
) as dag:
    # Signs in, resolves every source and proves every destination writable, without exporting:
    # a bad job file or password fails here once, not in every shard.
    check = BashOperator(
        task_id="check",
        bash_command=f"tsexport check {JOB_FILE}",
        env=TSEXPORT_ENV,
        append_env=True,
        pool=POOL,
        retries=0,
    )

    run_shards = BashOperator.partial(
        task_id="run_shard",
        env=TSEXPORT_ENV,
        append_env=True,
        pool=POOL,
        execution_timeout=timedelta(hours=6),
    ).expand(bash_command=[shard_command(index) for index in range(SHARDS)])

    check >> run_shards
