"""Instructor workflow over nbgrader: release, autograde, feedback, export, demo.

Run ``python -m autograder --help`` (or ``course-grade --help``).
"""
