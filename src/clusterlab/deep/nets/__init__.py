"""Networks for deep clustering: autoencoders whose encoder is one of several backbones.

`build_autoencoder(name, shape, latent, **options)` is the one way to make one:
- `mlp`: fully connected, DEC's d-500-500-2000-latent shape by default (`hidden`);
- `conv_res`: convolutional residual autoencoder, `depth` residual blocks of `width` channels
  (ATC-Deep-Entropy's pre-training network);
- `cnn`: a plain convolutional encoder (no skips); `cnn_attention`: the same with a
  self-attention block over the feature map; `vit`: a small vision transformer encoder.
The convolutional backbones share one transposed-convolution decoder, so every architecture
can be pre-trained by reconstruction and compared in the same method. `patches` holds the one
encoder that is no autoencoder: patch k-means' layer of k-means filters, learned without gradients.
"""

from __future__ import annotations

from ...errors import ParameterError
from .autoencoder import AutoEncoder
from .conv import ConvDecoder, ConvEncoder
from .mlp import MLPDecoder, MLPEncoder
from .vit import ViTEncoder

NETS = ("mlp", "conv_res", "cnn", "cnn_attention", "vit")


def build_autoencoder(name: str, shape: tuple[int, int, int], latent: int = 10, **options) -> AutoEncoder:
    """An autoencoder for images of `shape` (channels, height, width)."""
    if name not in NETS:
        raise ParameterError(f"net {name!r} is not allowed; choose one of: {', '.join(NETS)}")
    if latent < 1:
        raise ParameterError(f"latent must be at least 1, got {latent}")
    c, h, w = shape
    if name == "mlp":
        hidden = tuple(options.pop("hidden", (500, 500, 2000)))
        dropout = float(options.pop("dropout", 0.0))
        _no_more(name, options)
        return AutoEncoder(MLPEncoder(c * h * w, hidden, latent, dropout), MLPDecoder(latent, hidden, shape))
    if name == "vit":
        encoder = ViTEncoder(shape, latent, **_take(options, "patch", "dim", "depth", "heads", "dropout"))
        width = 32
    else:
        width = int(options.get("width", 32))
        encoder = ConvEncoder(shape, latent, residual=name == "conv_res", attention=name == "cnn_attention",
                              **_take(options, "depth", "width", "dropout"))
    _no_more(name, options)
    return AutoEncoder(encoder, ConvDecoder(latent, shape, width))


def _take(options: dict, *keys: str) -> dict:
    return {k: options.pop(k) for k in keys if k in options}


def _no_more(name: str, options: dict) -> None:
    if options:
        raise ParameterError(f"net {name!r} has no option {', '.join(sorted(options))}")


__all__ = ["NETS", "AutoEncoder", "build_autoencoder"]
