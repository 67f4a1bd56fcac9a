"""NVIDIA GPUs of this machine, read from the driver's /proc files (no CUDA library loaded).

Grading on GPUs follows dask-cuda's LocalCUDACluster: one worker per GPU, each with
CUDA_VISIBLE_DEVICES naming its GPU (and CUDA_DEVICE_ORDER=PCI_BUS_ID, so that index N is
the driver's N-th GPU, as nvidia-smi counts them). Unlike LocalCUDACluster, a worker sees its
own GPU only, not the others after it: a submission's kernel cannot reach another worker's GPU.
The sandbox then binds that GPU's device file and the driver's control files into the kernel's
/dev (``SandboxedKernelManager.device_nodes``).
"""
import glob
import os
import re

DRIVER_GPUS = "/proc/driver/nvidia/gpus"
CONTROL_NODES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset")


def driver_gpus(root=DRIVER_GPUS):
    """[(PCI bus id, device minor number)] of the GPUs the NVIDIA driver knows, in PCI order."""
    gpus = []
    for folder in sorted(glob.glob(os.path.join(root, "*"))):
        try:
            with open(os.path.join(folder, "information")) as f:
                match = re.search(r"^Device Minor:\s*(\d+)", f.read(), re.MULTILINE)
        except OSError:
            continue
        if match:
            gpus.append((os.path.basename(folder), int(match.group(1))))
    return gpus


def visible_gpus(environ=None, root=DRIVER_GPUS):
    """The GPUs grading may use, as CUDA_VISIBLE_DEVICES entries: those of CUDA_VISIBLE_DEVICES
    when it is set, else every GPU of the driver; none with COURSE_DEVICE=cpu."""
    environ = os.environ if environ is None else environ
    if environ.get("COURSE_DEVICE", "").lower() == "cpu":
        return []
    if "CUDA_VISIBLE_DEVICES" in environ:
        entries = [e.strip() for e in environ["CUDA_VISIBLE_DEVICES"].split(",") if e.strip()]
        # CUDA stops at the first invalid entry ("-1" hides every GPU)
        valid = []
        for entry in entries:
            if entry.startswith("-"):
                break
            valid.append(entry)
        return valid
    return [str(index) for index in range(len(driver_gpus(root)))]


def worker_gpu_environment(gpu):
    """Environment of a grading worker that owns GPU ``gpu`` (a CUDA_VISIBLE_DEVICES entry)."""
    return {"CUDA_VISIBLE_DEVICES": str(gpu), "CUDA_DEVICE_ORDER": "PCI_BUS_ID", "COURSE_DEVICE": "cuda"}


def device_nodes(visible, root=DRIVER_GPUS, dev="/dev"):
    """Device files a kernel needs for the GPUs ``visible`` (CUDA_VISIBLE_DEVICES, as a string
    or a list): the driver's control files and each GPU's /dev/nvidiaN. Entries that are not
    indexes (GPU UUIDs, MIG instances) expose every GPU's file: the driver alone maps them."""
    entries = [e.strip() for e in visible.split(",")] if isinstance(visible, str) else list(visible)
    entries = [e for e in entries if e]
    if not entries:
        return []
    nodes = [node.replace("/dev", dev, 1) for node in CONTROL_NODES]
    minors = [minor for _, minor in driver_gpus(root)]
    if all(e.isdigit() for e in entries) and minors:
        wanted = [minors[int(e)] for e in entries if int(e) < len(minors)]
        gpu_nodes = [f"{dev}/nvidia{minor}" for minor in wanted]
    else:
        gpu_nodes = sorted(glob.glob(f"{dev}/nvidia[0-9]*"))
    return [node for node in nodes + gpu_nodes if os.path.exists(node)]


def require_gpu():
    """None when grading can use a GPU here, else one line saying what is missing."""
    gpus = visible_gpus()
    if not gpus:
        if not os.path.isdir(DRIVER_GPUS):
            return ("no NVIDIA GPU: the NVIDIA driver is not loaded (no /proc/driver/nvidia); "
                    "make test-gpu needs a machine with an NVIDIA GPU")
        return "no NVIDIA GPU visible (CUDA_VISIBLE_DEVICES or COURSE_DEVICE=cpu hides them)"
    if not device_nodes(gpus[:1]):
        return "the NVIDIA device files (/dev/nvidia*) are missing"
    try:
        import torch
    except ImportError as error:
        return f"torch cannot be imported: {error}"
    if not torch.cuda.is_available():
        return f"torch {torch.__version__} sees no CUDA device (driver or CUDA runtime mismatch?)"
    return None


def main():
    """``python -m autograder.gpus``: exit 0 and name the GPUs, or exit 2 saying what is missing."""
    missing = require_gpu()
    if missing:
        print(f"error: {missing}")
        return 2
    import torch

    names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    print(f"GPUs for grading: {', '.join(names)} (CUDA_VISIBLE_DEVICES entries {visible_gpus()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
