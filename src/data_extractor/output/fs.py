"""File systems for the output: local (and mounted: /dbfs, /Volumes) through `os`; object stores and HDFS
(s3://, s3a://, gs://, abfss://, az://, hdfs://) through pyarrow.fs (`stores.py`); any other URI through
Hadoop's FileSystem in Spark's JVM (Spark's writer only)."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from typing import Any

from data_extractor.errors import UserError, one_line
from data_extractor.output.stores import NATIVE, StoreFS, scheme


def local_path(uri: str) -> str | None:
    """A local path for `uri`, or None for a file system only Hadoop can reach."""
    if uri.startswith("file://"):
        return uri[len("file://"):]
    if uri.startswith("dbfs:/"):
        rest = uri[len("dbfs:/"):].lstrip("/")
        if rest.startswith("Volumes/"):
            return "/" + rest  # dbfs:/Volumes/... is the Unity Catalog volume's FUSE path
        return "/dbfs/" + rest if os.path.isdir("/dbfs") else None
    if "://" in uri:
        return None
    return uri


class LocalFS:
    hadoop = False
    atomic_rename = True

    @property
    def arrow(self) -> Any:
        import pyarrow.fs as pafs  # heavy: only tasks and footers need it

        return pafs.LocalFileSystem()

    def path(self, path: str) -> str:
        return path

    def copy(self, src: str, dst: str) -> None:
        shutil.copyfile(src, dst)

    def join(self, *parts: str) -> str:
        return os.path.join(*parts)

    def dirname(self, path: str) -> str:
        return os.path.dirname(path)

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def isdir(self, path: str) -> bool:
        return os.path.isdir(path)

    def makedirs(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)

    def rmtree(self, path: str) -> None:
        # a task outliving its failed job may add a file while the tree is removed: go again
        for _ in range(5):
            shutil.rmtree(path, ignore_errors=True)
            if not os.path.lexists(path):
                return
            time.sleep(0.2)

    def listdir(self, path: str) -> list[str]:
        return os.listdir(path) if os.path.isdir(path) else []

    def rename(self, src: str, dst: str) -> None:
        os.rename(src, dst)

    def size(self, path: str) -> int:
        return os.path.getsize(path)

    def mtime(self, path: str) -> float:
        return os.path.getmtime(path)

    def write_text(self, path: str, text: str) -> None:
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def read_text(self, path: str) -> str:
        with open(path, encoding="utf-8") as fh:
            return fh.read()

    def remove(self, path: str) -> None:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


class HadoopFS:
    """The same operations through `org.apache.hadoop.fs.FileSystem` (classic Spark only)."""

    hadoop = True
    atomic_rename = True
    arrow = None  # the arrow writer cannot write here

    def __init__(self, session: Any, root: str) -> None:
        jvm = getattr(session, "_jvm", None)
        if jvm is None:
            raise UserError(f"output.path {root} needs Hadoop's file systems, which Spark Connect does not expose; "
                            "write to a local or mounted path (/Volumes/..., /dbfs/...) instead")
        self._jvm = jvm
        self._Path = jvm.org.apache.hadoop.fs.Path
        self._fs = hadoop_fs(session, root)

    def join(self, *parts: str) -> str:
        return "/".join([parts[0].rstrip("/"), *(p.strip("/") for p in parts[1:])])

    def dirname(self, path: str) -> str:
        return path.rstrip("/").rsplit("/", 1)[0]

    def exists(self, path: str) -> bool:
        return bool(self._fs.exists(self._Path(path)))

    def isdir(self, path: str) -> bool:
        return self.exists(path) and bool(self._fs.getFileStatus(self._Path(path)).isDirectory())

    def makedirs(self, path: str) -> None:
        self._fs.mkdirs(self._Path(path))

    def rmtree(self, path: str) -> None:
        self._fs.delete(self._Path(path), True)

    def listdir(self, path: str) -> list[str]:
        if not self.exists(path):
            return []
        return [st.getPath().getName() for st in self._fs.listStatus(self._Path(path))]

    def rename(self, src: str, dst: str) -> None:
        if not self._fs.rename(self._Path(src), self._Path(dst)):
            raise OSError(f"could not rename {src} to {dst}")

    def size(self, path: str) -> int:
        return int(self._fs.getFileStatus(self._Path(path)).getLen())

    def mtime(self, path: str) -> float:
        return self._fs.getFileStatus(self._Path(path)).getModificationTime() / 1000.0

    def write_text(self, path: str, text: str) -> None:
        out = self._fs.create(self._Path(path), True)
        try:
            out.write(bytearray(text.encode("utf-8")))
        finally:
            out.close()

    def read_text(self, path: str) -> str:
        stream = self._fs.open(self._Path(path))
        try:
            reader = self._jvm.java.io.BufferedReader(self._jvm.java.io.InputStreamReader(stream, "UTF-8"))
            lines = []
            while (line := reader.readLine()) is not None:
                lines.append(line)
            return "\n".join(lines)
        finally:
            stream.close()

    def remove(self, path: str) -> None:
        self._fs.delete(self._Path(path), False)


def hadoop_fs(session: Any, uri: str) -> Any:
    """Hadoop's FileSystem for `uri` in Spark's JVM; a missing class or server fails here, in one line."""
    try:
        jvm = session._jvm
        return jvm.org.apache.hadoop.fs.Path(uri).getFileSystem(session._jsc.hadoopConfiguration())
    except Exception as exc:  # noqa: BLE001 - a Py4J error: name the missing class or connection
        text = str(exc)
        missing = re.search(r"ClassNotFoundException: (?:Class )?([\w.$]+)", text) \
            or re.search(r'No FileSystem for scheme "?(\w+)"?', text)
        if missing:
            raise UserError(f"output.path {uri}: Spark's Hadoop has no file system for it ({missing[1]} not found); "
                            "add the connector's jars (e.g. hadoop-aws for s3a://) to spark.conf spark.jars, "
                            "or use output.writer: arrow, which needs no jar") from None
        raise UserError(f"output.path {uri} cannot be reached through Hadoop ({one_line(exc)}); "
                        "check the URI and that its service is up") from None


def needs_hadoop(root: str) -> bool:
    """Whether only Hadoop's file systems (Spark's JVM) reach `root`."""
    return local_path(root) is None and scheme(root) not in NATIVE


def for_output(root: str, session: Any = None, options: Any = None) -> tuple[Any, str]:
    """(file system, root path on it) for an output path."""
    local = local_path(root)
    if local is not None:
        return LocalFS(), local
    if scheme(root) in NATIVE:
        return StoreFS(root, options), root.rstrip("/")
    if session is None:
        raise UserError(f"output.path {root} is not a local path and no Spark session is available to reach it")
    return HadoopFS(session, root), root
