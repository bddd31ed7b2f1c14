"""Everything that touches Spark. Imported only when a run starts (never by browse or plan)."""
