"""Imports every connector module so each registers its type. Add new sources here."""

from signalseq.connectors import jobs, visits, webhook  # noqa: F401
from signalseq.connectors.funding import feed  # noqa: F401
