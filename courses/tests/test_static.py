"""Static files on the production path: collected, hashed, compressed and served by whitenoise
from the app server itself (no CDN), for the site, the admin's editor and the API's docs."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.test import TestCase, override_settings

PRODUCTION_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


class CollectedStaticFilesTestCase(TestCase):
    def test_collectstatic_builds_every_asset_and_whitenoise_serves_the_hashed_files(self):
        with (
            tempfile.TemporaryDirectory() as root,
            override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGE),
        ):
            call_command("collectstatic", "--no-input", stdout=io.StringIO())
            collected = {p.relative_to(root).as_posix() for p in Path(root).rglob("*")}
            for asset in (
                "web/app.css",
                "web/app.js",
                "django_htmx/htmx-2.min.js",
                "django_ace/ace/ace.js",
                "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
            ):
                with self.subTest(asset=asset):
                    self.assertIn(asset, collected)
                    self.assertIn(f"{asset}.gz", collected)  # compressed beside it
            # The client's handler (and whitenoise's file index) is built at its first
            # request, here, after collectstatic filled the root.
            page = self.client.get("/").content.decode()
            css = next(
                line.split('href="')[1].split('"')[0]
                for line in page.splitlines()
                if "app." in line and "stylesheet" in line
            )
            self.assertRegex(css, r"^/static/web/app\.[0-9a-f]{12}\.css$")
            served = self.client.get(css)
            self.assertEqual(served.status_code, 200)
            self.assertIn("max-age=", served["Cache-Control"])
            served.close()
