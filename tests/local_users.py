"""Commands run as another local user than root: a student, or an attacker on the machine."""
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.kernel_env import REFERENCE_CPU_KERNELS, THREAD_SETTINGS


def as_user(name, home, *command, config=None, timeout=120, env=None):
    """``command`` run as the local user ``name`` with ``home``, as its JupyterLab would run it
    (``config``: its JUPYTER_CONFIG_DIR; ``env``: more variables)."""
    user = pwd.getpwnam(name)
    extra, env = env, {"PATH": os.environ["PATH"], "HOME": str(home), "USER": name, "LOGNAME": name,
                       "LANG": "C.UTF-8"}
    if config:
        env["JUPYTER_CONFIG_DIR"] = str(config)
    # the kernels share the cores as this test run's do: two xdist workers' kernels spinning on
    # two threads each made a lesson five times slower than alone
    env.update({k: os.environ[k] for k in (*THREAD_SETTINGS, *REFERENCE_CPU_KERNELS) if k in os.environ})
    env.update(extra or {})
    drop = [shutil.which("setpriv"), f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
            "--clear-groups", "--"]
    return subprocess.run([*python_reachable(home), *drop, *command], cwd=home, env=env,
                          capture_output=True, text=True, timeout=timeout)


def python_reachable(home):
    """bwrap arguments that let another user run this Python when it sits below a folder only
    root may enter (pyenv in /root): that folder is replaced by one holding the Python alone."""
    closed = [p for p in Path(sys.base_prefix).parents
              if str(p) != "/" and not p.stat().st_mode & 0o001]
    if not closed:
        return []
    top = closed[-1]
    # the folders between it and the Python are made afresh, open to all (bwrap would make them 0700)
    between = [a for p in reversed(Path(sys.base_prefix).parents) if top in p.parents for a in ("--dir", str(p))]
    return [shutil.which("bwrap"), "--dev-bind", "/", "/", "--tmpfs", str(top), *between,
            "--ro-bind", sys.base_prefix, sys.base_prefix, "--chdir", str(home), "--"]
