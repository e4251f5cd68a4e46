"""Private group-by machinery shared by the analysis domains (not public API)."""
