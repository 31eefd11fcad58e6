"""The demo course, as data: `manage.py seed_demo` loads it, tests judge its solutions.

Every problem has a reference solution (stored as ``ReferenceSolution``) and a deliberately wrong
variant (kept here only), so tests can prove that the judge accepts the first and rejects the second
on every backend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from courses.judging.tests_as_code import split_test_code


@dataclass(frozen=True)
class DemoCase:
    input: str
    expected_output: str
    is_sample: bool = False
    weight: int = 1


@dataclass(frozen=True)
class DemoProblem:
    chapter: int
    title: str
    statement: str
    io_mode: str
    checker: str
    language: str
    reference: str
    wrong: str
    cases: tuple[DemoCase, ...]
    entry_point: str = ""
    starter_code: str = ""
    extra_languages: tuple[str, ...] = field(default_factory=tuple)
    #: Tests written as code (io mode ``tests``): the setup run before each case.
    setup_code: str = ""
    #: A custom checker (checker ``custom``): its language and program.
    checker_language: str = ""
    checker_code: str = ""
    subtasks: tuple[DemoSubtask, ...] = ()
    #: Only reachable in an exam (``Problem.is_exam_only``): no practice, no discussion.
    exam_only: bool = False

    @property
    def is_plain(self) -> bool:
        """Judged by wrapping, running and a built-in checker alone (no harness of tests as
        code, no checker program, no subtasks): what backend-level tests can judge by hand."""
        return (
            self.io_mode in ("function", "stdio")
            and self.checker != "custom"
            and not (self.subtasks)
        )


@dataclass(frozen=True)
class DemoSubtask:
    name: str
    points: int
    #: Indices of the problem's cases, and of earlier subtasks it depends on.
    cases: tuple[int, ...]
    depends_on: tuple[int, ...] = ()
    scoring: str = "all_or_nothing"
    short_circuit: bool = True


def _code_cases(block: str) -> tuple[DemoCase, ...]:
    """Cases of tests written as code: EXPR as the input, LITERAL as the expected output."""
    return tuple(DemoCase(t.expr, t.literal, is_sample=t.is_sample) for t in split_test_code(block))


#: The tests of "Mean and span", as an instructor writes them.
STATS_TESTS = """assert mean([1, 2, 3]) == 2.0  # sample
assert mean([0.1, 0.2]) == 0.15
assert span([3, 1, 2]) == (1, 3)  # sample
assert span([-1]) == (-1, -1)
assert span([2.5, -0.5]) == (-0.5, 2.5)
"""

#: "Two parts": any two non-negative integers summing to n are right (a custom checker).
PAIR_CHECKER = """import sys

data = sys.stdin.buffer.read()
header, _, rest = data.partition(b"\\n")
sizes = [int(size) for size in header.split()]
n = int(rest[: sizes[0]])
words = rest[sizes[0] + sizes[1] :].split()
# The student's output is hostile: int() of 5,000 digits raises (and a crash here would be the
# instructor's error, not the student's wrong answer).
if len(words) != 2 or not all(w.isdigit() and len(w) <= 30 for w in words):
    print("wrong_answer")
    print("print two non-negative integers on one line")
elif int(words[0]) + int(words[1]) != n:
    print("wrong_answer")
    print(f"{words[0].decode()} + {words[1].decode()} is not {n}")
else:
    print("accepted")
"""


def _fn_cases(rows: list[tuple[list, object]], samples: int = 1) -> tuple[DemoCase, ...]:
    """Function-style cases: stdin is the JSON array of arguments, output the JSON result."""
    return tuple(
        DemoCase(json.dumps(args), json.dumps(result), is_sample=i < samples)
        for i, (args, result) in enumerate(rows)
    )


COURSE = {
    "slug": "intro-python",
    "title": "Introduction to Python",
    "description": "Variables, functions, loops and lists, with automatically judged exercises.",
    "time_zone": "Europe/Paris",
    # Work after a due date loses 10 % of its score per started day late.
    "late_policy": "penalty",
    "late_penalty_percent_per_day": 10,
}
CHAPTERS = ("First steps", "Loops and lists")
#: The homework chapter (its index in CHAPTERS) and how many days after the first seeding it is
#: due, at 23:59 in the course's time zone.
HOMEWORK_CHAPTER = 1
HOMEWORK_DUE_IN_DAYS = 14

PROBLEMS: tuple[DemoProblem, ...] = (
    DemoProblem(
        chapter=0,
        title="Add two numbers",
        statement="Write `add(a, b)` that returns the sum of two integers.",
        io_mode="function",
        entry_point="add",
        checker="json",
        language="python",
        starter_code="def add(a, b):\n    pass\n",
        reference="def add(a, b):\n    return a + b\n",
        wrong="def add(a, b):\n    return a - b\n",
        cases=_fn_cases([([1, 2], 3), ([-5, 5], 0), ([10**12, 1], 10**12 + 1), ([0, 0], 0)]),
    ),
    DemoProblem(
        chapter=0,
        title="Reverse a string",
        statement="Write `reverse(s)` that returns `s` reversed.",
        io_mode="function",
        entry_point="reverse",
        checker="json",
        language="python",
        starter_code="def reverse(s):\n    pass\n",
        reference="def reverse(s):\n    return s[::-1]\n",
        wrong="def reverse(s):\n    return s\n",
        cases=_fn_cases([(["abc"], "cba"), ([""], ""), (["été"], "été"[::-1]), (["ab"], "ba")]),
    ),
    DemoProblem(
        chapter=0,
        title="FizzBuzz",
        statement=(
            "Read n and print 1..n, with Fizz for multiples of 3, Buzz of 5, FizzBuzz of both."
        ),
        io_mode="stdio",
        checker="exact",
        language="python",
        reference=(
            "n = int(input())\n"
            "for i in range(1, n + 1):\n"
            "    print('FizzBuzz' if i % 15 == 0 else 'Fizz' if i % 3 == 0"
            " else 'Buzz' if i % 5 == 0 else i)\n"
        ),
        wrong="n = int(input())\nfor i in range(1, n + 1):\n    print(i)\n",
        cases=(
            DemoCase("3\n", "1\n2\nFizz\n", is_sample=True),
            DemoCase("5\n", "1\n2\nFizz\n4\nBuzz\n"),
            DemoCase(
                "15\n",
                "1\n2\nFizz\n4\nBuzz\nFizz\n7\n8\nFizz\nBuzz\n11\nFizz\n13\n14\nFizzBuzz\n",
                weight=2,
            ),
        ),
    ),
    DemoProblem(
        chapter=1,
        title="Sum of a list",
        statement="Write `total(numbers)` that returns the sum of a list of integers.",
        io_mode="function",
        entry_point="total",
        checker="json",
        language="python",
        starter_code="def total(numbers):\n    pass\n",
        reference=(
            "def total(numbers):\n"
            "    result = 0\n"
            "    for n in numbers:\n"
            "        result += n\n"
            "    return result\n"
        ),
        wrong="def total(numbers):\n    return sum(numbers[1:])\n",
        cases=_fn_cases([([[1, 2, 3]], 6), ([[]], 0), ([[5]], 5), ([list(range(1000))], 499500)]),
    ),
    DemoProblem(
        chapter=1,
        title="Average",
        statement="Read numbers separated by spaces on one line and print their mean.",
        io_mode="stdio",
        checker="float",
        language="python",
        reference="xs = [float(t) for t in input().split()]\nprint(sum(xs) / len(xs))\n",
        wrong="xs = [float(t) for t in input().split()]\nprint(sum(xs) / (len(xs) + 1))\n",
        cases=(
            DemoCase("1 2 3\n", "2.0\n", is_sample=True),
            DemoCase("10\n", "10\n"),
            DemoCase("0.1 0.2\n", "0.15\n"),
        ),
    ),
    DemoProblem(
        chapter=1,
        title="Sum of two integers in C",
        statement="Read two integers and print their sum (C).",
        io_mode="stdio",
        checker="tokens",
        language="c",
        reference=(
            "#include <stdio.h>\n"
            "int main(void) {\n"
            "    long long a, b;\n"
            '    if (scanf("%lld %lld", &a, &b) != 2) return 1;\n'
            '    printf("%lld\\n", a + b);\n'
            "    return 0;\n"
            "}\n"
        ),
        wrong=(
            "#include <stdio.h>\n"
            "int main(void) {\n"
            "    int a, b;\n"
            '    scanf("%d %d", &a, &b);\n'
            '    printf("%d\\n", a * b);\n'
            "    return 0;\n"
            "}\n"
        ),
        cases=(
            DemoCase("1 2\n", "3\n", is_sample=True),
            DemoCase("-7 7\n", "0\n"),
            DemoCase("3000000000 4000000000\n", "7000000000\n"),
        ),
    ),
    DemoProblem(
        chapter=1,
        title="Maximum in C++",
        statement="Read n, then n integers, and print the largest (C++).",
        io_mode="stdio",
        checker="tokens",
        language="cpp",
        reference=(
            "#include <algorithm>\n#include <iostream>\n#include <vector>\n"
            "int main() {\n"
            "    int n; std::cin >> n;\n"
            "    std::vector<long long> v(n);\n"
            "    for (auto &x : v) std::cin >> x;\n"
            "    std::cout << *std::max_element(v.begin(), v.end()) << '\\n';\n"
            "}\n"
        ),
        wrong=(
            "#include <iostream>\n"
            "int main() { int n, x; std::cin >> n >> x; std::cout << x << '\\n'; }\n"
        ),
        cases=(
            DemoCase("3\n1 5 2\n", "5\n", is_sample=True),
            DemoCase("1\n-4\n", "-4\n"),
            DemoCase("4\n-1 -2 -3 9\n", "9\n"),
        ),
    ),
)

#: One problem of each kind of issue 14: tests written as code, a custom checker, subtasks.
PROBLEMS += (
    DemoProblem(
        chapter=1,
        title="Mean and span",
        statement=(
            "Write `mean(xs)`, the mean of a non-empty list of numbers, and `span(xs)`, the "
            "tuple `(smallest, largest)`. The tests are Python asserts, such as "
            "`assert span([3, 1, 2]) == (1, 3)`."
        ),
        io_mode="tests",
        checker="exact",
        language="python",
        starter_code="def mean(xs):\n    pass\n\n\ndef span(xs):\n    pass\n",
        reference=(
            "def mean(xs):\n    return sum(xs) / len(xs)\n\n\n"
            "def span(xs):\n    return (min(xs), max(xs))\n"
        ),
        # A list is not a tuple: the asserts say so.
        wrong=(
            "def mean(xs):\n    return sum(xs) / len(xs)\n\n\n"
            "def span(xs):\n    return [min(xs), max(xs)]\n"
        ),
        cases=_code_cases(STATS_TESTS),
        setup_code="import math\n",
    ),
    DemoProblem(
        chapter=1,
        title="Two parts",
        statement=(
            "Read n (n ≥ 0) and print two non-negative integers whose sum is n, on one line. "
            "Any such pair is right."
        ),
        io_mode="stdio",
        checker="custom",
        language="python",
        reference="n = int(input())\nprint(n // 2, n - n // 2)\n",
        wrong="n = int(input())\nprint(n, 1)\n",
        cases=(
            DemoCase("10\n", "5 5\n", is_sample=True),
            DemoCase("7\n", "3 4\n"),
            DemoCase("0\n", "0 0\n"),
        ),
        checker_language="python",
        checker_code=PAIR_CHECKER,
    ),
    DemoProblem(
        chapter=1,
        title="Counting primes",
        statement=(
            "Write `count_primes(n)`: how many primes are ≤ n. Two subtasks: small n (30 "
            "points), then large n (70 points), which counts only if the small ones pass."
        ),
        io_mode="function",
        entry_point="count_primes",
        checker="json",
        language="python",
        starter_code="def count_primes(n):\n    pass\n",
        reference=(
            "def count_primes(n):\n"
            "    if n < 2:\n"
            "        return 0\n"
            "    sieve = bytearray([1]) * (n + 1)\n"
            "    sieve[0] = sieve[1] = 0\n"
            "    for i in range(2, int(n ** 0.5) + 1):\n"
            "        if sieve[i]:\n"
            "            sieve[i * i :: i] = bytes(len(range(i * i, n + 1, i)))\n"
            "    return sum(sieve)\n"
        ),
        # Counts 1 as a prime: the small subtask fails at once, the large one is skipped.
        wrong=(
            "def count_primes(n):\n"
            "    return sum(all(k % d for d in range(2, int(k ** 0.5) + 1)) "
            "for k in range(1, n + 1))\n"
        ),
        cases=_fn_cases(
            [([10], 4), ([1], 0), ([2], 1), ([1000], 168), ([100_000], 9592)], samples=1
        ),
        subtasks=(
            DemoSubtask("small n", 30, cases=(0, 1, 2)),
            DemoSubtask("large n", 70, cases=(3, 4), depends_on=(0,)),
        ),
    ),
)

#: The demo exam's own problems: exam-only, so that while the exam is open (for years in the demo)
#: nobody practises them with full feedback, and every practice problem stays open to discussion.
EXAM_ONLY_PROBLEMS: tuple[DemoProblem, ...] = (
    DemoProblem(
        chapter=0,
        title="Largest of three",
        statement="Write `largest(a, b, c)` that returns the largest of three integers.",
        io_mode="function",
        entry_point="largest",
        checker="json",
        language="python",
        starter_code="def largest(a, b, c):\n    pass\n",
        reference="def largest(a, b, c):\n    return max(a, b, c)\n",
        wrong="def largest(a, b, c):\n    return a\n",
        cases=_fn_cases([([1, 2, 3], 3), ([3, 2, 1], 3), ([-1, -5, -3], -1), ([7, 7, 7], 7)]),
        exam_only=True,
    ),
    DemoProblem(
        chapter=0,
        title="Count the vowels",
        statement="Write `vowels(s)` that returns how many letters of `s` are vowels (a, e, i, o, "
        "u, in either case).",
        io_mode="function",
        entry_point="vowels",
        checker="json",
        language="python",
        starter_code="def vowels(s):\n    pass\n",
        reference="def vowels(s):\n    return sum(c in 'aeiouAEIOU' for c in s)\n",
        wrong="def vowels(s):\n    return sum(c in 'aeiou' for c in s)\n",
        cases=_fn_cases([(["hello"], 2), ([""], 0), (["AEIOU xyz"], 5), (["rhythm"], 0)]),
        exam_only=True,
    ),
    DemoProblem(
        chapter=0,
        title="Squares",
        statement="Read n and print the squares of 1..n, one per line.",
        io_mode="stdio",
        checker="exact",
        language="python",
        reference="n = int(input())\nfor i in range(1, n + 1):\n    print(i * i)\n",
        wrong="n = int(input())\nfor i in range(1, n + 1):\n    print(i * 2)\n",
        cases=(
            DemoCase("3\n", "1\n4\n9\n", is_sample=True),
            DemoCase("1\n", "1\n"),
            DemoCase("5\n", "1\n4\n9\n16\n25\n"),
        ),
        exam_only=True,
    ),
)
PROBLEMS = PROBLEMS + EXAM_ONLY_PROBLEMS

#: Titles of the problems the demo exam uses.
EXAM_PROBLEMS = tuple(spec.title for spec in EXAM_ONLY_PROBLEMS)
