"""shadowscan: find the shadow IT on a plant's file shares and say what to do about it."""

__version__ = "0.1.0"
