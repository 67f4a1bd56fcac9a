"""The instructor's commands besides grading: release, feedback, export, LMS import, demo."""
