"""The course in JupyterLab, end to end, in a real browser (Debian's Chromium driven by
Playwright): the exchange on 127.0.0.1 in a temporary home, a student who fetches lesson 1,
runs it all, answers one exercise right and one wrong, writes a written answer, validates and
submits; an instructor who collects and autogrades, gives points to the written answer in
formgrader with the network blocked, and exports.

Screenshots (one per step), the console messages, the servers' logs and the timings a user
feels (timings.json) land in build/browser-screenshots/<test name>/, CI's artifacts.
"""
import csv
import shutil
import subprocess
import sys
import time

import pytest

# pytest fixtures, requested by name
from browser.conftest import (
    browser,  # noqa: F401 - a fixture
    browser_page,  # noqa: F401 - a fixture
    chromium_path,  # noqa: F401 - a fixture
    playwright_driver,  # noqa: F401 - a fixture
    screens,  # noqa: F401 - a fixture
    screenshot_dir,  # noqa: F401 - a fixture
)
from browser.lab import (
    REPO_ROOT,
    LabServer,
    cell_outputs_text,
    click_menu,
    find_cell_by_text,
    is_dirty,
    last_code_cell_ran,
    open_notebook,
    run_all,
    run_cell,
    save,
    set_cell_source,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LESSON = "01-loss-functions"
NOTEBOOK = "loss_functions.ipynb"
STUDENT = "alice"
WRITTEN = "q1-nll-relu-answer"
MANUAL_POINTS = 1.5
RIGHT_L1 = ("def l1_loss(predictions, targets):\n"
            "    if predictions.shape != targets.shape:\n"
            "        raise ValueError('predictions and targets must have the same shape')\n"
            "    return (predictions - targets).abs().mean()\n")
WRONG_MSE = ("def mse_loss(predictions, targets):\n"  # the sum, not the mean
             "    if predictions.shape != targets.shape:\n"
             "        raise ValueError('predictions and targets must have the same shape')\n"
             "    return ((predictions - targets) ** 2).sum()\n")
ANSWER_TEXT = ("NLLLoss takes no logarithm: it averages $-x_{i, y_i}$, so a ReLU output can grow "
               "without bound and the loss falls below zero; use $\\log \\mathrm{softmax}$.")


def autograder(course, exchange, *args):
    command = [sys.executable, "-m", "autograder", "--course-dir", str(course),
               "--source", str(REPO_ROOT / "notebooks"), "--exchange", str(exchange), *args]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def menu_labels(page, menu):
    """The item labels of a main-menu menu, which is left open (Escape closes it)."""
    page.locator("#jp-MainMenu .lm-MenuBar-item", has_text=menu).click()
    items = page.locator(".lm-Menu .lm-Menu-itemLabel")
    items.first.wait_for(state="visible")
    return [label.strip() for label in items.all_text_contents() if label.strip()]


def outputs_of(cell):
    return "\n".join(cell.locator(".jp-OutputArea-output").all_text_contents())


def set_markdown(page, cell, text):
    """Edit a Markdown cell as a student does: double-click, replace, Shift+Enter renders it."""
    cell.scroll_into_view_if_needed()
    cell.dblclick()
    editor = cell.locator(".jp-InputArea-editor .cm-content")
    editor.wait_for(state="visible")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)
    page.keyboard.press("Shift+Enter")


@pytest.fixture
def course(tmp_path):
    """An instructor's course with lesson 1 released to an exchange, and each role's Jupyter
    configuration."""
    root, exchange = tmp_path / "course", tmp_path / "exchange"
    root.mkdir()
    (root / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
    autograder(root, exchange, "release", "--no-check", "--publish", LESSON)
    configs = {}
    for role, extra in (("student", ["--student-id", STUDENT]), ("instructor", [])):
        configs[role] = tmp_path / f"jupyter-{role}"
        autograder(root, exchange, "jupyter-setup", role, "--config-dir", str(configs[role]), *extra)
    return root, exchange, configs


def test_student_and_instructor_in_jupyterlab(course, tmp_path, browser, screenshot_dir):  # noqa: F811 - fixtures
    from browser.lab import Screens

    root, exchange, configs = course
    home = tmp_path / "student-home"
    home.mkdir()
    timings, seen = {}, {}
    quick = {"COURSE_QUICK": "1"}  # as every Run All test: lesson 1 in full mode takes minutes here
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    shots = Screens(page, screenshot_dir)
    try:
        with LabServer(home, config_dir=configs["student"], env=quick,
                       log_path=screenshot_dir / "student-server.log") as server:
            timings["student_server_start_s"] = server.start_seconds
            page.goto(server.url("lab"))
            page.locator("#jp-MainMenu").wait_for()
            seen["student_menu"] = menu_labels(page, "Nbgrader")
            shots.shot("student-nbgrader-menu")
            page.keyboard.press("Escape")

            # Fetch from the Assignment List
            click_menu(page, "Nbgrader", "nbgrader:open-assignment-list")
            fetch = page.locator("#released_assignments_list button", has_text="Fetch")
            fetch.wait_for()
            shots.shot("assignment-list-released")
            started = time.monotonic()
            fetch.click()
            page.locator("#fetched_assignments_list button", has_text="Submit").wait_for()
            timings["fetch_s"] = time.monotonic() - started
            shots.shot("assignment-list-fetched")
            assert (home / LESSON / NOTEBOOK).is_file()

            # Open it, Run All unanswered
            path = f"{LESSON}/{NOTEBOOK}"
            timings["open_s"] = open_notebook(page, server, path)
            seen["dirty_after_open"] = is_dirty(page)
            shots.shot("lesson-1-opened")
            timings["run_all_unanswered_s"] = run_all(page, timeout=300)
            seen["reached_last_cell"] = last_code_cell_ran(page)
            seen["todo_lines"] = cell_outputs_text(page).count("[TODO]")
            shots.shot("run-all-unanswered")

            # One right and one wrong answer, each with its self-check
            for source, check in ((RIGHT_L1, "Exercise 1: l1_loss"), (WRONG_MSE, "Exercise 2: mse_loss")):
                answer = find_cell_by_text(page, f"def {source.split('(')[0][4:]}(")
                set_cell_source(page, answer, source)
                run_cell(page, answer)
                check_cell = find_cell_by_text(page, f'self_check("{check}"')
                run_cell(page, check_cell)
                seen[check] = outputs_of(check_cell)
                shots.shot(f"self-check-{check.split(':')[0].lower().replace(' ', '-')}")
            set_markdown(page, find_cell_by_text(page, "YOUR ANSWER HERE"), ANSWER_TEXT)
            save(page)
            shots.shot("answers-saved")
            timings["reopen_s"] = open_notebook(page, server, path)  # a fresh page: widget state is gone
            seen["reopened_outputs"] = cell_outputs_text(page)
            shots.shot("reopened")

            # Validate (the server keeps answering meanwhile)
            started = time.monotonic()
            page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True).click()
            dialog = page.locator(".jp-Dialog", has_text="Validation Results")
            dialog.wait_for(timeout=300_000)
            timings["validate_s"] = time.monotonic() - started
            seen["validate"] = dialog.locator(".jp-Dialog-body").text_content()
            shots.shot("validate-results")
            dialog.locator("button", has_text="Ok").click()

            # Submit
            click_menu(page, "Nbgrader", "nbgrader:open-assignment-list")
            submit = page.locator("#fetched_assignments_list button", has_text="Submit")
            started = time.monotonic()
            submit.click()
            page.locator("#submitted_assignments_list .list_item", has_text=LESSON).first.wait_for()
            timings["submit_s"] = time.monotonic() - started
            shots.shot("submitted")

            # The reference solution, for the time of a solved Run All
            (home / "solved").mkdir()
            shutil.copy(REPO_ROOT / "notebooks" / LESSON / NOTEBOOK, home / "solved" / NOTEBOOK)
            open_notebook(page, server, f"solved/{NOTEBOOK}")
            timings["run_all_solved_s"] = run_all(page, timeout=300)
            shots.shot("run-all-solved")
            page.goto("about:blank")

        # The instructor: collect and autograde, then formgrader offline, then export
        started = time.monotonic()
        seen["autograde"] = autograder(root, exchange, "autograde", "--workers", "1", LESSON)
        timings["collect_and_autograde_s"] = time.monotonic() - started
        blocked = []
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            ("http://127.0.0.1", "data:", "blob:")) else (blocked.append(route.request.url), route.abort()))
        with LabServer(root.parent, config_dir=configs["instructor"], cwd=root,
                       log_path=screenshot_dir / "instructor-server.log") as server:
            timings["instructor_server_start_s"] = server.start_seconds
            page.goto(server.url("lab"))
            page.locator("#jp-MainMenu").wait_for()
            seen["instructor_menu"] = menu_labels(page, "Nbgrader")
            page.keyboard.press("Escape")
            page.goto(server.url(f"formgrader/gradebook/{LESSON}/{NOTEBOOK[:-6]}"))
            page.locator("a[href*='/formgrader/submissions/']").first.click()
            score = page.locator(f"input.score#{WRITTEN}")
            score.wait_for()
            wait_until(lambda: page.evaluate("() => !!(window.MathJax && MathJax.loaded)"), 30,
                       "MathJax loaded from the server")
            seen["math_rendered"] = page.locator(".MathJax, .MathJax_CHTML, mjx-container").count()
            shots.shot("formgrader-submission", full_page=False)
            score.scroll_into_view_if_needed()
            score.fill(str(MANUAL_POINTS))
            score.press("Tab")
            wait_until(lambda: _manual_score(root) == MANUAL_POINTS, 30, "the manual score saved")
            shots.shot("formgrader-points-given")
            page.goto("about:blank")
        export = autograder(root, exchange, "export")
    finally:
        shots.write_json("timings.json", {k: round(v, 2) for k, v in timings.items()})
        shots.write_json("seen.json", {k: v for k, v in seen.items() if k not in ("autograde", "reopened_outputs")})
        shots.write_console()
        context.close()
        print("\nbrowser timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))

    assert "Assignment List" in seen["student_menu"], seen["student_menu"]
    assert not {"Formgrader", "Create assignment", "Course List"} & set(seen["student_menu"]), seen["student_menu"]
    assert {"Formgrader", "Assignment List"} <= set(seen["instructor_menu"]), seen["instructor_menu"]
    assert seen["dirty_after_open"] is False
    assert seen["reached_last_cell"] and seen["todo_lines"] >= 4, seen
    assert "Training: 100%" in seen["reopened_outputs"]  # the saved bars are text lines
    assert "Error displaying widget" not in seen["reopened_outputs"]
    assert "[PASS] Exercise 1: l1_loss" in seen["Exercise 1: l1_loss"]
    assert "[FAIL] Exercise 2: mse_loss" in seen["Exercise 2: mse_loss"]
    assert "mean" in seen["Exercise 2: mse_loss"].split("[FAIL]", 1)[1]
    assert "failed" in seen["validate"] and "mse_loss([1, 2], [0, 4]) should be" in seen["validate"], seen["validate"]
    assert f"{LESSON}: collected 1 submission(s) from the exchange: {STUDENT}" in seen["autograde"]
    assert seen["math_rendered"] > 0 and not [url for url in blocked if "mathjax" in url.lower()], blocked
    (row,) = [r for r in csv.DictReader(open(root / "grades.csv")) if r["student_id"] == STUDENT]
    autograded = float(seen["autograde"].split(f"{STUDENT} / {LESSON}: ")[1].split("/")[0])
    assert float(row["raw_score"]) == pytest.approx(autograded + MANUAL_POINTS), (row, export)


def _manual_score(root):
    """The manual score of the written answer in the course's gradebook (None until saved)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        grade = gb.find_grade(WRITTEN, NOTEBOOK[:-6], LESSON, STUDENT)
        return grade.manual_score
