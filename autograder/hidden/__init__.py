"""Trusted helpers for hidden tests, one module per lesson (``lNN_<slug>.py``).

Hidden tests run in the grader (autograder/grading/trusted_tests.py), and so does this package: it is
never copied into a release and never visible inside the grading sandbox.
"""
