"""Publishing where a folder cannot be renamed at once (object stores): the manifest is the commit record.

1. Each data file is copied from the run's staging folder into the table's folder. Its name carries the run id,
   so it never overwrites a file of the version readers may be using (server-side copies on S3, GCS and Azure).
2. The manifest (`{output}/_data_extractor/manifests/...json`) is written last, in one PUT: from that moment it
   lists the new files and only those.
3. Files the new manifest does not list (the superseded version, leftovers of a crashed publish, the
   `_manifest.json` earlier versions kept in the data folder) are deleted, then the staging folder.

A reader that goes through the manifest sees the old version or the new one, whole. A plain-Parquet reader that
lists the folder during steps 1-3 can see old and new files together (duplicate rows) or part of the new ones;
after step 3 it sees exactly the new version. A crash before step 2 leaves the old version published; the
orphans it leaves are removed by the next publish of that table.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("data_extractor.output")


def publish_by_manifest(fs: Any, staging: str, final: str, files: list[str], manifest: str,
                        manifest_text: str) -> None:
    fs.makedirs(final)
    before = set(fs.listdir(final))
    for name in files:
        fs.copy(fs.join(staging, name), fs.join(final, name))
    fs.makedirs(fs.dirname(manifest))
    fs.write_text(manifest, manifest_text)  # the commit point
    for name in sorted(before - set(files)):
        if name.endswith(".parquet") or name.startswith("_SUCCESS") or name == "_manifest.json":
            try:
                fs.remove(fs.join(final, name))
            except OSError as exc:  # the new version is published; a stray file is only cleaned later
                log.warning("could not remove superseded %s: %s", name, exc)
    fs.rmtree(staging)
