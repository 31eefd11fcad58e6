"""DMOJ problems (``init.yml`` + test data) converted into a problem package's files.

DMOJ's documented format (docs.dmoj.ca, "Problem format" and "Custom checkers"): ``init.yml``
holds ``test_cases``, a list whose items are either a normal case ``{in, out, points}`` or a
batch ``{points, batched: [{in, out}, ...], dependencies}``; ``archive`` names a zip holding the
data files (otherwise they sit next to ``init.yml``); ``checker`` is a name or ``{name, args}``.

The conversion gives the files of a problem package (``kind = "problem"``), so that the import
goes through the same checks, judging and single transaction as any package. What differs, and
is reported as warnings (docs/package-format.md, "DMOJ"):

- **Batches become subtasks**: when ``init.yml`` has a batch, every item of ``test_cases`` becomes
  a subtask in its order (a batch with its cases, a normal case alone), worth its points, all or
  nothing, stopping at its first failure (DMOJ's batch rules); ``dependencies`` (one-indexed
  batch numbers) become the subtask's ``depends_on``. The package is then written in format
  version 2. Without a batch, cases stay flat cases weighing their points (version 1).
- **Zero points**: DMOJ's ``points: 0`` items (pretests) are worth 1 here (a weight, and a
  subtask's points, are at least 1), and a failed pretest does not stop the judging.
- **Checkers**: ``standard`` → ``tokens``, ``identical`` → ``exact``, ``floats`` /
  ``floatsabs`` / ``floatsrel`` (``precision``, ``error_mode``) → ``float`` with tolerances
  10^-precision; any other checker (custom Python checkers included) is refused, naming it.
- Not in ``init.yml``, so given by the importer: the title, the allowed languages, the time and
  memory limits (else the platform's defaults). The statement lives in DMOJ's database, not in
  the problem folder: it is left empty.

Refused with a clear error: cases given as regexes (``test_cases`` as a mapping), generators,
graders, interactive problems, any key not listed here, and a key given twice in one mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from courses.packages import layout, toml
from courses.packages.archive import PackageLimits, read_zip
from courses.packages.load import MAX_TOML_BYTES, PackageError, ProblemPlan, load_problem
from courses.services import authoring_limits as limits

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
    #: The order of the case's subtask (the position of its item in ``test_cases``), when the
    #: problem has subtasks.
    subtask: int | None = None


@dataclass
class _Subtask:
    order: int
    name: str
    points: int
    #: The orders of the subtasks it depends on.
    depends_on: list[int]


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
    # Two files per case in the converted package: no more cases than a package may hold.
    cases, subtasks = _cases(init.get("test_cases"), warnings, max_cases=limits.max_files // 2)
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
    # Without subtasks the document is written in version 1 of the format (no field of a later
    # version); subtasks are a version 2 field, which also names the other version 2 fields.
    version = 1
    if subtasks:
        version = 2
        problem.update(checker_language="", language_limits={})
        problem["subtasks"] = [
            {
                "order": t.order,
                "name": t.name,
                "points": t.points,
                "scoring": "all_or_nothing",
                "short_circuit": True,
                "depends_on": t.depends_on,
            }
            for t in subtasks
        ]
        for row, case in zip(problem["cases"], cases, strict=True):
            row["subtask"] = case.subtask
    manifest = {"format_version": version, "kind": "problem"}
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


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key, first: yaml.Mark, again: yaml.Mark) -> None:
        super().__init__(
            f"{key!r} is given twice (lines {first.line + 1} and {again.line + 1}); "
            "give it once: which one was meant is not for the importer to guess"
        )


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a mapping that gives a key twice, at any depth.

    YAML requires keys to be unique, but PyYAML keeps the last one silently: two ``test_cases``
    would import the second list and drop the first, as other ambiguities here are refused.
    A merge (``<<``) may still be overridden: that is what it is for.
    """

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:  # an unhashable key: PyYAML's own error follows
                continue
            if first is not key_node.start_mark:
                raise _DuplicateKey(key, first, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _init(raw: bytes) -> dict:
    if len(raw) > MAX_TOML_BYTES:
        raise PackageError(f"Larger than {MAX_TOML_BYTES} bytes.", file=INIT)
    try:
        init = yaml.load(raw.decode("utf-8"), Loader=_UniqueKeyLoader)  # a SafeLoader
    except _DuplicateKey as exc:
        raise PackageError(f"{exc}.", file=INIT) from exc
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PackageError(f"Not readable YAML ({exc}).", file=INIT) from exc
    except RecursionError as exc:
        # PyYAML composes nested lists and mappings recursively; no init.yml nests that deep.
        raise PackageError(
            "Not readable YAML: lists or mappings nested too deeply.", file=INIT
        ) from exc
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


def _cases(
    test_cases, warnings: list[str], *, max_cases: int
) -> tuple[list[_Case], list[_Subtask]]:
    """The cases, and the subtasks when ``test_cases`` has a batch (else an empty list).

    Counted as they are read: YAML aliases let a few bytes name the same batch thousands of
    times (``batched: *cases``), and each mention is a copy of its cases here.
    """
    if isinstance(test_cases, dict):
        raise PackageError(
            "Cases given as regexes (input_format/output_format) are not supported; list them.",
            file=INIT,
            key="test_cases",
        )
    if not isinstance(test_cases, list) or not test_cases:
        raise PackageError("Expected a non-empty list of cases.", file=INIT, key="test_cases")
    with_subtasks = any(isinstance(item, dict) and "batched" in item for item in test_cases)
    # An item's points become a subtask's points or a case's weight: the authoring API's bounds.
    most = (limits.SUBTASK_POINTS if with_subtasks else limits.CASE_WEIGHT).high
    cases: list[_Case] = []
    subtasks: list[_Subtask] = []
    batch_orders: dict[int, int] = {}  # DMOJ's one-indexed batch number -> subtask order
    for number, item in enumerate(test_cases, start=1):
        where = f"test_cases[{number}]"
        if not isinstance(item, dict):
            raise PackageError("Expected a mapping.", file=INIT, key=where)
        points = item.get("points", 1)
        if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= most:
            raise PackageError(
                f"points must be a whole number from 0 to {most}.", file=INIT, key=where
            )
        order = number - 1
        if points == 0:
            warnings.append(
                f"Item {number} is worth 0 points in DMOJ (a pretest); it is worth 1 here, and "
                "its failure does not stop the judging."
            )
        if "batched" in item:
            _only(item, BATCH_KEYS, where)
            batch = item["batched"]
            if not isinstance(batch, list) or not batch:
                raise PackageError("batched must be a non-empty list.", file=INIT, key=where)
            for index, case in enumerate(batch, start=1):
                _require_room(cases, max_cases)
                if not isinstance(case, dict):
                    raise PackageError("Expected a mapping.", file=INIT, key=f"{where}[{index}]")
                _only(case, frozenset({"in", "out"}), f"{where}[{index}]")
                cases.append(_case(case, 1, f"{where}[{index}]", subtask=order))
            depends_on = _dependencies(item.get("dependencies", []), batch_orders, where)
            batch_orders[len(batch_orders) + 1] = order
            subtasks.append(
                _Subtask(order, f"Batch {len(batch_orders)}", max(points, 1), depends_on)
            )
        else:
            _only(item, CASE_KEYS, where)
            _require_room(cases, max_cases)
            if with_subtasks:
                cases.append(_case(item, 1, where, subtask=order))
                subtasks.append(_Subtask(order, f"Case {number}", max(points, 1), []))
            else:
                cases.append(_case(item, max(points, 1), where))
    return cases, subtasks


def _require_room(cases: list[_Case], max_cases: int) -> None:
    if len(cases) >= max_cases:
        raise PackageError(
            f"More than {max_cases} cases (YAML aliases count each time they are used).",
            file=INIT,
            key="test_cases",
        )


def _dependencies(value, batch_orders: dict[int, int], where: str) -> list[int]:
    """DMOJ's ``dependencies`` (one-indexed numbers of earlier batches) as subtask orders."""
    if not isinstance(value, list) or not all(
        isinstance(number, int) and not isinstance(number, bool) and number in batch_orders
        for number in value
    ):
        raise PackageError(
            "dependencies must list the numbers of earlier batches (one-indexed).",
            file=INIT,
            key=f"{where}.dependencies",
        )
    return sorted({batch_orders[number] for number in value})


def _only(item: dict, allowed: frozenset, where: str) -> None:
    for key in item:
        if key not in allowed:
            raise PackageError(
                f"{key!r} is not supported here (allowed: {', '.join(sorted(allowed))}).",
                file=INIT,
                key=where,
            )


def _case(item: dict, weight: int, where: str, *, subtask: int | None = None) -> _Case:
    names = item.get("in"), item.get("out")
    if not all(isinstance(name, str) and name for name in names):
        raise PackageError("A case needs in and out file names.", file=INIT, key=where)
    return _Case(input_name=names[0], output_name=names[1], weight=weight, subtask=subtask)


def _checker(spec) -> dict:
    args = {}
    if isinstance(spec, dict):
        args = spec.get("args") or {}
        spec = spec.get("name")
        if not isinstance(args, dict):
            raise PackageError("checker args must be a mapping.", file=INIT, key="checker")
    if not isinstance(spec, str):
        raise PackageError(
            "checker must be a name (standard) or {name, args} with a name.",
            file=INIT,
            key="checker",
        )
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
