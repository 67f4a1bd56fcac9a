"""Grading on Dask distributed: an embedded cluster on this machine, or an existing cluster.

``GradingCluster`` is a Dask client: by default on an embedded cluster of this machine (one
worker process per core, each kernel getting cores // workers threads; on a machine with
NVIDIA GPUs one worker per GPU, with CUDA_VISIBLE_DEVICES naming it, as dask-cuda's
LocalCUDACluster does), or on the scheduler at ``scheduler`` (workers started with ``dask
worker``, dask-jobqueue on Slurm, dask-kubernetes, ...). Workers need this repository's Python
environment (the ``autograder`` and ``course_utils`` packages), bubblewrap and writable cgroups,
as for grading on one machine; they need no shared filesystem.

A worker runs ``grade_submission``: a pure function of plain data. It gets the lesson's bundle
(scattered once per batch: the lesson's definition as a private SQLite gradebook, the lesson's
extra files, the course secret, the grading settings) and one submission (its folder's files
as bytes), grades it in a scratch course in the sandbox, and returns the autograded folder,
the notes and nbgrader's log as plain data. The client (the process that runs ``autograde``)
writes them into the course and records them: it is the only writer of the gradebook.

Each task's key is (lesson, student, sha256 of the notebook). A worker that dies while
grading has its tasks rescheduled by the scheduler on other workers, up to
``distributed.scheduler.allowed-failures`` times (``retries``; set on the embedded cluster, a
setting of the scheduler on an existing one); then the submission is reported NOT GRADED.
Workers log an event per attempt (topic ``autograder-attempts``), from which the client counts
the retries. The kernel a killed worker was running can outlive it: every grading run and every
task first kills such orphaned sandboxes of this machine (``reap_orphaned_sandboxes``).
"""
