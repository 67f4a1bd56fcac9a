"""The spawner tests/test_jupyterhub.py gives the hub on a machine whose Python sits below a
folder only root may enter (pyenv under /root, as on CI).

It is docs/jupyterhub_config.py's LocalProcessSpawner, except that each user's server starts in
bubblewrap, which shows it that Python alone (tests/local_users.python_reachable), and drops to
the user there with setpriv, instead of the spawner's own setuid. Where every user can run the
course's Python, the test keeps LocalProcessSpawner as it is.
"""
import pwd
import shutil

from jupyterhub.spawner import LocalProcessSpawner
from local_users import python_reachable


class ReachablePythonSpawner(LocalProcessSpawner):
    def make_preexec_fn(self, name):
        return None  # setpriv drops to the user, inside the sandbox

    async def start(self):
        user = pwd.getpwnam(self.user.name)
        drop = [shutil.which("setpriv"), f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}",
                "--init-groups", "--"]
        base = getattr(self, "_base_cmd", None) or list(self.cmd)
        self._base_cmd = base
        wrap = python_reachable(user.pw_dir)
        if wrap:  # the server dies with bwrap, which the hub stops
            wrap.insert(1, "--die-with-parent")
        self.cmd = [*wrap, *drop, *base]
        return await super().start()
