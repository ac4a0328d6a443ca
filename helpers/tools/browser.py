"""JupyterLab 4 driven in Chromium through Playwright, for the browser tests and the README screenshots.

`JupyterLab(root, home)` starts `jupyter lab` on loopback with a random token in the folder
`root` (nbgrader's server extensions then see the course there) and a private Jupyter home under
`home` (config, runtime, lab settings and workspaces: the user's own are neither read nor
changed); leaving the `with` block stops it with its kernels. `chromium()` launches the
distribution's Chromium (/usr/bin/chromium, `apt-get install chromium`): Playwright's own
browser download is not used. The page functions below act as a user does: menus, toolbar
buttons, typing into cells.
"""
import contextlib
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from helpers.course import tool_env

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 900}
# Lab settings for a predictable page: every cell in the DOM (no virtual scrolling), no news or update checks.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}
START_TIMEOUT = 180  # seconds for JupyterLab to answer (nbgrader's extensions take a few seconds to import)
RUN_TIMEOUT = 240_000  # milliseconds for Run All or Validate of the whole notebook (a loaded 2-core machine)
# True once every code cell shows an execution count, i.e. Run All has reached the last cell and finished it.
ALL_CELLS_RAN = """() => {
  const prompts = document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt');
  return prompts.length > 0 && Array.from(prompts).every(p => /\\[\\d+\\]/.test(p.textContent));
}"""
IMAGES = "images => images.map(i => ({src: i.getAttribute('src'), alt: i.alt, loaded: i.complete && i.naturalWidth > 0}))"
NOTEBOOK_IMAGES = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownOutput img"


def chromium_problem() -> str | None:
    """Why the browser cannot run here, or None if Chromium and Playwright are both installed."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install it with `apt-get install chromium` (`make test` does, as root)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed: `make test-deps` installs requirements-test.txt"
    return None


@contextlib.contextmanager
def chromium():
    """A Playwright Browser on the distribution's Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class JupyterLab:
    """A JupyterLab server in `root` for one session: `with JupyterLab(root, home) as lab: lab.url("lab")`."""

    def __init__(self, root: Path, home: Path):
        self.root, self.home = Path(root), Path(home)
        self.token, self.port = secrets.token_hex(16), free_port()
        self.log_path = self.home / "jupyterlab.log"
        self.process = None

    @property
    def headers(self) -> dict:
        """The HTTP header that authenticates every request (the pages' own API calls included)."""
        return {"Authorization": f"token {self.token}"}

    def url(self, path: str = "lab") -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def environment(self) -> dict:
        for name, settings in LAB_SETTINGS.items():
            path = self.home / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(settings))
        return tool_env(JUPYTER_CONFIG_DIR=str(self.home / "config"), JUPYTER_RUNTIME_DIR=str(self.home / "runtime"),
                        JUPYTERLAB_SETTINGS_DIR=str(self.home / "settings"),
                        JUPYTERLAB_WORKSPACES_DIR=str(self.home / "workspaces"))

    def start(self):
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.root}", "--ServerApp.terminals_enabled=False",
                   "--LanguageServerManager.autodetect=False"]
        if os.geteuid() == 0:
            command.append("--allow-root")
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(command, cwd=self.root, env=self.environment(), stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                request = urllib.request.Request(self.url("api/status"), headers=self.headers)
                with urllib.request.urlopen(request, timeout=5):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {START_TIMEOUT} s:\n{self.log_tail()}")

    def stop(self):
        """Stop the server and its kernels (its own process group, which it leads)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def new_page(browser, lab: JupyterLab):
    """A page in a fresh context that sends the server's token with every request."""
    context = browser.new_context(viewport=VIEWPORT, extra_http_headers=lab.headers)
    return context.new_page()


def open_notebook(page, lab: JupyterLab, path: str):
    """Open the notebook at path (relative to the server's root) in a fresh workspace; wait for an idle kernel."""
    page.goto(lab.url(f"lab/tree/{path}?reset"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=RUN_TIMEOUT)
    page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=RUN_TIMEOUT)


def menu(page, top: str, *items: str):
    """Click a menu bar entry, open its submenus in turn, and click the last item."""
    page.click(f"#jp-MainMenu .lm-MenuBar-itemLabel:text-is('{top}')")
    for item in items[:-1]:
        page.hover(f".lm-Menu-itemLabel:text-is('{item}')")
    page.click(f".lm-Menu-itemLabel:text-is('{items[-1]}')")


def run_all(page):
    """Run → Run All Cells on a notebook never run in this page; wait until every cell has run."""
    menu(page, "Run", "Run All Cells")
    page.wait_for_function(ALL_CELLS_RAN, timeout=RUN_TIMEOUT)
    page.wait_for_selector("#jp-main-statusbar >> text=Idle", timeout=RUN_TIMEOUT)


def code_cell(page, index: int):
    """The index-th code cell of the open notebook (as counted in the .ipynb file)."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").nth(index)


def output_text(page, index: int) -> str:
    return code_cell(page, index).locator(".jp-OutputArea").inner_text()


def error_outputs(page, index: int) -> int:
    """How many error (or stderr) outputs the index-th code cell shows."""
    return code_cell(page, index).locator("[data-mime-type='application/vnd.jupyter.stderr']").count()


def type_into_cell(page, index: int, source: str):
    """Replace the index-th code cell's text, as typed (select all, then the new text)."""
    code_cell(page, index).locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(source)


def validate(page) -> tuple:
    """Click nbgrader's Validate button; return (the result's CSS classes, the dialog's text), dialog closed."""
    page.click(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar >> text=Validate")
    message = page.wait_for_selector("#validation-message", timeout=RUN_TIMEOUT)
    result = (message.get_attribute("class"), page.locator(".jp-Dialog").inner_text())
    page.click(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
    return result


def screenshot_at(page, locator, path, above: int = 120):
    """Screenshot a viewport's worth of a document page, starting `above` pixels over the element.

    For plain pages (the report, feedback), whose document scrolls; JupyterLab scrolls inside its
    panels: there, scroll the element into view and take page.screenshot().
    """
    top = locator.evaluate("element => element.getBoundingClientRect().top + window.scrollY")
    page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": max(0, top - above), **page.viewport_size})


def images(page, selector: str = "img") -> list:
    """[{src, alt, loaded}] of the page's images matching selector (loaded: fetched and decoded)."""
    return page.eval_on_selector_all(selector, IMAGES)
