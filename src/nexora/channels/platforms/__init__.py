"""The built-in platforms; importing this package registers each one."""

from nexora.channels.platforms import webhook

__all__ = ["webhook"]
