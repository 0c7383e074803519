"""What drives the outcome inside each cluster: interpretable per-cluster models (IMN, TabResNet),
their tuning, feature importance, and the comparison with SHAP (after the IMN clustering study).
"""

from .encoder import TableEncoder
from .models import MODEL_KINDS, NeuralModel, make_model
from .study import StudyResult, evaluate_study, run_study

__all__ = ["MODEL_KINDS", "NeuralModel", "StudyResult", "TableEncoder", "evaluate_study", "make_model", "run_study"]
