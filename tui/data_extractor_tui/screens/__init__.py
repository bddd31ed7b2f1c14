"""The dashboard's screens: browse, plan, run, history, help."""
