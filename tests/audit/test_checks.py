from audit.checks import sqlite_mode_warnings


def test_sqlite_without_immediate_transactions_is_warned():
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}
    assert [warning.id for warning in sqlite_mode_warnings(database)] == ["audit.W001"]


def test_sqlite_with_immediate_transactions_and_postgresql_pass():
    immediate = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x", "OPTIONS": {"transaction_mode": "IMMEDIATE"}}
    assert sqlite_mode_warnings(immediate) == []
    assert sqlite_mode_warnings({"ENGINE": "django.db.backends.postgresql", "NAME": "x"}) == []


def test_postgresql_with_psycopg3_is_an_error_and_psycopg2_or_sqlite_pass():
    from audit.checks import psycopg_errors

    postgresql = {"ENGINE": "django.db.backends.postgresql", "NAME": "x"}
    assert [error.id for error in psycopg_errors(postgresql, psycopg3=True)] == ["audit.E001"]
    assert psycopg_errors(postgresql, psycopg3=False) == []
    assert psycopg_errors({"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}, psycopg3=True) == []
    assert psycopg_errors(postgresql) == []  # this project's environment: psycopg2
