"""Network building blocks shared by the recommender (`recommend.nets`) and deep clustering
(`deep.nets`). Imports torch: only network modules import this."""

from __future__ import annotations

from torch import nn


class FeatureMapAttention(nn.Module):
    """Self-attention over the spatial positions of a feature map, residual, layer-normalised."""

    def __init__(self, channels: int, heads: int = 1):
        super().__init__()
        self.attn = nn.MultiheadAttention(channels, num_heads=heads, batch_first=True)
        self.norm = nn.LayerNorm(channels)

    def forward(self, x):
        b, c, h, w = x.shape
        seq = x.flatten(2).transpose(1, 2)
        out, _ = self.attn(seq, seq, seq, need_weights=False)
        return self.norm(seq + out).transpose(1, 2).reshape(b, c, h, w)
