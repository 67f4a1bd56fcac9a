"""One module per lesson: the helpers that serve that lesson only.

Lesson ``NN`` imports ``course_utils.lessons.lNN_<slug>`` and the shared core
(``course_utils``, ``course_utils.datasets``, ``plots``, ``training``, ``checks``), never
another lesson's module.
"""
