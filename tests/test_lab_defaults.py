"""JupyterLab's defaults in the course's environment (autograder/jupyter-config, installed by
`make env` into share/jupyter/lab/settings/overrides.d): a student's or an instructor's first
Lab asks nothing about Jupyter news and looks for no updates, on a laptop, on JupyterHub and
offline alike."""
import json
import urllib.request

from browser.lab import LabServer

NOTIFICATIONS = "@jupyterlab/apputils-extension:notification"


def test_a_fresh_jupyterlab_fetches_no_news_and_checks_for_no_updates(tmp_path):
    with LabServer(tmp_path, config_dir=tmp_path / "fresh-config") as server:
        request = urllib.request.Request(f"{server.base_url}lab/api/settings/{NOTIFICATIONS}",
                                         headers={"Authorization": f"token {server.token}"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            setting = json.load(answer)
    assert setting["raw"] == "{}"  # nothing set by this user: the defaults decide
    defaults = {name: spec.get("default") for name, spec in setting["schema"]["properties"].items()}
    assert defaults["fetchNews"] == "false" and defaults["checkForUpdates"] is False
