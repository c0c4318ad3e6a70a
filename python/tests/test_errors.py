"""Each failure kind raises its own class, with the command line's exit code and message."""

import pytest

import tsexport


def test_the_classes_carry_the_exit_codes():
    assert tsexport.Error.exit_code == 1
    assert tsexport.UsageError.exit_code == 2
    assert tsexport.AuthError.exit_code == 3
    assert tsexport.IncompleteError.exit_code == 4
    assert tsexport.ServerError.exit_code == 5
    for cls in (tsexport.UsageError, tsexport.AuthError, tsexport.IncompleteError, tsexport.ServerError):
        assert issubclass(cls, tsexport.Error)


def test_usage_errors_name_what_was_wrong(client, emulator):
    with pytest.raises(tsexport.UsageError, match="page_size must be 1 to 100000"):
        client.search("[Region]", "Retail Sales", page_size=0)
    with pytest.raises(tsexport.UsageError, match="No Such Worksheet"):
        client.search("[Region]", "No Such Worksheet")
    with pytest.raises(tsexport.UsageError, match="Nope"):
        client.search("[Nope]", "Retail Sales")
    with pytest.raises(tsexport.UsageError, match="time_zone"):
        client.search("[Region]", "Retail Sales", time_zone="Mars/Olympus")
    with pytest.raises(tsexport.UsageError, match="decimal"):
        client.search("[Region]", "Retail Sales", types={"Region": "decimal(99,2)"})
    with pytest.raises(tsexport.UsageError, match="no cluster address"):
        tsexport.Client(username="tsadmin", password="admin")
    with pytest.raises(tsexport.UsageError, match="profile"):
        tsexport.Emulator(profile="v1999")


def test_a_wrong_password_is_an_auth_error(emulator):
    with tsexport.Client(emulator.url, username="tsadmin", password="wrong") as client:
        with pytest.raises(tsexport.AuthError) as raised:
            client.list("worksheets")
    assert raised.value.exit_code == 3
    assert "wrong" not in str(raised.value), "the password never reaches a message"


def test_a_cluster_that_keeps_failing_is_a_server_error():
    faults = """
[[rule]]
endpoint = "v2/searchdata"
kind = "status"
status = 503
"""
    with tsexport.Emulator(rows=1_000, faults=faults) as ts:
        with tsexport.Client(ts.url, username="tsadmin", password="admin", retries=1) as client:
            with pytest.raises(tsexport.ServerError, match="503"):
                client.search("[Order Line ID]", "Retail Sales")


def test_the_environment_gives_what_arguments_leave_out(emulator, monkeypatch):
    monkeypatch.setenv("TSEXPORT_URL", emulator.url)
    monkeypatch.setenv("TSEXPORT_USERNAME", "tsadmin")
    monkeypatch.setenv("TSEXPORT_PASSWORD", "admin")
    with tsexport.Client() as client:
        assert client.search("[Order Line ID]", "Retail Sales").read_all().num_rows > 0
    monkeypatch.setenv("TSEXPORT_PASSWORD", "wrong")
    with tsexport.Client() as client, pytest.raises(tsexport.AuthError):
        client.list("worksheets")
    # A value given in code wins over the environment, a token there included.
    monkeypatch.setenv("TSEXPORT_TOKEN", "not-a-token")
    with tsexport.Client(password="admin") as client:
        assert client.list("worksheets")
