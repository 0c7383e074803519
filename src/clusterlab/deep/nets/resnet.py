"""Backbones for instance-level feature learning (AND): the CIFAR variant of ResNet-18 (3x3
stem, no max-pool), a small AlexNet-style network, and a small residual CNN for the CPU."""

from __future__ import annotations

import torch
from torch import nn


class _Basic(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.skip = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                     if stride != 1 or cin != cout else nn.Identity())

    def forward(self, x):
        return torch.relu(self.body(x) + self.skip(x))


class ResNet18(nn.Module):
    def __init__(self, in_channels: int = 3, dim: int = 128, width: int = 64):
        super().__init__()
        w = width
        layers = [nn.Conv2d(in_channels, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
        cin = w
        for i, cout in enumerate((w, 2 * w, 4 * w, 8 * w)):
            layers += [_Basic(cin, cout, 1 if i == 0 else 2), _Basic(cout, cout, 1)]
            cin = cout
        self.body = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(cin, dim)

    def forward(self, x):
        return self.head(self.body(x))


class AlexNetSmall(nn.Module):
    """Five convolutions and two pooling stages, sized for 32 x 32 inputs (after AND's CIFAR AlexNet)."""

    def __init__(self, in_channels: int = 3, dim: int = 128):
        super().__init__()
        def conv(a, b):
            return [nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*conv(in_channels, 96), nn.MaxPool2d(2), *conv(96, 192), nn.MaxPool2d(2),
                                  *conv(192, 384), *conv(384, 384), *conv(384, 256), nn.AdaptiveAvgPool2d(2),
                                  nn.Flatten())
        self.head = nn.Sequential(nn.Linear(256 * 4, 512), nn.ReLU(inplace=True), nn.Linear(512, dim))

    def forward(self, x):
        return self.head(self.body(x))


class SmallResNet(nn.Module):
    """Three residual stages of `width`, 2x, 4x channels: a backbone that trains on the CPU."""

    def __init__(self, in_channels: int = 1, dim: int = 128, width: int = 32):
        super().__init__()
        w = width
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
            _Basic(w, w, 1), _Basic(w, 2 * w, 2), _Basic(2 * w, 4 * w, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(4 * w, dim)

    def forward(self, x):
        return self.head(self.body(x))


BACKBONES = {"ResNet18": ResNet18, "AlexNet": AlexNetSmall, "SmallResNet": SmallResNet}
