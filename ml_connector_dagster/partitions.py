"""The daily partitions every pair shares: one partition per source day, from the configured start date to today
(end_offset=1 makes today's partial day runnable, so an edit made this morning can be synced this morning)."""

import dagster as dg

from ml_connector_dagster.settings import settings

daily_partitions = dg.DailyPartitionsDefinition(start_date=settings().start_date.isoformat(), end_offset=1)
