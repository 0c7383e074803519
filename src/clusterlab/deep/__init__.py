"""Deep clustering of images: networks (`nets`), methods behind one interface (`methods`:
AE+KMeans, DEC, IDEC, ATC-Deep-Entropy, N2D), run configs (`config`) and the session runner
(`session`: run folders, checkpoints, resume, TensorBoard, figures, several seeds)."""

from .config import load_config
from .methods import METHODS, make_method

__all__ = ["METHODS", "load_config", "make_method"]
