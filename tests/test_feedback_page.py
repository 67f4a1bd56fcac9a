"""The feedback page a student gets: written answers not graded yet say "pending" (not 0), GIFs
show, long hints wrap, formulas are typeset with MathJax from the student's Jupyter server (no
CDN), and no hidden test appears."""
import base64
import html as htmllib
import re
from datetime import datetime

import pytest
from browser.conftest import browser, browser_page, chromium_path, playwright_driver  # noqa: F401 - pytest fixtures, requested by name
from browser.lab import LabServer
from fixture_course import LESSON, full_solution, new_fixture_course
from nbgrader.api import Gradebook

from autograder.authoring import simulate as sim
from autograder.grading.batch import autograde
from autograder.instructor.feedback import generate_feedback
from autograder.preprocessors.score_only_feedback import WITHHELD

pytestmark = pytest.mark.slow

GIF = base64.b64encode(bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000"
                                     "010001000002024401003b")).decode()
LONG_HINT = "hint " + "word " * 200
OUTPUTS = f"""
import base64
import html as htmllib
from IPython.display import Image, display
display(Image(data=base64.b64decode({GIF!r}), format="gif"))
print({LONG_HINT!r})
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    course = new_fixture_course(tmp_path_factory.mktemp("feedback") / "course", timeout=20, answer_rules=False)
    nb = sim.append_code(full_solution(course), "square-answer", OUTPUTS)
    sim.replace_source(nb, "explain-answer", "The shift cancels: $e^{x - m} / \\sum_j e^{x_j - m}$.")
    sim.submit(course, "ada", LESSON, nb)
    (course.submitted_dir("ada", LESSON) / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    with Gradebook(course.db_url) as gradebook:
        gradebook.update_or_create_assignment(LESSON, duedate=datetime(2026, 11, 30, 23, 0))
    autograde(course, LESSON, ["ada"], say=lambda line: None)
    assert generate_feedback(course, LESSON, "ada") is None
    return course, course.feedback_html("ada", LESSON)


def test_the_written_answer_awaiting_hand_grading_is_pending_not_zero(page):
    html = page[1].read_text()
    assert re.search(r"Written response</a> \(Score: pending, out of 2\.0 \(graded by hand\)\)", html), "the TOC"
    assert "2.0 point(s) of written answers are still to be graded by hand" in html
    assert "0.0 / 2.0" not in html
    assert "Submitted 2026-12-01 10:00 UTC; due 2026-11-30 23:00 UTC." in html


def test_gifs_show_long_hints_wrap_and_no_hidden_test_or_cdn_appears(page):
    html = page[1].read_text()
    assert f'src="data:image/gif;base64,{GIF}"' in html
    assert "white-space: pre-wrap" in html and LONG_HINT.strip() in html
    assert "HIDDEN TESTS" not in html
    assert "/static/jupyter_server_mathjax/MathJax.js" in html
    assert not re.search(r"https?://[^\"' ]*(mathjax|cdn)", html, re.IGNORECASE)


@pytest.mark.browser
def test_formulas_are_typeset_offline_through_the_jupyter_server(page, browser_page):  # noqa: F811 - fixture
    course, html = page
    with LabServer(course.root) as lab:
        browser_page.goto(lab.url("files/" + str(html.relative_to(course.root))))
        browser_page.wait_for_selector(".MathJax, .MathJax_Display, mjx-container", timeout=30_000)
        assert browser_page.locator("img[src^='data:image/gif']").count() == 1


def test_score_only_feedback_leaves_the_tests_messages_out(page):
    course, html = page
    assert generate_feedback(course, LESSON, "ada", score_only=True) is None
    text = htmllib.unescape(html.read_text())
    assert WITHHELD.strip() in text and LONG_HINT.strip() in text  # the answer's own output stays
    assert generate_feedback(course, LESSON, "ada") is None
    assert WITHHELD.strip() not in htmllib.unescape(html.read_text())
