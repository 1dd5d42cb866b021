"""Transform and load assets whose target is Dynamics 365 Sales, one module per source pair."""
