"""One dagster.ConfigurableResource per system: its configuration, auth and wire protocol."""
