"""What is read: dialects (all SQL), the catalog, partition planning, type mapping and profiling."""
