"""What each exercise written "by hand" may use: an allow-list of operations per exercise.

An answer to one of these exercises may use Python's operators (``+``, ``**``, ``==``,
indexing), plain builtins (``len``, ``range``, ``float``, ...), its own names, the tensor and
array basics of :data:`BASICS` and the operations listed here: method and function names,
reached from any library (``torch.abs`` and ``x.abs()`` are both ``abs``). Anything else is
refused with a hint that names it, whatever its spelling: a library neighbour
(``F.smooth_l1_loss`` for L1), a name from another cell, the library's own version. The
exercise's text lists the same operations; :func:`course_utils.own_code.borrowed_code` applies
them in the self-check and in the grader.
"""

# Reading and changing a tensor's or an array's shape, dtype and device; creating, comparing,
# converting and element-wise basics. No loss, distance or norm: those are what the exercises ask for.
BASICS = (
    "shape", "size", "dim", "ndim", "numel", "view", "reshape", "squeeze", "unsqueeze", "flatten",
    "ravel", "float", "double", "long", "int", "bool", "to", "type", "dtype", "device", "as_tensor",
    "tensor", "asarray", "array", "from_numpy", "numpy", "cpu", "detach", "clone", "copy",
    "astype", "item", "tolist", "float32", "float64", "int64", "uint8", "zeros", "ones",
    "zeros_like", "ones_like", "full", "empty", "arange", "fill_", "zero_", "min", "max", "amin",
    "amax", "argmin", "argmax", "clamp", "clip", "sign", "neg", "add", "sub", "subtract", "mul",
    "div", "divide", "sqrt", "exp", "log", "where", "any", "all", "isnan", "isfinite", "eq", "ne",
    "lt", "le", "gt", "ge", "logical_and", "logical_or", "stack", "cat", "concatenate", "sort",
    "unique", "requires_grad", "is_floating_point", "stdout", "stderr",
)

BY_HAND = {
    # lesson 1
    "l1_loss": BASICS + ("abs", "mean", "sum"),
    "mse_loss": BASICS + ("abs", "pow", "square", "mean", "sum"),
    "one_hot": BASICS + ("eye", "scatter", "scatter_", "index_select", "index_put_"),
    "cross_entropy_from_logits": BASICS + ("sum", "mean", "gather", "take_along_dim", "index_select",
                                           "values"),
    # lesson 4
    "forward_backward": BASICS + ("tanh", "sum", "mean", "T", "t", "transpose", "matmul", "mm", "values",
                                  "gather", "pow", "square", "keys", "items"),
    "numerical_gradient": BASICS,
    "gradient_descent": BASICS + ("keys", "items", "values", "append"),
    # lesson 5
    "standardize": BASICS + ("expand_dims", "newaxis", "mean", "std"),
    "per_class_accuracy": BASICS + ("nan", "mean", "sum", "bincount", "count_nonzero", "nonzero",
                                    "minimum", "maximum", "errstate"),
    # lesson 6
    "InvertedDropout": BASICS + ("Module", "super", "p", "training", "rand", "rand_like", "bernoulli"),
    "weight_decay_term": BASICS + ("parameters", "named_parameters", "sum", "pow", "square"),
    "l2_penalty": BASICS + ("coefs_", "intercepts_", "alpha", "sum", "square", "pow", "power",
                            "dot", "vdot"),
}
