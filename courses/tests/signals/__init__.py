"""Signal tests of the test plan, Tasks 4.1–7.1, one module per class.

The modules are not named ``test_*``: ``courses/tests/test_signals.py`` re-exports the classes, so
pytest collects each once and ``manage.py test courses.tests.test_signals.<Name>`` works.
"""
