"""Where things live in a package (docs/package-format.md); shared by the writer and the reader.

::

    manifest.toml                    format_version, kind, [course], [[chapters]], [[exams]]
    description.md                   the course's description (absent: empty)
    exams/01/instructions.md         an exam's instructions, by position in [[exams]]
    problems/001/problem.toml        a problem's fields and its [[cases]]
    problems/001/statement.md
    problems/001/cases/001.in        the first [[cases]] entry's input, .out its expected output
    problems/001/solutions/python.py reference solutions, one file per language
    problems/001/starter/python.py   starter code, one file per language
    problems/001/templates/c.c       template overrides, one file per language

A problem package (``kind = "problem"``) is ``manifest.toml`` and one problem folder, ``problem/``.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from courses.judging.languages import LANGUAGES

MANIFEST = "manifest.toml"
PROBLEM_TOML = "problem.toml"
PROBLEMS_DIR = "problems"
SINGLE_PROBLEM_DIR = "problem"
EXAMS_DIR = "exams"
KINDS = ("course", "problem")
#: What a problem's key (its folder's name) may be.
PROBLEM_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def problem_key(index: int) -> str:
    """The folder of the course's ``index``-th problem (from 0): ``001``, ``002``, ..."""
    return f"{index + 1:03d}"


def exam_dir(index: int) -> str:
    return f"{EXAMS_DIR}/{index + 1:02d}"


def case_file(index: int, extension: str) -> str:
    return f"cases/{index + 1:03d}.{extension}"


def language_suffix(language: str) -> str:
    return PurePosixPath(LANGUAGES[language].source_filename).suffix


def language_file(folder: str, language: str) -> str:
    return f"{folder}/{language}{language_suffix(language)}"


def language_of(name: str) -> str | None:
    """The language whose file this is (``python.py`` → ``python``); ``None`` if none."""
    for language in LANGUAGES:
        if name == f"{language}{language_suffix(language)}":
            return language
    return None
