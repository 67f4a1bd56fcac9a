"""Tables and machine facts shared by the benchmarks."""
import datetime
import os
import platform
import sys


def _cell(value, fmt):
    if value is None:
        return "-"
    return format(value, fmt) if fmt else str(value)


def format_table(rows, columns, markdown=False):
    """Render ``rows`` (dicts) as a fixed-width text table or a Markdown table.

    ``columns`` is a list of ``(key, heading, format spec)``; a missing value prints as "-".
    """
    cells = [[_cell(row.get(key), fmt) for key, _, fmt in columns] for row in rows]
    headings = [heading for _, heading, _ in columns]
    if markdown:
        aligns = ["---:" if fmt else "---" for _, _, fmt in columns]  # numbers to the right
        lines = ["| " + " | ".join(headings) + " |", "|" + "|".join(aligns) + "|"]
        lines += ["| " + " | ".join(line) + " |" for line in cells]
        return "\n".join(lines)
    widths = [max(len(h), *(len(line[i]) for line in cells)) if cells else len(h)
              for i, h in enumerate(headings)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                       for i, (h, w) in enumerate(zip(headings, widths)))]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(line, widths))) for line in cells]
    return "\n".join(lines)


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average():
    """The 1-minute load average, or None where the OS does not report it."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def machine_facts():
    """What a reader needs to compare figures: CPU, cores, GPU, versions, date, load."""
    import numpy
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        flags = ", ".join(f for f in ("avx512f", "avx2", "fma") if f" {f}" in text)
    except OSError:
        pass
    load = load_average()
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "cpu": cpu_model() + (f" ({flags})" if flags else ""),
        "cores": os.cpu_count(),
        "gpu": gpu,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torch threads": torch.get_num_threads(),
        "numpy": numpy.__version__,
        "load average (1 min) at start": None if load is None else f"{load:.1f}",
    }


def warn_if_busy(threshold=None):
    """Print a warning when other processes compete for the cores (timings inflate)."""
    load = load_average()
    threshold = threshold if threshold is not None else 0.5 * (os.cpu_count() or 1) + 0.5
    if load is not None and load > threshold:
        print(f"WARNING: load average {load:.1f} on {os.cpu_count()} cores: other processes "
              "compete for the CPU, so these timings are inflated and unstable.", flush=True)
