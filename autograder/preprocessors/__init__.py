"""nbgrader preprocessors of the course, one per file, listed in autograder/nbgrader_config.py."""
