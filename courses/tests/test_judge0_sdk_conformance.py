"""The fake Judge0 checked by a client nobody here wrote: the official ``judge0`` SDK (PyPI).

The SDK refuses to start unless ``/languages`` and a complete ``/config_info`` parse (it
validates every key), maps language aliases to ids by the version ``/about`` reports, sizes its
batches from ``max_submission_batch_size``, polls with ``fields=*`` and parses ``created_at``
with Judge0's exact format. If the fake drifts from Judge0, these tests fail.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import judge0
from django.test import SimpleTestCase

from courses.tests.fakes.judge0 import FakeJudge0
from courses.tests.judge0_support import TOKEN, FakeJudge0Mixin


def sdk_client(fake: FakeJudge0) -> judge0.Client:
    return judge0.Client(fake.url, headers={"X-Auth-Token": TOKEN})


class _Callbacks(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        type(self).received.append(
            {"content_type": self.headers.get("Content-Type"), "body": self.rfile.read(length)}
        )
        self.send_response(204)
        self.end_headers()

    def log_message(self, format, *args):
        pass


class SdkConformanceTestCase(FakeJudge0Mixin, SimpleTestCase):
    def test_the_sdk_starts_and_reads_the_whole_configuration(self):
        client = sdk_client(self.fake)
        self.assertEqual(client.config.max_submission_batch_size, 20)
        self.assertTrue(client.config.enable_batched_submissions)
        self.assertEqual(client.config.max_memory_limit, 512000)
        self.assertEqual(client.version, "1.14.0")
        self.assertEqual(client.get_about()["version"], client.version)
        version = client.client.get("/version", headers=client.headers)
        self.assertEqual((version.status_code, version.text), (200, "1.14.0"))
        self.assertTrue(version.headers["Content-Type"].startswith("text/plain"))

    def test_about_agrees_with_the_language_list_for_every_version_played(self):
        """The SDK maps aliases to ids by ``/about``'s version: each must be a listed language
        of that name (1.14-only ids must not appear when the fake plays 1.13.1)."""
        aliases = {
            judge0.PYTHON: "Python (3.",
            judge0.C: "C (GCC",
            judge0.CPP: "C++ (GCC",
            judge0.JAVASCRIPT: "JavaScript (Node.js",
        }
        for version, python_id in (("1.14.0", 113), ("1.13.1", 71)):
            with (
                self.subTest(version=version),
                FakeJudge0(auth_token=TOKEN, version=version) as fake,
            ):
                client = sdk_client(fake)
                self.assertEqual(client.version, version)
                listed = {language.id: language.name for language in client.languages}
                for alias, prefix in aliases.items():
                    language_id = client.get_language_id(alias)
                    self.assertTrue(client.is_language_supported(alias), alias)
                    self.assertTrue(listed[language_id].startswith(prefix), listed[language_id])
                self.assertEqual(client.get_language_id(judge0.PYTHON), python_id)

    def test_language_details_and_the_archived_list(self):
        client = sdk_client(self.fake)
        python = client.get_language(113)
        self.assertEqual((python.name, python.is_archived), ("Python (3.12.5)", False))
        self.assertTrue(python.run_cmd)
        self.assertIsNone(python.compile_cmd)
        self.assertTrue(client.get_language(103).compile_cmd)
        every = client.client.get("/languages/all", headers=client.headers).json()
        archived = [entry for entry in every if entry["is_archived"]]
        self.assertTrue(archived)
        self.assertTrue(client.get_language(archived[0]["id"]).is_archived)
        listed = {language.id for language in client.languages}
        self.assertNotIn(archived[0]["id"], listed)
        missing = client.client.get("/languages/9999", headers=client.headers)
        self.assertEqual(missing.status_code, 404)

    def test_run_one_submission_and_wait_for_it(self):
        client = sdk_client(self.fake)
        result = judge0.run(
            client=client, source_code="print(input()[::-1])", stdin="abc", language=judge0.PYTHON
        )
        self.assertEqual(result.status, judge0.Status.ACCEPTED)
        self.assertEqual(result.stdout, "cba\n")
        self.assertIsNotNone(result.created_at)
        self.assertIsInstance(result.time, float)
        self.assertGreater(result.memory, 0)

    def test_test_cases_go_in_batches_sized_by_the_configuration(self):
        with FakeJudge0(auth_token=TOKEN, config={"max_submission_batch_size": 2}) as fake:
            client = sdk_client(fake)
            cases = [(str(i), str(2 * i)) for i in range(4)] + [("5", "11")]
            results = judge0.run(
                client=client,
                source_code="print(int(input()) * 2)",
                test_cases=cases,
                language=judge0.PYTHON,
            )
            statuses = [r.status for r in results]
            self.assertEqual(statuses[:4], [judge0.Status.ACCEPTED] * 4)
            self.assertEqual(statuses[4], judge0.Status.WRONG_ANSWER)
            sizes = [
                len(r["body"]["submissions"]) for r in fake.requests_to("POST /submissions/batch")
            ]
            self.assertEqual(sizes, [2, 2])
            self.assertEqual(len(fake.requests_to("POST /submissions")), 1)

    def test_wait_true_answers_the_result(self):
        client = sdk_client(self.fake)
        result = judge0.sync_run(client=client, source_code="print(6 * 7)", language=judge0.PYTHON)
        self.assertEqual((result.status, result.stdout), (judge0.Status.ACCEPTED, "42\n"))
        answer = client.client.post(
            "/submissions",
            params={"base64_encoded": "false", "wait": "true"},
            json={"source_code": "print(1)", "language_id": 113},
            headers=client.headers,
        )
        self.assertEqual(answer.status_code, 201)
        self.assertEqual(answer.json()["stdout"], "1\n")
        self.assertEqual(answer.json()["status"]["id"], 3)

    def test_a_callback_is_a_put_of_the_default_fields_in_base64(self):
        _Callbacks.received = []
        server = HTTPServer(("127.0.0.1", 0), _Callbacks)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/judge0/callback"
            client = sdk_client(self.fake)
            submission = judge0.Submission(
                source_code="print('hi')", language=judge0.PYTHON, callback_url=url
            )
            submission = judge0.async_run(client=client, submissions=submission)  # no waiting
            judge0.wait(client=client, submissions=submission)
            for _ in range(100):
                if _Callbacks.received:
                    break
                threading.Event().wait(0.05)
        finally:
            server.shutdown()
            server.server_close()
        (call,) = _Callbacks.received
        self.assertEqual(call["content_type"], "application/json")
        body = json.loads(call["body"])
        self.assertEqual(
            set(body),
            {"token", "time", "memory", "stdout", "stderr", "compile_output", "message", "status"},
        )
        self.assertEqual(body["token"], submission.token)
        self.assertEqual(base64.b64decode(body["stdout"]), b"hi\n")
