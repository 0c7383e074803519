"""The main job, `clusterlab auto`: choose an algorithm and k, cluster, score, and write an
output folder with a report.

- `main.auto` composes the steps and returns an `AutoResult` (`result`);
- one module per kind of input: `numeric` (matrices, tables of numbers) and `mixed` (tables with
  categories, on Gower distance), each returning an `Outcome`;
- `steps`: what the kinds share (k, the comparison with runners-up);
- `output`: labels.csv, summary.json and the report.
"""

from .main import RUNNERS, auto
from .output import VIEWS, summary_dict, write_outputs
from .result import AutoResult, Decision, Outcome

__all__ = ["RUNNERS", "VIEWS", "AutoResult", "Decision", "Outcome", "auto", "summary_dict", "write_outputs"]
