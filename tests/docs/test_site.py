"""The documentation site: built with ``sphinx-build -W``, then read in headless Chromium.

Needs the ``docs`` extra (Sphinx, the theme, MyST, MathJax, Playwright) and a Chromium binary
(Debian's ``chromium-headless-shell``; ``LUCID_CHROMIUM`` names another one); without them
the tests skip and say why. ``LUCID_DOCS_BUILD_DIR`` keeps the built site and the
screenshots in a folder of your choice instead of a temporary one.
"""

import functools
import html.parser
import http.server
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BUILD_NEEDS = ("sphinx", "pydata_sphinx_theme", "myst_parser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _missing(modules):
    return [m for m in modules if importlib.util.find_spec(m) is None]


def _chromium():
    named = os.environ.get("LUCID_CHROMIUM")
    if named:
        return named if Path(named).exists() else None
    for name in ("chromium-headless-shell", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the site once for this module; returns the html folder."""
    missing = _missing(BUILD_NEEDS)
    if missing:
        pytest.skip(f"the docs extra is not installed (missing {', '.join(missing)}): pip install '.[docs]'")
    try:
        from importlib import metadata
        metadata.distribution("sphinx-mathjax-offline")
    except metadata.PackageNotFoundError:
        pytest.skip("sphinx-mathjax-offline (in the docs extra) is not installed: pip install '.[docs]'")
    keep = os.environ.get("LUCID_DOCS_BUILD_DIR")
    out = Path(keep) if keep else tmp_path_factory.mktemp("site")
    doctrees = tmp_path_factory.mktemp("doctrees")
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-j", "auto", "-b", "html",
                          "-d", str(doctrees), str(DOCS), str(out)], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, f"sphinx-build -W failed:\n{run.stdout}\n{run.stderr}"
    return out


def test_every_public_name_has_its_page(site):
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import lucid_api
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    namespaces = lucid_api.collect()
    assert {"lucid", "lucid.nn", "lucid.nn.functional", "lucid.optim", "lucid.nn.utils"} <= {n.name for n in namespaces}
    missing = []
    for ns in namespaces:
        listing = (site / "api" / f"{ns.name}.html").read_text()
        for e in ns.entries:
            if e.kind == "data":
                if f'id="{ns.name}.{e.name}"' not in listing:
                    missing.append(f"{ns.name}.{e.name} (on the namespace page)")
            elif not (site / "api" / f"{e.canonical}.html").exists():
                missing.append(f"{ns.name}.{e.name} -> {e.canonical}.html")
            elif f"{e.canonical}.html" not in listing:
                missing.append(f"{ns.name}.{e.name} (not linked from {ns.name}.html)")
    assert not missing, "names without their page: " + ", ".join(missing)


def test_mathjax_is_bundled_not_fetched(site):
    page = (site / "api" / "lucid.nn.LazyConvTranspose1d.html").read_text()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert any(s.split("?")[0].endswith("_static/mathjax/tex-chtml.js") for s in scripts), scripts
    assert not [s for s in scripts if s.startswith(("http:", "https:", "//"))], scripts
    assert (site / "_static" / "mathjax" / "tex-chtml.js").stat().st_size > 100_000
    assert list((site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))


class _Ids(html.parser.HTMLParser):
    """Collects a page's element ids, its links (a href) and the resources it loads."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.resources = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag in ("script", "img", "iframe") and attrs.get("src"):
            self.resources.append(attrs["src"])
        elif tag == "link" and attrs.get("href") and attrs.get("rel") in ("stylesheet", "preload", "icon"):
            self.resources.append(attrs["href"])


def _fragment_ids(fragment):
    lines = re.fullmatch(r"L(\d+)-L(\d+)", fragment)
    return [f"L-{lines[1]}", f"L-{lines[2]}"] if lines else [fragment]


def test_every_page_links_only_to_pages_that_exist_and_loads_nothing_remote(site):
    pages = {}
    for path in site.rglob("*.html"):
        if path.relative_to(site).parts[0] == "_static":
            continue  # the theme's own template fragments, not pages
        parser = _Ids()
        parser.feed(path.read_text())
        pages[path.resolve()] = parser
    assert len(pages) > 100
    broken, remote = [], []
    for path, parser in pages.items():
        for src in parser.resources:
            if urllib.parse.urlsplit(src).scheme or src.startswith("//"):
                remote.append(f"{path.relative_to(site)}: {src}")
            elif not (path.parent / urllib.parse.unquote(src.split("?")[0])).exists():
                broken.append(f"{path.relative_to(site)}: {src}")
        for href in parser.links:
            parts = urllib.parse.urlsplit(href)
            if parts.scheme or href.startswith("//"):
                continue  # a link out (e.g. to a project's home page) is not a request
            target = (path.parent / urllib.parse.unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{path.relative_to(site)}: {href}")
            elif parts.fragment and target in pages:
                if not all(i in pages[target].ids for i in _fragment_ids(urllib.parse.unquote(parts.fragment))):
                    broken.append(f"{path.relative_to(site)}: {href} (no such anchor)")
    assert not remote, f"{len(remote)} resources from the network, e.g. {remote[:5]}"
    assert not broken, f"{len(broken)} broken links, e.g. {broken[:10]}"


@pytest.fixture(scope="module")
def browser_page(site):
    if _missing(["playwright"]):
        pytest.skip("Playwright is not installed: pip install '.[docs]'")
    chromium = _chromium()
    if chromium is None:
        pytest.skip("no Chromium binary: apt-get install -y --no-install-recommends chromium-headless-shell "
                    "(or set LUCID_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    left, failed = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def route(route):
            if route.request.url.startswith(base) or route.request.url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                left.append(route.request.url)
                route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
        page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
        yield page, base, site, left, failed
        browser.close()
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _internal_links(page, base):
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    return sorted({h for h in hrefs if h.startswith(base)})


def _check_links(page, links, base):
    """Every link into the site reaches a page, and its #fragment names an element there."""
    broken, ids = [], {}
    for link in links:
        url, _, fragment = link.partition("#")
        if url not in ids:
            response = page.request.get(url)
            if response.status != 200:
                broken.append(f"{link}: HTTP {response.status}")
                ids[url] = None
                continue
            parser = _Ids()
            if "html" in response.headers.get("content-type", ""):
                parser.feed(response.text())
            ids[url] = parser.ids
        if not fragment or ids[url] is None:
            continue
        wanted = _fragment_ids(urllib.parse.unquote(fragment))
        if not all(w in ids[url] for w in wanted):
            broken.append(f"{link}: no element with id {' / '.join(wanted)}")
    return broken


def test_the_lazy_conv_transpose1d_page_in_a_browser(browser_page):
    page, base, site, left, failed = browser_page
    page.goto(base + "api/lucid.nn.LazyConvTranspose1d.html", wait_until="load")
    assert not left, f"requests left the machine: {left}"
    page.wait_for_selector("mjx-container", timeout=15_000)
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=15_000)
    page.evaluate("() => MathJax.startup.promise")
    shots = site / "_screenshots"
    shots.mkdir(exist_ok=True)
    page.screenshot(path=str(shots / "LazyConvTranspose1d.png"), full_page=True)

    body = page.locator("article")
    headings = body.locator("dl.field-list > dt, p.rubric").all_inner_texts()
    headings = {h.strip().rstrip(":").split(" (")[0] for h in headings}
    assert {"Parameters", "Attributes", "Notes", "Examples", "Methods"} <= headings, headings

    # the output-size formula is typeset by MathJax, inside the Notes of the class
    notes_math = page.locator("dl.py.class > dd mjx-container")
    assert notes_math.count() >= 1
    assert page.locator("mjx-merror").count() == 0
    formula = page.evaluate("() => Array.from(document.querySelectorAll('mjx-container'))"
                            ".map(c => (MathJax.startup.document.getMathItemsWithin(c)[0] || {}).math || '')")
    assert any("L_{\\text{out}}" in f and "output\\_padding" in f for f in formula), formula

    methods = page.locator("table.lucid-methods tbody tr").all_inner_texts()
    assert any(row.split()[0] == "method" and "forward" in row for row in methods), methods
    source = page.locator("a:has-text('[source]')").first.get_attribute("href")
    assert re.search(r"code/lucid/nn/modules/conv\.py\.html#L\d+-L\d+$", source), source

    links = _internal_links(page, base)
    assert len(links) > 50
    assert not _check_links(page, links, base)
    assert not left, f"requests left the machine: {left}"
    assert not failed, f"requests failed: {failed}"


def test_a_guide_in_a_browser(browser_page):
    page, base, site, left, failed = browser_page
    page.goto(base + "guides/lazy.html", wait_until="load")
    assert page.locator("h1").first.inner_text().startswith("Lazy models")
    assert page.locator("a[href*='api/lucid.nn.utils.materialize.html']").count() >= 1
    page.screenshot(path=str(site / "_screenshots" / "guide-lazy.png"), full_page=True)
    assert not _check_links(page, _internal_links(page, base), base)
    # following a source link lands on the highlighted lines
    page.goto(base + "api/lucid.nn.utils.materialize.html", wait_until="load")
    page.locator("a:has-text('[source]')").first.click()
    page.wait_for_selector(".lucid-line-target")
    assert page.locator(".lucid-line-target").count() > 3
    assert not left, f"requests left the machine: {left}"
    assert not failed, f"requests failed: {failed}"
