"""Object stores and HDFS through `pyarrow.fs`: one file-system layer for the driver and every executor.

A store is named by its URI (`s3://bucket/prefix`, `s3a://...`, `gs://...`, `abfss://container@account.dfs.core
.windows.net/...`, `az://container/...`, `hdfs://namenode:8020/...`) plus `output.storage_options`. Credentials
come from where every tool of that store looks (for S3: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
`AWS_SESSION_TOKEN`, profiles, instance metadata; `AWS_REGION` and `AWS_ENDPOINT_URL` are read here because
pyarrow's constructor ignores them). No Hadoop jar is involved. Stores pyarrow has no client for go through
fsspec when it is installed. Paths handed around stay full URIs, so Spark's writer can take them too.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from data_extractor.errors import UserError

S3 = ("s3", "s3a", "s3n")
GCS = ("gs", "gcs")
AZURE = ("abfs", "abfss", "az")
NATIVE = (*S3, *GCS, *AZURE, "hdfs")
_SECRET_KEY = re.compile(r"secret|key|token|password|credential|sas|signature", re.I)
_cache: dict[tuple[Any, ...], Any] = {}
_cache_lock = threading.Lock()


def scheme(uri: str) -> str:
    return uri.split("://", 1)[0].lower() if "://" in uri else ""


def secret_values(options: Mapping[str, Any]) -> list[str]:
    """The option values to scrub from logs (keys that name a key, token, secret, ...)."""
    return [_plain(v) for k, v in options.items() if _SECRET_KEY.search(k) and _plain(v)]


def _plain(value: Any) -> str:
    return value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)


# The same S3 settings under the names delta-rs/pyiceberg read (AWS_*) and the names of pyarrow's S3FileSystem.
_AWS_TO_ARROW = {"AWS_ACCESS_KEY_ID": "access_key", "AWS_SECRET_ACCESS_KEY": "secret_key",
                 "AWS_SESSION_TOKEN": "session_token", "AWS_REGION": "region", "AWS_DEFAULT_REGION": "region",
                 "AWS_ENDPOINT_URL": "endpoint_url"}


def aws_options(options: Mapping[str, Any]) -> dict[str, str]:
    """`output.storage_options` as AWS_* keys (what delta-rs and pyiceberg take), whichever names were used."""
    out: dict[str, str] = {}
    arrow_to_aws = {v: k for k, v in _AWS_TO_ARROW.items() if k != "AWS_DEFAULT_REGION"}
    for key, value in options.items():
        plain = _plain(value)
        if key == "endpoint_override":
            scheme_ = _plain(options.get("scheme", "https"))
            out["AWS_ENDPOINT_URL"] = plain if "://" in plain else f"{scheme_}://{plain}"
        elif key != "scheme":
            out[arrow_to_aws.get(key, key)] = plain
    if out.get("AWS_ENDPOINT_URL", "").startswith("http://"):
        out.setdefault("AWS_ALLOW_HTTP", "true")
    return out


def _s3_options(options: dict[str, str]) -> dict[str, Any]:
    # other AWS_*/aws_* keys (AWS_ALLOW_HTTP, aws_conditional_put, ...) are for delta-rs' object_store, not pyarrow
    kw: dict[str, Any] = {_AWS_TO_ARROW.get(k, k): v for k, v in options.items()
                          if k in _AWS_TO_ARROW or not k.lower().startswith("aws_")}
    endpoint = kw.pop("endpoint_url", None) or kw.get("endpoint_override") \
        or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        kw["endpoint_override"] = parts.netloc
        kw.setdefault("scheme", parts.scheme)
    region = kw.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        kw["region"] = region
    for flag in ("allow_bucket_creation", "allow_bucket_deletion", "background_writes", "force_virtual_addressing"):
        if isinstance(kw.get(flag), str):
            kw[flag] = kw[flag].lower() in ("1", "true", "yes")
    for number in ("connect_timeout", "request_timeout"):
        if isinstance(kw.get(number), str):
            kw[number] = float(kw[number])
    return kw


def _build(uri: str, options: dict[str, str]) -> Any:
    import pyarrow.fs as pafs  # heavy: loaded only when an object store is used

    kind = scheme(uri)
    if kind in S3:
        return pafs.S3FileSystem(**_s3_options(options))
    if kind in GCS:
        return pafs.GcsFileSystem(**options)
    if kind in AZURE:
        kw = dict(options)
        host = urlsplit(uri).netloc
        if "@" in host and "account_name" not in kw:  # abfss://container@account.dfs.core.windows.net
            kw["account_name"] = host.split("@", 1)[1].split(".", 1)[0]
        kw.setdefault("account_name", os.environ.get("AZURE_STORAGE_ACCOUNT_NAME", ""))
        if not kw["account_name"]:
            raise UserError(f"output.path {uri} names no storage account; write abfss://container@ACCOUNT.dfs.core"
                            ".windows.net/... or set output.storage_options.account_name")
        return pafs.AzureFileSystem(**kw)
    if kind == "hdfs":
        return pafs.HadoopFileSystem.from_uri(uri.split("/", 3)[0] + "//" + urlsplit(uri).netloc)
    import fsspec  # a store pyarrow has no client for
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    return PyFileSystem(FSSpecHandler(fsspec.filesystem(kind, **options)))


def arrow_fs(uri: str, options: Mapping[str, Any] | None = None) -> Any:
    """The pyarrow file system for `uri`, built once per process (executors reuse it across tasks)."""
    plain = {k: _plain(v) for k, v in (options or {}).items()}
    key = (scheme(uri), urlsplit(uri).netloc if scheme(uri) in AZURE + ("hdfs",) else "", tuple(sorted(plain.items())))
    with _cache_lock:
        if key not in _cache:
            try:
                _cache[key] = _build(uri, plain)
            except UserError:
                raise
            except ImportError:
                raise UserError(f"output.path {uri}: no pyarrow client for {scheme(uri)}:// and fsspec's is not "
                                f"installed; pip install the fsspec package for it (e.g. adlfs, gcsfs)") from None
            except Exception as exc:  # noqa: BLE001 - e.g. libhdfs or libjvm missing: one line naming it
                raise UserError(_build_failure(uri, exc)) from None
        return _cache[key]


def _build_failure(uri: str, exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for value in secret_values({k: v for k, v in os.environ.items() if k.startswith("AWS_")}):
        text = text.replace(value, "***")
    if scheme(uri) == "hdfs":
        return (f"output.path {uri}: pyarrow cannot reach HDFS ({text[:200]}); it needs libhdfs and a JVM: set "
                "JAVA_HOME, ARROW_LIBHDFS_DIR and CLASSPATH=$(hadoop classpath --glob) on the driver and executors")
    return f"output.path {uri}: the {scheme(uri)}:// file system could not be set up ({text[:200]}); check " \
           "output.storage_options"


def arrow_path(uri: str) -> str:
    """The path inside the store, as pyarrow names it (`bucket/key`, `container/key`, `/path` on HDFS)."""
    parts = urlsplit(uri)
    kind = scheme(uri)
    if kind == "hdfs":
        return parts.path or "/"
    if kind in AZURE and "@" in parts.netloc:
        return (parts.netloc.split("@", 1)[0] + parts.path).rstrip("/")
    return (parts.netloc + parts.path).rstrip("/")


class StoreFS:
    """The operations publish and state need, over a pyarrow file system; paths are full URIs."""

    hadoop = False
    atomic_rename = False  # object stores copy and delete; publish commits by manifest instead

    def __init__(self, root: str, options: Mapping[str, Any] | None = None) -> None:
        self.root = root.rstrip("/")
        self.options = dict(options or {})
        self.arrow = arrow_fs(root, options)
        self.atomic_rename = scheme(root) == "hdfs"

    def path(self, uri: str) -> str:
        return arrow_path(uri)

    def join(self, *parts: str) -> str:
        return "/".join([parts[0].rstrip("/"), *(p.strip("/") for p in parts[1:])])

    def dirname(self, path: str) -> str:
        return path.rstrip("/").rsplit("/", 1)[0]

    def _info(self, path: str) -> Any:
        return self.arrow.get_file_info(arrow_path(path))

    def exists(self, path: str) -> bool:
        import pyarrow.fs as pafs

        return self._info(path).type != pafs.FileType.NotFound

    def isdir(self, path: str) -> bool:
        import pyarrow.fs as pafs

        return self._info(path).type == pafs.FileType.Directory

    def makedirs(self, path: str) -> None:
        self.arrow.create_dir(arrow_path(path), recursive=True)

    def rmtree(self, path: str) -> None:
        if self.isdir(path):
            self.arrow.delete_dir(arrow_path(path))

    def listdir(self, path: str) -> list[str]:
        import pyarrow.fs as pafs

        if not self.isdir(path):
            return []
        infos = self.arrow.get_file_info(pafs.FileSelector(arrow_path(path)))
        return [i.base_name for i in infos]

    def rename(self, src: str, dst: str) -> None:
        self.arrow.move(arrow_path(src), arrow_path(dst))

    def copy(self, src: str, dst: str) -> None:
        self.arrow.copy_file(arrow_path(src), arrow_path(dst))  # server-side on S3, GCS and Azure

    def size(self, path: str) -> int:
        return int(self._info(path).size or 0)

    def mtime(self, path: str) -> float:
        info = self._info(path)
        return info.mtime.timestamp() if info.mtime else 0.0

    def write_text(self, path: str, text: str) -> None:
        with self.arrow.open_output_stream(arrow_path(path)) as out:  # one PUT: visible whole or not at all
            out.write(text.encode("utf-8"))

    def read_text(self, path: str) -> str:
        with self.arrow.open_input_stream(arrow_path(path)) as src:
            return src.read().decode("utf-8")

    def remove(self, path: str) -> None:
        import pyarrow.fs as pafs

        if self._info(path).type == pafs.FileType.File:
            self.arrow.delete_file(arrow_path(path))
