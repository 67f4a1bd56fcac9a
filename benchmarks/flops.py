"""FLOP counts of training steps and the machine's measured matrix-multiply limit."""
import time

import torch
from torch import nn


def training_flops_per_sample(model: nn.Module, input_shape) -> int:
    """FLOPs of one forward and backward pass for one sample, counted layer by layer.

    Forward is 2 FLOPs per multiply-add; backward computes the weight gradient (same cost) and
    the input gradient (same cost), except for the first layer, whose input needs no gradient.
    """
    macs = []

    def linear_hook(module, inputs, output):
        macs.append(module.in_features * module.out_features)

    def conv_hook(module, inputs, output):
        kernel_height, kernel_width = module.kernel_size
        per_output = module.in_channels // module.groups * kernel_height * kernel_width
        macs.append(output[0].numel() * per_output)

    hooks = []
    for module in model.modules():
        if isinstance(module, nn.Linear):
            hooks.append(module.register_forward_hook(linear_hook))
        elif isinstance(module, nn.Conv2d):
            hooks.append(module.register_forward_hook(conv_hook))
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    if not macs:
        raise ValueError(f"{type(model).__name__} has no Linear or Conv2d layer to count")
    forward = sum(2 * m for m in macs)
    weight_grad = forward
    input_grad = forward - 2 * macs[0]
    return forward + weight_grad + input_grad


def measured_matmul_gflops(threads=None, size=1024, repeats=20, device="cpu") -> float:
    """Sustained float32 matrix-multiply rate (the practical limit), in GFLOP/s.

    ``threads`` sets torch's CPU thread count for the measurement (None: leave it).
    """
    device = torch.device(device)
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        a = torch.randn(size, size, device=device)
        b = torch.randn(size, size, device=device)
        for _ in range(3):  # warm up the library and the caches
            a @ b
        _synchronize(device)
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        _synchronize(device)
        seconds = time.perf_counter() - start
    finally:
        torch.set_num_threads(previous)
    return 2 * size ** 3 * repeats / seconds / 1e9


def _synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
