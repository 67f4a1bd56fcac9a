"""Checksummed downloads into the course's data folder.

A cached file is verified on every read. A file that fails its checksum is reported,
deleted and downloaded again. Downloads are written to a temporary file in the same
folder and renamed only once their checksum is right, so no half file is ever left
under the final name.
"""
import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from .. import settings
from .errors import DownloadError

DEFAULT_TIMEOUT = 10.0  # seconds the server may stay silent before we give up
_CHUNK = 1 << 20


def file_checksum(path, algorithm="md5"):
    """Hex digest of a file, read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def has_checksum(path, checksum):
    """True when ``path`` matches ``checksum`` given as ``"md5:<hex>"`` or ``"sha256:<hex>"``."""
    algorithm, _, expected = checksum.partition(":")
    if not expected:
        raise ValueError(f"checksum must look like 'md5:<hex>' or 'sha256:<hex>', got {checksum!r}")
    return file_checksum(path, algorithm) == expected.lower()


def cache_folder(subdir, data_home=None):
    """``<data_home>/<subdir>``, created if needed."""
    try:
        folder = settings.data_home(data_home) / subdir
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"cannot create the cache folder: {error}") from None
    return folder


def shared_copy(filename, checksum, subdir, data_home=None):
    """A verified copy in a shared, read-only data folder (``settings.shared_data_homes``), or
    None; a shared copy that fails its checksum is passed over (it is not ours to delete)."""
    for folder in settings.shared_data_homes(data_home):
        path = folder / subdir / filename
        try:
            if path.is_file() and has_checksum(path, checksum):
                return path
        except OSError:
            continue
    return None


def fetch_file(filename, urls, checksum, subdir, data_home=None, download=True,
               timeout=DEFAULT_TIMEOUT):
    """Return the path of a verified copy of ``filename``, downloading it if needed.

    ``urls`` is one URL or a list of mirrors tried in order. Raises ``DownloadError``
    with a short reason when no verified copy can be had.
    """
    path = cache_folder(subdir, data_home) / filename
    if path.exists():
        if has_checksum(path, checksum):
            return path
        print(f"Cached file {path} failed its checksum (corrupt or truncated); "
              "deleting it and downloading it again.")
        path.unlink()
    shared = shared_copy(filename, checksum, subdir, data_home)
    if shared is not None:
        return shared
    if not download:
        raise DownloadError("no cached copy and download=False")
    if isinstance(urls, str):
        urls = [urls]
    failures = []
    for url in urls:
        try:
            _download_verified(url, path, checksum, timeout)
            return path
        except DownloadError as error:
            failures.append(f"{urlsplit(url).netloc or url}: {error}")
    raise DownloadError("; ".join(failures))


def _download_verified(url, path, checksum, timeout):
    """Download ``url`` to a temporary file and move it to ``path`` if its checksum is right."""
    partial = None
    try:
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        with (os.fdopen(handle, "wb") as out,
              urllib.request.urlopen(url, timeout=timeout) as response):
            shutil.copyfileobj(response, out, _CHUNK)
        if not has_checksum(partial, checksum):
            raise DownloadError("downloaded file failed its checksum")
        os.replace(partial, path)
    except DownloadError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise DownloadError(short_reason(error, timeout)) from None
    finally:
        if partial is not None:
            Path(partial).unlink(missing_ok=True)


def short_reason(error, timeout=None):
    """A few words saying why a download failed, without a traceback."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        error = error.reason if isinstance(error.reason, BaseException) else error
    if isinstance(error, TimeoutError):
        return f"no answer within {timeout:g} s" if timeout else "timed out"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
