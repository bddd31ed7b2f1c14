"""Where the data lands: file systems, staging and publish, manifests, the history of published tables."""
