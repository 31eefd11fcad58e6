"""The platform end to end over real HTTP, judged on the real local sandbox.

A live server with the demo data; httpx as the client (a browser-like session with cookies and
CSRF for the student, a token for the instructor). Judging is the embedded default's: inline,
so each submission's answer already carries its verdict (201).
"""

from __future__ import annotations

import io

import httpx
from django.core.management import call_command
from django.test import LiveServerTestCase, override_settings

from courses import demo
from courses.tests.api_support import cases_zip
from courses.tests.sandbox_fixtures import requires_sandbox

WRONG_ADD = "def add(a, b):\n    return a - b\n"
RIGHT_ADD = "def add(a, b):\n    return a + b\n"


def demo_reference(title: str) -> str:
    """The demo course's reference solution of the problem called ``title``."""
    return next(spec.reference for spec in demo.PROBLEMS if spec.title == title)


SUM_STDIO = "a, b = map(int, input().split())\nprint(a + b)\n"


@requires_sandbox
@override_settings(COURSES_SIGNUP_OPEN=True)
class EndToEndTestCase(LiveServerTestCase):
    def setUp(self):
        super().setUp()
        call_command("seed_demo", stdout=io.StringIO())
        self.api = f"{self.live_server_url}/api/v1"

    def ok(self, response: httpx.Response, status: int = 200) -> dict:
        self.assertEqual(response.status_code, status, response.text[:500])
        return response.json() if response.content else {}

    def session_client(self, username: str, password: str) -> httpx.Client:
        """Logged in with the session cookie, as a browser, sending CSRF on unsafe requests."""
        client = httpx.Client(base_url=self.api, timeout=60)
        self.addCleanup(client.close)
        csrf = self.ok(client.get("/auth/csrf/"))["csrf_token"]
        refused = client.post("/auth/session/", json={"username": username, "password": password})
        self.assertEqual(refused.status_code, 403, "a login without the CSRF token must fail")
        login = client.post(
            "/auth/session/",
            json={"username": username, "password": password},
            headers={"X-CSRFToken": csrf},
        )
        client.headers["X-CSRFToken"] = self.ok(login)["csrf_token"]
        client.headers["Referer"] = self.live_server_url + "/"
        return client

    def token_client(self, username: str, password: str) -> httpx.Client:
        anonymous = httpx.Client(base_url=self.api, timeout=60)
        token = self.ok(
            anonymous.post("/auth/token/", json={"username": username, "password": password})
        )["token"]
        anonymous.close()
        client = httpx.Client(
            base_url=self.api, timeout=60, headers={"Authorization": f"Token {token}"}
        )
        self.addCleanup(client.close)
        return client

    def test_a_student_learns_and_takes_the_exam_and_an_instructor_runs_a_course(self):
        # --- A student signs up, logs in and enrolls --------------------------------------
        anonymous = httpx.Client(base_url=self.api, timeout=60)
        self.addCleanup(anonymous.close)
        self.ok(
            anonymous.post(
                "/auth/signup/",
                json={"username": "ada", "email": "ada@example.com", "password": "correct horse 1"},
            ),
            201,
        )
        student = self.session_client("ada", "correct horse 1")
        self.assertEqual(self.ok(student.get("/auth/me/"))["username"], "ada")
        course = self.ok(student.get("/courses/", params={"q": "Python"}))["results"][0]
        self.ok(student.post(f"/courses/{course['id']}/enrollment/"), 201)

        # --- reads a problem, runs a wrong solution on its samples ------------------------
        detail = self.ok(student.get(f"/courses/{course['id']}/"))
        problems = {p["title"]: p for c in detail["chapters"] for p in c["problems"]}
        add = problems["Add two numbers"]
        self.assertEqual(add["my"]["state"], "not_started")
        statement = self.ok(student.get(f"/problems/{add['id']}/"))
        self.assertIn("<code>add(a, b)</code>", statement["statement_html"])
        self.assertEqual([s["input"] for s in statement["samples"]], ["[1, 2]"])
        run = self.ok(
            student.post(
                "/run/", json={"problem": add["id"], "language": "python", "code": WRONG_ADD}
            )
        )
        self.assertEqual((run["status"], run["passed"], run["total"]), ("wrong_answer", 0, 1))
        self.assertEqual(run["samples"][0]["stdout"].strip(), "-1")

        # --- submits it, then a right one; progress follows -------------------------------
        url = f"/problems/{add['id']}/submissions/"
        wrong = self.ok(student.post(url, json={"language": "python", "code": WRONG_ADD}), 201)
        # a - b is right on (0, 0) only: one case of four.
        self.assertEqual((wrong["status"], wrong["score"]), ("wrong_answer", "0.2500"))
        progress = self.ok(student.get(f"/courses/{course['id']}/progress/"))
        self.assertEqual((progress["solved"], progress["attempted"]), (0, 1))
        right = self.ok(student.post(url, json={"language": "python", "code": RIGHT_ADD}), 201)
        self.assertEqual((right["status"], right["score"]), ("accepted", "1.0000"))
        progress = self.ok(student.get(f"/courses/{course['id']}/progress/"))
        self.assertEqual((progress["solved"], progress["attempted"]), (1, 1))
        self.assertEqual(progress["total_points"], f"{add['points']}.00")

        # --- opens a thread and replies ----------------------------------------------------
        thread = self.ok(student.get(f"/courses/{course['id']}/threads/"))["results"][0]
        opened = self.ok(student.get(f"/threads/{thread['id']}/"))
        self.assertIn("Average", opened["body"])
        self.ok(student.post(f"/threads/{thread['id']}/replies/", json={"body": "Me too!"}), 201)
        replies = self.ok(student.get(f"/threads/{thread['id']}/replies/"))
        self.assertEqual(replies["results"][-1]["body"], "Me too!")
        self.assertEqual(
            self.ok(student.get(f"/threads/{thread['id']}/"))["reply_count"],
            opened["reply_count"] + 1,
        )

        # --- takes the exam to its end ------------------------------------------------------
        exam = self.ok(student.get(f"/courses/{course['id']}/exams/"))["results"][0]
        attempt = self.ok(student.post(f"/exams/{exam['id']}/attempts/"), 201)
        self.assertGreater(attempt["seconds_remaining"], 0)
        first = attempt["problems"][0]
        solution = demo_reference(first["title"])
        submitted = self.ok(
            student.post(
                f"/attempts/{attempt['id']}/problems/{first['id']}/submissions/",
                json={"language": "python", "code": solution},
            ),
            201,
        )
        self.assertEqual(submitted["status"], "accepted")
        finished = self.ok(student.post(f"/attempts/{attempt['id']}/finish/"))
        self.assertIsNotNone(finished["finished_at"])
        late = student.post(
            f"/attempts/{attempt['id']}/problems/{first['id']}/submissions/",
            json={"language": "python", "code": solution},
        )
        self.assertEqual(
            (late.status_code, late.json()["error"]["code"]), (409, "attempt_finished")
        )
        self.ok(student.delete("/auth/session/"), 204)
        self.assertEqual(student.get("/auth/me/").status_code, 403)

        # --- an instructor creates a course with a problem whose cases come from a zip -----
        instructor = self.token_client("instructor", "instructor")
        new = self.ok(
            instructor.post("/staff/courses/", json={"title": "Algorithms", "slug": "algorithms"}),
            201,
        )
        chapter = self.ok(
            instructor.post(f"/staff/courses/{new['id']}/chapters/", json={"title": "Warm-up"}),
            201,
        )
        problem = self.ok(
            instructor.post(
                f"/staff/chapters/{chapter['id']}/problems/",
                json={
                    "title": "Sum",
                    "io_mode": "stdio",
                    "checker": "tokens",
                    "allowed_languages": ["python"],
                },
            ),
            201,
        )
        archive = cases_zip(
            {"sample1": ("1 2\n", "3\n"), "2": ("5 5\n", "10\n"), "10": ("0 0\n", "0\n")}
        )
        created = self.ok(
            instructor.post(
                f"/staff/problems/{problem['id']}/cases/archive/",
                params={"mode": "replace"},
                content=archive,
                headers={"Content-Type": "application/zip"},
            ),
            201,
        )
        self.assertEqual([c["name"] for c in created["created"]], ["sample1", "2", "10"])
        self.ok(
            instructor.post(
                f"/staff/problems/{problem['id']}/reference-solutions/",
                json={"language": "python", "code": SUM_STDIO},
            ),
            201,
        )
        validated = self.ok(instructor.post(f"/staff/problems/{problem['id']}/validate/"))
        self.assertEqual(validated["reference_solutions"][0]["validation"]["status"], "accepted")

        # --- sees the student's failing submission, rejudges it, exports the gradebook ----
        failing = self.ok(
            instructor.get(
                f"/staff/courses/{course['id']}/submissions/",
                params={"status": "wrong_answer", "student": "ada"},
            )
        )["results"]
        self.assertEqual([s["id"] for s in failing], [wrong["id"]])
        seen = self.ok(instructor.get(f"/staff/submissions/{wrong['id']}/"))
        self.assertEqual(seen["code"], WRONG_ADD)
        self.assertTrue(all("output" in case for case in seen["results"]))
        self.assertEqual(
            len(seen["results"]), len(statement["samples"]) + statement["hidden_case_count"]
        )
        rejudged = self.ok(instructor.post(f"/staff/submissions/{wrong['id']}/rejudge/"), 202)
        self.assertEqual(rejudged["submission_ids"], [wrong["id"]])
        again = self.ok(instructor.get(f"/staff/submissions/{wrong['id']}/"))
        self.assertEqual(again["status"], "wrong_answer")  # judged again, inline
        csv = instructor.get(f"/staff/courses/{course['id']}/gradebook.csv")
        self.assertEqual(csv.status_code, 200)
        self.assertTrue(csv.headers["content-type"].startswith("text/csv"))
        rows = csv.text.splitlines()
        self.assertTrue(rows[0].startswith("username,"))
        self.assertTrue(any(row.startswith("ada,") for row in rows[1:]), rows)
