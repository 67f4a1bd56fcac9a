# Lets the plain `nbgrader` command line and formgrader run from the repository root.
# The real configuration lives in autograder/nbgrader_config.py.
load_subconfig("autograder/nbgrader_config.py")  # noqa: F821 (injected by traitlets)
