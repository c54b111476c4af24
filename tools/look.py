"""Open the built book in headless Chromium and check what a reader sees (``make look``).

Builds nothing: build the book first (``make book`` or ``iclr22 book --from-goldens``). The intro, the
scoreboard and every chapter of ``_build/html`` are served on 127.0.0.1 and opened at 1280x900 in
Debian's ``chromium``, driven through the DevTools protocol over a pipe (no extra package); every other
host is unreachable to the browser, as it is to an offline reader. A page fails on

- raw TeX in its rendered text (``\\(``, ``$$``, ``\\frac`` ... outside code), after MathJax has run;
- a table, code block or display equation wider than the text column, cut off or hidden behind a
  horizontal scroll bar (folded blocks are opened first);
- an image that did not load;
- an internal link to a missing page or a missing ``#anchor``.

Screenshots (``<page>.png``: the top of the page; ``<page>-full.png``: the whole page, folded blocks opened)
and ``report.json`` go to ``_build/look/``. Exit status 1 when anything failed.
"""

from __future__ import annotations

import argparse
import base64
import functools
import http.server
import json
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # offline, except our server
]
WIDTH, HEIGHT = 1280, 900

# Runs in the page; returns what a reader would trip over. Folded blocks are opened before measuring.
CHECK_JS = r"""
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const within = (p, ms) => Promise.race([p, sleep(ms)]);
  for (const img of document.images) img.loading = "eager";
  await within(Promise.all([...document.images].map(i => i.complete ? null :
      new Promise(r => { i.addEventListener("load", r); i.addEventListener("error", r); }))), 15000);
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) await within(mj.startup.promise, 20000);
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  await sleep(300);
  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
  const where = el => {
    const parts = [];
    for (let n = el; n && n !== article && parts.length < 4; n = n.parentElement) {
      parts.unshift(n.tagName.toLowerCase() + (n.id ? "#" + n.id : "") +
        (n.classList.length ? "." + [...n.classList].slice(0, 2).join(".") : ""));
    }
    const sec = el.closest("section[id]");
    return (sec ? "§" + sec.id + " " : "") + parts.join(" > ");
  };
  const rect = el => { const r = el.getBoundingClientRect(); return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; };
  const out = {tex: [], wide: [], images: [], links: [], mathjax: !!(mj && mj.startup), title: document.title};

  const TEX = /\\[()[\]]|\$\$|\$[^$\s][^$\n]{0,80}\$|\\(?:frac|sum|prod|int|sqrt|mathbb|mathcal|mathrm|mathbf|operatorname|left|right|begin|end|alpha|beta|gamma|delta|epsilon|lambda|mu|sigma|theta|tau|eta|hat|tilde|cdot|times|leq|geq|partial|nabla)(?![A-Za-z])/;
  const SKIP = "pre, code, kbd, samp, script, style, textarea, mjx-container, .MathJax, .highlight";
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const el = t.parentElement;
    if (!el || el.closest(SKIP) || !el.getClientRects().length) continue;
    const m = t.textContent.match(TEX);
    if (m) {
      const i = m.index, s = t.textContent;
      out.tex.push({text: s.slice(Math.max(0, i - 40), i + 60).replace(/\s+/g, " "), where: where(el), rect: rect(el)});
    }
  }

  const col = article.getBoundingClientRect();
  for (const el of article.querySelectorAll("table, pre, mjx-container[display='true']")) {
    if (el.parentElement.closest("table, pre, mjx-container")) continue;
    const r = el.getBoundingClientRect();
    if (!r.width) continue;
    let problem = null;
    if (r.right > col.right + 1 || r.left < col.left - 1) problem = `sticks out of the ${Math.round(col.width)} px column by ${Math.round(Math.max(r.right - col.right, col.left - r.left))} px`;
    else if (el.scrollWidth > el.clientWidth + 1) problem = getComputedStyle(el).overflowX === "visible" ?
      `is ${el.scrollWidth - el.clientWidth} px wider than its ${el.clientWidth} px box (cut off)` :
      `${el.scrollWidth - el.clientWidth} px hidden behind a horizontal scroll (${el.scrollWidth} px in ${el.clientWidth} px)`;
    for (let n = el; !problem && n && n !== article; n = n.parentElement) {
      if (n.scrollWidth > n.clientWidth + 1 && getComputedStyle(n).overflowX !== "visible")
        problem = `${n.scrollWidth - n.clientWidth} px hidden behind a horizontal scroll (${n.scrollWidth} px in ${n.clientWidth} px)`;
    }
    if (problem) out.wide.push({what: el.tagName === "MJX-CONTAINER" ? "equation" : el.tagName.toLowerCase(), problem, where: where(el), rect: rect(el)});
  }

  for (const img of document.images) {
    if (!img.complete || !img.naturalWidth) out.images.push({src: img.getAttribute("src"), where: where(img), rect: rect(img)});
  }
  out.links = [...new Set([...document.querySelectorAll("a[href]")].map(a => a.href))];
  out.height = document.documentElement.scrollHeight;
  window.scrollTo(0, 0);  // the full screenshot starts at the page's top left corner
  return out;
})()
"""


class Chromium:
    """Headless Chromium spoken to through the DevTools protocol on ``--remote-debugging-pipe``."""

    def __init__(self, exe: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="look-chromium-")
        self.log = open(Path(self.profile).with_suffix(".log"), "wb")  # closed in close()
        # The browser reads commands on fd 3 and writes replies on fd 4: map them to our pipes.
        cmd = [exe, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe", "about:blank"]
        self.proc = subprocess.Popen(
            ["sh", "-c", 'exec "$@" 3<&0 4>&1 </dev/null >/dev/null', "sh", *cmd],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        self.inbox: queue.Queue[dict] = queue.Queue()
        self.events: list[dict] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        while chunk := self.proc.stdout.read1(1 << 16):
            buf += chunk
            *messages, buf = buf.split(b"\0")
            for raw in messages:
                self.inbox.put(json.loads(raw))

    def send(
        self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 90
    ) -> dict:
        """Send one command and wait for its reply; events that arrive meanwhile are kept."""
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.proc.stdin.write(json.dumps(msg).encode() + b"\0")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            reply = self.inbox.get(timeout=max(0.1, deadline - time.monotonic()))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, name: str, timeout: float = 60) -> dict:
        """Wait for an event named ``name`` (already arrived or still to come)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == name:
                    return self.events.pop(i)
            self.events.append(self.inbox.get(timeout=max(0.1, deadline - time.monotonic())))

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)
        for _ in range(50):  # its helper processes may still be writing there for a moment
            shutil.rmtree(self.profile, ignore_errors=True)
            if not Path(self.profile).exists():
                break
            time.sleep(0.1)


def serve(root: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``root`` on 127.0.0.1 (a free port) in a thread; returns the server and its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, *args: Any) -> None:  # a browser that hung up early: not our problem
            pass

    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def pages(html: Path) -> list[str]:
    """The intro, the scoreboard and every chapter, as paths relative to the built site."""
    out = [p for p in ("book/intro.html", "book/scoreboard.html") if (html / p).is_file()]
    return out + sorted(p.relative_to(html).as_posix() for p in (html / "book" / "chapters").glob("*.html"))


class LinkChecker:
    """Internal links: the page must answer 200 and hold the ``#anchor`` (pages fetched once)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cache: dict[str, tuple[int, str]] = {}

    def _fetch(self, url: str) -> tuple[int, str]:
        if url not in self.cache:
            try:
                with urllib.request.urlopen(url, timeout=30) as r:
                    body = r.read().decode("utf-8", "replace") if url.endswith((".html", "/")) else ""
                    self.cache[url] = (r.status, body)
            except urllib.error.HTTPError as err:
                self.cache[url] = (err.code, "")
        return self.cache[url]

    def problems(self, links: list[str]) -> list[str]:
        out = []
        for link in links:
            if not link.startswith(self.base):
                continue
            parts = urllib.parse.urlsplit(link)
            page = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            status, body = self._fetch(page)
            rel = link[len(self.base) :]
            if status != 200:
                out.append(f"{rel}: HTTP {status}")
            elif parts.fragment and body:
                anchor = re.escape(urllib.parse.unquote(parts.fragment))
                if not re.search(rf"""\b(id|name)=["']{anchor}["']""", body):
                    out.append(f"{rel}: no element with id {parts.fragment!r}")
        return out


def look(html: Path, out: Path, exe: str) -> dict[str, dict]:
    """Open every page, check it, take its screenshots; returns the report (page → findings)."""
    out.mkdir(parents=True, exist_ok=True)
    server, base = serve(html)
    browser = Chromium(exe)
    links = LinkChecker(base)
    report: dict[str, dict] = {}
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Network.enable"):
            browser.send(method, session=sid)
        metrics = {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False}
        browser.send("Emulation.setDeviceMetricsOverride", metrics, session=sid)
        for page in pages(html):
            name = Path(page).stem
            browser.events.clear()
            browser.send("Page.navigate", {"url": base + page}, session=sid)
            browser.wait_event("Page.loadEventFired", timeout=120)
            shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=sid)
            (out / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))
            found = browser.send(
                "Runtime.evaluate",
                {"expression": CHECK_JS, "awaitPromise": True, "returnByValue": True},
                session=sid,
                timeout=180,
            )["result"]["value"]
            # The whole page: a viewport as tall as the page, still 1280 px wide (so the layout stays).
            tall = {**metrics, "height": min(found["height"], 30000)}
            browser.send("Emulation.setDeviceMetricsOverride", tall, session=sid)
            full = browser.send("Page.captureScreenshot", {"format": "png"}, session=sid)
            browser.send("Emulation.setDeviceMetricsOverride", metrics, session=sid)
            (out / f"{name}-full.png").write_bytes(base64.b64decode(full["data"]))
            requested = {
                ev["params"]["requestId"]: ev["params"]["request"]["url"]
                for ev in browser.events
                if ev.get("method") == "Network.requestWillBeSent"
            }
            failed = [
                requested.get(ev["params"]["requestId"], "?")
                for ev in browser.events
                if ev.get("method") == "Network.loadingFailed"
            ] + [
                f"{ev['params']['response']['url']} (HTTP {ev['params']['response']['status']})"
                for ev in browser.events
                if ev.get("method") == "Network.responseReceived"
                and ev["params"]["response"]["status"] >= 400
                and not ev["params"]["response"]["url"].endswith("/favicon.ico")
            ]
            report[page] = {
                "raw TeX": [f"{t['text']!r} at {t['where']}" for t in found["tex"]],
                "too wide": [
                    f"{w['what']} {w['problem']} at {w['where']} (y = {w['rect']['y']:.0f} px)"
                    for w in found["wide"]
                ],
                "missing images": [f"{i['src']} at {i['where']}" for i in found["images"]],
                "broken links": links.problems(found["links"]),
                "failed local requests": [u for u in failed if u.startswith(base)],
                "remote requests (blocked; not a failure)": sorted(
                    {u for u in failed if not u.startswith(base)}
                ),
                "mathjax": found["mathjax"],
            }
    finally:
        browser.close()
        server.shutdown()
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


SHOWN = 5  # findings printed per page and kind
FAILING = ("raw TeX", "too wide", "missing images", "broken links", "failed local requests")


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python tools/look.py [--html _build/html] [--out _build/look]``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--html", default="_build/html", help="the built book (default: _build/html)")
    p.add_argument("--out", default="_build/look", help="screenshots and report.json (default: _build/look)")
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = p.parse_args(argv)
    html = Path(args.html)
    if not (html / "index.html").is_file():
        print(f"look: no built book in {html}: run `make book` or `iclr22 book --from-goldens` first")
        return 2
    if not Path(args.chromium).exists():
        print(f"look: no chromium at {args.chromium} (Debian: apt-get install -y chromium, as root)")
        return 2
    report = look(html, Path(args.out), args.chromium)
    bad = 0
    for page, found in report.items():
        problems = [(k, v) for k in FAILING for v in found[k]]
        bad += bool(problems)
        print(f"{'FAIL' if problems else 'ok  '} {page}")
        for kind in FAILING:
            for what in found[kind][:SHOWN]:
                print(f"     {kind}: {what}")
            if len(found[kind]) > SHOWN:
                print(f"     {kind}: ... and {len(found[kind]) - SHOWN} more (report.json lists them all)")
        for url in found["remote requests (blocked; not a failure)"]:
            print(f"     note: remote request blocked: {url}")
    print(f"{len(report) - bad} of {len(report)} pages ok; screenshots and report.json in {args.out}/")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
