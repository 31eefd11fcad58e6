"""The language table, as data.

Commands are argv tuples run inside the sandbox's work directory; ``{source}`` and ``{binary}``
are file names in it. Executables are absolute paths resolved with ``realpath`` at use, because
a sandbox mounts real directories: ``/usr/bin/java`` goes through ``/etc/alternatives`` and the
``python3`` on PATH may live under ``/root`` (pyenv), which a sandbox never mounts.

``judge0_names`` are matched against Judge0's ``/languages`` names (ids differ between Judge0
versions); the first listed prefix that matches wins. ``default_template`` is the function-style
wrapper of ``courses.judging.templates``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from courses.judging.errors import UnknownLanguage


@dataclass(frozen=True, slots=True)
class Language:
    key: str
    display_name: str
    source_filename: str
    run_argv: tuple[str, ...]
    compile_argv: tuple[str, ...] | None
    version_argv: tuple[str, ...]
    judge0_names: tuple[str, ...]
    #: ``{source}`` and ``{binary}`` in argv are replaced by these names.
    binary_filename: str = ""
    #: The Debian package that provides its toolchain (what to install when it is missing).
    debian_package: str = ""
    #: Options that hold a managed runtime's heap under the memory limit, ``{heap_mb}`` filled in
    #: by ``heap_argv``. Left to itself the JVM sizes its heap from the host's RAM and V8 to
    #: about 4 GiB, so garbage a collection would have freed counted against the limit: a
    #: program keeping 20 MiB alive was judged over 320 MiB (an outside probe).
    heap_options: tuple[str, ...] = ()
    #: What the runtime needs besides its heap (code, metadata, stacks), in MiB.
    runtime_overhead_mb: int = 0

    @property
    def executable(self) -> str:
        """The real path of the program that runs (or compiles) code of this language."""
        argv = self.compile_argv or self.run_argv
        return os.path.realpath(argv[0])

    @property
    def is_compiled(self) -> bool:
        return self.compile_argv is not None

    @property
    def is_installed(self) -> bool:
        """Whether every absolute program this language needs is present and executable."""
        programs = [self.run_argv[0], *(self.compile_argv or ())[:1]]
        return all(os.access(os.path.realpath(p), os.X_OK) for p in programs if os.path.isabs(p))

    @property
    def default_template(self) -> str:
        """The default function-style wrapping template (``courses.judging.templates``)."""
        from courses.judging.templates import default_template

        return default_template(self.key)

    def heap_argv(self, memory_kb: int) -> list[str]:
        """The heap options for a run limited to ``memory_kb`` (none for most languages)."""
        heap_mb = max(16, memory_kb // 1024 - self.runtime_overhead_mb)
        return [option.format(heap_mb=heap_mb) for option in self.heap_options]

    def argv(self, template: tuple[str, ...]) -> list[str]:
        names = {"source": self.source_filename, "binary": self.binary_filename}
        return [part.format(**names) for part in template]


def _which(name: str, fallback: str) -> str:
    """An absolute path for a program, preferring the system one (what a sandbox can mount)."""
    if os.path.exists(fallback):
        return fallback
    return shutil.which(name) or fallback


LANGUAGES: dict[str, Language] = {
    lang.key: lang
    for lang in (
        Language(
            key="python",
            display_name="Python 3",
            source_filename="main.py",
            run_argv=("/usr/bin/python3", "-S", "-B", "{source}"),
            compile_argv=None,
            version_argv=("/usr/bin/python3", "--version"),
            judge0_names=("Python (3.", "Python 3"),
            debian_package="python3",
        ),
        Language(
            key="c",
            display_name="C (gcc, C17)",
            source_filename="main.c",
            binary_filename="main",
            compile_argv=(
                "/usr/bin/gcc",
                "-std=c17",
                "-O2",
                "-pipe",
                "-o",
                "{binary}",
                "{source}",
                "-lm",
            ),
            run_argv=("./{binary}",),
            version_argv=("/usr/bin/gcc", "--version"),
            judge0_names=("C (GCC",),
            debian_package="gcc",
        ),
        Language(
            key="cpp",
            display_name="C++ (g++, C++17)",
            source_filename="main.cpp",
            binary_filename="main",
            compile_argv=(
                "/usr/bin/g++",
                "-std=c++17",
                "-O2",
                "-pipe",
                "-o",
                "{binary}",
                "{source}",
            ),
            run_argv=("./{binary}",),
            version_argv=("/usr/bin/g++", "--version"),
            judge0_names=("C++ (GCC",),
            debian_package="g++",
        ),
        Language(
            key="javascript",
            display_name="JavaScript (Node.js)",
            source_filename="main.js",
            run_argv=(_which("node", "/usr/bin/node"), "{source}"),
            compile_argv=None,
            version_argv=(_which("node", "/usr/bin/node"), "--version"),
            judge0_names=("JavaScript (Node.js",),
            debian_package="nodejs",
            heap_options=("--max-old-space-size={heap_mb}",),
            runtime_overhead_mb=48,
        ),
        Language(
            key="java",
            display_name="Java (OpenJDK)",
            source_filename="Main.java",
            binary_filename="Main",
            compile_argv=("/usr/bin/javac", "-encoding", "UTF-8", "-d", ".", "{source}"),
            run_argv=("/usr/bin/java", "-Xss64m", "-XX:+UseSerialGC", "-cp", ".", "{binary}"),
            version_argv=("/usr/bin/java", "-version"),
            judge0_names=("Java (OpenJDK",),
            debian_package="default-jdk-headless",
            heap_options=("-Xmx{heap_mb}m",),
            runtime_overhead_mb=64,
        ),
    )
}

#: The languages the table enables by default: ``make`` installs their toolchains (the Makefile's
#: RUN_PACKAGES), and CI (``COURSES_REQUIRE_SANDBOX=1``) fails when one is missing; elsewhere a
#: missing toolchain is reported by ``judge_check`` and its tests are skipped. The others appear
#: only when installed.
REQUIRED_LANGUAGES = ("python", "c", "cpp")


def missing_toolchain(key: str) -> str | None:
    """Why ``key``'s toolchain cannot run on this host (with what to install), or None."""
    lang = get_language(key)
    if lang.is_installed:
        return None
    programs = [lang.run_argv[0], *(lang.compile_argv or ())[:1]]
    absent = [
        p for p in programs if os.path.isabs(p) and not os.access(os.path.realpath(p), os.X_OK)
    ] or programs[-1:]
    return f"{', '.join(absent)} missing (apt-get install {lang.debian_package})"


def display_name(key: str) -> str:
    """A language's name for people (``python``: "Python 3"); the key itself for a language
    this table does not know (a submission of a language since removed)."""
    language = LANGUAGES.get(key)
    return language.display_name if language is not None else key


def get_language(key: str) -> Language:
    try:
        return LANGUAGES[key]
    except KeyError:
        known = ", ".join(sorted(LANGUAGES))
        raise UnknownLanguage(f"unknown language {key!r}; known: {known}") from None


def available_languages() -> list[Language]:
    """The languages whose toolchain is installed on this host, required ones first."""
    return [lang for lang in LANGUAGES.values() if lang.is_installed]
