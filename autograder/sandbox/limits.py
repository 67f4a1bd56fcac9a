"""What one sandboxed kernel may use: memory, processes, time, disk and CPU (0: no limit)."""
from dataclasses import dataclass

MiB = 1 << 20
GiB = 1 << 30


@dataclass
class SandboxLimits:
    """Limits of one kernel; 0 switches a limit off."""

    memory_bytes: int = 4 * GiB
    max_processes: int = 512
    submission_seconds: float = 1800
    disk_bytes: int = 1 * GiB  # the scratch folder, a tmpfs of this size (as root)
    cpu_cores: float = 0.0  # CPU time per second the kernel may use (0: no quota)


def describe_size(n: int) -> str:
    for unit, name in ((GiB, "GiB"), (MiB, "MiB")):
        if n >= unit and n % (unit // 4) == 0:
            return f"{n / unit:g} {name}"
    return f"{n} bytes"
