"""One-line messages telling the reader where a dataset came from."""
_already_printed = set()


def print_once(line):
    """Print ``line`` unless this process has printed it before."""
    if line not in _already_printed:
        _already_printed.add(line)
        print(line)


def announce(name, source):
    """Say which source a dataset was loaded from."""
    print_once(f"Dataset: {name} — source: {source}")


def report_fallback(name, reason):
    """Say why the preferred source was not used."""
    print_once(f"Dataset: {name} — {reason}; using the offline fallback.")
