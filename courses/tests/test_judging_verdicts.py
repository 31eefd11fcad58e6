"""The verdict tables: every Judge0 status, the derived MLE/OLE rules, and API statuses."""

from __future__ import annotations

import unittest

from courses.judging import errors
from courses.judging.checkers import InvalidExpectedOutput
from courses.judging.templates import SourceTooLarge, TemplateError
from courses.judging.types import Outcome, Verdict
from courses.judging.verdicts import (
    JUDGE0_STATUSES,
    MLE_NEAR_LIMIT_FRACTION,
    OUTCOME_VERDICTS,
    ApiStatus,
    api_status_for,
    is_judge0_final,
    outcome_from_judge0,
    result_from_judge0_status,
    verdict_for_outcome,
)

LIMIT_KB = 128_000

#: Judge0 status id -> raw outcome of a run with no memory or signal trouble.
EXPECTED_PLAIN_OUTCOMES = {
    3: Outcome.OK,
    4: Outcome.OK,
    5: Outcome.TIME_LIMIT,
    6: Outcome.COMPILATION_ERROR,
    7: Outcome.RUNTIME_ERROR,
    8: Outcome.OUTPUT_LIMIT,
    9: Outcome.RUNTIME_ERROR,
    10: Outcome.RUNTIME_ERROR,
    11: Outcome.RUNTIME_ERROR,
    12: Outcome.RUNTIME_ERROR,
}


def outcome(status_id, **fields):
    fields.setdefault("memory_kb", 10_000)
    fields.setdefault("memory_limit_kb", LIMIT_KB)
    return outcome_from_judge0(status_id, **fields)


class Judge0StatusTableTestCase(unittest.TestCase):
    def test_the_table_has_exactly_ids_1_to_14_with_judge0_descriptions(self):
        self.assertEqual(sorted(JUDGE0_STATUSES), list(range(1, 15)))
        self.assertEqual(JUDGE0_STATUSES[8].description, "Runtime Error (SIGXFSZ)")
        self.assertEqual(JUDGE0_STATUSES[11].description, "Runtime Error (NZEC)")
        self.assertEqual(JUDGE0_STATUSES[13].description, "Internal Error")

    def test_every_final_status_maps_to_its_outcome(self):
        for status_id, expected in EXPECTED_PLAIN_OUTCOMES.items():
            with self.subTest(status_id=status_id):
                self.assertTrue(is_judge0_final(status_id))
                self.assertIs(outcome(status_id, exit_code=1), expected)

    def test_in_queue_and_processing_are_not_final(self):
        for status_id in (1, 2):
            with self.subTest(status_id=status_id):
                self.assertFalse(is_judge0_final(status_id))
                with self.assertRaisesRegex(ValueError, "not final"):
                    outcome(status_id)

    def test_internal_error_is_an_infrastructure_failure_with_judge0s_message(self):
        message = "No such file or directory @ rb_sysopen - /box/main.c"
        with self.assertRaises(errors.BackendInternalError) as caught:
            outcome(13, message=message)
        self.assertIn(message, str(caught.exception))
        self.assertTrue(caught.exception.retryable)
        self.assertTrue(caught.exception.outage)

    def test_exec_format_error_is_judge0s_failure_not_the_students_runtime_error(self):
        """Status 14: isolate could not exec the program, a box error (issue 12)."""
        with self.assertRaises(errors.BackendInternalError) as caught:
            outcome(14, exit_code=1, message="Exec format error")
        self.assertIn("exec format error", str(caught.exception))
        self.assertTrue(caught.exception.outage)

    def test_unknown_status_id_is_a_protocol_error(self):
        for status_id in (0, 15, -1, None, "3"):
            with self.subTest(status_id=status_id):
                with self.assertRaises(errors.BackendProtocolError):
                    outcome_from_judge0(status_id)
                with self.assertRaises(errors.BackendProtocolError):
                    is_judge0_final(status_id)


class DerivedLimitsTestCase(unittest.TestCase):
    """Judge0 has no MLE or OLE status; research/judge0-api.md section 2 says how they show."""

    def test_oom_kill_through_bash_is_memory_limit(self):
        self.assertIs(outcome(11, exit_code=137, memory_kb=LIMIT_KB), Outcome.MEMORY_LIMIT)
        near = int(LIMIT_KB * MLE_NEAR_LIMIT_FRACTION) + 1
        self.assertIs(outcome(11, exit_code=137, memory_kb=near), Outcome.MEMORY_LIMIT)

    def test_sigkill_of_the_top_level_process_near_the_limit_is_memory_limit(self):
        self.assertIs(outcome(12, exit_signal=9, memory_kb=LIMIT_KB - 100), Outcome.MEMORY_LIMIT)

    def test_sigkill_far_under_the_limit_stays_a_runtime_error(self):
        self.assertIs(outcome(11, exit_code=137, memory_kb=5_000), Outcome.RUNTIME_ERROR)
        self.assertIs(outcome(12, exit_signal=9, memory_kb=5_000), Outcome.RUNTIME_ERROR)

    def test_any_runtime_error_at_or_over_the_limit_is_memory_limit(self):
        for status_id, fields in ((11, {"exit_code": 1}), (7, {}), (10, {"exit_signal": 6})):
            with self.subTest(status_id=status_id):
                self.assertIs(
                    outcome(status_id, memory_kb=LIMIT_KB, **fields), Outcome.MEMORY_LIMIT
                )

    def test_unknown_memory_or_limit_never_invents_a_memory_limit(self):
        self.assertIs(
            outcome_from_judge0(11, exit_code=137, memory_kb=None, memory_limit_kb=LIMIT_KB),
            Outcome.RUNTIME_ERROR,
        )
        self.assertIs(
            outcome_from_judge0(11, exit_code=137, memory_kb=LIMIT_KB, memory_limit_kb=None),
            Outcome.RUNTIME_ERROR,
        )

    def test_a_clean_or_timed_out_run_near_the_limit_keeps_its_outcome(self):
        self.assertIs(outcome(3, exit_code=0, memory_kb=LIMIT_KB), Outcome.OK)
        self.assertIs(outcome(5, memory_kb=LIMIT_KB), Outcome.TIME_LIMIT)

    def test_sigxfsz_is_output_limit(self):
        self.assertIs(outcome(8, exit_signal=25), Outcome.OUTPUT_LIMIT)
        self.assertIs(outcome(12, exit_signal=25), Outcome.OUTPUT_LIMIT)
        self.assertIs(outcome(11, exit_code=153), Outcome.OUTPUT_LIMIT)  # 128 + SIGXFSZ via bash

    def test_other_signals_and_exit_codes_are_runtime_errors(self):
        self.assertIs(outcome(7, exit_signal=11), Outcome.RUNTIME_ERROR)
        self.assertIs(outcome(11, exit_code=139), Outcome.RUNTIME_ERROR)  # segfault via bash
        self.assertIs(outcome(11, exit_code=3), Outcome.RUNTIME_ERROR)  # Python CE marker exit


class ResultFromJudge0TestCase(unittest.TestCase):
    def test_builds_a_run_result(self):
        result = result_from_judge0_status(
            11, stdout=b"", stderr=b"boom", exit_code=1, memory_kb=900, cpu_time_ms=12
        )
        self.assertIs(result.outcome, Outcome.RUNTIME_ERROR)
        self.assertEqual((result.stderr, result.exit_code, result.memory_kb), (b"boom", 1, 900))
        self.assertEqual(result.cpu_time_ms, 12)

    def test_wall_clock_timeout_is_flagged(self):
        wall = result_from_judge0_status(5, message="Time limit exceeded (wall clock)")
        cpu = result_from_judge0_status(5, message="Time limit exceeded")
        self.assertTrue(wall.wall_timed_out)
        self.assertFalse(cpu.wall_timed_out)

    def test_null_memory_becomes_zero(self):
        self.assertEqual(result_from_judge0_status(6, compile_output="err").memory_kb, 0)


class OutcomeVerdictTestCase(unittest.TestCase):
    def test_every_failed_outcome_has_a_verdict(self):
        self.assertEqual(set(OUTCOME_VERDICTS), set(Outcome) - {Outcome.OK})
        self.assertIs(verdict_for_outcome(Outcome.TIME_LIMIT), Verdict.TIME_LIMIT_EXCEEDED)
        self.assertIs(verdict_for_outcome(Outcome.MEMORY_LIMIT), Verdict.MEMORY_LIMIT_EXCEEDED)
        self.assertIs(verdict_for_outcome(Outcome.OUTPUT_LIMIT), Verdict.OUTPUT_LIMIT_EXCEEDED)
        self.assertIs(verdict_for_outcome(Outcome.RUNTIME_ERROR), Verdict.RUNTIME_ERROR)
        self.assertIs(verdict_for_outcome("compilation_error"), Verdict.COMPILATION_ERROR)

    def test_ok_needs_a_checker(self):
        self.assertIsNone(verdict_for_outcome(Outcome.OK))


class ApiStatusTestCase(unittest.TestCase):
    def test_every_verdict_is_a_200_value_with_its_own_name(self):
        for verdict in Verdict:
            with self.subTest(verdict=verdict):
                self.assertEqual(api_status_for(verdict), ApiStatus(verdict.value, 200))
                self.assertEqual(api_status_for(verdict.value).code, verdict.value)

    def test_a_created_submission_is_201_when_judged_and_202_while_waiting(self):
        for verdict in Verdict:
            with self.subTest(verdict=verdict):
                created = api_status_for(verdict, created=True)
                self.assertEqual(created.code, verdict.value)
                self.assertEqual(created.http_status, 201 if verdict.is_final else 202)
        self.assertEqual(api_status_for("pending", created=True).http_status, 202)
        self.assertEqual(api_status_for("judging", created=True).http_status, 202)

    def test_unknown_status_string_is_refused(self):
        with self.assertRaises(ValueError):
            api_status_for("exploded")
        with self.assertRaises(TypeError):
            api_status_for(42)

    def test_failures_map_to_codes_and_http_statuses(self):
        cases = [
            (errors.ExecutorBusy("full"), "busy", 503),
            (errors.BackendUnavailable("refused"), "judge_unavailable", 503),
            (errors.SandboxUnavailable("no bwrap"), "judge_unavailable", 503),
            (errors.BackendConfigurationError("bad url"), "judge_error", 502),
            (errors.BackendProtocolError("not json"), "judge_error", 502),
            (errors.BackendRejected("422", fields={"x": ["bad"]}), "judge_error", 502),
            (errors.BackendInternalError("xx"), "judge_error", 502),
            (errors.UnknownLanguage("cobol"), "unknown_language", 400),
            (SourceTooLarge("big"), "code_too_large", 413),
            (TemplateError("no {{user_code}}"), "invalid_template", 400),
            (InvalidExpectedOutput("bad json"), "invalid_test_data", 500),
            (errors.JudgeError("other"), "internal_error", 500),
            (RuntimeError("bug"), "internal_error", 500),
        ]
        for error, code, http_status in cases:
            with self.subTest(error=type(error).__name__):
                status = api_status_for(error)
                self.assertEqual((status.code, status.http_status), (code, http_status))

    def test_subclasses_inherit_their_parents_status(self):
        class RateLimited(errors.BackendUnavailable):
            pass

        self.assertEqual(api_status_for(RateLimited("429")).code, "judge_unavailable")

    def test_retry_after_is_carried(self):
        status = api_status_for(errors.BackendUnavailable("429", retry_after_s=7.5))
        self.assertEqual(status, ApiStatus("judge_unavailable", 503, 7.5))
        self.assertIsNone(api_status_for(errors.BackendUnavailable("down")).retry_after_s)
