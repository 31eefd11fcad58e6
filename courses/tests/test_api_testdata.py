"""Test cases over the API (``courses/api/testdata.py``): one by one, and from a zip archive.

Bad test data is refused when it is saved, naming the case (today's alternative was blaming
the student with a runtime error). Archives are hostile until proven otherwise: every kind of
hostile entry, every limit, and "nothing written" after any refusal are pinned here.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile

from django.test import override_settings
from django.urls import reverse

from courses.models import ProblemTestCase, SubmissionTestResult
from courses.services.case_archive import natural_key
from courses.tests import factories
from courses.tests.api_support import judged_submission
from courses.tests.test_api_authoring import AuthoringTestCase


def make_zip(files: dict, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``{name: text or bytes}``; a ``zipfile.ZipInfo`` key is written as given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def entry(name: str, *, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # Unix: the external attributes carry the file type
    info.external_attr = mode << 16
    return info


def mark_encrypted(data: bytes) -> bytes:
    """The archive with every entry flagged as encrypted (general purpose bit 0)."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + offset] |= 0x1
            start = data.find(signature, start + 4)
    return bytes(data)


def lie_about_sizes(data: bytes, claimed: int) -> bytes:
    """The archive with every declared uncompressed size replaced by ``claimed``."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.find(signature)
        while start != -1:
            data[start + offset : start + offset + 4] = struct.pack("<I", claimed)
            start = data.find(signature, start + 4)
    return bytes(data)


PAIRS = {"1.in": "[1, 2]", "1.out": "3", "2.in": "[2, 2]", "2.out": "4"}


# --- One case at a time ------------------------------------------------------------------------


class CaseApiTestCase(AuthoringTestCase):
    def add(self, data, problem=None):
        problem = problem or self.w.problem
        return self.post("staff-case-list", data, problem_id=problem.pk)

    def test_a_case_without_an_order_goes_after_the_last_one(self):
        response = self.add({"input": "[5, 5]", "expected_output": "10", "is_sample": True})
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(
            (body["order"], body["is_sample"], body["weight"], body["input"]),
            (3, True, 1, "[5, 5]"),
        )

    def test_test_data_is_taken_as_typed(self):
        response = self.add({"input": "  [1, 2]\n\n", "expected_output": " 3 \n"})
        case = ProblemTestCase.objects.get(pk=response.json()["id"])
        self.assertEqual((case.input, case.expected_output), ("  [1, 2]\n\n", " 3 \n"))

    def test_a_function_style_input_must_be_a_json_array_of_arguments(self):
        for text in ("1 2", '{"a": 1}', "3", "[1, 2", "[NaN]", '"x"', "[1] [2]"):
            with self.subTest(input=text):
                response = self.add({"input": text, "expected_output": "3"})
                error = self.assertError(response, 400, "invalid_input", fields={"input"})
                self.assertIn("JSON", error["fields"]["input"])
        for text in ("[]", "", "  \n", '[[1, 2], {"k": null}, "s"]'):
            with self.subTest(input=text):
                self.assertEqual(self.add({"input": text, "expected_output": "3"}).status_code, 201)

    def test_inputs_are_free_where_no_harness_reads_json_arguments(self):
        stdio = factories.ProblemFactory(chapter=self.w.chapter, io_mode="stdio", checker="exact")
        c_only = factories.ProblemFactory(
            chapter=self.w.chapter, allowed_languages=["c", "cpp"], checker="exact"
        )
        own_template = factories.ProblemFactory(
            chapter=self.w.chapter,
            checker="exact",
            template_overrides={"python": "{{user_code}}\nprint({{entry_point}}(input()))\n"},
        )
        for problem in (stdio, c_only, own_template):
            with self.subTest(problem=problem.title):
                response = self.add({"input": "1 2", "expected_output": "3"}, problem=problem)
                self.assertEqual(response.status_code, 201, response.content)

    def test_the_json_checker_needs_json_expected_outputs(self):
        response = self.add({"input": "[1, 2]", "expected_output": "three"})
        self.assertError(response, 400, "invalid_input", fields={"expected_output"})

    def test_bad_inputs_name_their_field(self):
        for data, field in (
            ({"expected_output": "3"}, "input"),
            ({"input": "[1]"}, "expected_output"),
            ({"input": 5, "expected_output": "3"}, "input"),
            ({"input": "[1]", "expected_output": 3}, "expected_output"),
            ({"input": "[1]\u0000", "expected_output": "3"}, "input"),
            ({"input": "[1]", "expected_output": "3\u0000"}, "expected_output"),
            ({"input": "[1]", "expected_output": "3", "is_sample": "true"}, "is_sample"),
            ({"input": "[1]", "expected_output": "3", "weight": -1}, "weight"),
            ({"input": "[1]", "expected_output": "3", "order": "4"}, "order"),
        ):
            with self.subTest(data=data):
                self.assertError(self.add(data), 400, "invalid_input", fields={field})
        self.assertEqual(self.w.problem.test_cases.count(), 2)

    def test_a_taken_order_is_a_conflict(self):
        response = self.add({"input": "[1]", "expected_output": "1", "order": 2})
        self.assertError(response, 409, "already_exists", fields={"order"})
        response = self.patch("staff-case-detail", {"order": 1}, case_id=self.w.hidden.pk)
        self.assertError(response, 409, "already_exists", fields={"order"})

    def test_a_case_is_edited_and_checked_again(self):
        url = {"case_id": self.w.hidden.pk}
        response = self.patch("staff-case-detail", {"expected_output": "42 ", "weight": 5}, **url)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            (response.json()["expected_output"], response.json()["weight"]), ("42 ", 5)
        )
        response = self.patch("staff-case-detail", {"input": "40, 2"}, **url)
        self.assertError(response, 400, "invalid_input", fields={"input"})
        self.w.hidden.refresh_from_db()
        self.assertEqual(self.w.hidden.input, "[40, 2]")

    def test_assistants_read_cases_but_do_not_write_them(self):
        assistant = self.client_for(self.w.assistant)
        response = self.get("staff-case-detail", assistant, case_id=self.w.hidden.pk)
        self.assertEqual(response.json()["input"], "[40, 2]")
        response = self.patch(
            "staff-case-detail", {"weight": 9}, assistant, case_id=self.w.hidden.pk
        )
        self.assertError(response, 403, "permission_denied")

    def test_deleting_a_case_keeps_past_verdicts(self):
        submission = judged_submission(self.w.student, self.w.problem)
        response = self.delete("staff-case-detail", case_id=self.w.hidden.pk)
        self.assertEqual(response.status_code, 204)
        results = SubmissionTestResult.objects.filter(submission=submission).order_by("order")
        self.assertEqual([r.test_case_id for r in results], [self.w.sample.pk, None])

    def test_the_list_filters_samples_without_n_plus_one(self):
        kwargs = {"problem_id": self.w.problem.pk}
        samples = self.assertPage(self.get("staff-case-list", data={"is_sample": "true"}, **kwargs))
        self.assertEqual([c["id"] for c in samples], [self.w.sample.pk])
        hidden = self.assertPage(self.get("staff-case-list", data={"is_sample": "false"}, **kwargs))
        self.assertEqual([c["id"] for c in hidden], [self.w.hidden.pk])
        response = self.get("staff-case-list", data={"is_sample": "maybe"}, **kwargs)
        self.assertError(response, 400, "invalid_input", fields={"is_sample"})

        def add_rows():
            for order in range(3, 30):
                factories.ProblemTestCaseFactory(problem=self.w.problem, order=order, input="[]")

        self.assertListQueriesDoNotGrow("staff-case-list", add_rows, **kwargs)


# --- Archives -------------------------------------------------------------------------------------


class CaseArchiveApiTestCase(AuthoringTestCase):
    def upload(self, data: bytes, mode: str | None = "replace", content_type="application/zip"):
        url = reverse("api:staff-case-archive", kwargs={"problem_id": self.w.problem.pk})
        if mode is not None:
            url += f"?mode={mode}"
        return self.client.post(url, data=data, content_type=content_type)

    def cases(self) -> list[tuple]:
        return list(
            self.w.problem.test_cases.order_by("order").values_list(
                "order", "input", "expected_output", "is_sample"
            )
        )

    def assertRefused(self, response, http_status: int, code: str, file: str = ""):
        before = self.cases()
        error = self.assertError(response, http_status, code)
        if file:
            self.assertIn(file, error["message"])
            self.assertIn(file, error["fields"]["archive"])
        self.assertEqual(self.cases(), before, "something was written")
        return error

    def test_replace_makes_the_archive_the_problems_only_cases_numbered_from_one(self):
        response = self.upload(make_zip(PAIRS))
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual((body["mode"], body["deleted"]), ("replace", 2))
        self.assertEqual(
            [(c["name"], c["order"], c["is_sample"]) for c in body["created"]],
            [("1", 1, False), ("2", 2, False)],
        )
        self.assertEqual(self.cases(), [(1, "[1, 2]", "3", False), (2, "[2, 2]", "4", False)])

    def test_append_adds_after_the_existing_cases(self):
        response = self.upload(make_zip(PAIRS), mode="append")
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["deleted"], 0)
        self.assertEqual([c[0] for c in self.cases()], [1, 2, 3, 4])

    def test_samples_come_first_then_natural_order(self):
        names = ["10", "2", "1", "sample2", "Sample10", "sample1", "a10", "a9"]
        files = {}
        for name in names:
            files[f"{name}.in"] = "[]"
            files[f"{name}.out"] = "0"
        response = self.upload(make_zip(files))
        created = response.json()["created"]
        self.assertEqual(
            [(c["name"], c["is_sample"]) for c in created],
            [
                ("sample1", True),
                ("sample2", True),
                ("Sample10", True),
                ("1", False),
                ("2", False),
                ("10", False),
                ("a9", False),
                ("a10", False),
            ],
        )
        self.assertEqual([c["order"] for c in created], list(range(1, 9)))

    def test_natural_order_compares_digit_runs_as_numbers(self):
        self.assertEqual(
            sorted(["t10", "t2", "t1b", "t1a"], key=natural_key), ["t1a", "t1b", "t2", "t10"]
        )

    def test_folders_and_archiver_metadata_are_fine(self):
        files = {
            "tests/": "",
            "tests/1.in": "[1, 2]",
            "tests/1.out": "3",
            "__MACOSX/tests/._1.in": "junk",
            "tests/.DS_Store": "junk",
        }
        response = self.upload(make_zip(files))
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual([c["name"] for c in response.json()["created"]], ["1"])

    def test_contents_are_utf8_without_a_byte_order_mark(self):
        files = {"1.in": '\ufeff["héllo"]'.encode(), "1.out": '"HÉLLO"\n'}
        self.assertEqual(self.upload(make_zip(files)).status_code, 201)
        self.assertEqual(self.cases(), [(1, '["héllo"]', '"HÉLLO"\n', False)])

    def test_the_mode_must_be_chosen(self):
        for mode in (None, "", "merge"):
            with self.subTest(mode=mode):
                response = self.upload(make_zip(PAIRS), mode=mode)
                self.assertRefused(response, 400, "invalid_input")
                self.assertEqual(set(response.json()["error"]["fields"]), {"mode"})

    def test_the_body_must_be_a_zip_sent_as_such(self):
        response = self.upload(b'{"cases": []}', content_type="application/json")
        self.assertRefused(response, 415, "unsupported_media_type")
        self.assertRefused(self.upload(b""), 400, "invalid_archive")
        self.assertRefused(self.upload(b"this is not a zip"), 400, "invalid_archive")
        self.assertRefused(self.upload(make_zip(PAIRS)[:-30]), 400, "invalid_archive")

    def test_hostile_names_are_refused_naming_them(self):
        for name in (
            "../1.in",
            "tests/../../1.in",
            "/etc/1.in",
            "C:/1.in",
            "..\\1.in",
            "tests//1.in",
            "./1.in",
        ):
            with self.subTest(name=name):
                files = {**PAIRS, name: "[1]"}
                self.assertRefused(self.upload(make_zip(files)), 400, "invalid_archive", file=name)

    def test_links_and_special_files_are_refused(self):
        for mode, what in ((stat.S_IFLNK | 0o777, "link"), (stat.S_IFIFO | 0o644, "fifo")):
            with self.subTest(kind=what):
                files = {**PAIRS, entry("3.in", mode=mode): "/etc/passwd", "3.out": "x"}
                self.assertRefused(
                    self.upload(make_zip(files)), 400, "invalid_archive", file="3.in"
                )

    def test_a_regular_unix_file_is_fine(self):
        files = {entry("1.in", mode=stat.S_IFREG | 0o644): "[1]", "1.out": "1"}
        self.assertEqual(self.upload(make_zip(files)).status_code, 201)

    def test_encrypted_entries_are_refused(self):
        data = mark_encrypted(make_zip({"1.in": "[1]", "1.out": "1"}))
        self.assertRefused(self.upload(data), 400, "invalid_archive", file="1.in")

    def test_every_input_needs_its_output_and_back(self):
        self.assertRefused(
            self.upload(make_zip({**PAIRS, "7.in": "[7]"})), 400, "invalid_archive", file="7.in"
        )
        self.assertRefused(
            self.upload(make_zip({**PAIRS, "sub/8.out": "8"})), 400, "invalid_archive", file="8.out"
        )

    def test_other_files_and_twice_named_cases_are_refused(self):
        self.assertRefused(
            self.upload(make_zip({**PAIRS, "README.txt": "hi"})),
            400,
            "invalid_archive",
            file="README.txt",
        )
        self.assertRefused(
            self.upload(make_zip({**PAIRS, "in": "[]", "out": "0"})),
            400,
            "invalid_archive",
            file="in",
        )
        twice = {**PAIRS, "more/1.in": "[9]"}
        self.assertRefused(self.upload(make_zip(twice)), 400, "invalid_archive", file="more/1.in")

    def test_an_archive_without_pairs_is_refused(self):
        self.assertRefused(self.upload(make_zip({"tests/": ""})), 400, "invalid_archive")

    def test_text_that_is_not_utf8_or_holds_nul_is_refused_naming_the_file(self):
        latin1 = {**PAIRS, "2.out": "été".encode("latin-1")}
        self.assertRefused(self.upload(make_zip(latin1)), 400, "invalid_archive", file="2.out")
        nul = {**PAIRS, "2.in": "[1]\x00"}
        self.assertRefused(self.upload(make_zip(nul)), 400, "invalid_archive", file="2.in")

    def test_function_style_inputs_and_json_outputs_are_checked_naming_the_file(self):
        error = self.assertRefused(
            self.upload(make_zip({**PAIRS, "2.in": "2 2"})), 400, "invalid_archive", file="2.in"
        )
        self.assertIn("JSON array", error["message"])
        self.assertRefused(
            self.upload(make_zip({**PAIRS, "2.out": "four"})), 400, "invalid_archive", file="2.out"
        )

    def test_a_corrupted_entry_is_refused(self):
        data = bytearray(make_zip({"1.in": "[1, 2]" * 100, "1.out": "3"}))
        start = data.find(b"PK\x03\x04") + 30 + len("1.in") + 5
        data[start] ^= 0xFF  # a byte of the compressed content
        self.assertRefused(self.upload(bytes(data)), 400, "invalid_archive", file="1.in")

    @override_settings(COURSES_CASE_ARCHIVE_MAX_BYTES=1000)
    def test_an_archive_over_the_size_limit_is_refused_before_it_is_opened(self):
        files = {f"{n}.in": f"[{n}]" for n in range(30)} | {f"{n}.out": str(n) for n in range(30)}
        data = make_zip(files)
        self.assertGreater(len(data), 1000)
        self.assertRefused(self.upload(data), 413, "payload_too_large")

    @override_settings(COURSES_CASE_ARCHIVE_MAX_UNCOMPRESSED_BYTES=100_000)
    def test_a_zip_bomb_is_stopped_by_the_bytes_it_really_decompresses(self):
        bomb = {"1.in": "[" + "0," * 100_000 + "0]", "1.out": "0"}
        data = make_zip(bomb)
        self.assertLess(len(data), 2000)
        self.assertRefused(self.upload(data), 413, "payload_too_large", file="1.in")
        # Declared sizes are not believed: one that lies about its size is refused too.
        self.assertRefused(
            self.upload(lie_about_sizes(data, 10)), 400, "invalid_archive", file="1.in"
        )

    @override_settings(COURSES_CASE_ARCHIVE_MAX_UNCOMPRESSED_BYTES=20)
    def test_the_uncompressed_limit_counts_every_file_together(self):
        files = {"1.in": "[1, 2]", "1.out": "3", "2.in": "[20, 22]", "2.out": "42"}  # 18 bytes
        self.assertEqual(self.upload(make_zip(files)).status_code, 201)
        files["3.in"], files["3.out"] = "[1]", "1"
        self.assertRefused(self.upload(make_zip(files)), 413, "payload_too_large")

    @override_settings(COURSES_CASE_ARCHIVE_MAX_FILES=4)
    def test_an_archive_with_too_many_entries_is_refused(self):
        self.assertEqual(self.upload(make_zip(PAIRS)).status_code, 201)
        more = {**PAIRS, "3.in": "[3]", "3.out": "3"}
        error = self.assertRefused(self.upload(make_zip(more)), 400, "invalid_archive")
        self.assertIn("at most 4", error["message"])

    def test_stored_entries_are_read_as_well(self):
        response = self.upload(make_zip(PAIRS, compression=zipfile.ZIP_STORED))
        self.assertEqual(response.status_code, 201)

    def test_assistants_cannot_upload(self):
        self.client = self.client_for(self.w.assistant)
        self.assertRefused(self.upload(make_zip(PAIRS)), 403, "permission_denied")
