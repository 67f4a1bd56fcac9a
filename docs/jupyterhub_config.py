"""JupyterHub for the course on one machine, as the README's "On JupyterHub" section sets it up
(tests/test_jupyterhub.py starts the hub with this very file).

Local Unix accounts log in with their own password (PAM); the hub starts each user's JupyterLab
as that user (LocalProcessSpawner) from the course's environment, behind configurable-http-proxy.
A student's server reads the students' Jupyter settings, written once by
``python -m autograder jupyter-setup student --config-dir DIR``, through JUPYTER_CONFIG_PATH, which
comes before every other settings folder: the Assignment List alone, the exchange, the login
name as student id. An instructor's server does not get it and reads the instructor's own
``~/.jupyter`` (``jupyter-setup instructor``): formgrader and the course folder.

    COURSE_HUB_STUDENTS="ann ben" COURSE_HUB_INSTRUCTORS="ivy" \\
        COURSE_HUB_STUDENT_CONFIG=/srv/course/jupyter-student jupyterhub -f docs/jupyterhub_config.py

Variables (the first three are required):

- ``COURSE_HUB_STUDENTS`` and ``COURSE_HUB_INSTRUCTORS``: login names, space-separated; no one
  else may log in;
- ``COURSE_HUB_STUDENT_CONFIG``: the folder that ``jupyter-setup student`` wrote (readable by all);
- ``COURSE_HUB_IP`` and ``COURSE_HUB_PORT``: where the hub answers (default 127.0.0.1:8000; put
  a TLS-terminating web server in front of it, or set ``c.JupyterHub.ssl_cert``, for a class);
- ``COURSE_HUB_API_PORT`` and ``COURSE_HUB_PROXY_API_PORT``: the hub's and the proxy's own ports
  on 127.0.0.1 (default 8081 and 8001);
- ``COURSE_HUB_STATE``: the folder of the hub's database and cookie secret (default: the
  folder jupyterhub starts in).
"""
import os
import sys

c = get_config()  # noqa: F821 - JupyterHub's config loader defines it

students = set(os.environ["COURSE_HUB_STUDENTS"].split())
instructors = set(os.environ["COURSE_HUB_INSTRUCTORS"].split())
student_config = os.environ["COURSE_HUB_STUDENT_CONFIG"]
state = os.environ.get("COURSE_HUB_STATE", os.getcwd())

c.JupyterHub.bind_url = (f"http://{os.environ.get('COURSE_HUB_IP', '127.0.0.1')}:"
                         f"{os.environ.get('COURSE_HUB_PORT', '8000')}")
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("COURSE_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('COURSE_HUB_PROXY_API_PORT', '8001')}"
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{os.path.join(state, 'jupyterhub.sqlite')}"
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")

# who may log in: local accounts, by their own password
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = students | instructors

# each user's JupyterLab, run as that user, from this environment (the course's .venv)
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(os.path.dirname(sys.executable), "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {
    # the students' settings, first of all, for students only
    "JUPYTER_CONFIG_PATH": lambda spawner: "" if spawner.user.name in instructors else student_config,
    "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
