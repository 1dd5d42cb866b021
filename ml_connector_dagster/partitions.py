"""The partitions pairs share. Daily: one partition per source day, from the configured start date to today
(end_offset=1 makes today's partial day runnable, so an edit made this morning can be synced this morning). Legal
entity: F&O CustomersV3 has no change stamp, so its extracts are full reads of one company each, made cheap for the
target by the ledger's diff."""

import dagster as dg

from ml_connector_dagster.settings import settings

daily_partitions = dg.DailyPartitionsDefinition(start_date=settings().start_date.isoformat(), end_offset=1)
legal_entity_partitions = dg.StaticPartitionsDefinition(list(settings().fo_legal_entities))
