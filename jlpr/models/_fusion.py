"""Faster inference copies of the small CNNs: batch norms folded, channels-last memory.

A ``Conv2d`` followed by a ``BatchNorm2d`` in eval mode is one affine map, so inference can run
a single convolution with adjusted weights and bias: fewer kernels and fewer Python module
calls. The small CNNs of this package (field classifiers, corner refiner) spent about a tenth
of a :meth:`~jlpr.reader.PlateReader.recognize` call in their batch norms, and their
convolutions run about 1.4x faster on the CPU on channels-last tensors (docs/models.md,
"Speed"). The trainable nets keep their batch norms and layout; :class:`InferenceCopy` hands
out a fast copy and makes it again whenever the net changes in place.
"""

from __future__ import annotations

import copy
import threading

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def fold_batch_norms(net: nn.Module) -> nn.Module:
    """An eval-mode copy of ``net`` with every batch norm that directly follows a convolution
    inside an ``nn.Sequential`` folded into that convolution (and replaced by ``Identity``).

    Only ``nn.Sequential`` children are folded: their order is the order they run in, which
    a plain module's registration order need not be. ``net`` itself is not changed.
    """
    folded = copy.deepcopy(net).eval()
    for module in folded.modules():
        if not isinstance(module, nn.Sequential):
            continue
        for index in range(len(module) - 1):
            conv, norm = module[index], module[index + 1]
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                module[index] = fuse_conv_bn_eval(conv, norm)
                module[index + 1] = nn.Identity()
    return folded


class _ChannelsLast(nn.Module):
    """Runs ``net`` (moved to channels-last memory) on channels-last copies of its inputs."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net.to(memory_format=torch.channels_last)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(inputs.contiguous(memory_format=torch.channels_last))
        return out


class InferenceCopy:
    """The module to run for inference on behalf of a trainable net.

    :meth:`of` returns the net itself while it is in training mode, otherwise a copy with its
    batch norms folded (:func:`fold_batch_norms`) that runs on channels-last tensors, made
    again when the net is another object or any of its parameters or buffers changed in place
    since (an optimiser step, ``load_state_dict``, batch-norm statistics). Replacing a
    parameter *object* inside the net is not noticed; assign a new net instead. A net made
    under ``torch.inference_mode()`` holds inference tensors, which keep no version counter:
    it is run as it is.
    """

    def __init__(self) -> None:
        self._source: nn.Module | None = None
        self._folded: nn.Module | None = None
        self._tensors: list[torch.Tensor] = []
        self._versions: list[int] = []
        self._trackable = False
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        """Copies and pickles start with an empty cache (a lock cannot be pickled)."""
        return {}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__()  # type: ignore[misc]

    def of(self, net: nn.Module) -> nn.Module:
        """The module that computes what ``net`` computes, as fast as this class can make it."""
        if net.training:
            return net
        with self._lock:  # readers shared between threads
            if net is not self._source:
                self._source, self._folded = net, None
                self._tensors = [*net.parameters(), *net.buffers()]
                self._trackable = not any(tensor.is_inference() for tensor in self._tensors)
            if not self._trackable:
                return net
            versions = [tensor._version for tensor in self._tensors]
            folded = self._folded
            if folded is None or versions != self._versions:
                folded = _ChannelsLast(fold_batch_norms(net))
                self._folded, self._versions = folded, versions
            return folded
