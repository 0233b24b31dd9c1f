"""browser.py - headless Debian Chromium driven through chromedriver's W3C WebDriver API.

No Selenium: the WebDriver protocol is JSON over HTTP, spoken here with urllib, so any
python3 runs it. chromedriver and Chromium come from Debian (chromium, chromium-driver).
The driver runs in its own process group (tests/sip/harness.py's spawn), the browser's
profile is a new temp directory, and close() - also registered as a cleanup, so it runs
however the test ends - ends the session, kills the driver's group and every process
still naming the profile, and removes the profile.
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "sip"))
import harness as h  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

# Headless, no sandbox (tests may run as root), and none of the background traffic a
# closed network refuses (see the machine notes).
CHROME_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-quic", "--no-first-run", "--no-default-browser-check",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1"]


class WebDriverError(RuntimeError):
    pass


def available():
    """(True, "") when chromium and chromedriver are installed, else (False, why)."""
    for p in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(p) and os.access(p, os.X_OK)):
            return False, "%s not found (Debian packages chromium and chromium-driver; deploy/setup)" % p
    return True, ""


class Browser:
    def __init__(self, width=1920, height=1080):
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="acdtest-%d-chromium-" % os.getpid())
        self.port = h.free_port(("tcp",))
        self.base = "http://%s:%d" % (h.LOOPBACK, self.port)
        self.log_path = self.profile + ".driver.log"
        self.driver = None
        self.session = None
        self.closed = False
        h.on_cleanup(self.close)

    # -- the protocol -------------------------------------------------------------------

    def _call(self, method, path, body=None, timeout=30):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                doc = json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            doc = json.loads(e.read() or b"{}")
            v = doc.get("value") or {}
            raise WebDriverError("%s %s: %s: %s" % (method, path, v.get("error"), v.get("message", "")[:300]))
        return doc.get("value")

    def _s(self, path):
        return "/session/%s%s" % (self.session, path)

    # -- lifecycle ----------------------------------------------------------------------

    def start(self, timeout=30):
        self.logf = open(self.log_path, "ab")
        self.driver = h.spawn([CHROMEDRIVER, "--port=%d" % self.port, "--allowed-ips=127.0.0.1"],
                              stdout=self.logf, stderr=subprocess.STDOUT)
        ok = h.wait_for(self._driver_up, 15, interval=0.1, what="chromedriver up")
        if not ok:
            raise WebDriverError("chromedriver did not answer on port %d" % self.port)
        args = CHROME_ARGS + ["--user-data-dir=%s" % self.profile,
                              "--window-size=%d,%d" % (self.width, self.height)]
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args}}}}
        v = self._call("POST", "/session", caps, timeout=timeout)
        self.session = v["sessionId"]
        h.log("chromium session %s (driver port %d, profile %s)" % (self.session, self.port, self.profile))
        return self

    def _driver_up(self):
        try:
            with urllib.request.urlopen(self.base + "/status", timeout=1) as r:
                return json.loads(r.read()).get("value", {}).get("ready", False)
        except (OSError, ValueError):
            return False

    def _profile_pids(self):
        """Processes still naming our profile (Chromium's children may leave the group)."""
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if self.profile.encode() in f.read():
                        pids.append(int(d))
            except OSError:
                pass
        return pids

    def close(self):
        if self.closed:
            return
        self.closed = True
        if self.session:
            try:
                self._call("DELETE", self._s(""), timeout=10)
            except Exception:
                pass
        if self.driver:
            h.stop_proc(self.driver, timeout=3)
        for pid in self._profile_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        h.wait_for(lambda: not self._profile_pids(), 5, interval=0.1)
        shutil.rmtree(self.profile, ignore_errors=True)
        try:
            self.logf.close()
        except Exception:
            pass
        if not h.KEEP:
            try:
                os.unlink(self.log_path)
            except OSError:
                pass

    # -- what tests do -----------------------------------------------------------------

    def get(self, url):
        self._call("POST", self._s("/url"), {"url": url})

    def script(self, js, *args):
        """Runs js (a function body; `return` gives the value) in the page."""
        return self._call("POST", self._s("/execute/sync"), {"script": js, "args": list(args)})

    def cdp(self, cmd, params=None):
        """A Chrome DevTools Protocol command through chromedriver (goog/cdp/execute)."""
        return self._call("POST", self._s("/goog/cdp/execute"), {"cmd": cmd, "params": params or {}})

    def set_viewport(self, width, height):
        """The page's viewport exactly width x height CSS pixels (a wall TV's 1920x1080)."""
        self.cdp("Emulation.setDeviceMetricsOverride",
                 {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def screenshot(self, path, full_page=True):
        """Writes a PNG of the page (all of it, or the viewport) to path; returns its size."""
        if full_page:
            v = self.cdp("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
            png = base64.b64decode(v["data"])
        else:
            png = base64.b64decode(self._call("GET", self._s("/screenshot")))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(png)
        return len(png)

    def driver_log(self, n=40):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read().splitlines()[-n:]
        except OSError:
            return []

