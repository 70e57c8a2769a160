"""wkcli: triage captured WuKongIM webhook traffic (CMD or chat, presence, recipients)."""

__version__ = "0.1.0"
