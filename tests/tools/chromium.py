"""Headless Chromium driven through the DevTools protocol over a pipe (`--remote-debugging-pipe`:
commands on fd 3, replies and events on fd 4, each a JSON message ended by a NUL byte), so a test
can set an exact window width, measure element boxes, watch the network and the console, and
take a full-page screenshot, offline, with Debian's `chromium` package and no other library.

Protocol: https://chromedevtools.github.io/devtools-protocol/ (Target, Page, Emulation, Runtime,
Network, Log domains); the pipe transport is chromium's `--remote-debugging-pipe` switch.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Debian installs `chromium`; other distributions `chromium-browser`.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMEOUT = 60.0


class ChromiumError(RuntimeError):
    pass


@dataclass
class PageRun:
    """What one load of a page at one width showed."""

    width: int
    value: Any  # what the measuring expression returned
    screenshot: Path
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    console: list[str] = field(default_factory=list)  # console messages, exceptions, log entries


class Chromium:
    """One headless Chromium process; `with Chromium(profile) as browser: browser.load(...)`."""

    def __init__(self, profile: Path) -> None:
        if CHROMIUM is None:
            raise ChromiumError("chromium is not installed")
        self.profile = profile
        self.next_id = 0
        self.buffer = b""
        self.events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()

        def wire_fds() -> None:  # the child's fd 3 reads commands, fd 4 writes replies
            os.dup2(to_browser_read, 3)
            os.dup2(from_browser_write, 4)

        assert CHROMIUM is not None
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-pipe",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--mute-audio",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=wire_fds,  # noqa: PLW1509 - only dup2 between fork and exec
            pass_fds=(3, 4),  # kept open in the child when the other descriptors are closed
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self.send("Browser.close")
        except (ChromiumError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        assert self.process.stderr is not None
        self.process.stderr.close()
        os.close(self.to_browser)
        os.close(self.from_browser)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_browser], [], [], left)[0]:
                raise ChromiumError("chromium did not answer in time")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise ChromiumError(f"chromium exited: {self._stderr()}")
            self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        result: dict[str, Any] = json.loads(message)
        return result

    def _stderr(self) -> str:
        assert self.process.stderr is not None
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stderr.read().decode(errors="replace")[-2000:]

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise ChromiumError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        for index, event in enumerate(self.events):
            if event["method"] == method and event.get("sessionId") == session:
                return self.events.pop(index)
        while True:
            event = self._read(deadline)
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            if "method" in event:
                self.events.append(event)

    def load(self, url: str, width: int, expression: str, screenshot: Path) -> PageRun:
        """Open `url` in a fresh tab `width` CSS pixels wide, evaluate `expression` once it has
        loaded (its JSON value is returned) and save a screenshot of the whole page."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.events.clear()
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(f"{domain}.enable", session)
        self.send(
            "Emulation.setDeviceMetricsOverride", session, width=width, height=800, deviceScaleFactor=1, mobile=False
        )
        self.send("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", session)
        value = self.send("Runtime.evaluate", session, expression=expression, returnByValue=True)
        if "exceptionDetails" in value:
            raise ChromiumError(f"the measuring script failed: {value['exceptionDetails']}")
        metrics = self.send("Page.getLayoutMetrics", session)["cssContentSize"]
        height = max(1, int(metrics["height"] + 0.5))
        self.send(
            "Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1, mobile=False
        )
        image = self.send("Page.captureScreenshot", session, format="png")["data"]
        screenshot.write_bytes(base64.b64decode(image))
        run = PageRun(width, value["result"].get("value"), screenshot)
        for event in self.events:
            if event.get("sessionId") != session:
                continue
            params = event["params"]
            if event["method"] == "Network.requestWillBeSent":
                run.requests.append(params["request"]["url"])
            elif event["method"] == "Runtime.consoleAPICalled":
                run.console.append(
                    " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"])
                )
            elif event["method"] == "Runtime.exceptionThrown":
                run.console.append(str(params["exceptionDetails"].get("text")))
            elif event["method"] == "Log.entryAdded":
                run.console.append(f"{params['entry']['level']}: {params['entry']['text']}")
        self.send("Target.closeTarget", targetId=target)
        return run
