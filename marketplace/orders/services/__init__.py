"""Every write about call-off orders, one module per job; the public names are re-exported here.

* ``lifecycle``: create from an award, activate, amend the cap, complete or terminate; term rules.
* ``readings``: the typed usage reading (``UsageReading``) read from text, and a post's outcome.
* ``usage``: the usage post (the careful path, rejections, replays of a used key).
* ``usage_sql``: the PostgreSQL one-statement fast path and the raw queries of the hot path.
* ``thresholds``: crossings of 50/80/90/100 % of the cap, their notifications, capping.
* ``statements``: monthly statements and their CSV.
* ``uploads``: the usage CSV upload.
"""

from marketplace.orders.services.lifecycle import (
    OrderLineSpec,
    add_months,
    highest_cap,
    order_activate,
    order_amend_cap,
    order_complete,
    order_create_from_award,
    order_terminate,
)
from marketplace.orders.services.readings import (
    CLOCK_SKEW,
    MAX_KEY_LENGTH,
    UsageOutcome,
    UsageReading,
    read_usage_reading,
)
from marketplace.orders.services.statements import (
    month_bounds,
    statement_csv,
    statement_generate,
    statements_generate_for_month,
)
from marketplace.orders.services.uploads import CSV_COLUMNS, CsvRowOutcome, order_upload_usage_csv
from marketplace.orders.services.usage import order_record_usage

__all__ = [
    "CLOCK_SKEW", "CSV_COLUMNS", "MAX_KEY_LENGTH", "CsvRowOutcome", "OrderLineSpec", "UsageOutcome", "UsageReading",
    "add_months", "highest_cap", "month_bounds", "order_activate", "order_amend_cap", "order_complete",
    "order_create_from_award", "order_record_usage", "order_terminate", "order_upload_usage_csv",
    "read_usage_reading", "statement_csv", "statement_generate", "statements_generate_for_month",
]
