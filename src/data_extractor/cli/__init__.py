"""The headless face: `data-extractor` commands, rich rendering of a run, the embedded demo."""
