"""A local fake of the TXTImpact Workflow Report API for demos, tests and benchmarks.

It is written from the API document alone and shares no code with the tap, so a
misreading of the API in the tap cannot hide in code that both sides use.

In a test, `with Sandbox(seed=7, campaigns={101: 40, 102: 0}) as sandbox:` serves
`sandbox.url` (`http://127.0.0.1:PORT/api/v2`) until the block ends. From a shell,
`tap-txtimpact-sandbox --port 8080` serves until SIGINT or SIGTERM. The accepted API
key is `sandbox-key` unless configured. The `/_sandbox/` control endpoints
(see `control.py`) expose the ground truth, the clock, faults and request counts.
"""

from tap_txtimpact.sandbox.faults import Faults
from tap_txtimpact.sandbox.sandbox import Sandbox

__all__ = ["Faults", "Sandbox"]
