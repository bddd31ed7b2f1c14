"""The dashboard's own widgets, one concept per module."""
