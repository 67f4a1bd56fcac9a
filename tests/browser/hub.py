"""A real JupyterHub for the browser tests: local Unix accounts with passwords, the hub started
with docs/jupyterhub_config.py (PAM, LocalProcessSpawner, configurable-http-proxy), and the
gestures of a user of it (log in, reach one's own server's API with the browser's cookies).
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from browser.lab import POLL, REPO_ROOT, free_port

HUB_CONFIG = REPO_ROOT / "docs" / "jupyterhub_config.py"
TESTS = REPO_ROOT / "tests"


class ProxyMissing(RuntimeError):
    """configurable-http-proxy is not installed."""


def proxy_command() -> str:
    found = shutil.which("configurable-http-proxy")
    if not found:
        raise ProxyMissing("configurable-http-proxy is not installed: `make system` installs it "
                           "(Debian's nodejs and npm, then npm install -g configurable-http-proxy)")
    return found


def make_accounts(base: Path, names) -> dict[str, str]:
    """Local accounts ``names`` with homes below ``base`` (each 0700, as a class's should be)
    and fresh passwords; returns {name: password}."""
    passwords = {}
    for name in names:
        remove_accounts([name])
        home = base / name
        subprocess.run(["useradd", "--home-dir", str(home), "--create-home", "--shell", "/bin/bash",
                        name], check=True, capture_output=True)
        home.chmod(0o700)
        passwords[name] = secrets.token_urlsafe(12)
        subprocess.run(["chpasswd"], input=f"{name}:{passwords[name]}\n", text=True, check=True,
                       capture_output=True)
    return passwords


def remove_accounts(names) -> None:
    for name in names:
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        subprocess.run(["userdel", name], capture_output=True)


def own(path: Path, name: str) -> None:
    """Give ``path`` and everything below it to the account ``name``."""
    shutil.chown(path, name, name)
    for child in path.rglob("*"):
        shutil.chown(child, name, name)


class Hub:
    """``jupyterhub -f docs/jupyterhub_config.py`` on 127.0.0.1 with free ports, as a context
    manager. ``spawner``: an import name replacing the config's spawner (None: keep it)."""

    def __init__(self, state: Path, students, instructors, student_config: Path, log_path: Path,
                 spawner=None):
        self.state, self.student_config = Path(state), Path(student_config)
        self.students, self.instructors = list(students), list(instructors)
        self.log_path, self.spawner = Path(log_path), spawner
        self.port = None
        self.process = None
        self.start_seconds = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Hub":
        self.state.mkdir(parents=True, exist_ok=True)
        config = self.state / "jupyterhub_config.py"
        lines = ["c = get_config()  # noqa: F821", f"load_subconfig({str(HUB_CONFIG)!r})  # noqa: F821"]
        if self.spawner:
            lines.append(f"c.JupyterHub.spawner_class = {self.spawner!r}")
        config.write_text("\n".join(lines) + "\n")
        self.port = free_port()
        env = dict(os.environ, COURSE_HUB_STUDENTS=" ".join(self.students),
                   COURSE_HUB_INSTRUCTORS=" ".join(self.instructors),
                   COURSE_HUB_STUDENT_CONFIG=str(self.student_config), COURSE_HUB_PORT=str(self.port),
                   COURSE_HUB_API_PORT=str(free_port()), COURSE_HUB_PROXY_API_PORT=str(free_port()),
                   COURSE_HUB_STATE=str(self.state), PYTHONPATH=str(TESTS),
                   PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        started = time.monotonic()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("jupyterhub")), "-f", str(config)], cwd=self.state,
            env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(self.url + "/hub/api", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() - started > 90:
                self.stop()
                raise TimeoutError(f"jupyterhub did not answer within 90 s:\n{self.log_tail()}")
            time.sleep(POLL)
        self.start_seconds = time.monotonic() - started
        return self

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM: the hub stops the users' servers and its proxy, then exits."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()
        self.process = None

    def __enter__(self) -> "Hub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class UserServer:
    """One user's server behind the hub, reached with the browser's cookies (what
    browser.lab.open_notebook needs of a server)."""

    def __init__(self, page, hub: Hub, name: str):
        self.page, self.hub, self.name = page, hub, name

    @property
    def base_url(self) -> str:
        return f"{self.hub.url}/user/{self.name}/"

    def url(self, path: str = "lab") -> str:
        return self.base_url + path.lstrip("/")

    def notebook_url(self, path) -> str:
        return self.url("lab/tree/" + quote(str(path)))

    def api(self, path: str):
        answer = self.page.context.request.get(self.base_url + "api/" + path.lstrip("/"))
        if not answer.ok:
            raise RuntimeError(f"GET api/{path}: {answer.status} {answer.text()[:300]}")
        return answer.json()


def log_in(page, hub: Hub, name: str, password: str, timeout: float = 180.0) -> float:
    """Log in on the hub's page; return the seconds until the user's JupyterLab shows its menu
    (the hub starts the server meanwhile)."""
    started = time.monotonic()
    page.goto(hub.url + "/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.locator("#jp-MainMenu").wait_for(timeout=timeout * 1000)
    return time.monotonic() - started
