"""A Jupyter server extension: the handlers behind nbgrader's Validate button, without
blocking the server.

nbgrader's own handler validates inside the server's event loop, so every other request
(saving, other kernels, ``/api/status``) waits until the notebook has run. Here each
validation is a ``python -m autograder.lab.validate`` child process awaited asynchronously, with
the course's configuration. It replaces ``nbgrader.server_extensions.validate_assignment``
(the same URLs); the course's Jupyter configuration enables one and disables the other.
"""
import asyncio
import json
import sys
from pathlib import Path

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web


class ValidateHandler(JupyterHandler):
    """POST /assignments/validate with ``path`` (relative to the server's root)."""

    @web.authenticated
    async def post(self):
        try:
            path = self.get_argument("path")
        except web.MissingArgumentError:
            path = (self.get_json_body() or {}).get("path", "")
        root = Path(self.settings["server_root_dir"]).expanduser().resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root):
            raise web.HTTPError(403, "Access denied: path outside allowed directory")
        self.finish(json.dumps(await run_validation(target)))


async def run_validation(notebook):
    """The JSON answer of ``python -m autograder.lab.validate`` for ``notebook``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "autograder.lab.validate", str(notebook),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=str(notebook.parent))
    out, err = await process.communicate()
    try:
        return json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        detail = err.decode(errors="replace").strip().splitlines()[-5:]
        return {"success": False, "value": "Validate could not run (exit status "
                                           f"{process.returncode}):\n" + "\n".join(detail)}


def _jupyter_server_extension_points():
    return [{"module": "autograder.lab.extension"}]


def _load_jupyter_server_extension(serverapp):
    from nbgrader.server_extensions.validate_assignment.handlers import (
        NbGraderVersionHandler,
    )

    base_url = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [
        (url_path_join(base_url, r"/assignments/validate"), ValidateHandler),
        (url_path_join(base_url, r"/nbgrader_version"), NbGraderVersionHandler),
    ])
    serverapp.log.info("autograder: Validate runs in a child process (the server stays responsive)")
