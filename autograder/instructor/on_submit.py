"""Grading on submit: ``python -m autograder autograde --watch`` collects each new submission from
the exchange as it arrives, grades it and releases its feedback, round after round.

The course decides, in its ``nbgrader_config.py``, what a student may learn from it:

- ``c.Autograder.rate_limit_minutes`` (default 10): a student's submissions of a lesson are
  graded at most once in that many minutes, so the grader cannot be used as an oracle; a newer
  submission waits for the next window (its line says until when), and only the newest is graded;
- ``c.Autograder.feedback_visibility``: what the feedback shows and when
  (:mod:`autograder.instructor.feedback`).
"""
import json
import time
from datetime import datetime

from autograder.course import InstructorError, root_config_value
from autograder.exchange.folders import collect
from autograder.grading.batch import grade_batch
from autograder.instructor.feedback import feedback

DEFAULT_RATE_MINUTES = 10


def rate_limit_minutes(course) -> float:
    value = root_config_value(course.root, "Autograder", "rate_limit_minutes")
    return DEFAULT_RATE_MINUTES if value is None else float(value)


class SubmitLedger:
    """When each student's submission of each lesson was last graded on submit, and which wait."""

    def __init__(self, course):
        self.path = course.root / "build" / "on-submit.json"
        data = json.loads(self.path.read_text()) if self.path.is_file() else {}
        self.graded_at = data.get("graded_at", {})
        self.waiting = {lesson: set(students) for lesson, students in data.get("waiting", {}).items()}

    def next_time(self, lesson, student, minutes):
        return self.graded_at.get(lesson, {}).get(student, float("-inf")) + 60 * minutes

    def graded(self, lesson, student, when):
        self.graded_at.setdefault(lesson, {})[student] = when
        self.waiting.get(lesson, set()).discard(student)

    def save(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps({"graded_at": self.graded_at,
                                         "waiting": {k: sorted(v) for k, v in self.waiting.items()}}))


def one_round(course, exchange, lessons, say=print, now=time.time, **grade_options):
    """Collect, grade what the rate limit lets through, release its feedback; returns the
    (lesson, student) pairs graded."""
    ledger, minutes = SubmitLedger(course), rate_limit_minutes(course)
    for lesson in lessons:
        ledger.waiting.setdefault(lesson, set()).update(collect(course, lesson, exchange, say))
    batch = []
    for lesson, students in sorted(ledger.waiting.items()):
        ready = sorted(s for s in students if ledger.next_time(lesson, s, minutes) <= now())
        for student in sorted(students - set(ready)):
            when = datetime.fromtimestamp(ledger.next_time(lesson, student, minutes)).strftime("%H:%M:%S")
            say(f"  {student} / {lesson}: waits for the rate limit (one grading per {minutes:g} min): "
                f"graded at {when}")
        if ready:
            batch.append((lesson, ready))
    graded = []
    if batch:
        report = grade_batch(course, batch, say=say, **grade_options)
        for line in report.summary():
            say(line)
        for outcome in report.outcomes:
            ledger.graded(outcome.lesson, outcome.student, now())
            graded.append((outcome.lesson, outcome.student))
    ledger.save()
    for lesson, students in batch:
        feedback(course, [lesson], say=say, exchange=exchange, students=students)
    return graded


def watch(course, exchange, lessons, interval=10.0, rounds=None, say=print, **grade_options):
    """Run rounds every ``interval`` seconds (``rounds``: how many; None: until interrupted)."""
    if exchange is None:
        raise InstructorError("--watch grades what students submit through an exchange: "
                              "pass --exchange DIR or set c.Exchange.root")
    done = 0
    say(f"grading on submit: every {interval:g} s from the exchange {exchange} "
        f"(rate limit: one grading per {rate_limit_minutes(course):g} min per student and lesson)")
    while rounds is None or done < rounds:
        started = time.monotonic()
        one_round(course, exchange, lessons, say=say, **grade_options)
        course.give_back_to_owner()  # the instructor's formgrader sees this round's work
        done += 1
        if rounds is None or done < rounds:
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
    return done
