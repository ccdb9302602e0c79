"""A local fake of the TXTImpact Workflow Report API for demos, tests and benchmarks.

It is written from the API document alone and shares no code with the tap, so a
misreading of the API in the tap cannot hide in code that both sides use.
"""

from tap_txtimpact.sandbox.faults import Faults
from tap_txtimpact.sandbox.sandbox import Sandbox

__all__ = ["Faults", "Sandbox"]
