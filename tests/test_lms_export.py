"""The LMS exports, read back by each format's rules: missing, NOT GRADED and awaiting hand
grading are never a 0."""
import csv
import json

from autograder.instructor.grade_records import AWAITING, FAILED, GRADED, MISSING, GradeRecord
from autograder.instructor.lms_export import gradescope_results, write_canvas, write_moodle

RECORDS = [
    GradeRecord("01-a", "ann", 4.0, GRADED, score=3.0, last_name="Lee", first_name="Ann"),
    GradeRecord("02-b", "ann", 2.0, MISSING, last_name="Lee", first_name="Ann"),
    GradeRecord("01-a", "bo", 4.0, AWAITING, autograded_score=2.0, to_grade_by_hand=2.0),
    GradeRecord("02-b", "bo", 2.0, GRADED, score=0.0),
    GradeRecord("01-a", "cy", 4.0, FAILED, reason="not valid JSON"),
    GradeRecord("02-b", "cy", 2.0, GRADED, score=2.0),
]


def test_canvas_gradebook_csv(tmp_path):
    rows = list(csv.reader(open(write_canvas(RECORDS, tmp_path / "canvas.csv"))))
    header, points, students = rows[0], rows[1], rows[2:]
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert header[5:] == ["01-a", "02-b"]
    assert points[0].strip() == "Points Possible" and points[5:] == ["4", "2"]
    grades = {row[3]: dict(zip(header[5:], row[5:])) for row in students}  # by SIS Login ID
    assert grades == {"ann": {"01-a": "3", "02-b": ""}, "bo": {"01-a": "", "02-b": "0"},
                      "cy": {"01-a": "", "02-b": "2"}}
    assert students[0][0] == "Lee, Ann"


def test_moodle_grade_import_csv(tmp_path):
    rows = list(csv.DictReader(open(write_moodle(RECORDS, tmp_path / "moodle.csv"))))
    assert list(rows[0])[:2] == ["Username", "Email address"]
    by_user = {row["Username"]: row for row in rows}
    assert by_user["ann"]["01-a"] == "3" and by_user["ann"]["01-a feedback"] == ""
    assert by_user["ann"]["02-b"] == "" and "missing" in by_user["ann"]["02-b feedback"]
    assert by_user["bo"]["01-a"] == "" and by_user["bo"]["01-a feedback"] == "awaiting hand grading"
    assert by_user["bo"]["02-b"] == "0"  # a real zero stays a zero
    assert by_user["cy"]["01-a"] == "" and by_user["cy"]["01-a feedback"] == "NOT GRADED - not valid JSON"


def test_gradescope_results_json():
    graded = gradescope_results(RECORDS[0], [("ex1-tests", 2.0, 2.0), ("ex2-tests", 1.0, 2.0)])
    assert graded["score"] == sum(t["score"] for t in graded["tests"]) == 3.0
    assert all(t["score"] <= t["max_score"] and t["visibility"] in ("hidden", "after_due_date", "after_published",
                                                                    "visible") for t in graded["tests"])
    pending = json.loads(json.dumps(gradescope_results(RECORDS[2], [("ex1-tests", 2.0, 2.0)])))
    assert pending["score"] == 2.0 and "graded by hand" in pending["output"]
    failed = gradescope_results(RECORDS[4], [])
    assert "score" not in failed and failed["tests"] == [] and "NOT GRADED - not valid JSON" in failed["output"]
