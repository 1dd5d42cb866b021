"""Extract assets of source systems; transform and load assets of target systems."""
