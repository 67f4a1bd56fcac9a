"""Warm kernels: the next submission's sandboxed kernel starts while this one runs.

Most of a kernel's start is Python importing the libraries a lesson uses (torch, scikit-learn,
matplotlib: seconds), and the course's own modules that import them. A grading process keeps
one kernel started ahead, in a sandbox of its own, importing the modules the current lesson's
locked cells import (the instructor's, never what a student wrote); the next submission takes
it, receives its files, and its submission time starts. Each kernel still serves one submission
only, in its own sandbox.
"""
import ast
import os

from autograder.sandbox.bubblewrap import NOT_PASSED_ENV, PASSED_ENV

# Libraries worth importing ahead (their import takes long); other imports are left to the lesson.
HEAVY = ("torch", "torchvision", "sklearn", "matplotlib", "pandas", "scipy", "numpy", "imageio")
# What a library imports on first use rather than on import: torch's optimizers import
# torch._dynamo at their first step (about a second, in every lesson that trains).
FIRST_USE = {"torch": ("torch._dynamo",)}


def lesson_imports(cells, packages=()) -> list[str]:
    """The modules of HEAVY libraries and of the course's ``packages`` that the locked cells of
    a notebook import."""
    wanted = (*HEAVY, *packages)
    modules = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not meta.get("locked") or meta.get("solution"):
            continue
        try:
            tree = ast.parse(cell.get("source", ""))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            modules += [name for name in names if name.split(".")[0] in wanted]
    later = [module for name in modules for module in FIRST_USE.get(name.split(".")[0], ())]
    return list(dict.fromkeys(modules + later))


def _environment():
    return tuple(sorted((k, v) for k, v in os.environ.items()
                        if (k.startswith("COURSE_") or k in PASSED_ENV) and k not in NOT_PASSED_ENV))


class WarmKernels:
    """At most one kernel started ahead, for the kernel manager settings it was made with."""

    def __init__(self):
        self._km, self._key = None, None
        self.taken = 0  # kernels handed to a submission warm, in this process
        self.started = 0  # kernels started ahead, in this process

    @property
    def waiting(self) -> bool:
        """Whether a kernel started ahead is waiting for a submission."""
        return self._km is not None

    @staticmethod
    def key(km):
        return (type(km), km.kernel_name, km.limits, tuple(km.data_dirs), km.data_home,
                km.scratch_base, km.sandbox_uid, tuple(km.device_nodes), _environment())

    def take(self, km_class, kernel_name, config):
        """The warm kernel if it was made with these settings, else None (it is then stopped)."""
        km, self._km = self._km, None
        if km is None:
            return None
        wanted = km_class(kernel_name=kernel_name, config=config) if kernel_name else km_class(config=config)
        if self.key(wanted) == self._key and km.has_kernel and km.provisioner.process.poll() is None:
            self.taken += 1
            return km
        km.discard()
        return None

    async def refill(self, km_class, kernel_name, config, extra_arguments, cells):
        """Start the next kernel ahead for a lesson of these cells (any previous one is stopped)."""
        self.close()
        km = km_class(kernel_name=kernel_name, config=config) if kernel_name else km_class(config=config)
        km.preload = lesson_imports(cells, km.course_packages)
        self._key = self.key(km)
        await km.start_warm(extra_arguments)
        self.started += 1
        self._km = km

    def close(self):
        """Stop the kernel started ahead, if any (at the end of a batch)."""
        km, self._km = self._km, None
        if km is not None:
            km.discard()



POOL = WarmKernels()  # one per grading process
