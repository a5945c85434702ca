"""The one file lister of both engines: local files and folders as ``io.scan_inputs`` finds them
(by extension or content), and, for the Ray engine, URIs that pyarrow reads (``s3://``, ``gs://``,
``hdfs://``, ``file://``; in folders, photos by extension only)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from msdunet.io import PHOTO_EXTENSIONS, Found, Scan, scan_inputs


def is_uri(path: str | os.PathLike) -> bool:
    return "://" in str(path)


def list_inputs(
    paths: Iterable[str | os.PathLike],
    *,
    recursive: bool = False,
    exclude: str | os.PathLike | None = None,
    uris: bool = False,
) -> Scan:
    """The inputs of ``paths`` in order, how many other files were passed over, and the arguments
    not found; with ``uris``, an argument with ``://`` is listed through pyarrow's file systems
    (without, it is a local path, which does not exist)."""
    scan = Scan()
    for item in paths:
        if uris and is_uri(item):
            _list_uri(str(item), recursive, scan)
            continue
        found = scan_inputs([item], recursive=recursive, exclude=exclude)
        scan.inputs += found.inputs
        scan.skipped += found.skipped
        scan.missing += found.missing
    return scan


def _list_uri(uri: str, recursive: bool, scan: Scan) -> None:
    from pyarrow import fs

    filesystem, path = fs.FileSystem.from_uri(uri)
    info = filesystem.get_file_info(path)
    if info.type == fs.FileType.File:
        name = PurePosixPath(path).name
        scan.inputs.append(Found(Path(path), Path(name), uri=uri))
    elif info.type == fs.FileType.Directory:
        found = filesystem.get_file_info(fs.FileSelector(path, recursive=recursive))
        for child in sorted((f for f in found if f.type == fs.FileType.File), key=lambda f: f.path):
            rel = PurePosixPath(child.path).relative_to(path)
            if rel.suffix.lower() in PHOTO_EXTENSIONS:
                scan.inputs.append(Found(Path(child.path), Path(rel), uri=f"{uri.rstrip('/')}/{rel.as_posix()}"))
            else:
                scan.skipped += 1
    else:
        scan.missing.append(uri)
