# Lets the plain `nbgrader` command line and formgrader run from the repository root.
# The real configuration lives in autograder/nbgrader_config.py.
load_subconfig("autograder/nbgrader_config.py")  # noqa: F821 (injected by traitlets)

# How submissions run when graded: "quick" (fewer epochs and samples, what CI and the tests use)
# or "full" (the lessons as written). Recorded with each grade; the hidden tests' bars hold in both.
c.Autograder.grading_mode = "quick"  # noqa: F821
