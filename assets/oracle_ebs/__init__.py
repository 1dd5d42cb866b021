"""Oracle EBS as a source (extracts.py) and as a target (one module per source system)."""
