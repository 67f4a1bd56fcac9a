"""nbgrader's manual-grading page loads MathJax from the Jupyter server, never from a CDN.

A real ``jupyter server`` (under a JupyterHub-like base URL) serves a course with one released,
submitted and autograded copy of lesson 1; the page of that submission is fetched over HTTP.

The formgrade ``mathjax`` macro reaches nbconvert's template path through pyproject.toml's
``[tool.setuptools.data-files]``, which a wheel install (and ``make env``, through
``python -m autograder.lab.data_files``) puts below ``sys.prefix/share/jupyter``.
tests/test_browser_course.py renders the same page in Chromium with the network blocked.
"""
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser.lab import LabServer
from nbgrader.api import Gradebook

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
LESSON, NOTEBOOK, STUDENT = "01-loss-functions", "loss_functions", "alice"
BASE_URL = "/user/grader/"  # as JupyterHub serves a single-user server


def _autograder(course, *args):
    command = [sys.executable, "-m", "autograder", "--course-dir", str(course),
               "--source", str(REPO / "notebooks"), *args]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "COURSE_QUICK": "1"})
    assert result.returncode == 0, result.stdout + result.stderr


class Scripts(HTMLParser):
    """The ``src`` of every script element, and the text of those without one."""

    def __init__(self, html):
        super().__init__()
        self.sources, self.inline, self._in_script = [], [], False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            attrs = dict(attrs)
            self._in_script = "src" not in attrs
            if not self._in_script:
                self.sources.append(attrs["src"])

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data):
        if self._in_script:
            self.inline.append(data)


def _get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("formgrader-course")
    _autograder(course, "release", LESSON, "--no-check")
    submitted = course / "submitted" / STUDENT / LESSON
    submitted.mkdir(parents=True)
    shutil.copy(course / "release" / LESSON / f"{NOTEBOOK}.ipynb", submitted)
    _autograder(course, "autograde", LESSON, "--workers", "1")
    (course / "nbgrader_config.py").write_text(f"c.CourseDirectory.root = {str(course)!r}\n")
    return course


@pytest.fixture(scope="module")
def server(graded_course):
    """(root URL, token) of a Jupyter server whose root is the course, under BASE_URL."""
    with LabServer(graded_course, prefix=BASE_URL) as lab:
        yield lab.base_url, lab.token


def test_the_formgrade_page_loads_mathjax_from_the_server_itself(graded_course, server):
    root, token = server
    with Gradebook(f"sqlite:///{graded_course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(NOTEBOOK, LESSON, STUDENT).id
    status, _, body = _get(f"{root}formgrader/submissions/{submission}/", token)
    page = body.decode()
    assert status == 200 and "Submission 1 / 1" in page

    scripts = Scripts(page)
    assert scripts.sources and all(src.startswith(BASE_URL) for src in scripts.sources)
    inline = "\n".join(scripts.inline)
    assert "://" not in inline
    # formgrade.js waits for MathJax.Hub.Startup; nbconvert's configuration function is kept
    assert "init_mathjax = function()" in inline and 'type="text/x-mathjax-config"' in page

    # an inline script writes MathJax's tag: the server root (from the page's base_url) + path
    base_url = re.search(r'var base_url = "([^"]*)";', inline).group(1)
    assert base_url == BASE_URL + "formgrader"
    assert 'base_url.replace(/\\/formgrader$/, "")' in inline
    path = re.search(r"'(/static/jupyter_server_mathjax/MathJax\.js\?config=([^\"']+))\"", inline)
    mathjax_url = root.removesuffix(BASE_URL) + base_url.removesuffix("/formgrader") + path.group(1)

    status, content_type, script = _get(mathjax_url, token)
    assert status == 200 and "javascript" in content_type and b"MathJax.Hub" in script
    # what MathJax then loads from beside itself: its ?config= files and the STIX-Web fonts
    folder = mathjax_url.rsplit("/", 1)[0]
    for config in path.group(2).split(","):
        assert _get(f"{folder}/config/{config}.js", token)[0] == 200
    assert _get(f"{folder}/jax/output/HTML-CSS/fonts/STIX-Web/fontdata.js", token)[0] == 200
