"""Run All in JupyterLab, as a student sees it: per lesson, the seconds from the click to the
last cell, the kernel's busy time, and the time it sat idle between cells.

Each lesson's release (answered with the reference, or as released) runs in a throwaway
JupyterLab in Debian's Chromium (the browser tests' helpers), with JupyterLab's "record timing"
setting on: every cell then carries when the kernel received it and when it replied. Idle time
is the sum of the gaps between one cell's reply and the next cell's start, which the kernel
spends waiting for the browser.

    python -m benchmarks.lab_run_all [--quick] [--unanswered] [LESSON ...]
"""
import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

from autograder.authoring.simulate import fill_with_solution, reference_answers
from autograder.authoring.simulate import released as released_notebook
from autograder.course import REPO_ROOT, Course
from benchmarks.report import format_table, warn_if_busy
from tests.browser.lab import LabServer, launch_chromium, open_notebook, run_all, save

TIMING_SETTING = ("@jupyterlab", "notebook-extension", "tracker.jupyterlab-settings")


def _seconds(stamp):
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def kernel_times(nb):
    """(busy, idle, timed cells) of an executed notebook's recorded cell timing."""
    timing = [cell.metadata.get("execution", {}) for cell in nb.cells if cell.cell_type == "code"]
    timing = [t for t in timing if "iopub.execute_input" in t and "shell.execute_reply" in t]
    busy = sum(_seconds(t["shell.execute_reply"]) - _seconds(t["iopub.execute_input"]) for t in timing)
    idle = sum(max(0.0, _seconds(b["iopub.execute_input"]) - _seconds(a["shell.execute_reply"]))
               for a, b in zip(timing, timing[1:]))
    return busy, idle, len(timing)


def prepare(folder, lessons, answered):
    """A course with ``lessons`` released, a student's home with a copy of each, and the
    student's Jupyter settings with cell timing recorded; returns (home, config)."""
    course, home, config = folder / "course", folder / "home", folder / "jupyter-config"
    course.mkdir()
    home.mkdir()
    (course / "notebooks").symlink_to(REPO_ROOT / "notebooks", target_is_directory=True)
    command = [sys.executable, "-m", "autograder", "--course-dir", str(course)]
    subprocess.run(command + ["release", "--no-check", *lessons], check=True, capture_output=True)
    subprocess.run(command + ["jupyter-setup", "student", "--config-dir", str(config),
                              "--student-id", "benchmark"], check=True, capture_output=True)
    setting = config.joinpath("lab", "user-settings", *TIMING_SETTING)
    setting.parent.mkdir(parents=True, exist_ok=True)
    setting.write_text(json.dumps({"recordTiming": True}))
    graded = Course.at(course)
    for lesson in lessons:
        shutil.copytree(graded.release_notebook(lesson).parent, home / lesson)
        if answered:
            nb = released_notebook(graded, lesson)
            fill_with_solution(nb, reference_answers(graded, lesson))
            nbformat.write(nb, str(home / lesson / graded.release_notebook(lesson).name))
    return home, config


def run(lessons, quick=False, answered=True, say=print):
    from playwright.sync_api import sync_playwright

    rows = []
    with tempfile.TemporaryDirectory(prefix="lab-run-all-") as tmp:
        home, config = prepare(Path(tmp), lessons, answered)
        env = {"COURSE_QUICK": "1" if quick else None}
        with LabServer(home, config_dir=config, env=env) as server, sync_playwright() as driver:
            browser = launch_chromium(driver)
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.set_default_timeout(60_000)
            for lesson in lessons:
                path = next((home / lesson).glob("*.ipynb")).relative_to(home)
                open_notebook(page, server, path)
                wall = run_all(page, timeout=900)
                save(page)
                time.sleep(1)  # the save reaches the disk
                busy, idle, cells = kernel_times(nbformat.read(str(home / path), as_version=4))
                rows.append(dict(lesson=lesson, cells=cells, run_all_s=wall, kernel_busy_s=busy,
                                 idle_s=idle, idle_share=idle / wall if wall else 0.0))
                say(f"  {lesson}: Run All {wall:.1f} s, kernel busy {busy:.1f} s, idle {idle:.1f} s")
            browser.close()
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="default: every lesson")
    parser.add_argument("--quick", action="store_true", help="quick mode (COURSE_QUICK=1)")
    parser.add_argument("--unanswered", action="store_true", help="the release as a student gets it")
    args = parser.parse_args(argv)
    warn_if_busy()
    lessons = args.lessons or Course.at(REPO_ROOT).lessons()
    rows = run(lessons, quick=args.quick, answered=not args.unanswered)
    print(format_table(rows, [("lesson", "lesson", ""), ("cells", "code cells", "d"),
                              ("run_all_s", "Run All (s)", ".1f"), ("kernel_busy_s", "kernel busy (s)", ".1f"),
                              ("idle_s", "idle (s)", ".1f"), ("idle_share", "idle share", ".1%")]))


if __name__ == "__main__":
    main()
