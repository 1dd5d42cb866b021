"""ml-connector-dagster: ERP ↔ CRM and project-system synchronisation as a Dagster code location."""
