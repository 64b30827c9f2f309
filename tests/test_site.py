"""The built site, checked in headless Chromium (found by tests.browser) with Selenium.

Run by `make site` after the build, with DLBOOK_SITE naming the built HTML folder. The
browser logs every request, so a page that asks anything of another host fails.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from dlbook.bench import default_notebooks
from tests.browser import find_browser
from tests.test_notebooks import CONFIG, ROOT, toc_files

pytestmark = pytest.mark.site

SITE = os.environ.get("DLBOOK_SITE")
COLAB = "https://colab.research.google.com/github/"
# Text of a page outside code and outputs, where TeX delimiters must not survive.
PROSE_TEXT = """
const copy = arguments[0].cloneNode(true);
copy.querySelectorAll('pre, code, .cell_output, .highlight, script, style, mjx-container')
    .forEach(e => e.remove());
document.body.appendChild(copy);
const text = copy.innerText;
copy.remove();
return text;
"""


@pytest.fixture(scope="module")
def base_url():
    """Serve the built site on a free localhost port."""
    if not SITE:
        pytest.skip("DLBOOK_SITE is not set: build the site with `make site`")
    site = Path(SITE)
    assert (site / "index.html").exists(), f"no built site in {site}"

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def start_chromium():
    """Headless Chromium that logs its network requests; nothing is downloaded."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = find_browser()
    if chromium is None or chromedriver is None:
        pytest.fail("Chromium or ChromeDriver missing: run `python -m tests.browser`")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="dlbook-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    driver.set_page_load_timeout(60)
    return driver


@pytest.fixture(scope="module")
def browser():
    driver = start_chromium()
    yield driver
    driver.quit()


PAGES = toc_files()
NOTEBOOK_PAGES = [p for p in PAGES if (ROOT / f"{p}.ipynb").exists()]
EXERCISE_PAGES = [p for p in PAGES if p.startswith("exercises/")]


def requested_urls(browser) -> list[str]:
    """URLs the browser requested since the last call."""
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def open_page(browser, base_url: str, page: str):
    """Load a page and return its main article element."""
    from selenium.webdriver.common.by import By

    requested_urls(browser)  # forget the previous page's requests
    browser.get(f"{base_url}/{page}.html")
    articles = browser.find_elements(By.CSS_SELECTOR, "article.bd-article")
    assert articles, f"{page}: no article (page missing or broken)"
    return articles[0]


@pytest.mark.parametrize("page", [*PAGES, "results"])
def test_page_works_offline(browser, base_url, page):
    """Each page is opened once: a title and no traceback, its math rendered with no raw
    TeX left, nothing asked of another host, and a notebook page's Colab link."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    article = open_page(browser, base_url, page)
    assert article.find_elements(By.TAG_NAME, "h1"), f"{page}: no title"
    text = article.get_attribute("textContent")
    assert "Traceback (most recent call last)" not in text, f"{page} shows a traceback"
    assert not article.find_elements(
        By.CSS_SELECTOR, ".output.traceback, .output.error"
    )

    math = article.find_elements(By.CSS_SELECTOR, ".math")
    if math:
        WebDriverWait(browser, 30).until(
            lambda _: (
                len(article.find_elements(By.CSS_SELECTOR, "mjx-container"))
                >= len(math)
            ),
            message=f"{page}: MathJax rendered fewer formulas than the page has",
        )
    prose = browser.execute_script(PROSE_TEXT, article)
    for delimiter in ("\\(", "\\)", "\\[", "\\]", "$$"):
        assert delimiter not in prose, f"{page} shows raw TeX {delimiter!r}"

    # Asked after the math is rendered, so that fonts MathJax loads late count too.
    local = ("data:", "blob:", "about:", base_url)
    external = [
        tag.get_attribute("src") or tag.get_attribute("href")
        for tag in browser.find_elements(
            By.CSS_SELECTOR, "script[src], link[rel='stylesheet'][href]"
        )
        if not (tag.get_attribute("src") or tag.get_attribute("href")).startswith(local)
    ]
    assert not external, f"{page} loads from other hosts: {external}"
    requests = [
        u
        for u in requested_urls(browser)
        if u.startswith(("http:", "https:", "ws:", "wss:")) and not u.startswith(local)
    ]
    hosts = sorted({urlparse(u).netloc for u in requests})
    assert not requests, f"{page} asks other hosts for something: {hosts}"

    if page in NOTEBOOK_PAGES:
        links = {
            a.get_attribute("href")
            for a in browser.find_elements(By.CSS_SELECTOR, f'a[href^="{COLAB}"]')
        }
        repo = CONFIG["repository"]["url"].removeprefix("https://github.com/")
        branch = CONFIG["repository"]["branch"]
        assert links == {f"{COLAB}{repo}/blob/{branch}/{page}.ipynb"}, links


@pytest.mark.parametrize("page", EXERCISE_PAGES)
def test_solutions_show_nothing_until_clicked(browser, base_url, page):
    """Neither a solution's code nor its output shows before its summary is clicked."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, base_url, page)
    cells = browser.find_elements(By.CSS_SELECTOR, "div.cell.tag_hide-cell")
    assert len(cells) >= 5, f"{page}: only {len(cells)} hidden solutions"
    for cell in cells:
        summary = cell.find_element(By.CSS_SELECTOR, "details > summary")
        label = summary.text.strip()
        assert label.startswith("Show the solution to Exercise"), label
        assert cell.text.strip() == label, f"{page}: {label} shows more than its title"
        code = cell.find_element(By.CSS_SELECTOR, "div.cell_input div.highlight")
        assert "Solution to Exercise" in code.get_attribute("textContent")
        assert not code.is_displayed(), f"{page}: the code of {label} shows"
        outputs = cell.find_elements(By.CSS_SELECTOR, "div.cell_output > *")
        assert not any(o.is_displayed() for o in outputs), f"{page}: {label} output"
    for cell in cells:  # every solution opens to its code and output
        summary = cell.find_element(By.CSS_SELECTOR, "details > summary")
        # Centre it, so that the sticky header does not cover what we click.
        browser.execute_script(
            "arguments[0].scrollIntoView({block: 'center'});", summary
        )
        summary.click()
        code = cell.find_element(By.CSS_SELECTOR, "div.cell_input div.highlight")
        WebDriverWait(browser, 5).until(lambda _, code=code: code.is_displayed())
        outputs = cell.find_elements(By.CSS_SELECTOR, "div.cell_output > *")
        assert all(o.is_displayed() for o in outputs), f"{page}: output stays hidden"


def test_search_works_offline(browser, base_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    requested_urls(browser)
    browser.get(f"{base_url}/search.html?q=gradient")
    WebDriverWait(browser, 30).until(
        lambda _: browser.find_elements(By.CSS_SELECTOR, "ul.search li"),
        message="searching for 'gradient' found nothing",
    )
    hits = browser.find_elements(By.CSS_SELECTOR, "ul.search li a")
    assert len(hits) >= 3 and any("chapters/" in a.get_attribute("href") for a in hits)


def test_results_page_lists_every_notebook_with_time_and_device(browser, base_url):
    from selenium.webdriver.common.by import By

    article = open_page(browser, base_url, "results")
    rows = {}
    for row in article.find_elements(By.CSS_SELECTOR, "table tbody tr"):
        cells = [td.text.strip() for td in row.find_elements(By.TAG_NAME, "td")]
        if cells[0]:
            rows[cells[0]] = cells
    expected = [p.relative_to(ROOT).as_posix() for p in default_notebooks(ROOT)]
    assert sorted(rows) == sorted(expected)
    for name, cells in rows.items():
        assert cells[1], f"{name}: no device"
        assert float(cells[2]) > 0, f"{name}: no time"
    assert "Mode:" in article.text and "Device:" in article.text
