"""What `clusterlab auto` leaves behind to label rows it has not seen: the fitted input steps and
the placement rule, saved in the run folder (JSON and safetensors), and `assign`, which applies
them to new rows."""

from .assign import Assignment, assign
from .model import FittedModel, fitted_model
from .placement import Placement, placement_of

__all__ = ["Assignment", "FittedModel", "Placement", "assign", "fitted_model", "placement_of"]
