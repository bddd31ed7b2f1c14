"""One run: the runner, a table's job (plan, read, verify, publish, record), windows, state, events, logs."""
