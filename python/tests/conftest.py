"""Fixtures: the embedded emulator, started in-process by the package itself, and a client of it.

Every test talks HTTP to a real emulator; nothing in tsexport is mocked.
"""

import os
import subprocess
import sys

import pytest

import tsexport

# Every Retail Sales column, in the order of the benchmarks (benches/compare.sh).
EVERY_COLUMN = (
    "[Order Line ID] [Order ID] [Customer] [Region] [Product] [Store ID] [Quantity] [Line Cents] "
    "[Sales] [Discount] [Is Returned] [Order Date] [Ship Time] [Order Time] [Loyalty Points] "
    "sort by [Order Line ID]"
)
ROWS = 20_000


@pytest.fixture(scope="session")
def emulator():
    with tsexport.Emulator(rows=ROWS) as ts:
        yield ts


@pytest.fixture()
def client(emulator):
    with tsexport.Client(emulator.url, username=emulator.username, password=emulator.password) as c:
        yield c


def run_python(code: str, *, timeout: float = 120, env=None, **kwargs) -> subprocess.Popen:
    """Starts `code` in a new interpreter of this environment (stdout and stderr piped)."""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        **kwargs,
    )
