"""The built site, checked in headless Chromium (Debian's) driven by Selenium.

Run by `make site` after the build, with DLBOOK_SITE naming the built HTML folder.
"""

from __future__ import annotations

import functools
import http.server
import os
import tempfile
import threading
from pathlib import Path

import pytest

from tests.test_notebooks import CONFIG, ROOT, toc_files

pytestmark = pytest.mark.site

SITE = os.environ.get("DLBOOK_SITE")
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
COLAB = "https://colab.research.google.com/github/"


@pytest.fixture(scope="module")
def base_url():
    """Serve the built site on a free localhost port."""
    if not SITE:
        pytest.skip("DLBOOK_SITE is not set: build the site with `make site`")
    site = Path(SITE)
    assert (site / "index.html").exists(), f"no built site in {site}"
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(site)
    )
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium; nothing is downloaded."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
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
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


PAGES = toc_files()
NOTEBOOK_PAGES = [p for p in PAGES if (ROOT / f"{p}.ipynb").exists()]


def open_page(browser, base_url: str, page: str):
    """Load a page and return its main article element."""
    from selenium.webdriver.common.by import By

    browser.get(f"{base_url}/{page}.html")
    articles = browser.find_elements(By.CSS_SELECTOR, "article.bd-article")
    assert articles, f"{page}: no article (page missing or broken)"
    return articles[0]


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_traceback(browser, base_url, page):
    from selenium.webdriver.common.by import By

    article = open_page(browser, base_url, page)
    assert article.find_elements(By.TAG_NAME, "h1"), f"{page}: no title"
    text = article.get_attribute("textContent")
    assert "Traceback (most recent call last)" not in text, f"{page} shows a traceback"
    assert not article.find_elements(
        By.CSS_SELECTOR, ".output.traceback, .output.error"
    )


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_notebook_pages_link_to_their_notebook_in_colab(browser, base_url, page):
    from selenium.webdriver.common.by import By

    open_page(browser, base_url, page)
    links = {
        a.get_attribute("href")
        for a in browser.find_elements(By.CSS_SELECTOR, f'a[href^="{COLAB}"]')
    }
    repo = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    branch = CONFIG["repository"]["branch"]
    assert links == {f"{COLAB}{repo}/blob/{branch}/{page}.ipynb"}, links


@pytest.mark.parametrize("page", [p for p in PAGES if p.startswith("exercises/")])
def test_solutions_stay_collapsed_until_clicked(browser, base_url, page):
    from selenium.webdriver.common.by import By

    open_page(browser, base_url, page)
    hidden = browser.find_elements(By.CSS_SELECTOR, "details.hide.above-input")
    solutions: list[str] = []
    for details in hidden:
        code = details.find_element(By.CSS_SELECTOR, "div.highlight")
        solutions.append(code.get_attribute("textContent"))
        assert details.get_attribute("open") is None, f"{page}: a solution is open"
        assert not code.is_displayed(), f"{page}: a solution's code is visible"
    assert len(hidden) >= 5, f"{page}: only {len(hidden)} hidden solutions"
    assert all("Solution to Exercise" in s for s in solutions)
    from selenium.webdriver.support.ui import WebDriverWait

    summary = hidden[0].find_element(By.TAG_NAME, "summary")
    # Centre it, so that the sticky header does not cover what we click.
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", summary)
    summary.click()
    code = hidden[0].find_element(By.CSS_SELECTOR, "div.highlight")
    WebDriverWait(browser, 5).until(lambda _: code.is_displayed())
    assert hidden[0].get_attribute("open") is not None
