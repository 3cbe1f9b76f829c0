"""`flowlogs preview --report`: one self-contained HTML page, checked in a real headless Chromium.

The page is loaded at two window widths (a desktop and a phone) in one Chromium process driven
through the DevTools protocol (tests/tools/chromium.py). It must ask for nothing but itself, log
nothing to the console, show every source -> destination label whole and clear of every bar and
of every other label, fit the window, and show the numbers `-o json` gives, rounded as the text
summary rounds them. Screenshots of both widths are kept in the test's temporary directory (the
path is printed: `pytest -s`).

Debian's chromium is needed (`make test` installs it with apt-get when missing, `make browser`);
without it the browser tests skip, except in CI (`CI` set), where that is a failure.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import struct
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
import yaml
from chromium import CHROMIUM, Chromium, PageRun

from conftest import ROOT, CliResult, once_per_run
from flowlogs.cli import main

FLOWS = ROOT / "tests" / "data" / "preview" / "flows.jsonl"
Run = Callable[..., CliResult]
WIDTHS = (1280, 480)


@pytest.fixture
def report(run_cli: Run, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    config = tmp_path / "flowlogs.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "flowLogs": [
                    {
                        "name": "drops",
                        "filePath": "/var/run/cilium/hubble/drops.log",
                        "includeFilters": [{"verdict": ["DROPPED"]}],
                    },
                    {
                        "name": "shop",
                        "filePath": "/var/run/cilium/hubble/shop.log",
                        "includeFilters": [{"destination_pod": ["shop/"]}],
                        "fieldMask": ["time", "source", "destination"],
                    },
                    {
                        "name": "broken",
                        "filePath": "/var/run/cilium/hubble/broken.log",
                        "includeFilters": [{"http_status_code": ["999"]}],
                    },
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
    text = html_path.read_text(encoding="utf-8")
    collector = _Collector()
    collector.feed(text)
    tags = {tag for tag, _ in collector.tags}
    assert "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    assert not [
        attrs
        for _, attrs in collector.tags
        if "src" in attrs or ("href" in attrs and not str(attrs["href"]).startswith("#"))
    ]
    assert "url(" not in text and "@import" not in text
    assert "svg" in tags


# --- the browser run ---------------------------------------------------------------------------
# A capture made here: 10 minutes of flows with long namespace/pod names (what used to hide
# behind the bars), exactly 3 drops (3 in --duration 15m is 0.00333 flows/s, which printed as
# 0.00), and a busy payments namespace.

START = datetime(2025, 1, 23, 8, 0, 0, tzinfo=UTC)
LONG_NAMESPACE = "payments-settlement-reconciliation-eu-west"
LONG_PODS = [f"ledger-writer-{n}-5f7c9d8b6-x2kqz-with-a-rather-long-generated-suffix" for n in range(3)]
CLIENTS = [("checkout-frontend-and-api-gateway", f"checkout-web-{n}-7d9f8b6c4-qwert") for n in range(4)]


def _flow(
    index: int, at: datetime, source: tuple[str, str], destination: tuple[str, str] | str, verdict: str, node: str
) -> dict[str, Any]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{index:06d}000Z"
    flow: dict[str, Any] = {
        "time": stamp,
        "verdict": verdict,
        "IP": {
            "source": f"10.0.{index % 200}.{index % 250 + 1}",
            "destination": "10.1.0.1" if not isinstance(destination, str) else destination,
            "ipVersion": "IPv4",
        },
        "l4": {"TCP": {"source_port": 40000 + index, "destination_port": 8443}},
        "source": {"identity": 1000 + index % 7, "namespace": source[0], "pod_name": source[1]},
        "destination": {"identity": 2, "labels": ["reserved:world"]}
        if isinstance(destination, str)
        else {"identity": 3000, "namespace": destination[0], "pod_name": destination[1]},
        "Type": "L3_L4",
        "node_name": node,
        "traffic_direction": "EGRESS",
        "event_type": {"type": 1 if verdict == "DROPPED" else 4},
    }
    if verdict == "DROPPED":
        flow["drop_reason_desc"] = "POLICY_DENY"
    return {"flow": flow, "node_name": node, "time": stamp}


def _capture() -> list[dict[str, Any]]:
    """About 400 flows over 10 minutes, busier in the middle; 3 of them dropped."""
    flows = []
    index = 0
    for second in range(0, 600, 3):
        busy = 1 + (second >= 180 and second < 420)
        for _ in range(busy):
            client = CLIENTS[index % len(CLIENTS)]
            destination: tuple[str, str] | str = (
                (LONG_NAMESPACE, LONG_PODS[(index // 3) % len(LONG_PODS)]) if index % 3 else "203.0.113.77"
            )
            node = f"prod-eu-west/aks-nodepool{1 + index % 2}-25275757-vmss00000{index % 2}"
            flows.append(_flow(index, START + timedelta(seconds=second), client, destination, "FORWARDED", node))
            index += 1
    for second in (61, 62, 305):
        flows.append(
            _flow(
                index,
                START + timedelta(seconds=second),
                CLIENTS[0],
                "203.0.113.77",
                "DROPPED",
                "prod-eu-west/aks-nodepool1-25275757-vmss000000",
            )
        )
        index += 1
    return flows


CONFIG = {
    "flowLogs": [
        {"name": "drops", "filePath": "/var/run/cilium/hubble/drops.log", "includeFilters": [{"verdict": ["DROPPED"]}]},
        {
            "name": "payments",
            "filePath": "/var/run/cilium/hubble/payments-settlement-reconciliation.log",
            "includeFilters": [{"destination_pod": [f"{LONG_NAMESPACE}/"]}],
        },
        {"name": "everything", "filePath": "/var/run/cilium/hubble/everything.log"},
        {
            "name": "broken",
            "filePath": "/var/run/cilium/hubble/broken.log",
            "includeFilters": [{"http_status_code": ["999"]}],
        },
    ]
}


class Outputs:
    """The capture, and what `preview` made of it: text, JSON and the report (made once per test
    run, in a directory the xdist workers share)."""

    def __init__(self, directory: Path, ready: bool) -> None:
        self.flows = _capture()
        self.flows_path = directory / "capture.jsonl"
        self.report = directory / "report.html"
        if not ready:
            directory.mkdir(parents=True)
            self.flows_path.write_text("".join(json.dumps(flow) + "\n" for flow in self.flows), encoding="utf-8")
            config = directory / "flowlogs.yaml"
            config.write_text(yaml.safe_dump(CONFIG), encoding="utf-8")
            args = ["preview", "--config", str(config), "--flows", str(self.flows_path), "--duration", "15m"]
            (directory / "summary.txt").write_text(self._run([*args, "--report", str(self.report)]), encoding="utf-8")
            (directory / "preview.json").write_text(self._run([*args, "-o", "json"]), encoding="utf-8")
        self.text = (directory / "summary.txt").read_text(encoding="utf-8")
        self.json = json.loads((directory / "preview.json").read_text(encoding="utf-8"))
        self.entries = {entry["name"]: entry for entry in self.json["flowLogs"]}

    @staticmethod
    def _run(argv: list[str]) -> str:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
        assert code == 0, err.getvalue()
        return out.getvalue()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    with once_per_run(tmp_path_factory, "preview-report") as (directory, ready):
        return Outputs(directory, ready)


# What the page shows, read from the DOM, and the boxes of what must not overlap: per chart
# (a ranked table, a time chart), its labels (names, counts, axis ticks) and its bars.
MEASURE = r"""(() => {
  const box = (element) => { const r = element.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const text = (root, selector) => { const found = root.querySelector(selector); return found ? found.textContent : null; };
  const rows = (root, selector) => { const table = root.querySelector(selector); return table ?
    [...table.querySelectorAll('tbody tr')].map(tr => [...tr.querySelectorAll('.label, .count')].map(e => e.textContent)) : []; };
  const sections = [...document.querySelectorAll('section.flowlog')].map(section => ({
    name: section.dataset.name,
    error: text(section, '.err'),
    matched: text(section, '.matched-count'), seen: text(section, '.seen-count'), percent: text(section, '.matched-percent'),
    flowsPerSecond: text(section, '.flows-per-second'), bytesPerDay: text(section, '.bytes-per-day'),
    nodes: [...section.querySelectorAll('tr.node')].map(tr => [tr.querySelector('.label').textContent,
      tr.querySelector('.node-flows-per-second').textContent, tr.querySelector('.node-bytes-per-day').textContent]),
    talkers: rows(section, 'table.talkers'), verdicts: rows(section, 'table.verdicts'), dropReasons: rows(section, 'table.drop-reasons'),
    bins: [...section.querySelectorAll('svg.timeline g[data-start]')].map(g => [g.dataset.start, +g.dataset.seen, +g.dataset.matched]),
    ticks: [...section.querySelectorAll('svg.timeline text.tick')].map(t => t.textContent),
  }));
  const charts = [...document.querySelectorAll('.chart')].map(chart => ({
    what: chart.className.baseVal ?? chart.className,
    labels: [...chart.querySelectorAll('.label, .count, .tick')].map(e => ({text: e.textContent, box: box(e),
      cell: e.closest('td') ? box(e.closest('td')) : box(e.closest('svg'))})),
    bars: [...chart.querySelectorAll('.bar')].map(box),
  }));
  const cells = [...document.querySelectorAll('td, th')].filter(cell => cell.textContent.trim())
    .map(cell => ({text: cell.textContent, width: cell.clientWidth - parseFloat(getComputedStyle(cell).paddingLeft) - parseFloat(getComputedStyle(cell).paddingRight)}));
  return {width: window.innerWidth, cells, scrollWidth: document.documentElement.scrollWidth, seen: text(document, '#seen'), sections, charts};
})()"""  # noqa: E501 (JavaScript)


# How the report drew a top talker before issue 23 (report.py's _bar_chart then), with the classes
# MEASURE reads; a table with a column too narrow for a word; a drawing wider than a phone.
_OLD_NAME = f"{CLIENTS[0][0]}/{CLIENTS[0][1]} \u2192 {LONG_NAMESPACE}/{LONG_PODS[0]}"[:60]
OLD_LAYOUT = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><style>svg '
    "text{font-size:12px;font-family:system-ui,sans-serif}</style></head>"
    '<body><svg class="chart talkers" width="640" height="24" viewBox="0 0 640 24">'
    f'<text class="label" x="0" y="14">{_OLD_NAME}</text><rect class="bar" x="360" y="0" width="220" height="20" '
    'fill="#4a7fb5"/>'
    '<text class="count" x="584" y="14">16</text></svg>'
    '<table style="width:100%;table-layout:fixed"><colgroup><col style="width:97%"><col></colgroup>'
    "<tr><td>source</td><td>destination</td></tr></table></body></html>"
)


@pytest.fixture(scope="module")
def browser(outputs: Outputs, tmp_path_factory: pytest.TempPathFactory) -> dict[int, PageRun]:
    """The report loaded at each width, and the old layout once, in one Chromium process
    (about 2 s) for the whole test run: the xdist workers share what it measured."""
    require_chromium(CHROMIUM)
    with once_per_run(tmp_path_factory, "preview-report-browser") as (shots, ready):
        if not ready:
            shots.mkdir(parents=True)
            old = shots / "old-layout.html"
            old.write_text(OLD_LAYOUT, encoding="utf-8")
            with Chromium(shots / "chromium-profile") as chromium:
                runs = {
                    width: chromium.load(outputs.report.as_uri(), width, MEASURE, shots / f"report-{width}.png")
                    for width in WIDTHS
                }
                runs[0] = chromium.load(old.as_uri(), 480, MEASURE, shots / "old-layout-480.png")
            saved = {width: {**vars(run), "screenshot": str(run.screenshot)} for width, run in runs.items()}
            (shots / "runs.json").write_text(json.dumps(saved), encoding="utf-8")
            print(f"\nreport screenshots: {', '.join(str(run.screenshot) for run in runs.values())}")
        saved = json.loads((shots / "runs.json").read_text(encoding="utf-8"))
    return {int(width): PageRun(**{**run, "screenshot": Path(run["screenshot"])}) for width, run in saved.items()}


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.mark.parametrize("width", WIDTHS)
def test_report_loads_alone_and_quietly(browser: dict[int, PageRun], outputs: Outputs, width: int) -> None:
    run = browser[width]
    assert run.requests == [outputs.report.as_uri()]  # no script, style, font or image from anywhere
    assert run.console == []
    assert _png_size(run.screenshot)[0] == width
    assert run.value["width"] == width


def _intersect(a: list[float], b: list[float]) -> bool:
    """Two boxes share area (touching edges do not count)."""
    return min(a[2], b[2]) - max(a[0], b[0]) > 0.5 and min(a[3], b[3]) - max(a[1], b[1]) > 0.5


def layout_problems(page: dict[str, Any], width: int) -> list[str]:
    """What a reader could not read on a page measured by MEASURE at `width`: a label (name,
    count, axis tick) over a bar or another label, out of the window or out of its cell, a
    table column too narrow for a word, a page wider than the window."""
    problems = []
    if page["scrollWidth"] > width:
        problems.append(f"the page is {page['scrollWidth']} px wide in a {width} px window")
    problems += [
        f"{cell['text']!r} is squeezed into {cell['width']:.0f} px" for cell in page["cells"] if cell["width"] < 40
    ]
    for chart in page["charts"]:
        labels, bars = chart["labels"], chart["bars"]
        for label in labels:
            left, top, right, bottom = label["box"]
            cell = label["cell"]
            if right - left <= 0 or bottom - top <= 0:
                problems.append(f"{label['text']!r} is not shown")
            if left < 0 or right > width:
                problems.append(f"{label['text']!r} runs out of the window: {label['box']}")
            if left < cell[0] - 0.5 or right > cell[2] + 0.5:
                problems.append(f"{label['text']!r} runs out of its cell {cell}: {label['box']}")
            problems += [
                f"{chart['what']}: {label['text']!r} {label['box']} overlaps a bar {bar}"
                for bar in bars
                if _intersect(label["box"], bar)
            ]
        problems += [
            f"{chart['what']}: {one['text']!r} {one['box']} overlaps {other['text']!r} {other['box']}"
            for one, other in combinations(labels, 2)
            if _intersect(one["box"], other["box"])
        ]
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_no_label_overlaps_a_bar_or_another_label(browser: dict[int, PageRun], width: int) -> None:
    page = browser[width].value
    charts = page["charts"]
    # every time chart and ranked table is measured: per applied flow log (3), a time chart and
    # talkers, verdicts, drop reasons (payments has no drops: "Drop reasons: none", no table)
    assert [chart["what"].split()[-1] for chart in charts].count("chart") == 3
    assert sum(1 for chart in charts if chart["what"].startswith("ranked")) == 3 + 2 + 3
    assert all(chart["labels"] and chart["bars"] for chart in charts)
    assert layout_problems(page, width) == []


def test_the_layout_check_finds_a_label_behind_a_bar(browser: dict[int, PageRun]) -> None:
    """The check is not vacuous: the old report's layout (a name cut to 60 characters drawn in
    SVG text, its bar from x=360) fails it, as do a one-letter column and an overflowing page."""
    page = browser[0].value
    problems = layout_problems(page, 480)
    assert any("overlaps a bar" in problem for problem in problems), problems
    assert any("'destination' is squeezed" in problem for problem in problems), problems
    assert any("the page is" in problem for problem in problems), problems


def _named(items: list[dict[str, Any]]) -> list[list[str]]:
    return [[item["name"], str(item["count"])] for item in items]


def _text_numbers(text: str) -> dict[str, dict[str, str]]:
    """Per flow log, what the text summary prints: its percent, flows/s and per-node rates."""
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in text.splitlines():
        if match := re.fullmatch(r"  (\S+) -> .*", line):
            current = found.setdefault(match.group(1), {})
        elif match := re.fullmatch(r"    matched \d+ of \d+ \((.*)%\)", line):
            current["percent"] = match.group(1)
        elif match := re.fullmatch(r"    volume over .*: (\S+) flows/s, (.*)/day", line):
            current["flowsPerSecond"], current["bytesPerDay"] = match.groups()
        elif match := re.fullmatch(r"      (\S+): (\S+) flows/s, (.*)/day", line):
            current[match.group(1)] = f"{match.group(2)} {match.group(3)}"
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_report_shows_the_json_numbers_rounded_as_the_text(
    browser: dict[int, PageRun], outputs: Outputs, width: int
) -> None:
    page = browser[width].value
    texts = _text_numbers(outputs.text)
    assert page["seen"] == str(outputs.json["seen"]) == str(len(outputs.flows))
    assert [section["name"] for section in page["sections"]] == list(outputs.entries)
    for section in page["sections"]:
        entry = outputs.entries[section["name"]]
        if "error" in entry:
            assert section["error"] and section["matched"] is None
            continue
        text = texts[section["name"]]
        assert section["matched"] == str(entry["matched"]) and section["seen"] == str(entry["seen"])
        assert section["percent"] == text["percent"]
        assert section["flowsPerSecond"] == text["flowsPerSecond"]
        assert float(section["flowsPerSecond"]) == entry["volume"]["flows_per_second"]
        assert section["bytesPerDay"] == text["bytesPerDay"]
        assert len(section["nodes"]) == len(entry["volume"]["per_node"])
        for (node, per_second, per_day), expected in zip(section["nodes"], entry["volume"]["per_node"], strict=True):
            assert node == expected["node"] and float(per_second) == expected["flows_per_second"]
            assert f"{per_second} {per_day}" == text[node]
        # The report ranks ten, the JSON five, in the same order: full names, split source | destination.
        assert [[" \u2192 ".join(row[:2]), row[2]] for row in section["talkers"][:5]] == _named(entry["top_talkers"])
        assert section["verdicts"][:5] == _named(entry["verdicts"])
        assert section["dropReasons"][:5] == _named(entry["drop_reasons"])
        timeline = outputs.json["timeline"]
        start = datetime.fromisoformat(timeline["start"])
        expected_bins = [
            [(start + timedelta(seconds=index * timeline["bin_seconds"])).strftime("%Y-%m-%dT%H:%M:%SZ"), seen, matched]
            for index, (seen, matched) in enumerate(zip(timeline["seen"], entry["matched_over_time"], strict=True))
            if seen
        ]
        assert section["bins"] == expected_bins
        assert sum(matched for _, _, matched in section["bins"]) == entry["matched"]
    drops = next(section for section in page["sections"] if section["name"] == "drops")
    assert drops["flowsPerSecond"] == "0.00333"  # 3 flows in 15 minutes, once shown as 0.00
    assert drops["talkers"][0] == [CLIENTS[0][0] + "/" + CLIENTS[0][1], "reserved:world (203.0.113.77)", "3"]
    payments = next(section for section in page["sections"] if section["name"] == "payments")
    assert {row[1] for row in payments["talkers"]} == {f"{LONG_NAMESPACE}/{pod}" for pod in LONG_PODS}


def test_timeline_bins_are_the_captures_times(outputs: Outputs) -> None:
    """The JSON timeline counts, per bin, the flows whose own timestamps fall in it (computed
    here from the capture), for every flow and for each flow log's matched lines."""
    timeline = outputs.json["timeline"]
    width = timeline["bin_seconds"]
    start = datetime.fromisoformat(timeline["start"])
    times = [datetime.fromisoformat(flow["time"][:19]).replace(tzinfo=UTC) for flow in outputs.flows]
    assert start <= min(times) and max(times) < start + timedelta(seconds=width * len(timeline["seen"]))
    assert 10 <= len(timeline["seen"]) <= 60  # a readable number of bins for a 10-minute capture
    assert width == 10 and start == START  # the smallest round width that keeps 600 s within 60 bins

    def binned(lines: list[int]) -> list[int]:
        counts = Counter(int((times[line - 1] - start).total_seconds()) // width for line in lines)
        return [counts.get(index, 0) for index in range(len(timeline["seen"]))]

    assert timeline["seen"] == binned(list(range(1, len(times) + 1)))
    for entry in outputs.json["flowLogs"]:
        if "error" not in entry:
            assert entry["matched_over_time"] == binned(entry["matched_lines"]), entry["name"]


def test_timeline_axis_shows_the_captures_times(browser: dict[int, PageRun], outputs: Outputs) -> None:
    page = browser[WIDTHS[0]].value
    section = next(section for section in page["sections"] if section["name"] == "everything")
    assert section["ticks"][:2] == ["0", str(max(outputs.json["timeline"]["seen"]))]  # y: zero and the busiest bin
    # x: the capture's own clock (08:00:00 to 08:09:59 UTC), a label every 2 minutes
    assert section["ticks"][2:] == ["08:00", "08:02", "08:04", "08:06", "08:08"]


def test_rates_print_significant_digits_in_text_and_json(outputs: Outputs) -> None:
    drops = outputs.entries["drops"]
    assert drops["volume"]["flows_per_second"] == 0.00333
    assert "    volume over 900 s (--duration): 0.00333 flows/s, " in outputs.text


def require_chromium(chromium: str | None) -> None:
    """Skip without chromium, except in CI, where the report must be checked: fail there."""
    if chromium is None:
        reason = "chromium is not installed (make browser, or apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: in CI the report must be checked in a browser (make test installs it)")
        pytest.skip(f"{reason}; the report is not checked in a browser")


def test_missing_chromium_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="in CI the report must be checked in a browser"):
        require_chromium(None)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        require_chromium(None)
    require_chromium("/usr/bin/chromium")  # found: nothing to say


# --- rounding and the time axis, without a browser -------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3 / 900, "0.00333"),  # the example: 3 flows in 15 minutes
        (2 / 56, "0.0357"),
        (0.0009996, "0.001"),  # rounds up to one digit fewer, never 0.00100 or 0.000999
        (1.2, "1.2"),
        (12.345, "12.3"),
        (1234.5, "1234"),  # whole digits are never rounded away, and never an exponent (1.23e+03)
        (99999.7, "100000"),
        (0.0, "0"),
        (1e-9, "0.000000001"),
    ],
)
def test_rates_have_three_significant_digits(value: float, text: str) -> None:
    from flowlogs.cilium.preview.volume import rate, rate_text

    assert rate_text(value) == text
    assert rate(value) == float(text)  # the JSON number is the text's


@pytest.mark.parametrize(
    ("part", "whole", "text"),
    [(2, 18, "11.1"), (1, 1, "100.0"), (0, 5, "0.0"), (1, 200000, "0.0005"), (9999, 10000, "99.9")],
)
def test_shares_never_read_zero_or_all_when_they_are_not(part: int, whole: int, text: str) -> None:
    from flowlogs.cilium.preview.volume import percent_text

    assert percent_text(part, whole) == text


def _write_flows(path: Path, times: list[str | None]) -> None:
    lines = []
    for index, stamp in enumerate(times):
        flow = _flow(index, START, CLIENTS[0], "203.0.113.77", "FORWARDED", "node-a")
        if stamp is None:
            del flow["time"], flow["flow"]["time"]
        else:
            flow["time"] = flow["flow"]["time"] = stamp
        lines.append(json.dumps(flow) + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def _preview_json(run_cli: Run, tmp_path: Path, times: list[str | None]) -> tuple[dict[str, Any], str]:
    flows, config, report = tmp_path / "flows.jsonl", tmp_path / "flowlogs.yaml", tmp_path / "report.html"
    _write_flows(flows, times)
    config.write_text(yaml.safe_dump({"flowLogs": [{"name": "all", "filePath": "/var/log/all.log"}]}), encoding="utf-8")
    args = ("preview", "--config", str(config), "--flows", str(flows))
    result = run_cli(*args, "-o", "json")
    assert result.code == 0, result.err
    assert run_cli(*args, "--report", str(report)).code == 0
    return json.loads(result.out), report.read_text(encoding="utf-8")


def test_two_hours_of_seconds_are_counted_by_minute_within_bounded_memory(run_cli: Run, tmp_path: Path) -> None:
    """7,200 distinct seconds are more buckets than a series keeps (4,096): they are counted per
    minute, and still land in the right bins (counted here from the timestamps)."""
    times = [(START + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%S.123456789Z") for second in range(7200)]
    document, report = _preview_json(run_cli, tmp_path, times)
    timeline = document["timeline"]
    assert (timeline["start"], timeline["bin_seconds"]) == ("2025-01-23T08:00:00Z", 120)  # 2 h in 60 round bins
    assert timeline["seen"] == [120] * 60
    assert document["flowLogs"][0]["matched_over_time"] == [120] * 60
    # labels every 30 minutes (at most 5 in 2 hours), the last (10:00, the right edge) left out
    assert re.findall(r'class="tick"[^>]*>([^<]*)<', report) == ["0", "120", "08:00", "08:30", "09:00", "09:30"]


def test_a_capture_over_days_gets_round_bins(run_cli: Run, tmp_path: Path) -> None:
    times = ["2025-01-23T08:00:00Z", "2025-01-23T23:59:59.9Z", "2025-02-02T07:59:59Z"]
    document, report = _preview_json(run_cli, tmp_path, times)
    timeline = document["timeline"]
    # 10 days into at most 60 bins: 6 hours each, on the 6-hour marks of UTC
    assert (timeline["start"], timeline["bin_seconds"]) == ("2025-01-23T06:00:00Z", 21600)
    assert (timeline["seen"][0], timeline["seen"][2], timeline["seen"][-1], sum(timeline["seen"])) == (1, 1, 1, 3)
    assert 'flows per 6 h, <time datetime="2025-01-23T06:00:00Z">2025-01-23 06:00:00</time>' in report
    # labels every 2 days, on the even days since the epoch (2025-01-23 is day 20111), as dates
    assert re.findall(r'class="tick"[^>]*>([^<]*)<', report) == ["0", "1", "01-24", "01-26", "01-28", "01-30", "02-01"]


def test_flows_without_times_have_no_timeline_and_are_said_to_be_missing(run_cli: Run, tmp_path: Path) -> None:
    document, report = _preview_json(run_cli, tmp_path, [None, None])
    assert document["timeline"] is None and "matched_over_time" not in document["flowLogs"][0]
    assert "<svg" not in report
    document, report = _preview_json(run_cli, tmp_path, ["2025-01-23T08:00:00Z", None, "not a time"])
    assert document["timeline"]["seen"] == [1] and document["seen"] == 3
    assert "2 flow(s) without a timestamp are not drawn." in report


def test_the_report_says_what_was_skipped_and_which_version_decided(run_cli: Run, tmp_path: Path) -> None:
    """The report's facts carry the skipped lines and non-flow records the text and -o json report."""
    flows, config, report = tmp_path / "flows.jsonl", tmp_path / "flowlogs.yaml", tmp_path / "report.html"
    _write_flows(flows, ["2025-01-23T08:00:00Z"])
    with flows.open("a", encoding="utf-8") as out:
        out.write(
            '{"lost_events":{"source":"PERF_EVENT_RING_BUFFER","num_events_lost":"3"},'
            '"time":"2025-01-23T08:00:01Z"}\n{"flow":{"ti'
        )
    config.write_text(yaml.safe_dump({"flowLogs": [{"name": "all", "filePath": "/var/log/all.log"}]}), encoding="utf-8")
    result = run_cli("preview", "--config", str(config), "--flows", str(flows), "--report", str(report))
    assert result.code == 0, result.err
    page = report.read_text(encoding="utf-8")
    assert "<dt>Skipped</dt><dd>1 line that is not a JSON object (cut off or malformed; named on stderr)</dd>" in page
    assert "<dt>Skipped</dt><dd>1 lost_events record (not a flow)</dd>" in page
    assert (
        "<dt>Semantics</dt><dd>matched with Cilium 1.19&#x27;s filters (the default; --cilium to choose)</dd>" in page
    )
