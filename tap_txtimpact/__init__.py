"""Singer tap for the TXTImpact Workflow Report API."""

__version__ = "0.1.0"
