#!/usr/bin/env python3
"""Writes the PyTorch fixtures of the nn layer tests (src/test/resources/torch/<case>/).

Each case builds a small PyTorch module with a fixed seed and PyTorch's default
initialisation, runs it on a random input, back-propagates a random output gradient, and
saves, as float32 NPY files:

    <param>.npy        the parameters under their state_dict names (weight.npy, bias.npy,
                       depthwise.weight.npy, ...), exported with numpy.save(t.detach().numpy())
    <param>.grad.npy   their gradients
    input.npy, output.npy, grad_output.npy, grad_input.npy
    module.txt         the module's repr, for the reader

TorchFixtureTest builds the same layers with conv4j, loads the parameters, and checks the
output and every gradient. Run with Debian's python3-torch:

    apt-get install -y python3-torch libopenblas0-pthread
    /usr/bin/python3 scripts/make-torch-fixtures.py [OUTPUT_DIR]
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class SeparableConv2d(nn.Module):
    """The PyTorch twin of conv4j's SeparableConv2d: depthwise, then pointwise 1x1."""

    def __init__(self, cin, cout, k, stride=1, padding=0, dilation=1, depth_multiplier=1,
                 bias=True, depthwise_bias=False):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin * depth_multiplier, k, stride, padding, dilation,
                                   groups=cin, bias=depthwise_bias)
        self.pointwise = nn.Conv2d(cin * depth_multiplier, cout, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


class AsymmetricPaddingConv2d(nn.Conv2d):
    """nn.Conv2d with a left and a right padding per dimension, as conv4j's
    Padding.of(left, right): the input padded in padding_mode, then an unpadded convolution.
    Its state_dict is nn.Conv2d's (weight, bias)."""

    def __init__(self, cin, cout, k, pad_left, pad_right, pad_mode="zeros", **kwargs):
        super().__init__(cin, cout, k, padding=0, **kwargs)
        self.pad_left, self.pad_right, self.pad_mode = tuple(pad_left), tuple(pad_right), pad_mode
        self.pads = []
        for left, right in reversed(list(zip(pad_left, pad_right))):  # F.pad: last dimension first
            self.pads += [left, right]

    def forward(self, x):
        x = F.pad(x, self.pads, mode="constant" if self.pad_mode == "zeros" else self.pad_mode)
        return self._conv_forward(x, self.weight, self.bias)

    def extra_repr(self):
        return super().extra_repr() + ", pad_left=%s, pad_right=%s, pad_mode=%s" % (
            self.pad_left, self.pad_right, self.pad_mode)


# name -> (module factory, input shape, seed). Keep TorchFixtureTest's table in step with this one.
CASES = {
    "conv1d_groups_stride": (lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1, groups=2), (2, 4, 9), 1000),
    "conv1d_same_dilation": (lambda: nn.Conv1d(2, 3, 4, dilation=2, padding="same"), (2, 2, 11), 1001),
    "conv2d_same_even_kernel": (lambda: nn.Conv2d(3, 4, (3, 4), padding="same"), (1, 3, 6, 7), 1005),
    "conv2d_reflect_dilation": (lambda: nn.Conv2d(3, 4, 3, padding=2, dilation=2, padding_mode="reflect"),
                                (2, 3, 7, 8), 1003),
    "conv2d_replicate_stride_nobias": (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1, padding_mode="replicate",
                                                         bias=False), (2, 2, 7, 6), 1004),
    "conv2d_circular_groups": (lambda: nn.Conv2d(4, 6, 3, padding=1, groups=2, padding_mode="circular"),
                               (1, 4, 5, 6), 1002),
    "conv2d_valid": (lambda: nn.Conv2d(3, 5, 2, padding="valid"), (2, 3, 5, 4), 1006),
    "conv3d_groups_stride": (lambda: nn.Conv3d(2, 4, (2, 3, 3), stride=(1, 2, 1), padding=(0, 1, 1), groups=2),
                             (1, 2, 4, 6, 5), 1007),
    "convtranspose1d_groups_dilation": (lambda: nn.ConvTranspose1d(4, 2, 4, stride=3, dilation=2,
                                                                   output_padding=2, groups=2), (1, 4, 5), 1008),
    "convtranspose2d_output_padding": (lambda: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1,
                                                                  output_padding=1), (2, 4, 4, 5), 1009),
    "convtranspose3d_stride": (lambda: nn.ConvTranspose3d(2, 2, 2, stride=2), (1, 2, 2, 3, 2), 1010),
    "depthwise_multiplier": (lambda: nn.Conv2d(3, 6, 3, padding=1, groups=3), (2, 3, 6, 6), 1011),
    "separable": (lambda: SeparableConv2d(3, 5, 3, padding="same", depth_multiplier=2), (2, 3, 6, 7), 1012),
    # each case has its own seed: adding one changes no other case's files
    "conv2d_asymmetric_circular_stride": (lambda: AsymmetricPaddingConv2d(3, 4, 3, (1, 0), (0, 2), "circular",
                                                                         stride=2), (2, 3, 7, 6), 1013),
    "conv3d_reflect_dilation": (lambda: nn.Conv3d(2, 3, (2, 3, 3), padding=(1, 2, 1), dilation=(1, 2, 1),
                                                  padding_mode="reflect"), (1, 2, 3, 5, 4), 1014),
    "convtranspose2d_dilation_groups": (lambda: nn.ConvTranspose2d(4, 6, (3, 2), stride=(1, 2), padding=(2, 0),
                                                                   output_padding=(1, 1), dilation=(2, 3), groups=2),
                                        (2, 4, 4, 3), 1015),
    "convtranspose1d_depthwise": (lambda: nn.ConvTranspose1d(3, 6, 3, stride=2, padding=1, output_padding=1,
                                                             groups=3), (3, 3, 6), 1016),
}


def save(path, tensor):
    np.save(path, tensor.detach().numpy().astype(np.float32))


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "torch")
    torch.set_num_threads(1)
    for name, (make, shape, seed) in sorted(CASES.items()):
        torch.manual_seed(seed)
        module = make()
        x = torch.randn(*shape, requires_grad=True)
        y = module(x)
        dy = torch.randn(*y.shape)
        y.backward(dy)
        out = os.path.join(root, name)
        os.makedirs(out, exist_ok=True)
        for pname, p in module.state_dict(keep_vars=True).items():
            save(os.path.join(out, pname + ".npy"), p)
            save(os.path.join(out, pname + ".grad.npy"), p.grad)
        save(os.path.join(out, "input.npy"), x)
        save(os.path.join(out, "output.npy"), y)
        save(os.path.join(out, "grad_output.npy"), dy)
        save(os.path.join(out, "grad_input.npy"), x.grad)
        with open(os.path.join(out, "module.txt"), "w") as f:
            f.write(repr(module) + "\n")
        print(name, tuple(shape), "->", tuple(y.shape))


if __name__ == "__main__":
    main()
