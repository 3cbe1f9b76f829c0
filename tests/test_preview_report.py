"""`flowlogs preview --report`: one self-contained HTML page, checked in a real headless Chromium.

The page must load without console errors and show the numbers the JSON output gives. Debian's
chromium (`apt-get install chromium`) is used when present; the browser tests skip otherwise.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, CliResult

FLOWS = ROOT / "tests" / "data" / "preview" / "flows.jsonl"
Run = Callable[..., CliResult]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium); the report is not checked in a browser")


@pytest.fixture
def report(run_cli: Run, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "flowLogs": [
                    {"name": "drops", "filePath": "/var/run/cilium/hubble/drops.log", "includeFilters": [{"verdict": ["DROPPED"]}]},
                    {"name": "shop", "filePath": "/var/run/cilium/hubble/shop.log", "includeFilters": [{"destination_pod": ["shop/"]}], "fieldMask": ["time", "source", "destination"]},
                    {"name": "broken", "filePath": "/var/run/cilium/hubble/broken.log", "includeFilters": [{"http_status_code": ["999"]}]},
                ]
            }
        )
    )
    html_path = tmp_path / "preview.html"
    args = ("preview", "--config", str(config), "--flows", str(FLOWS), "--duration", "10m")
    result = run_cli(*args, "--report", str(html_path))
    assert result.code == 0, result.err
    json_result = run_cli(*args, "-o", "json")
    return html_path, json.loads(json_result.out)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_report_is_self_contained(report: tuple[Path, dict[str, object]]) -> None:
    html_path, _ = report
    collector = _Collector()
    collector.feed(html_path.read_text(encoding="utf-8"))
    tags = {tag for tag, _ in collector.tags}
    assert "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    assert not [attrs for _, attrs in collector.tags if "src" in attrs or "href" in attrs]
    assert "svg" in tags


def _sections(dom: str) -> dict[str, dict[str, str]]:
    found = {}
    for match in re.finditer(r'<section class="flowlog" id="flowlog-\d+" data-name="([^"]+)">(.*?)</section>', dom, re.S):
        body = match.group(2)
        values = {}
        for key in ("matched-count", "seen-count", "flows-per-second", "bytes-per-day"):
            m = re.search(rf'class="(?:num )?{key}">([^<]*)<', body)
            if m:
                values[key] = m.group(1)
        values["error"] = "Not applied by the agent" if "Not applied by the agent" in body else ""
        found[match.group(1)] = values
    return found


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}", *args,
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )


@needs_chromium
def test_report_in_chromium_shows_the_json_numbers(report: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    html_path, document = report
    result = _chromium("--enable-logging=stderr", "--v=0", "--dump-dom", html_path.as_uri(), profile=tmp_path / "chromium-profile")
    assert result.returncode == 0, result.stderr[-2000:]
    console_errors = [line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console_errors == []
    sections = _sections(result.stdout)
    flow_logs = document["flowLogs"]
    assert isinstance(flow_logs, list)
    assert list(sections) == [entry["name"] for entry in flow_logs]
    for entry in flow_logs:
        shown = sections[entry["name"]]
        if "error" in entry:
            assert shown["error"]
            continue
        assert shown["matched-count"] == str(entry["matched"])
        assert shown["seen-count"] == str(entry["seen"])
        assert float(shown["flows-per-second"]) == pytest.approx(entry["volume"]["flows_per_second"], abs=0.005)
    assert sections["drops"]["matched-count"] == "3"
    assert sections["shop"]["matched-count"] == "11"
    assert re.search(r'<span id="seen">17</span>', result.stdout)
