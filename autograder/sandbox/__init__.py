"""Isolation of a submission's kernel: bubblewrap, cgroups, a size-capped scratch folder, seccomp."""
