"""The course on a real JupyterHub, in a real browser: what the README's "On JupyterHub" section
sets up, done by a test.

Three local Unix accounts (two students, one instructor) log in with their passwords (PAM); the
hub (docs/jupyterhub_config.py, configurable-http-proxy) starts each one's JupyterLab as that
account. The exchange is one shared folder; grading on submit (``autograde --watch``) runs as
root, as the README's one-machine set-up does. Both students fetch lesson 1 from the Assignment
List, answer an exercise (one right, one wrong), save and submit; each fetches their own
feedback once it is released, and the seconds from Submit to the feedback on screen are
measured. Then each student tries, from their own account, to list, read and change the other's
submission, feedback and home. The instructor sees formgrader with both submissions.

Screenshots, the hub's log and what was seen and timed land in build/browser-screenshots/
test_a_class_on_jupyterhub/.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from browser.conftest import (
    browser,  # noqa: F401 - a fixture
    chromium_path,  # noqa: F401 - a fixture
    playwright_driver,  # noqa: F401 - a fixture
    screenshot_dir,  # noqa: F401 - a fixture
)
from browser.hub import Hub, ProxyMissing, UserServer, log_in, make_accounts, own, proxy_command, remove_accounts
from browser.lab import (
    REPO_ROOT,
    Screens,
    click_menu,
    find_cell_by_text,
    open_notebook,
    save,
    set_cell_source,
    wait_until,
)
from local_users import as_user, python_reachable

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("useradd", "chpasswd", "bwrap", "setpriv")),
    reason="needs root (local accounts, the hub's PAM log-in) and bubblewrap")]

LESSON, NOTEBOOK = "01-loss-functions", "loss_functions.ipynb"
STUDENTS = {"hub-ann": "right", "hub-ben": "wrong"}
INSTRUCTOR = "hub-ivy"
FEEDBACK_WITHIN = 120  # seconds from Submit to the feedback in the student's Assignment List
L1 = {"right": "def l1_loss(predictions, targets):\n"
               "    if predictions.shape != targets.shape:\n"
               "        raise ValueError('predictions and targets must have the same shape')\n"
               "    return (predictions - targets).abs().mean()\n",
      "wrong": "def l1_loss(predictions, targets):\n"  # the sum, not the mean
               "    return (predictions - targets).abs().sum()\n"}


def autograder(course, exchange, *args):
    return [sys.executable, "-m", "autograder", "--course-dir", str(course), "--source",
            str(REPO_ROOT / "notebooks"), "--exchange", str(exchange), *args]


@pytest.fixture(scope="module")
def hub_class(tmp_path_factory):
    """The accounts, the course (released, published, its folder the instructor's), the Jupyter
    settings of each role, the hub, and grading on submit; all removed afterwards."""
    if os.geteuid() == 0:
        proxy_command()  # as root `make system` installs it: its absence fails the test
    else:
        try:
            proxy_command()
        except ProxyMissing as missing:
            pytest.skip(str(missing))
    base = Path(tempfile.mkdtemp(prefix="jupyterhub-class-"))
    base.chmod(0o755)
    names = [*STUDENTS, INSTRUCTOR]
    folder = REPO_ROOT / "build" / "browser-screenshots" / "test_a_class_on_jupyterhub"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    watcher = None
    try:
        passwords = make_accounts(base, names)
        # formgrader wants the course below its server's root folder: the instructor's home
        course, exchange, student_config = base / INSTRUCTOR / "course", base / "exchange", base / "jupyter-student"
        course.mkdir()
        done = subprocess.run(autograder(course, exchange, "release", "--no-check", "--publish", LESSON),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        for role, config in (("student", student_config), ("instructor", base / INSTRUCTOR / ".jupyter")):
            done = subprocess.run(autograder(course, exchange, "jupyter-setup", role, "--config-dir", str(config)),
                                  capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stdout + done.stderr
        subprocess.run(["chmod", "-R", "a+rX", str(student_config)], check=True)
        own(base / INSTRUCTOR, INSTRUCTOR)  # formgrader runs as the instructor; root grades there
        watch_log = open(folder / "autograde-watch.log", "w")
        watcher = subprocess.Popen(
            autograder(course, exchange, "autograde", "--watch", "--interval", "2", "--workers", "1"),
            cwd=REPO_ROOT, stdout=watch_log, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, COURSE_QUICK="1"))
        spawner = "hub_spawner.ReachablePythonSpawner" if python_reachable(base) else None
        with Hub(base / "hub", STUDENTS, [INSTRUCTOR], student_config, folder / "jupyterhub.log",
                 spawner=spawner) as hub:
            yield hub, passwords, course, exchange, base, folder
    finally:
        if watcher is not None:
            os.killpg(watcher.pid, signal.SIGTERM)
            watcher.wait(60)
        remove_accounts(names)
        shutil.rmtree(base, ignore_errors=True)


def _student_submits(browser, hub, name, password, answer, folder):  # noqa: F811 - a fixture's name
    """Log in, fetch, answer, save, submit; returns (context, page, shots, server, seen, Submit's time)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    shots = Screens(page, folder / name)
    seen = {"log_in_s": log_in(page, hub, name, password)}
    server = UserServer(page, hub, name)
    page.locator("#jp-MainMenu .lm-MenuBar-item", has_text="Nbgrader").click()
    seen["menu"] = [t.strip() for t in page.locator(".lm-Menu .lm-Menu-itemLabel").all_text_contents() if t.strip()]
    page.keyboard.press("Escape")
    click_menu(page, "Nbgrader", "nbgrader:open-assignment-list")
    page.locator("#released_assignments_list button", has_text="Fetch").click()
    page.locator("#fetched_assignments_list button", has_text="Submit").wait_for()
    shots.shot("fetched")
    open_notebook(page, server, f"{LESSON}/{NOTEBOOK}")
    set_cell_source(page, find_cell_by_text(page, "def l1_loss("), L1[answer])
    save(page)
    shots.shot("answered")
    click_menu(page, "Nbgrader", "nbgrader:open-assignment-list")
    submitted = time.monotonic()
    page.locator("#fetched_assignments_list button", has_text="Submit").click()
    page.locator("#submitted_assignments_list .list_item", has_text=LESSON).first.wait_for()
    seen["submitted_row"] = page.locator("#submitted_assignments_list").text_content()
    shots.shot("submitted")
    return context, page, shots, server, seen, submitted


def _fetch_feedback(page, shots, server, seen, submitted):
    """Refresh the Assignment List until the feedback can be fetched, fetch it, open it; the
    seconds since Submit go to seen["submit_to_feedback_s"]."""
    submissions = page.locator("#submitted_assignments_list")
    deadline = submitted + FEEDBACK_WITHIN + 60
    while "(feedback available to fetch)" not in (submissions.text_content() or ""):
        assert time.monotonic() < deadline, submissions.text_content()
        page.locator("#refresh_assignments_list").click()
        time.sleep(2)
    submissions.locator("button", has_text="Fetch Feedback").first.click()
    link = submissions.locator("a", has_text="view feedback").first
    link.wait_for()
    seen["submit_to_feedback_s"] = round(time.monotonic() - submitted, 1)
    shots.shot("feedback-fetched")
    folders = server.api(f"contents/{LESSON}/feedback")["content"]
    seen["feedback_folders"] = [f["name"] for f in folders]
    (html,) = [f["path"] for f in server.api(f"contents/{folders[0]['path']}")["content"]
               if f["name"].endswith(".html")]
    page.goto(server.url("files/" + html))
    page.locator("body").wait_for()
    seen["feedback_text"] = page.locator("body").text_content()
    shots.shot("feedback-page", full_page=False)


def _peeks(base, exchange, me, other):
    """What ``me`` gets, from their own account, trying the other student's files (True: allowed)."""
    inbound = exchange / "mlp-course" / "inbound"
    theirs = next(inbound.glob(f"{other}+{LESSON}+*"))
    feedback = [p for p in (exchange / "mlp-course" / "feedback").glob("*.html") if p.owner() == other]
    assert len(feedback) == 1, feedback  # released to the exchange, the other student's own
    tries = {
        "list the exchange's submissions": ["ls", str(inbound)],
        "list the exchange's feedback": ["ls", str(feedback[0].parent)],
        "list the other's submission": ["ls", str(theirs)],
        "read the other's notebook": ["cat", str(theirs / NOTEBOOK)],
        "add a file to the other's submission": ["touch", str(theirs / "planted.txt")],
        "read the other's feedback": ["cat", str(feedback[0])],
        "replace the other's feedback": ["cp", "/dev/null", str(feedback[0])],
        "list the other's home": ["ls", str(base / other)],
        "read the other's lesson copy": ["cat", str(base / other / LESSON / NOTEBOOK)],
        # the same account reaches its own files: the refusals above are not a broken as_user
        "(control) read my own submission": ["cat", str(next(inbound.glob(f"{me}+{LESSON}+*")) / NOTEBOOK)],
        "(control) read my own lesson copy": ["cat", str(base / me / LESSON / NOTEBOOK)],
    }
    return {what: as_user(me, base / me, *command).returncode == 0 for what, command in tries.items()}


def test_a_class_on_jupyterhub(hub_class, browser):  # noqa: F811 - fixtures
    hub, passwords, course, exchange, base, folder = hub_class
    seen = {"hub_start_s": round(hub.start_seconds, 1)}
    opened = {}
    try:
        for name, answer in STUDENTS.items():
            opened[name] = _student_submits(browser, hub, name, passwords[name], answer, folder)
        for name, (_, page, shots, server, student_seen, submitted) in opened.items():
            _fetch_feedback(page, shots, server, student_seen, submitted)
            seen[name] = student_seen
        for me, other in ((a, b) for a in STUDENTS for b in STUDENTS if a != b):
            seen[f"{me} tries {other}'s files"] = _peeks(base, exchange, me, other)

        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.set_default_timeout(60_000)
        shots = Screens(page, folder / INSTRUCTOR)
        seen[INSTRUCTOR] = {"log_in_s": log_in(page, hub, INSTRUCTOR, passwords[INSTRUCTOR])}
        page.locator("#jp-MainMenu .lm-MenuBar-item", has_text="Nbgrader").click()
        seen[INSTRUCTOR]["menu"] = [t.strip() for t in page.locator(".lm-Menu .lm-Menu-itemLabel").all_text_contents()
                                    if t.strip()]
        page.keyboard.press("Escape")
        server = UserServer(page, hub, INSTRUCTOR)
        page.goto(server.url(f"formgrader/manage_submissions/{LESSON}"))
        try:
            wait_until(lambda: all(name in (page.locator("body").text_content() or "") for name in STUDENTS),
                       60, "both submissions in formgrader")
        finally:
            shots.shot("formgrader-submissions")
        seen[INSTRUCTOR]["formgrader"] = page.locator("body").text_content()
        context.close()
    finally:
        for context, _, shots, *_ in opened.values():
            shots.write_console()
            context.close()
        (folder / "seen.json").write_text(json.dumps(
            {k: ({kk: vv for kk, vv in v.items() if kk not in ("feedback_text", "formgrader")}
                 if isinstance(v, dict) else v) for k, v in seen.items()}, indent=2) + "\n")

    for name, answer in STUDENTS.items():
        student = seen[name]
        assert student["menu"] == ["Assignment List"], student["menu"]
        assert student["submit_to_feedback_s"] < FEEDBACK_WITHIN, student
        # the submission named by its time, saying there is no feedback until there is
        assert re.search(r"submitted \d{4}-\d\d-\d\d at [\d.]{8} UTC \(no feedback released yet\)",
                         student["submitted_row"]), student["submitted_row"]
        (folder,) = student["feedback_folders"]
        assert folder.startswith("submitted "), student
        text = student["feedback_text"]
        verdict, points = ("PASS", "2.0 / 2.0") if answer == "right" else ("FAIL", "0.0 / 2.0")
        assert f"[{verdict}] Exercise 1: l1_loss" in text, text[:3000]
        assert text.split("Test cell (Score: ", 1)[1].startswith(points + ")"), text[:3000]
        assert "BEGIN HIDDEN TESTS" not in student["feedback_text"]
    for me, other in ((a, b) for a in STUDENTS for b in STUDENTS if a != b):
        tried = seen[f"{me} tries {other}'s files"]
        controls = [what for what in tried if what.startswith("(control)")]
        assert [what for what, ok in tried.items() if ok] == controls, tried
    assert "Formgrader" in seen[INSTRUCTOR]["menu"], seen[INSTRUCTOR]["menu"]
    assert all(name in seen[INSTRUCTOR]["formgrader"] for name in STUDENTS)
