"""Outage Broadcaster: proactive outage notifications on WhatsApp."""

__version__ = "0.1.0"
