"""Validate through a real Jupyter server configured for a student: the server keeps answering
while a notebook validates, the course's cell limit applies wherever the server started, and
a cell over the limit gets a message saying so."""
import json
import threading
import time
import urllib.request

import nbformat
import pytest
from browser.lab import LabServer
from nbformat.v4 import new_code_cell, new_notebook

from autograder.lab.setup import write_jupyter_config

pytestmark = pytest.mark.slow

LIMIT = 4  # seconds per cell, through COURSE_CELL_TIMEOUT


def _slow_notebook(path):
    graded = {"grade": True, "grade_id": "slow-tests", "points": 1, "solution": False, "locked": True,
              "schema_version": 3}
    nb = new_notebook(cells=[new_code_cell("import time\ntime.sleep(60)", metadata={"nbgrader": graded}),
                             new_code_cell("print('the cell after it still runs')")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, str(path))


def _request(server, path, data=None, timeout=120):
    request = urllib.request.Request(server.base_url + path.lstrip("/"), data=data,
                                     headers={"Authorization": f"token {server.token}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read().decode()


def test_validate_does_not_block_and_says_when_a_cell_is_too_slow(tmp_path):
    config = tmp_path / "jupyter"
    write_jupyter_config(config, "student", tmp_path / "exchange")
    work = tmp_path / "work"
    work.mkdir()
    _slow_notebook(work / "slow.ipynb")
    elsewhere = tmp_path / "elsewhere"  # started from a folder with no course configuration
    elsewhere.mkdir()
    with LabServer(work, config_dir=config, cwd=elsewhere, env={"COURSE_CELL_TIMEOUT": str(LIMIT)}) as server:
        answer = {}
        started = time.monotonic()
        worker = threading.Thread(target=lambda: answer.update(json.loads(_request(
            server, "/assignments/validate", data=b"path=slow.ipynb"))))
        worker.start()
        time.sleep(1.0)
        status_times = []
        while worker.is_alive():
            before = time.monotonic()
            json.loads(_request(server, "/api/status", timeout=10))
            status_times.append(time.monotonic() - before)
            time.sleep(0.5)
        worker.join()
        validated_in = time.monotonic() - started
    assert status_times, "the validation ended before the server was asked for its status"
    assert max(status_times) < 2.0, status_times  # nbgrader's own handler: 14 s and more
    assert validated_in >= LIMIT
    assert answer["success"] is True, answer
    (failed,) = answer["value"]["failed"]
    assert f"ran longer than the course's limit of {LIMIT} s per cell" in failed["raw_error"]
