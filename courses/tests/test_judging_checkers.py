"""Checkers: edge cases by example, invariants by property (hypothesis)."""

from __future__ import annotations

import json
import math
import unittest

from hypothesis import given, settings
from hypothesis import strategies as st

from courses.judging.checkers import (
    Checker,
    CheckerKind,
    InvalidExpectedOutput,
    check,
    get_checker,
    numbers_close,
    validate_expected,
)
from courses.judging.errors import JudgeError

PROPERTIES = settings(database=None, deadline=None, max_examples=150)

# Bytes including whitespace, CR, invalid UTF-8 and NUL: what a program may print.
ANY_OUTPUT = st.binary(max_size=200)
TOKEN = st.binary(min_size=1, max_size=8).map(
    lambda b: bytes(c for c in b if c not in b" \t\n\r\x0b\x0c") or b"x"
)
WHITESPACE = st.sampled_from([b" ", b"  ", b"\t", b"\n", b"\r\n", b" \n\n", b"\x0b", b"\x0c"])
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


class ExactCheckerTestCase(unittest.TestCase):
    def check(self, expected, actual):
        return check("exact", expected, actual)

    def test_equal_bytes(self):
        self.assertTrue(self.check(b"1 2\n3\n", b"1 2\n3\n"))

    def test_trailing_whitespace_and_final_newlines_are_ignored(self):
        self.assertTrue(self.check(b"1 2\n3", b"1 2  \n3\t\n\n\n"))
        self.assertTrue(self.check(b"a\n\n\n", b"a"))

    def test_crlf_is_lf(self):
        self.assertTrue(self.check(b"a\nb\n", b"a\r\nb\r\n"))

    def test_leading_and_inner_whitespace_count(self):
        self.assertFalse(self.check(b"1 2", b" 1 2"))
        self.assertFalse(self.check(b"1 2", b"1  2"))
        self.assertFalse(self.check(b"a\nb", b"a\n\nb"))
        self.assertFalse(self.check(b"a\nb", b"\na\nb"))

    def test_empty_output(self):
        self.assertTrue(self.check(b"", b""))
        self.assertTrue(self.check(b"", b"\n \n"))
        self.assertFalse(self.check(b"0\n", b""))
        self.assertFalse(self.check(b"", b"0"))

    def test_invalid_utf8_and_nul_never_crash(self):
        self.assertTrue(self.check(b"\xff\xfe\x00\n", b"\xff\xfe\x00"))
        self.assertFalse(self.check(b"\xff", b"\xfe"))

    def test_text_expected_is_compared_as_utf8(self):
        self.assertTrue(self.check("é\n", "é".encode()))

    @PROPERTIES
    @given(ANY_OUTPUT)
    def test_reflexive(self, data):
        self.assertTrue(self.check(data, data))

    @PROPERTIES
    @given(st.lists(st.binary(max_size=20), max_size=8), st.lists(WHITESPACE, max_size=8))
    def test_trailing_whitespace_never_matters(self, lines, noise):
        clean = [line.replace(b"\n", b"").replace(b"\r", b"").rstrip() for line in lines]
        noisy = [line + noise[i % len(noise)] if noise else line for i, line in enumerate(clean)]
        self.assertTrue(self.check(b"\n".join(clean), b"\r\n".join(n.rstrip(b"\n") for n in noisy)))


class TokensCheckerTestCase(unittest.TestCase):
    def check(self, expected, actual):
        return check(CheckerKind.TOKENS, expected, actual)

    def test_layout_does_not_matter(self):
        self.assertTrue(self.check(b"1 2 3\n", b"1\n2\t\t3"))
        self.assertTrue(self.check(b"", b"  \n\r\n"))

    def test_tokens_must_match_exactly(self):
        self.assertFalse(self.check(b"1 2 3", b"1 2"))
        self.assertFalse(self.check(b"1.0", b"1"))
        self.assertFalse(self.check(b"ab", b"a b"))

    @PROPERTIES
    @given(st.lists(TOKEN, max_size=12), st.data())
    def test_whitespace_invariant(self, tokens, data):
        def layout():
            seps = [data.draw(WHITESPACE) for _ in tokens]
            return data.draw(WHITESPACE) + b"".join(
                t + s for t, s in zip(tokens, seps, strict=True)
            )

        self.assertTrue(self.check(layout(), layout()))

    @PROPERTIES
    @given(st.lists(TOKEN, min_size=1, max_size=8), TOKEN)
    def test_a_changed_token_is_wrong(self, tokens, extra):
        self.assertFalse(self.check(b" ".join(tokens), b" ".join([*tokens, extra])))


class FloatCheckerTestCase(unittest.TestCase):
    def check(self, expected, actual, **tol):
        return check("float", expected, actual, **tol)

    def test_within_and_outside_absolute_tolerance(self):
        self.assertTrue(self.check(b"0.5", b"0.5000009"))
        self.assertFalse(self.check(b"0.5", b"0.500002"))
        self.assertTrue(self.check(b"0.1", b"0.100001"))  # exactly at the tolerance
        # Found by hypothesis: 1.000000001 - 1.0 is 1.00000008e-09 in binary floating point.
        self.assertTrue(self.check(b"1.0", b"1.000000001", abs_tol=1e-9, rel_tol=1e-9))
        self.assertFalse(self.check(b"1.0", b"1.000000002", abs_tol=1e-9, rel_tol=1e-9))

    def test_relative_tolerance_for_large_values(self):
        self.assertTrue(self.check(b"1000000", b"1000000.9"))
        self.assertFalse(self.check(b"1000000", b"1000002"))
        self.assertFalse(self.check(b"1", b"1.01", abs_tol=1e-3, rel_tol=1e-3))
        self.assertTrue(self.check(b"1", b"1.01", abs_tol=0.02, rel_tol=0))

    def test_token_wise_with_exact_non_numeric_tokens(self):
        self.assertTrue(self.check(b"YES 3.14159\nx", b"YES  3.1415901 x"))
        self.assertFalse(self.check(b"YES 3.14", b"yes 3.14"))
        self.assertFalse(self.check(b"1 2", b"1 2 3"))
        self.assertFalse(self.check(b"3.0", b"three"))
        self.assertFalse(self.check(b"abc", b"3.0"))

    def test_nan_equals_nan_only_when_expected(self):
        self.assertTrue(self.check(b"nan", b"NaN"))
        self.assertFalse(self.check(b"1.0", b"nan"))
        self.assertFalse(self.check(b"nan", b"1.0"))

    def test_infinities(self):
        self.assertTrue(self.check(b"inf", b"Infinity"))
        self.assertFalse(self.check(b"inf", b"-inf"))
        self.assertFalse(self.check(b"1e308", b"inf"))

    def test_negative_zero_equals_zero(self):
        self.assertTrue(self.check(b"0.0", b"-0.0"))
        self.assertTrue(self.check(b"-0", b"0"))

    def test_huge_numbers(self):
        self.assertTrue(self.check(b"1e400", b"1e400"))
        self.assertTrue(self.check(b"1e300", b"1.0000001e300"))
        self.assertFalse(self.check(b"1e300", b"1.1e300"))
        self.assertFalse(self.check(b"1e308", b"1e400"))  # inf is not close to a finite value

    def test_python_only_number_spellings_are_not_numbers(self):
        self.assertFalse(self.check(b"1000", b"1_000"))
        self.assertFalse(self.check(b"255", b"0xff"))

    def test_invalid_utf8_never_crashes(self):
        self.assertFalse(self.check(b"1.0", b"\xff\xfe"))
        self.assertTrue(self.check(b"\xff 1.0", b"\xff 1.0000001"))

    def test_bad_tolerances_are_refused(self):
        for bad in ({"abs_tol": -1.0}, {"rel_tol": math.nan}, {"abs_tol": math.inf}):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                self.check(b"1", b"2", **bad)

    @PROPERTIES
    @given(
        st.floats(min_value=-1e12, max_value=1e12),
        st.floats(min_value=-1.0, max_value=1.0),
        st.sampled_from([(1e-6, 1e-6), (1e-3, 0.0), (0.0, 1e-4), (1e-9, 1e-9)]),
    )
    def test_values_within_tolerance_are_accepted(self, expected, fraction, tols):
        abs_tol, rel_tol = tols
        tolerance = max(abs_tol, rel_tol * abs(expected))
        actual = expected + fraction * tolerance
        self.assertTrue(
            self.check(
                repr(expected).encode(), repr(actual).encode(), abs_tol=abs_tol, rel_tol=rel_tol
            )
        )

    @PROPERTIES
    @given(st.floats(min_value=-1e12, max_value=1e12), st.floats(min_value=1.01, max_value=1e6))
    def test_values_beyond_tolerance_are_rejected(self, expected, factor):
        tolerance = max(1e-6, 1e-6 * abs(expected))
        actual = expected + factor * tolerance
        self.assertFalse(self.check(repr(expected).encode(), repr(actual).encode()))

    def test_numbers_close_is_the_documented_rule(self):
        self.assertTrue(numbers_close(100.0, 100.01, abs_tol=0.0, rel_tol=1e-4))
        self.assertFalse(numbers_close(100.0, 100.02, abs_tol=0.0, rel_tol=1e-4))


class JsonCheckerTestCase(unittest.TestCase):
    def check(self, expected, actual, **tol):
        return check("json", expected, actual, **tol)

    def test_structural_equality_ignores_layout_and_key_order(self):
        self.assertTrue(self.check(b'{"a": [1, 2], "b": null}', b'{ "b":null,\n"a":[1,2] }\n'))

    def test_differences_are_wrong(self):
        self.assertFalse(self.check(b"[1, 2]", b"[2, 1]"))
        self.assertFalse(self.check(b'{"a": 1}', b'{"a": 1, "b": 2}'))
        self.assertFalse(self.check(b'"1"', b"1"))
        self.assertFalse(self.check(b"[1]", b"[1, 1]"))
        self.assertFalse(self.check(b"null", b"0"))

    def test_booleans_are_not_numbers(self):
        self.assertFalse(self.check(b"true", b"1"))
        self.assertFalse(self.check(b"0", b"false"))
        self.assertTrue(self.check(b"[true]", b"[ true ]"))

    def test_floats_with_tolerance_and_integers_exactly(self):
        self.assertTrue(self.check(b"[0.1, 2]", b"[0.1000001, 2.0]"))
        self.assertFalse(self.check(b"[0.1]", b"[0.2]"))
        self.assertFalse(self.check(b"12345678901234567890", b"12345678901234567891"))
        self.assertTrue(self.check(b"1e400", b"Infinity"))
        self.assertTrue(self.check(b"10" + b"0" * 400, b"1e401"))  # huge int vs float: both inf

    def test_nan_and_negative_zero(self):
        self.assertTrue(self.check(b"NaN", b"NaN "))
        self.assertFalse(self.check(b"1.5", b"NaN"))
        self.assertTrue(self.check(b"0.0", b"-0.0"))

    def test_invalid_json_from_the_program_is_wrong_not_a_crash(self):
        for actual in (b"", b"[1, 2", b"{'a': 1}", b"1 2", b"\xff\xfe", b"[" * 100_000, b"solve"):
            with self.subTest(actual=actual[:20]):
                self.assertFalse(self.check(b"[1, 2]", actual))

    def test_deeply_nested_values_compare_without_recursion(self):
        deep = b"[" * 900 + b"1" + b"]" * 900
        self.assertTrue(self.check(deep, deep + b" "))
        self.assertFalse(self.check(deep, b"[" * 900 + b"2" + b"]" * 900))

    def test_invalid_expected_output_is_bad_test_data(self):
        with self.assertRaises(InvalidExpectedOutput) as caught:
            self.check(b"[1,", b"[1]")
        self.assertIsInstance(caught.exception, JudgeError)
        self.assertIsInstance(caught.exception, ValueError)
        with self.assertRaises(InvalidExpectedOutput):
            validate_expected("json", "{oops}")
        validate_expected("json", '{"ok": true}')
        validate_expected("exact", "{oops}")

    @PROPERTIES
    @given(JSON_VALUES, st.sampled_from([None, 2, "\t"]), st.booleans())
    def test_reflexive_under_reserialisation(self, value, indent, sort_keys):
        original = json.dumps(value).encode()
        again = json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=False).encode()
        self.assertTrue(self.check(original, again))

    @PROPERTIES
    @given(JSON_VALUES, JSON_VALUES)
    def test_agrees_with_python_equality_without_floats(self, a, b):
        def has_float(v):
            if isinstance(v, float):
                return True
            if isinstance(v, list):
                return any(has_float(x) for x in v)
            if isinstance(v, dict):
                return any(has_float(x) for x in v.values())
            return False

        if has_float(a) or has_float(b):
            return

        def strict(v):  # Python says True == 1; JSON does not
            if isinstance(v, bool):
                return ("bool", v)
            if isinstance(v, list):
                return [strict(x) for x in v]
            if isinstance(v, dict):
                return {k: strict(x) for k, x in v.items()}
            return v

        self.assertEqual(
            self.check(json.dumps(a).encode(), json.dumps(b).encode()), strict(a) == strict(b)
        )


class CheckerObjectTestCase(unittest.TestCase):
    def test_unknown_kind_is_a_value_error(self):
        with self.assertRaises(ValueError):
            check("regex", b"", b"")
        with self.assertRaises(ValueError):
            Checker("regex")

    def test_get_checker_carries_tolerances(self):
        loose = get_checker("float", abs_tol=0.5, rel_tol=0)
        self.assertEqual(loose.kind, CheckerKind.FLOAT)
        self.assertTrue(loose(b"1", b"1.4"))
        self.assertFalse(get_checker("float")(b"1", b"1.4"))
        self.assertEqual(get_checker().kind, CheckerKind.EXACT)

    def test_bytes_fast_path_answers_without_parsing(self):
        # Equal bytes are accepted by every checker, even when the text could not be parsed.
        for kind in CheckerKind:
            with self.subTest(kind=kind):
                self.assertTrue(check(kind, b"{not json", b"{not json"))
