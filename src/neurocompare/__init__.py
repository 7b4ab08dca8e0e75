"""neurocompare: does deep learning beat the traditional method on my neural data?

The package is organised along the data flow
``data -> pipelines -> protocols -> records -> stats -> report``; the command-line
interface (:mod:`neurocompare.cli`) only wires these together.
"""

from neurocompare import _parallel  # noqa: F401  (first: notes whether torch came before us)
from neurocompare._errors import InputError

__version__ = "0.1.0"

__all__ = ["InputError", "__version__"]
