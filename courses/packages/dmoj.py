"""DMOJ problems (``init.yml`` + test data) converted into a problem package's files.

DMOJ's documented format (docs.dmoj.ca, "Problem format" and "Custom checkers"): ``init.yml``
holds ``test_cases``, a list whose items are either a normal case ``{in, out, points}`` or a
batch ``{points, batched: [{in, out}, ...], dependencies}``; ``archive`` names a zip holding the
data files (otherwise they sit next to ``init.yml``); ``checker`` is a name or ``{name, args}``.

The conversion gives the files of a problem package (``kind = "problem"``), so that the import
goes through the same checks, judging and single transaction as any package. What differs, and
is reported as warnings (docs/package-format.md, "DMOJ"):

- **Batches become flat cases**: this platform has no subtasks yet (issue 14a adds them); a
  batch's points are spread over its cases as integer weights (``7`` over 3 cases: 3, 2, 2), so
  the batches keep their share of the score, but a batch is no longer all-or-nothing and its
  ``dependencies`` are dropped.
- **Zero points**: DMOJ's ``points: 0`` cases (pretests) weigh 1 here (a weight is at least 1).
- **Checkers**: ``standard`` → ``tokens``, ``identical`` → ``exact``, ``floats`` /
  ``floatsabs`` / ``floatsrel`` (``precision``, ``error_mode``) → ``float`` with tolerances
  10^-precision; any other checker (custom Python checkers included) is refused, naming it.
- Not in ``init.yml``, so given by the importer: the title, the allowed languages, the time and
  memory limits (else the platform's defaults). The statement lives in DMOJ's database, not in
  the problem folder: it is left empty.

Refused with a clear error: cases given as regexes (``test_cases`` as a mapping), generators,
graders, interactive problems, and any key not listed here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from courses.packages import layout, toml
from courses.packages.archive import PackageLimits, read_zip
from courses.packages.load import MAX_TOML_BYTES, PackageError, ProblemPlan, load_problem

INIT = "init.yml"
#: Keys read; keys that only tune DMOJ's own judging and can be dropped without changing verdicts.
KNOWN_KEYS = frozenset({"archive", "test_cases", "checker"})
IGNORED_KEYS = frozenset({"output_prefix_length", "pretest_test_cases", "unbuffered", "hints"})
CASE_KEYS = frozenset({"in", "out", "points"})
BATCH_KEYS = frozenset({"batched", "points", "dependencies"})
FLOAT_CHECKERS = {"floats": "default", "floatsabs": "absolute", "floatsrel": "relative"}


@dataclass
class DmojProblem:
    plan: ProblemPlan
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Case:
    input_name: str
    output_name: str
    weight: int


def convert(
    data: bytes,
    limits: PackageLimits,
    *,
    title: str,
    languages: list[str],
    time_limit_ms: int | None = None,
    memory_limit_kb: int | None = None,
) -> DmojProblem:
    """Read a zip of a DMOJ problem folder into a checked, unsaved problem (and the warnings)."""
    files = read_zip(data, limits)
    if INIT not in files:
        raise PackageError("The zip has no init.yml (at its root or in one folder).", file=INIT)
    init = _init(files[INIT])
    warnings: list[str] = []
    for key in init:
        if key in IGNORED_KEYS:
            warnings.append(f"init.yml: {key!r} is ignored (it does not change verdicts here).")
        elif key not in KNOWN_KEYS:
            raise PackageError(
                f"{key!r} is not supported by this importer (it reads "
                f"{', '.join(sorted(KNOWN_KEYS))}).",
                file=INIT,
                key=str(key),
            )
    data_files = _data_files(files, init, limits)
    cases = _cases(init.get("test_cases"), warnings)
    checker = _checker(init.get("checker", "standard"))
    problem = {
        "title": title,
        "order": 0,
        "points": 100,
        "time_limit_ms": time_limit_ms or 2000,
        "memory_limit_kb": memory_limit_kb or 256 * 1024,
        "output_limit_kb": 64,
        "is_visible": False,
        "is_exam_only": False,
        "is_archived": False,
        "allowed_languages": list(languages),
        "io_mode": "stdio",
        "entry_point": "",
        **checker,
        "cases": [
            {"order": i, "is_sample": False, "weight": c.weight} for i, c in enumerate(cases)
        ],
    }
    # The document above is written in version 1 of the format (no field of a later version).
    manifest = {"format_version": 1, "kind": "problem"}
    folder = layout.SINGLE_PROBLEM_DIR
    package = {
        layout.MANIFEST: toml.dumps(manifest).encode(),
        f"{folder}/{layout.PROBLEM_TOML}": toml.dumps(problem).encode(),
    }
    for index, case in enumerate(cases):
        for name, extension in ((case.input_name, "in"), (case.output_name, "out")):
            if name not in data_files:
                raise PackageError(
                    f"{name!r} is not in the test data.", file=INIT, key="test_cases"
                )
            package[f"{folder}/{layout.case_file(index, extension)}"] = data_files[name]
    try:
        plan = load_problem(package)
    except PackageError as exc:  # name the DMOJ file, not the converted one
        raise PackageError(exc.reason, file=_dmoj_file(exc.file, cases), key=exc.key) from exc
    return DmojProblem(plan=plan, warnings=warnings)


def _init(raw: bytes) -> dict:
    if len(raw) > MAX_TOML_BYTES:
        raise PackageError(f"Larger than {MAX_TOML_BYTES} bytes.", file=INIT)
    try:
        init = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PackageError(f"Not readable YAML ({exc}).", file=INIT) from exc
    if not isinstance(init, dict):
        raise PackageError("Expected a mapping with test_cases.", file=INIT)
    return init


def _data_files(files: dict[str, bytes], init: dict, limits: PackageLimits) -> dict[str, bytes]:
    name = init.get("archive")
    if name is None:
        return {path: content for path, content in files.items() if path != INIT}
    if not isinstance(name, str) or name not in files:
        raise PackageError(f"The archive {name!r} is not in the zip.", file=INIT, key="archive")
    # The inner zip is as untrusted as the outer one: the same rules and limits (ArchiveError).
    return read_zip(files[name], limits)


def _cases(test_cases, warnings: list[str]) -> list[_Case]:
    if isinstance(test_cases, dict):
        raise PackageError(
            "Cases given as regexes (input_format/output_format) are not supported; list them.",
            file=INIT,
            key="test_cases",
        )
    if not isinstance(test_cases, list) or not test_cases:
        raise PackageError("Expected a non-empty list of cases.", file=INIT, key="test_cases")
    cases: list[_Case] = []
    for number, item in enumerate(test_cases, start=1):
        where = f"test_cases[{number}]"
        if not isinstance(item, dict):
            raise PackageError("Expected a mapping.", file=INIT, key=where)
        points = item.get("points", 1)
        if not isinstance(points, int) or isinstance(points, bool) or points < 0:
            raise PackageError("points must be a whole number >= 0.", file=INIT, key=where)
        if "batched" in item:
            _only(item, BATCH_KEYS, where)
            batch = item["batched"]
            if not isinstance(batch, list) or not batch:
                raise PackageError("batched must be a non-empty list.", file=INIT, key=where)
            weights = _spread(points, len(batch))
            for index, (case, weight) in enumerate(zip(batch, weights, strict=True), start=1):
                if not isinstance(case, dict):
                    raise PackageError("Expected a mapping.", file=INIT, key=f"{where}[{index}]")
                _only(case, frozenset({"in", "out"}), f"{where}[{index}]")
                cases.append(_case(case, weight, f"{where}[{index}]"))
            warnings.append(
                f"Batch {number} ({points} points) became {len(batch)} flat cases weighing "
                f"{', '.join(map(str, weights))}: it is no longer all-or-nothing"
                + (", and its dependencies are dropped." if "dependencies" in item else ".")
            )
        else:
            _only(item, CASE_KEYS, where)
            if points == 0:
                warnings.append(f"Case {number} is worth 0 points in DMOJ; it weighs 1 here.")
            cases.append(_case(item, max(points, 1), where))
    return cases


def _only(item: dict, allowed: frozenset, where: str) -> None:
    for key in item:
        if key not in allowed:
            raise PackageError(
                f"{key!r} is not supported here (allowed: {', '.join(sorted(allowed))}).",
                file=INIT,
                key=where,
            )


def _case(item: dict, weight: int, where: str) -> _Case:
    names = item.get("in"), item.get("out")
    if not all(isinstance(name, str) and name for name in names):
        raise PackageError("A case needs in and out file names.", file=INIT, key=where)
    return _Case(input_name=names[0], output_name=names[1], weight=weight)


def _spread(points: int, count: int) -> list[int]:
    """``points`` as ``count`` integer weights >= 1 that add up to it (when it is >= count)."""
    base, extra = divmod(max(points, count), count)
    return [base + (1 if index < extra else 0) for index in range(count)]


def _checker(spec) -> dict:
    args = {}
    if isinstance(spec, dict):
        args = spec.get("args") or {}
        spec = spec.get("name")
        if not isinstance(args, dict):
            raise PackageError("checker args must be a mapping.", file=INIT, key="checker")
    if spec == "standard":
        return {"checker": "tokens", "float_abs_tolerance": 1e-6, "float_rel_tolerance": 1e-6}
    if spec == "identical":
        return {"checker": "exact", "float_abs_tolerance": 1e-6, "float_rel_tolerance": 1e-6}
    if spec in FLOAT_CHECKERS:
        precision = args.get("precision", 6)
        mode = args.get("error_mode", FLOAT_CHECKERS[spec])
        if (
            not isinstance(precision, int)
            or isinstance(precision, bool)
            or not 0 <= precision <= 30
        ):
            raise PackageError("precision must be a whole number.", file=INIT, key="checker")
        if mode not in ("default", "absolute", "relative"):
            raise PackageError(f"Unknown error_mode {mode!r}.", file=INIT, key="checker")
        epsilon = float(f"1e-{precision}")
        return {
            "checker": "float",
            "float_abs_tolerance": 0.0 if mode == "relative" else epsilon,
            "float_rel_tolerance": 0.0 if mode == "absolute" else epsilon,
        }
    raise PackageError(
        f"The checker {spec!r} has no equivalent here (standard, identical, floats, floatsabs "
        "and floatsrel do; custom checkers are not imported yet).",
        file=INIT,
        key="checker",
    )


def _dmoj_file(path: str, cases: list[_Case]) -> str:
    for index, case in enumerate(cases):
        if path.endswith(layout.case_file(index, "in")):
            return case.input_name
        if path.endswith(layout.case_file(index, "out")):
            return case.output_name
    return INIT
