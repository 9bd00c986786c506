"""The built site, as a browser sees it: every chapter page opened in headless Chromium.

After the smoke run (conftest.py), ``jupyter-book build -W`` must succeed. Each page's DOM,
dumped by Chromium after it loaded the file, must show its figures (at least two ``<img>``
per notebook chapter, every ``src`` an existing file), no traceback or stderr output, and
every value the text cites with ``{glue:text}`` as the chapter glued it. Chromium is Debian's
``chromium`` package (.ci/run installs it). Without it the browser checks are skipped with one
line saying how to enable them, except under ``CI=true``, where a missing browser fails.
"""

import ast
import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from myst_nb.core.variables import format_plain_text

from initlab import book

ROOT = Path(__file__).resolve().parents[1]
PAGES = book.toc_files(ROOT)  # "intro", "chapters/05_xavier_glorot", ...
GLUE_ROLE = r"\{glue(:text)?\}`([^`]+)`"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


class Page(HTMLParser):
    """What the checks need from a DOM: image sources, class names, visible text, glued text."""

    def __init__(self, html: str):
        super().__init__()
        self.images: list[str] = []
        self.classes: set[str] = set()
        self.text: list[str] = []
        self.pasted: list[str] = []
        self._in_pasted = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.update((attrs.get("class") or "").split())
        if tag == "img":
            self.images.append(attrs.get("src") or "")
        if tag == "span" and "pasted-text" in (attrs.get("class") or "").split():
            self._in_pasted = 1
            self.pasted.append("")
        elif tag == "span" and self._in_pasted:
            self._in_pasted += 1

    def handle_endtag(self, tag):
        if tag == "span" and self._in_pasted:
            self._in_pasted -= 1

    def handle_data(self, data):
        self.text.append(data)
        if self._in_pasted:
            self.pasted[-1] += data


NO_BROWSER = ("headless Chromium not found: the site's browser checks are skipped "
              "(enable them with: apt-get install chromium)")


def chromium() -> str:
    """The browser's path; skip without it, or fail under CI=true (CI must check the pages)."""
    exe = shutil.which("chromium")
    if exe is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{NO_BROWSER}; CI=true requires it (.ci/run installs it)")
        pytest.skip(NO_BROWSER)
    return exe


def dump_dom(html_file: Path, exe: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                               html_file.as_uri()], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "<body" in proc.stdout, f"chromium failed: {proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def html_dir(site) -> Path:
    assert site is not None, "jupyter-book build -W failed: see the warnings in the output above"
    return site.parent


@pytest.fixture(scope="module")
def doms(html_dir) -> dict[str, str]:
    """Every page of the table of contents as Chromium rendered it (two browsers at a time)."""
    exe = chromium()
    files = {p: html_dir / f"{p}.html" for p in PAGES}
    with ThreadPoolExecutor(2) as pool:
        doms = pool.map(lambda f: dump_dom(f, exe), files.values())
        return dict(zip(files, doms, strict=True))


def glued_text(notebook: Path) -> dict[str, str]:
    """key -> text/plain of every value the executed notebook glued."""
    glued = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if meta:
                prefix = meta.get("mime_prefix", "")
                glued[meta["name"]] = out["data"][f"{prefix}text/plain"]
    return glued


def citations(notebook: Path) -> list[tuple[str, str]]:
    """(key, format spec) of every same-page glue role in the notebook's markdown."""
    found = []
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for is_text, body in re.findall(GLUE_ROLE, "".join(cell["source"])):
                if "::" in body:
                    continue
                key, _, spec = body.partition(":")
                found.append((key, (spec or "s") if is_text else "raw"))
    return found


def test_site_builds(site):
    assert site is not None and site.exists(), "jupyter-book build -W failed: see above"


@pytest.mark.parametrize("page", PAGES)
def test_page_renders(page, doms, html_dir, smoke_run):
    dom = Page(doms[page])
    text = "".join(dom.text)
    assert "{glue" not in text, f"{page}: a glue role was left unrendered"
    assert "Traceback (most recent call last)" not in text, f"{page}: a traceback is shown"
    bad = dom.classes & {"stderr", "traceback", "system-message", "problematic"}
    assert not bad, f"{page}: error output on the page (classes {sorted(bad)})"
    assert all(dom.pasted), f"{page}: an empty glued value"
    # the math is typeset by the site's own MathJax (Chromium runs offline here): no raw TeX
    assert "<mjx-container" in doms[page], f"{page}: no typeset formula (MathJax did not run)"
    assert "\\(" not in text and "$$" not in text, f"{page}: raw TeX left on the page"

    page_file = html_dir / f"{page}.html"
    files = [src for src in dom.images if not src.startswith("data:image/")]  # a widget's frame
    broken = [src for src in files if urlparse(src).scheme not in ("", "file")  # is in the page
              or not (page_file.parent / unquote(urlparse(src).path)).is_file()]
    assert not broken, f"{page}: images whose file is missing: {broken}"

    notebook = smoke_run.stage_dir / f"{page}.ipynb"
    if not notebook.exists():  # intro.md, practical_guide.md: no figures required
        source = (smoke_run.stage_dir / f"{page}.md").read_text()
        n_roles = sum(1 for is_text, _ in re.findall(GLUE_ROLE, source) if is_text)
        shown = len(dom.pasted)
        assert shown == n_roles, f"{page}: {n_roles} glued values, {shown} shown"
        return
    assert len(dom.images) >= 2, f"{page}: {len(dom.images)} figure(s) on the page, expected >= 2"
    name = Path(page).name
    recorded = json.loads((smoke_run.results_dir / f"{name}.json").read_text())["values"]
    glued = glued_text(notebook)
    for key, spec in citations(notebook):
        if key not in recorded:
            continue
        if spec == "raw":  # {glue}`key`: the text/plain itself, somewhere on the page
            assert glued[key] in text, f"{page}: {key} should show {glued[key]!r}"
        else:
            expected = format_plain_text(glued[key], spec)
            assert expected in dom.pasted, (
                f"{page}: {key} = {recorded[key]!r} should read {expected!r} (format {spec!r})")
        plain = ast.literal_eval(glued[key])
        if not isinstance(plain, str):  # glued with fmt=...: a string, rounded on purpose
            assert plain == recorded[key], f"{page}: glued {key} differs from its results JSON"


def test_page_parser_finds_images_errors_and_glued_values():
    dom = Page('<div class="cell_output"><img src="../_images/a.png"><div class="output stderr">'
               'x</div><span class="pasted-text">0.<span>125</span></span> and {glue}</div>')
    assert dom.images == ["../_images/a.png"]
    assert {"stderr", "output"} <= dom.classes
    assert dom.pasted == ["0.125"] and "{glue" in "".join(dom.text)


def test_missing_browser_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires it"):
        chromium()


NETWORK_LOAD = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"(?:https?:)?//[^\"]*\"",
                          re.I)


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_nothing_from_the_network(page, html_dir):
    """Offline reading: no script, stylesheet or image comes from another host, and the math is
    typeset by the MathJax the site serves itself."""
    html = (html_dir / f"{page}.html").read_text()
    loads = NETWORK_LOAD.findall(html)
    assert not loads, f"{page} loads from the network: {loads}"
    mathjax = re.findall(r"<script[^>]*src=\"([^\"]*mathjax[^\"]*)\"", html)
    assert mathjax, f"{page}: no MathJax script"
    for src in mathjax:
        served = html_dir / Path(page).parent / src.split("?")[0]
        assert served.is_file(), f"{page}: {src} is not in the site"


#: Pages with an interactive figure (initlab.interactive): a slider over precomputed frames.
INTERACTIVE_PAGES = ["chapters/04_vanishing_exploding", "chapters/12_edge_of_chaos",
                     "chapters/19_xavier_or_he"]
#: Run in the page after it loaded: move each widget's slider to its last frame, then step
#: from the first frame with "Next frame", and write what the image showed into the DOM.
PROBE = """<script>
window.addEventListener("load", function () { setTimeout(function () {
  var out = [];
  document.querySelectorAll(".animation").forEach(function (w) {
    var img = w.querySelector("img"), slider = w.querySelector("input[type=range]");
    var button = function (t) { return w.querySelector("button[title='" + t + "']"); };
    var first = img.src;
    slider.value = slider.max;
    slider.dispatchEvent(new Event("input"));
    var last = img.src;
    button("First frame").click();
    button("Next frame").click();
    var second = img.src;
    out.push({frames: parseInt(slider.max) + 1, png: first.indexOf("data:image/png") === 0,
              slider_moves: last !== first, next_moves: second !== first && second !== last,
              width: img.naturalWidth, alt: img.alt.length});
  });
  var pre = document.createElement("pre");
  pre.id = "widget-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}, 200); });
</script>"""


@pytest.mark.parametrize("page", INTERACTIVE_PAGES)
def test_interactive_figure_moves_offline(page, html_dir):
    """In Chromium with every host unresolvable, the page's widget shows a frame, and moving
    its slider or pressing "Next frame" changes the image drawn."""
    exe = chromium()
    page_file = html_dir / f"{page}.html"
    probe = page_file.with_name(f"_probe_{page_file.name}")
    probe.write_text(page_file.read_text().replace("</body>", PROBE + "</body>", 1))
    try:
        with tempfile.TemporaryDirectory() as profile:
            proc = subprocess.run(
                [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                 "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=10000",
                 "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120)
    finally:
        probe.unlink()
    found = re.search(r'<pre id="widget-probe">(.*?)</pre>', proc.stdout, re.S)
    assert found, f"{page}: the probe did not run: {proc.stderr[-500:]}"
    widgets = json.loads(found.group(1).replace("&quot;", '"'))
    assert widgets, f"{page}: no interactive figure on the page"
    for w in widgets:
        assert w["png"] and w["width"] > 0 and w["alt"] > 0, f"{page}: no frame shown: {w}"
        assert w["frames"] >= 2 and w["slider_moves"] and w["next_moves"], (
            f"{page}: moving the control does not change the figure: {w}")
