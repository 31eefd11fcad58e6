"""Reference harness: the bare, unsandboxed baseline of ``bench/judge_local.py``. Do not tune.

Usage: ``python3 reference_harness.py SOLUTION.py ENTRY_POINT INPUT_DIR``

For every ``*.json`` file of INPUT_DIR (sorted), in this one process: run the solution's code in
a fresh namespace, call ``ENTRY_POINT(*json.load(input))``, and print ``json.dumps`` of the result
on one line. That is the least work any judge must do for a function-style problem: no sandbox,
no process per case, no limits, no checker.
"""

import json
import os
import sys


def main() -> int:
    solution_path, entry_point, input_dir = sys.argv[1:4]
    with open(solution_path, encoding="utf-8") as f:
        code = compile(f.read(), solution_path, "exec")
    out = sys.stdout
    for name in sorted(os.listdir(input_dir)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(input_dir, name), "rb") as f:
            args = json.loads(f.read())
        namespace = {"__name__": "__solution__"}
        exec(code, namespace)
        out.write(json.dumps(namespace[entry_point](*args)) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
