"""What a student wrote cannot run in the instructor's browser (formgrader) or on the feedback
page: script elements, event handlers, JavaScript outputs, javascript: links and SVG in a code
cell's outputs and in a written answer are shown inert, in Debian's Chromium (Playwright).

Each payload, if it ran, would append its name to ``window.top.pwned``.
"""
import pytest
from browser.conftest import browser, browser_page, chromium_path, playwright_driver  # noqa: F401 - pytest fixtures, requested by name
from browser.lab import LabServer
from fixture_course import LESSON, full_solution, new_fixture_course
from nbgrader.api import Gradebook

from autograder.authoring import simulate as sim
from autograder.grading.batch import autograde
from autograder.instructor.feedback import generate_feedback
from autograder.lab.html_sanitizer import clean_html

pytestmark = [pytest.mark.slow, pytest.mark.browser]

RUN = "window.top.pwned = (window.top.pwned || []).concat"
OUTPUTS = f"""
from IPython.display import HTML, SVG, Javascript, Markdown, display
display(HTML('<img src=x onerror="{RUN}([\\'html-img\\'])"><b>bold stays</b>'))
display(HTML('<script>{RUN}(["html-script"])</script>'))
display(Javascript('{RUN}(["javascript-output"])'))
display(Markdown('<img src=x onerror="{RUN}([\\'markdown-img\\'])">'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="{RUN}([\\'svg\\'])"><circle r="4"/></svg>'))
display(HTML('<a id="link" href="javascript:{RUN}([\\'link\\'])">click</a>'))
"""
ANSWER = (f'<script>{RUN}(["answer-script"])</script>\n'
          f'<img src=x onerror="{RUN}([\'answer-img\'])">\n'
          f'<iframe src="javascript:{RUN}([\'answer-iframe\'])"></iframe>\n\n'
          "Softmax is unchanged by a shift; subtracting the maximum avoids overflow.")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    # the payloads come from an answer cell: the sanitizer beneath the answer rules
    course = new_fixture_course(tmp_path_factory.mktemp("student-html") / "course", timeout=20, answer_rules=False)
    nb = sim.append_code(full_solution(course), "square-answer", OUTPUTS)
    sim.replace_source(nb, "explain-answer", ANSWER)
    sim.submit(course, "mallory", LESSON, nb)
    outcome = autograde(course, LESSON, ["mallory"], say=lambda line: None)[0][0]
    assert outcome.score == 6, outcome.line()
    generate_feedback(course, LESSON, "mallory")
    (course.root / "nbgrader_config.py").write_text(
        f"c.CourseDirectory.root = {str(course.root)!r}\n"
        "load_subconfig(" + repr(str(__import__("autograder").__path__[0]) + "/nbgrader_config.py") + ")\n")
    return course


def _ran(page):
    page.wait_for_timeout(1500)  # onerror and onload handlers fire as images and SVG load
    for frame in page.frames:
        frame.evaluate("() => { const a = document.getElementById('link'); if (a) a.click(); }")
    page.wait_for_timeout(500)
    return page.evaluate("() => window.top.pwned || []")


def test_the_feedback_page_runs_nothing_the_student_wrote(course, browser_page):  # noqa: F811 - the fixture imported above
    page = course.feedback_html("mallory", LESSON)
    browser_page.goto(page.as_uri())
    assert _ran(browser_page) == []
    text = browser_page.inner_text("body")
    assert "bold stays" in text and "subtracting the maximum avoids overflow" in text


def test_formgrader_runs_nothing_the_student_wrote(course, browser_page):  # noqa: F811 - the fixture imported above
    with Gradebook(course.db_url) as gradebook:
        submission = gradebook.find_submission_notebook("fixture", LESSON, "mallory").id
    with LabServer(course.root) as lab:
        browser_page.goto(lab.url(f"formgrader/submissions/{submission}/"))
        browser_page.wait_for_selector("text=subtracting the maximum avoids overflow")
        assert _ran(browser_page) == []
        assert "bold stays" in browser_page.inner_text("body")


@pytest.mark.parametrize("payload", [
    '<img src=x onerror="alert(1)">', "<script>alert(1)</script>", '<a href="javascript:alert(1)">x</a>',
    '<svg onload="alert(1)"></svg>', '<iframe src="javascript:alert(1)"></iframe>',
    '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">', '<p style="background:url(javascript:x)">p</p>',
    '<scr<script>ipt>alert(1)</script>', '<object data="x.swf"></object>', "<form action=x><input></form>",
])
def test_the_cleaner_leaves_nothing_that_runs(payload):
    import re

    cleaned = clean_html(payload)
    for tag in re.findall(r"<[a-zA-Z][^>]*>", cleaned):  # what a browser reads as elements
        name = tag[1:].split()[0].rstrip(">").lower()
        assert name not in ("script", "svg", "iframe", "object", "form", "input", "style"), cleaned
        assert not re.search(r"\son\w+\s*=|javascript:|style\s*=|image/svg", tag, re.I), cleaned


def test_the_cleaner_keeps_what_lessons_show():
    table = ('<div><style scoped>.dataframe th {}</style><table border="1" class="dataframe">'
             "<thead><tr><th></th><th>loss</th></tr></thead><tbody><tr><th>0</th><td>0.42</td></tr>"
             "</tbody></table></div>")
    assert clean_html(table) == ('<div><table border="1" class="dataframe"><thead><tr><th></th>'
                                 "<th>loss</th></tr></thead><tbody><tr><th>0</th><td>0.42</td></tr>"
                                 "</tbody></table></div>")
    assert clean_html('<h2 id="x">Goals</h2><p><em>a</em> <code>b</code></p>') == \
        '<h2 id="x">Goals</h2><p><em>a</em> <code>b</code></p>'
    png = '<img alt="plot" src="data:image/png;base64,iVBORw0KGgo=">'
    assert clean_html(png) == png
