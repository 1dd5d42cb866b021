"""Pure mapping, one module per pair: source rows (pydantic models) → validated target payloads. No HTTP, no Dagster."""
