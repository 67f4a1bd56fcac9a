"""Exceptions raised by the dataset loaders."""


class DownloadError(OSError):
    """A file could not be fetched (offline, timeout, HTTP error or checksum mismatch)."""


class DatasetUnavailableError(RuntimeError):
    """Neither the download nor any offline fallback could provide the dataset."""
