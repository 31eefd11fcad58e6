"""Case verdicts, submission verdict and score, and the scripted backend they are tested with."""

from __future__ import annotations

import threading
import unittest
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from courses.judging.aggregation import (
    SCORE_PLACES,
    Aggregate,
    CaseResult,
    aggregate,
    case_verdict,
    judge_case,
    run_verdict,
)
from courses.judging.backends.base import JudgeBackend
from courses.judging.checkers import Checker, CheckerKind
from courses.judging.errors import BackendUnavailable, ExecutorBusy
from courses.judging.types import Outcome, RunRequest, RunResult, Verdict
from courses.tests.scripted_backend import ScriptedBackend, failed, ok

AC, WA, TLE, CE = (
    Verdict.ACCEPTED,
    Verdict.WRONG_ANSWER,
    Verdict.TIME_LIMIT_EXCEEDED,
    Verdict.COMPILATION_ERROR,
)
#: What a run can be judged (``skipped`` is not a run's verdict: tested apart).
FINAL_VERDICTS = [v for v in Verdict if v.is_final and v is not Verdict.SKIPPED]
IE, SKIP = Verdict.INTERNAL_ERROR, Verdict.SKIPPED


def cases(*verdicts, weights=None):
    weights = weights or [1] * len(verdicts)
    return [CaseResult(v, w) for v, w in zip(verdicts, weights, strict=True)]


class JudgeCaseTestCase(unittest.TestCase):
    def test_clean_run_is_decided_by_the_checker(self):
        self.assertIs(case_verdict(ok(b"3 \n"), b"3", "exact"), AC)
        self.assertIs(case_verdict(ok(b"4\n"), b"3", "exact"), WA)
        self.assertIs(case_verdict(ok(b"1  2"), "1 2", CheckerKind.TOKENS), AC)
        self.assertIs(case_verdict(ok(b"0.30000001"), b"0.3", Checker("float")), AC)
        self.assertIs(case_verdict(ok(b"not json"), b"[1]", "json"), WA)

    def test_failed_runs_get_the_table_verdict_whatever_the_output(self):
        expected = {
            Outcome.TIME_LIMIT: Verdict.TIME_LIMIT_EXCEEDED,
            Outcome.MEMORY_LIMIT: Verdict.MEMORY_LIMIT_EXCEEDED,
            Outcome.OUTPUT_LIMIT: Verdict.OUTPUT_LIMIT_EXCEEDED,
            Outcome.RUNTIME_ERROR: Verdict.RUNTIME_ERROR,
            Outcome.COMPILATION_ERROR: Verdict.COMPILATION_ERROR,
        }
        for outcome, verdict in expected.items():
            with self.subTest(outcome=outcome):
                # The right answer on stdout does not rescue a failed run.
                self.assertIs(case_verdict(failed(outcome, stdout=b"3"), b"3"), verdict)

    def test_truncated_output_of_a_clean_run_is_an_output_limit(self):
        self.assertIs(
            case_verdict(ok(b"3", stdout_truncated=True), b"3"), Verdict.OUTPUT_LIMIT_EXCEEDED
        )

    def test_judge_case_keeps_weight_and_run_figures(self):
        result = ok(b"3", cpu_time_ms=15, wall_time_ms=40, memory_kb=9000)
        case = judge_case(result, b"3", weight=5)
        self.assertEqual(case, CaseResult(AC, 5, result))
        self.assertEqual((case.cpu_time_ms, case.wall_time_ms, case.memory_kb), (15, 40, 9000))

    def test_run_verdict_for_free_runs(self):
        self.assertIs(run_verdict(ok(b"anything")), AC)
        self.assertIs(run_verdict(failed(Outcome.RUNTIME_ERROR)), Verdict.RUNTIME_ERROR)

    def test_case_results_must_be_final_and_weights_not_negative(self):
        for verdict in (Verdict.PENDING, Verdict.JUDGING):
            with self.subTest(verdict=verdict), self.assertRaises(ValueError):
                CaseResult(verdict)
        with self.assertRaises(ValueError):
            CaseResult(AC, -1)
        self.assertIs(CaseResult("accepted").verdict, AC)


class AggregateTestCase(unittest.TestCase):
    def test_all_accepted(self):
        summary = aggregate(cases(AC, AC, AC))
        self.assertEqual(summary.verdict, AC)
        self.assertEqual(summary.score, Decimal("1"))
        self.assertEqual((summary.passed_cases, summary.total_cases), (3, 3))
        self.assertIsNone(summary.first_failed_index)

    def test_verdict_is_the_first_failing_case_in_order(self):
        summary = aggregate(cases(AC, TLE, WA, AC))
        self.assertEqual((summary.verdict, summary.first_failed_index), (TLE, 1))
        self.assertEqual(aggregate(cases(WA, TLE)).verdict, WA)

    def test_score_is_the_weighted_share_of_passed_cases(self):
        summary = aggregate(cases(AC, WA, AC, TLE, weights=[1, 2, 3, 4]))
        self.assertEqual(summary.score, Decimal("0.4"))
        self.assertEqual(summary.passed_cases, 2)

    def test_score_is_a_decimal_rounded_down(self):
        summary = aggregate(cases(AC, AC, WA))
        self.assertIsInstance(summary.score, Decimal)
        self.assertEqual(summary.score, Decimal("0.6666"))
        self.assertEqual(summary.score.as_tuple().exponent, -SCORE_PLACES)
        # 19999 of 20000 would round *up* to 1.0000; a failing submission never scores 1.
        almost = aggregate(cases(AC, WA, weights=[19_999, 1]))
        self.assertEqual(almost.score, Decimal("0.9999"))

    def test_decimal_weights(self):
        summary = aggregate(cases(AC, WA, weights=[Decimal("0.5"), Decimal("1.5")]))
        self.assertEqual(summary.score, Decimal("0.25"))

    def test_compilation_error_ends_judging_with_score_zero(self):
        summary = aggregate(cases(CE, CE, CE))
        self.assertEqual((summary.verdict, summary.score, summary.passed_cases), (CE, 0, 0))
        self.assertEqual(aggregate(cases(AC, CE)).verdict, CE)
        self.assertEqual(aggregate(cases(WA, CE)).score, Decimal(0))

    def test_a_zero_weight_is_refused(self):
        """A failing case that counts for nothing would give a wrong answer a full score."""
        for weights in ([1, 0], [0, 0], [0]):
            with self.subTest(weights=weights), self.assertRaises(ValueError):
                aggregate(cases(*[AC, WA][: len(weights)], weights=weights))

    def test_internal_error_of_a_case_wins_over_an_earlier_wrong_answer(self):
        summary = aggregate(cases(WA, AC, IE))
        self.assertEqual((summary.verdict, summary.score, summary.first_failed_index), (IE, 0, 2))

    def test_skipped_cases_never_decide_the_verdict_and_score_nothing(self):
        summary = aggregate(cases(AC, TLE, SKIP, SKIP))
        self.assertEqual((summary.verdict, summary.score), (TLE, Decimal("0.25")))
        self.assertEqual(summary.first_failed_index, 1)
        with self.assertRaises(ValueError):  # skipped with nothing failed: a bug upstream
            aggregate(cases(AC, SKIP))

    def test_partial_case_scores_count_by_weight(self):
        summary = aggregate([CaseResult(AC, 1), CaseResult(WA, 3, score=Decimal("0.5"))])
        self.assertEqual((summary.verdict, summary.score), (WA, Decimal("0.625")))
        with self.assertRaises(ValueError):
            CaseResult(AC, 1, score=Decimal("0.5"))  # an accepted case earns all of it
        with self.assertRaises(ValueError):
            CaseResult(WA, 1, score=Decimal("1.5"))

    def test_no_cases_is_an_error(self):
        with self.assertRaises(ValueError):
            aggregate([])

    def test_time_and_memory_are_maxima_over_cases(self):
        summary = aggregate(
            [
                CaseResult(AC, 1, ok(cpu_time_ms=10, wall_time_ms=90, memory_kb=500)),
                CaseResult(WA, 1, ok(cpu_time_ms=30, wall_time_ms=50, memory_kb=200)),
                CaseResult(AC, 1),
            ]
        )
        self.assertEqual(
            (summary.max_cpu_time_ms, summary.max_wall_time_ms, summary.peak_memory_kb),
            (30, 90, 500),
        )

    @settings(database=None, deadline=None, max_examples=200)
    @given(
        st.lists(
            st.tuples(st.sampled_from(FINAL_VERDICTS), st.integers(min_value=1, max_value=1000)),
            min_size=1,
            max_size=30,
        )
    )
    def test_invariants(self, items):
        summary = aggregate([CaseResult(v, w) for v, w in items])
        self.assertIsInstance(summary, Aggregate)
        self.assertTrue(Decimal(0) <= summary.score <= Decimal(1))
        all_passed = all(v is AC for v, _ in items)
        self.assertEqual(summary.score == 1, all_passed)
        self.assertEqual(summary.verdict is AC, all_passed)
        if CE in [v for v, _ in items]:
            self.assertEqual((summary.verdict, summary.score), (CE, 0))
        elif IE in [v for v, _ in items]:
            # A failed checker: no verdict against the student, whatever came first.
            self.assertEqual((summary.verdict, summary.score), (IE, 0))
        elif not all_passed:
            self.assertEqual(summary.verdict, next(v for v, _ in items if v is not AC))


class ScriptedBackendTestCase(unittest.TestCase):
    def requests(self, *stdins, source="print(1)"):
        return [RunRequest(language="python", source=source, stdin=s) for s in stdins]

    def test_is_a_judge_backend_and_runs_clean_by_default(self):
        backend = ScriptedBackend()
        self.assertIsInstance(backend, JudgeBackend)
        self.assertEqual(backend.run_batch(self.requests(b"1", b"2")), [RunResult(Outcome.OK)] * 2)

    def test_records_every_batch(self):
        backend = ScriptedBackend(ok(b"x"))
        first, second = self.requests(b"1", b"2"), self.requests(b"3")
        backend.run_batch(first)
        backend.run_batch(second)
        self.assertEqual(backend.batches, [first, second])
        self.assertEqual([r.stdin for r in backend.requests], [b"1", b"2", b"3"])

    def test_sequence_is_consumed_across_batches_then_fails_loudly(self):
        backend = ScriptedBackend([ok(b"a"), failed(Outcome.TIME_LIMIT), ok(b"c")])
        self.assertEqual(
            [r.stdout for r in backend.run_batch(self.requests(b"", b""))], [b"a", b""]
        )
        self.assertEqual(backend.run_batch(self.requests(b""))[0].stdout, b"c")
        self.assertEqual(backend.remaining, 0)
        with self.assertRaises(AssertionError):
            backend.run_batch(self.requests(b""))

    def test_scripted_errors_are_raised(self):
        backend = ScriptedBackend([ok(), BackendUnavailable("down")])
        with self.assertRaises(BackendUnavailable):
            backend.run_batch(self.requests(b"1", b"2"))
        with self.assertRaises(ExecutorBusy):
            ScriptedBackend(ExecutorBusy("busy")).run_batch(self.requests(b""))
        with self.assertRaises(BackendUnavailable):
            ScriptedBackend(error=BackendUnavailable("x")).run_batch(self.requests(b""))

    def test_callable_script_sees_each_request(self):
        backend = ScriptedBackend(lambda request: ok(request.stdin[::-1]))
        results = backend.run_batch(self.requests(b"ab", b"xyz"))
        self.assertEqual([r.stdout for r in results], [b"ba", b"zyx"])

    def test_a_batch_must_hold_one_program(self):
        mixed = self.requests(b"", source="a") + self.requests(b"", source="b")
        with self.assertRaises(ValueError):
            ScriptedBackend().run_batch(mixed)

    def test_concurrent_batches_are_all_recorded(self):
        backend = ScriptedBackend(ok(b"1"))
        threads = [
            threading.Thread(target=backend.run_batch, args=(self.requests(b"x", b"y"),))
            for _ in range(8)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(len(backend.batches), 8)
        self.assertEqual(len(backend.requests), 16)

    def test_end_to_end_aggregation_through_the_backend(self):
        backend = ScriptedBackend([ok(b"3\n"), ok(b"5\n"), failed(Outcome.RUNTIME_ERROR)])
        expected = [b"3", b"7", b"1"]
        results = backend.run_batch(self.requests(b"1 2", b"3 4", b"0 1"))
        summary = aggregate(
            [judge_case(r, e, "exact", weight=2) for r, e in zip(results, expected, strict=True)]
        )
        self.assertEqual(summary.verdict, WA)
        self.assertEqual(summary.score, Decimal("0.3333"))
