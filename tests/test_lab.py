"""An exercise notebook in a real JupyterLab, driven in headless Chromium.

A JupyterLab server from ``.venv`` serves one exercise notebook alone in an empty folder;
the test checks that every solution cell opens collapsed and that the setup cell runs.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest

from tests.test_notebooks import ROOT
from tests.test_site import start_chromium

pytestmark = pytest.mark.site

NOTEBOOK = ROOT / "exercises" / "02_mlp_backprop.ipynb"
# Per cell: is its input area shown, is its "hidden input" placeholder shown, its text.
CELL_STATE = """
return Array.from(document.querySelectorAll('.jp-Notebook .jp-CodeCell')).map(cell => {
  const shown = e => !!e && e.offsetParent !== null;
  return [shown(cell.querySelector('.jp-InputArea')),
          shown(cell.querySelector('.jp-InputPlaceholder')),
          (cell.querySelector('.jp-InputArea') || cell).textContent];
});
"""


# The setup cell's prompt ("[1]:" once run) and any error it printed.
SETUP_STATE = """
const cell = document.querySelector('.jp-Notebook .jp-CodeCell');
const prompt = cell.querySelector('.jp-InputPrompt').textContent.trim();
const error = cell.querySelector('[data-mime-type="application/vnd.jupyter.error"]');
return [prompt, error ? error.textContent : ''];
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free port, rooted in a folder holding one notebook."""
    folder = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, folder / NOTEBOOK.name)
    settings = folder / ".settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    # Render every cell at once, so the test sees them all without scrolling.
    (settings / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    port = free_port()
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={folder}", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    if os.geteuid() == 0:  # CI containers run as root
        command.append("--allow-root")
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(folder / ".settings")}
    log = folder / "lab.log"
    server = subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w")
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=1)
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(
                    f"JupyterLab stopped: {server.stderr.read().decode()[-500:]}"
                )
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not answer within a minute")
    yield url
    server.terminate()
    server.wait(timeout=30)


def test_exercise_notebook_in_jupyterlab(lab):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    hidden = [c.metadata.get("jupyter", {}).get("source_hidden", False) for c in code]
    assert sum(hidden) >= 5
    browser = start_chromium()
    try:
        browser.get(f"{lab}/lab/tree/{NOTEBOOK.name}")
        WebDriverWait(browser, 90).until(
            lambda _: len(browser.execute_script(CELL_STATE)) == len(code),
            message="JupyterLab did not show the notebook's code cells",
        )
        for index, (input_shown, placeholder, _) in enumerate(
            browser.execute_script(CELL_STATE)
        ):
            if hidden[index]:
                assert not input_shown and placeholder, f"solution cell {index} is open"
            else:
                assert input_shown, f"code cell {index} is collapsed"
        first = browser.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")[0]
        first.find_element(By.CSS_SELECTOR, ".jp-InputArea-editor").click()
        ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(
            Keys.SHIFT
        ).perform()
        WebDriverWait(browser, 180).until(
            lambda _: browser.execute_script(SETUP_STATE)[0] == "[1]:",
            message="JupyterLab did not run the setup cell",
        )
        prompt, error = browser.execute_script(SETUP_STATE)
        assert not error, f"the setup cell failed in JupyterLab: {error[-300:]}"
    except Exception:
        browser.save_screenshot(str(ROOT / "_build" / "lab-failure.png"))
        raise
    finally:
        browser.quit()
