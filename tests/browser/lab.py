"""Helpers for real-browser tests: a throwaway JupyterLab server, Debian's Chromium driven by
Playwright (sync API), numbered screenshots, and the JupyterLab 4 UI gestures a student makes.

The DOM that the helpers read is JupyterLab 4's own (checked against the installed
``share/jupyter/lab/static`` bundle):

- a notebook is a ``.jp-NotebookPanel`` holding a ``.jp-Notebook`` of ``.jp-Cell`` widgets;
  code cells are ``.jp-CodeCell``, their prompt ``.jp-InputArea-prompt`` reads ``[ ]:`` before a
  run, ``[*]:`` while queued or running and ``[12]:`` after;
- outputs are ``.jp-OutputArea-output`` elements;
- the notebook toolbar's ``.jp-Notebook-ExecutionIndicator`` carries the kernel status in
  ``data-status`` (``idle``, ``busy``, ``starting``, ``unknown``...);
- a document with unsaved changes has ``jp-mod-dirty`` on its tab in the main dock panel (cells
  use the same class for "edited since run", so only the tab is looked at);
- Lab 4.6 renders every cell with ``content-visibility: auto`` (the default windowing mode), so
  off-screen cells are in the DOM but may not be laid out: text is read with ``textContent``,
  never ``innerText``.

``window.jupyterapp`` is not exposed in Lab 4, so everything goes through the UI: the main
menu, keyboard shortcuts and the editors.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

from course_utils.progress import SWITCHES_OFF

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_ROOT = REPO_ROOT / "build" / "browser-screenshots"
DEBIAN_CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1400, "height": 900}
POLL = 0.25  # seconds between two looks at the page or the server

# The notebook panel that is on screen (one per open notebook; hidden tabs are not visible).
PANEL = "#jp-main-dock-panel .jp-NotebookPanel:visible"
CELL = ".jp-Notebook .jp-Cell"
CODE_PROMPT = ".jp-CodeCell .jp-InputArea-prompt"
INDICATOR = ".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator"
RAN = re.compile(r"^\[\d+\]:$")


class ChromiumMissing(RuntimeError):
    """Debian's Chromium is not installed."""


def chromium_executable() -> str:
    """The Debian Chromium that the browser tests drive (Playwright's own download is not used).

    ``/usr/bin/chromium`` is Debian's launcher script; it sources /etc/chromium.d and execs
    /usr/lib/chromium/chromium, and Playwright drives it through ``executable_path``."""
    for candidate in (DEBIAN_CHROMIUM, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ChromiumMissing(
        f"Debian's Chromium is not installed ({DEBIAN_CHROMIUM} not found). `make system` "
        "installs it (as root: apt-get install chromium); the browser tests need it.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def jupyter_lab_command() -> list[str]:
    """``jupyter-lab`` of this interpreter's environment (the venv), else
    ``python -m jupyterlab``."""
    script = Path(sys.executable).with_name("jupyter-lab")
    return [str(script)] if script.exists() else [sys.executable, "-m", "jupyterlab"]


# ---------------------------------------------------------------------------------------------
# Processes: the server and whatever it started (kernels run in sessions of their own)

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _start_ticks(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[19]
    except OSError:
        return None


def descendants(pid: int) -> dict[int, str]:
    """Every process below ``pid``, with its start time (so a reused pid is never signalled)."""
    tree, found, todo = _children(), {}, [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            ticks = _start_ticks(child)
            if ticks is not None and child not in found:
                found[child] = ticks
                todo.append(child)
    return found


def alive(pid: int, ticks: str) -> bool:
    """Whether ``pid`` still runs (not a zombie) and is the process that started at ``ticks``."""
    if _start_ticks(pid) != ticks:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


class LabServer:
    """``jupyter lab`` on 127.0.0.1, as a context manager::

        with LabServer(root_dir) as server:
            page.goto(server.url("lab/tree/lesson.ipynb"))

    The server gets a temporary HOME of its own (Jupyter's data and runtime folders, IPython's
    profile and matplotlib's cache below it), ``config_dir`` as JUPYTER_CONFIG_DIR (default: a
    fresh folder, so Lab starts with default settings and workspace: the environment's, which
    fetch no news, see ``autograder/jupyter-config``), none of course_utils.progress's ``SWITCHES_OFF`` (the
    kernels show progress bars as a student's do), then ``env`` on top (a value of None removes
    the variable). ``cwd`` is the folder the command starts from (default: root_dir), ``prefix``
    the server's base URL path (JupyterHub serves /user/<name>/). ``start_seconds`` is how long
    the server took to answer ``/api/status``; the log goes to ``log_path`` (default:
    ``jupyter-server.log`` in the temporary folder). On exit the kernels are shut down, then
    the server's process group gets SIGTERM, then SIGKILL, and so does every
    process the server started (kernels run in sessions of their own).
    """

    def __init__(self, root_dir, *, config_dir=None, env=None, cwd=None, token=None,
                 log_path=None, extra_args=(), startup_timeout=90.0, prefix="/"):
        self.root_dir = Path(root_dir).resolve()
        self.prefix = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"
        self.config_dir = Path(config_dir) if config_dir is not None else None
        self.extra_env = dict(env or {})
        self.cwd = Path(cwd) if cwd is not None else self.root_dir
        self.token = token or secrets.token_hex(16)
        self.log_path = Path(log_path) if log_path is not None else None
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.port = None
        self.process = None
        self.start_seconds = None
        self.home = None
        self._tmp = None
        self._log = None

    # -- addresses
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def url(self, path: str = "lab", **query) -> str:
        """``base_url + path`` with the token (and ``query``) in the query string."""
        return self.base_url + path.lstrip("/") + "?" + urlencode({**query, "token": self.token})

    def notebook_url(self, path: str) -> str:
        return self.url("lab/tree/" + quote(str(path)))

    def api(self, path: str, method: str = "GET", timeout: float = 5.0):
        """The JSON answer of a REST call (``api("kernels")``...)."""
        request = urllib.request.Request(self.base_url + "api/" + path.lstrip("/"), method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        for switch in SWITCHES_OFF:  # a student's server has none of them
            env.pop(switch, None)
        home = self.home
        config = self.config_dir or Path(self._tmp) / "jupyter-config"
        config.mkdir(parents=True, exist_ok=True)
        data = home / ".local" / "share" / "jupyter"
        env.update({
            "HOME": str(home),
            "JUPYTER_CONFIG_DIR": str(config),
            "JUPYTER_DATA_DIR": str(data),
            "JUPYTER_RUNTIME_DIR": str(data / "runtime"),
            "IPYTHONDIR": str(home / ".ipython"),
            "MPLCONFIGDIR": str(home / ".config" / "matplotlib"),
            # the venv's jupyter, python and pip first, as in an activated environment
            "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
        })
        for key, value in self.extra_env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = str(value)
        return env

    # -- life cycle
    def start(self) -> "LabServer":
        self._tmp = tempfile.mkdtemp(prefix="course-lab-")
        self.home = Path(self._tmp) / "home"
        self.home.mkdir()
        if self.log_path is None:
            self.log_path = Path(self._tmp) / "jupyter-server.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        command = jupyter_lab_command() + [
            "--no-browser", "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root_dir}",
            f"--ServerApp.base_url={self.prefix}",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI and containers run as root
            *self.extra_args]
        self._log = open(self.log_path, "w")
        started = time.monotonic()
        self.process = subprocess.Popen(command, cwd=self.cwd, env=self.environment(),
                                        stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_until_up(started)
        except BaseException:
            self.stop()
            raise
        self.start_seconds = time.monotonic() - started
        return self

    def _wait_until_up(self, started: float) -> None:
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode} before it "
                                   f"answered:\n{self.log_tail()}")
            try:
                self.api("status", timeout=2)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() - started > self.startup_timeout:
                raise TimeoutError(f"jupyter lab did not answer /api/status within "
                                   f"{self.startup_timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(POLL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, AttributeError):
            return ""

    def stop(self, grace: float = 10.0) -> None:
        if self.process is None:
            return
        # before anything stops: a kernel's own children outlive it, adopted by init
        started = descendants(self.process.pid)
        if self.process.poll() is None:
            try:  # the polite way first: the kernels shut down by the server
                for kernel in self.api("kernels", timeout=3):
                    self.api(f"kernels/{kernel['id']}", method="DELETE", timeout=10)
            except Exception:  # noqa: BLE001 - the server may already be gone: the process is stopped next
                pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        try:  # whatever is left of the group, the server included
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        for pid, ticks in started.items():  # kernels and their children, in their own sessions
            if alive(pid, ticks):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if self._log is not None:
            self._log.close()
            self._log = None
        self.process = None

    def __enter__(self) -> "LabServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Browser: launch, screenshots, console

def launch_chromium(playwright, **options):
    """Debian's Chromium, headless, through Playwright's ``executable_path``."""
    return playwright.chromium.launch(executable_path=chromium_executable(), headless=True,
                                      **options)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:80] or "step"


class Screens:
    """Numbered screenshots ``NN-<step>.png`` of ``page`` in ``folder`` (created; its old pngs
    removed), and the page's console messages, written by ``write_console()``."""

    def __init__(self, page, folder):
        self.page = page
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0
        self.console: list[str] = []
        self.errors: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"[pageerror] {error}"))

    def _on_console(self, message) -> None:
        location = message.location or {}
        where = f" ({location.get('url', '')}:{location.get('lineNumber', '')})" if location else ""
        line = f"[{message.type}] {message.text}{where}"
        self.console.append(line)
        if message.type == "error":
            self.errors.append(line)

    def shot(self, step: str, full_page: bool = False) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{slug(step)}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def write_json(self, name: str, data) -> Path:
        path = self.folder / name
        path.write_text(json.dumps(data, indent=2) + "\n")
        return path

    def write_console(self) -> None:
        (self.folder / "console-errors.txt").write_text("".join(f"{e}\n" for e in self.errors))
        (self.folder / "console.txt").write_text("".join(f"{m}\n" for m in self.console))


# ---------------------------------------------------------------------------------------------
# JupyterLab UI

def wait_until(condition, timeout: float, what: str, describe=None):
    """Poll ``condition()`` every POLL seconds until it returns something true; return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            state = f"; last state: {describe()}" if describe else ""
            raise TimeoutError(f"{what} not within {timeout:.0f} s{state}")
        time.sleep(POLL)


def notebook_panel(page):
    return page.locator(PANEL)


def kernel_status(page) -> str | None:
    """The kernel status of the notebook on screen (``idle``, ``busy``, ...), None without one."""
    indicator = notebook_panel(page).locator(INDICATOR)
    return indicator.get_attribute("data-status") if indicator.count() else None


def wait_kernel_idle(page, timeout: float = 60.0) -> None:
    wait_until(lambda: kernel_status(page) == "idle", timeout, "kernel idle",
               lambda: kernel_status(page))


def open_notebook(page, server: LabServer, path, timeout: float = 90.0) -> float:
    """Open ``path`` (relative to the server's root_dir) and wait until the notebook is ready
    to use; return the seconds from navigation to then.

    Ready means: every cell of the file is in the DOM (Lab attaches them in batches over a few
    seconds, and only attached cells can be read), the server's kernel for the notebook has a
    browser connected, and the toolbar has shown ``idle`` on two polls in a row (it flips
    ``idle`` -> ``connecting`` -> ``idle`` while the kernel connection comes up)."""
    started = time.monotonic()
    deadline = started + timeout
    cells = len(server.api("contents/" + quote(str(path)))["content"]["cells"])
    page.goto(server.notebook_url(path), timeout=timeout * 1000)
    panel = notebook_panel(page)
    panel.locator(CELL).first.wait_for(state="visible", timeout=timeout * 1000)
    wait_until(lambda: panel.locator(CELL).count() >= cells, deadline - time.monotonic(),
               f"all {cells} cells in the page", lambda: f"{panel.locator(CELL).count()} cells")
    wait_until(lambda: _kernel_connected(server, path), deadline - time.monotonic(),
               "a kernel connected to the notebook", lambda: server.api("sessions"))
    idle_polls = 0

    def settled():
        nonlocal idle_polls
        idle_polls = idle_polls + 1 if kernel_status(page) == "idle" else 0
        return idle_polls >= 2

    wait_until(settled, deadline - time.monotonic(), "kernel idle", lambda: kernel_status(page))
    return time.monotonic() - started


def _kernel_connected(server: LabServer, path) -> bool:
    for session in server.api("sessions"):
        if session.get("path") == str(path) and session.get("kernel"):
            kernel = server.api("kernels/" + session["kernel"]["id"])
            return kernel.get("connections", 0) > 0 and kernel.get("execution_state") == "idle"
    return False


_STATE_JS = """(panel) => ({
    prompts: [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
        .map(p => p.textContent.trim()),
    status: (panel.querySelector('.jp-Notebook-ExecutionIndicator') || {dataset: {}})
        .dataset.status || null,
})"""


def execution_state(page) -> dict:
    """The prompts of the code cells (``[3]:``, ``[*]:``, ``[ ]:``) and the kernel status."""
    return notebook_panel(page).evaluate(_STATE_JS)


def click_menu(page, menu: str, command: str) -> None:
    """Open the main menu ``menu`` ("Run", "File"...) and click its item for ``command``
    (a JupyterLab command id: ``runmenu:run-all`` is "Run All Cells", ``docmanager:save``...;
    the items carry it in ``data-command``)."""
    page.locator("#jp-MainMenu .lm-MenuBar-item").filter(
        has=page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$"))
    ).click()
    item = page.locator(f".lm-Menu .lm-Menu-item[data-command='{command}']")
    item.wait_for(state="visible")
    item.click()


def run_all(page, timeout: float = 600.0) -> float:
    """Run > Run All Cells, then wait until no cell is queued or running and the kernel is
    idle; return the seconds from the click to then.

    Run All marks every code cell ``[*]`` at once; ipykernel reports ``idle`` after each
    request, so idle alone is no proof of the end, and no ``[*]`` alone could be the state
    before the click landed: both are needed, after the run was seen to start."""
    before = execution_state(page)["prompts"]
    started = time.monotonic()
    click_menu(page, "Run", "runmenu:run-all")
    state = {}
    seen_start = False
    idle_polls = 0

    def finished():
        nonlocal seen_start, idle_polls, state
        state = execution_state(page)
        prompts = state["prompts"]
        seen_start = seen_start or "[*]:" in prompts or prompts != before
        if seen_start and "[*]:" not in prompts and state["status"] == "idle":
            idle_polls += 1
        else:
            idle_polls = 0
        return idle_polls >= 2

    wait_until(finished, timeout, "Run All to finish", lambda: _summary(state))
    return time.monotonic() - started


def _summary(state: dict) -> str:
    prompts = state.get("prompts", [])
    queued = sum(p == "[*]:" for p in prompts)
    ran = sum(bool(RAN.match(p)) for p in prompts)
    return f"{ran} ran, {queued} queued of {len(prompts)} code cells, kernel {state.get('status')}"


# textContent, which does not depend on layout, without the <style> and <script> elements
# that rich outputs carry (a pandas table's CSS)
_OUTPUT_TEXT_JS = """(outputs) => outputs.map(output => {
    const copy = output.cloneNode(true);
    copy.querySelectorAll('style, script').forEach(e => e.remove());
    return copy.textContent;
})"""


def cell_outputs_text(page, index_or_locator=None) -> str:
    """The text of every output of the notebook on screen (or of one cell), one output per
    line."""
    scope = notebook_panel(page) if index_or_locator is None else cell(page, index_or_locator)
    return "\n".join(scope.locator(".jp-OutputArea-output").evaluate_all(_OUTPUT_TEXT_JS))


def code_prompts(page) -> list[str]:
    return execution_state(page)["prompts"]


def last_code_cell_ran(page) -> bool:
    """Whether the last code cell shows an execution count."""
    prompts = code_prompts(page)
    return bool(prompts) and bool(RAN.match(prompts[-1]))


def cell(page, index_or_locator):
    """A cell: its index among all cells (as in the .ipynb), or a Locator, returned as is."""
    if isinstance(index_or_locator, int):
        return notebook_panel(page).locator(CELL).nth(index_or_locator)
    return index_or_locator


# The source of a cell: CodeMirror 6's document when the editor is there (its content DOM
# carries the view as ``cmView.view``; CM renders only the lines in its viewport), else the
# rendered lines, else (a rendered Markdown cell) the rendered text.
_SOURCE_JS = """(cell) => {
    const content = cell.querySelector('.jp-InputArea-editor .cm-content');
    const view = content && content.cmView && content.cmView.view;
    if (view && view.state) return view.state.doc.toString();
    if (content) {
        return [...content.querySelectorAll('.cm-line')].map(l => l.textContent).join('\\n');
    }
    const rendered = cell.querySelector('.jp-RenderedMarkdown');
    return rendered ? rendered.textContent : '';
}"""


def cell_source(page, index_or_locator) -> str:
    return cell(page, index_or_locator).evaluate(_SOURCE_JS)


def find_cell_by_text(page, substring: str):
    """The first cell whose source contains ``substring`` (a Locator); LookupError if none."""
    sources = notebook_panel(page).locator(CELL).evaluate_all(f"cells => cells.map({_SOURCE_JS})")
    for index, source in enumerate(sources):
        if substring in source:
            return notebook_panel(page).locator(CELL).nth(index)
    raise LookupError(f"no cell contains {substring!r} ({len(sources)} cells)")


def set_cell_source(page, index_or_locator, text: str) -> None:
    """Replace the source of a code cell: click into its editor, select all, delete, then
    insert ``text`` as one input (no auto-indent, no bracket closing)."""
    target = cell(page, index_or_locator)
    target.scroll_into_view_if_needed()
    editor = target.locator(".jp-InputArea-editor .cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    if text:
        page.keyboard.insert_text(text)
    wait_until(lambda: cell_source(page, target) == text, 10, "the new cell source",
               lambda: repr(cell_source(page, target)[:200]))


def run_cell(page, index_or_locator, timeout: float = 300.0) -> float:
    """Run one cell with Ctrl+Enter (it stays selected), wait until it shows a new execution
    count and the kernel is idle (its outputs are then in); return the seconds it took."""
    target = cell(page, index_or_locator)
    prompt = target.locator(".jp-InputArea-prompt")
    before = prompt.text_content().strip()
    target.scroll_into_view_if_needed()
    target.locator(".jp-InputArea-editor .cm-content").click()
    started = time.monotonic()
    page.keyboard.press("Control+Enter")

    def done():
        now = prompt.text_content().strip()
        return RAN.match(now) and now != before and kernel_status(page) == "idle"

    wait_until(done, timeout, "the cell to run",
               lambda: f"prompt {prompt.text_content().strip()}, kernel {kernel_status(page)}")
    return time.monotonic() - started


def _tab(page, name=None):
    """The notebook's tab in the main dock panel: the current one, or the one labelled ``name``."""
    tabs = page.locator("#jp-main-dock-panel .lm-TabBar-tab")
    if name is None:
        return tabs.and_(page.locator(".lm-mod-current")).first
    return tabs.filter(has=page.locator(".lm-TabBar-tabLabel", has_text=name)).first


def is_dirty(page, name: str | None = None) -> bool:
    """Whether the notebook's tab (the current one, or the one labelled ``name``) shows
    unsaved changes."""
    classes = _tab(page, name).get_attribute("class") or ""
    return "jp-mod-dirty" in classes.split()


def save(page, name: str | None = None, timeout: float = 30.0) -> None:
    """Ctrl+S (JupyterLab binds it on the whole page, in edit and command mode), then wait
    until the notebook's tab is no longer dirty."""
    page.keyboard.press("Control+s")
    wait_until(lambda: not is_dirty(page, name), timeout, "the notebook to be saved")
