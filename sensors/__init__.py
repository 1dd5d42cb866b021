"""Sensors and schedules: everything that decides when a run happens."""
